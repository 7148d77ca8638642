"""The profile: one small typed description of a service's CI and delivery.

Unknown keys are rejected and types are strict (a YAML ``yes`` is a boolean, never the string
"yes"), so what the user wrote is what gets rendered.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from ciconf.errors import closest, shown
from ciconf.profile.environment import Environment as AccountEnvironment
from ciconf.profile.grammar import (
    AccountName,
    Branch,
    CachePath,
    Command,
    ContextName,
    DeploymentConfigName,
    DockerImage,
    EcrRepository,
    EcsName,
    EnvName,
    Host,
    ImageTag,
    ListenerArn,
    ProjectName,
    Region,
    RelPath,
    ResourceClass,
    RoleArn,
    TargetGroupName,
    Text,
)

DEFAULT_DELIVERY_IMAGE = "cimg/aws:2025.01"
UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
ALARM_NAME_PATTERN = r"^[A-Za-z0-9_.][A-Za-z0-9_./-]{0,254}$"
# the values CloudWatch Logs accepts for RetentionInDays
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                      2922, 3288, 3653)


class Model(BaseModel):
    # defer_build: validators are built on first use, once for the whole Profile rather than once
    # per class at import (load.py builds them without pydantic's plugin scan)
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)


Environment = dict[EnvName, Text]


class Service(Model):
    """A service container next to the primary image (a database, a cache...)."""

    image: DockerImage = Field(description="Docker image, e.g. cimg/mysql:8.0")
    environment: Environment = Field(default_factory=dict)


class Cache(Model):
    """Dependency cache: restored before install, saved after it."""

    version: Annotated[str, Field(pattern=r"^v[0-9]+$")] = Field(
        "v1", description="Bump to throw the cache away (v1, v2...)"
    )
    lockfiles: list[RelPath] = Field(min_length=1, description="Files whose checksums key the cache")
    paths: list[CachePath] = Field(min_length=1, description="Directories to cache (~/ allowed)")


class WaitFor(Model):
    """A service port to wait for before setup (dockerize -wait)."""

    host: Host = "127.0.0.1"
    port: int = Field(ge=1, le=65535)
    timeout: int = Field(60, ge=1, le=3600, description="Seconds")


class TestJob(Model):
    image: DockerImage = Field(description="Primary image, e.g. cimg/php:8.3-browsers")
    services: list[Service] = Field(default_factory=list)
    environment: Environment = Field(default_factory=dict)
    resource_class: ResourceClass | None = None
    cache: Cache | None = None
    install: Command | None = Field(None, description="Dependency install command")
    wait_for: list[WaitFor] = Field(default_factory=list)
    setup: list[Command] = Field(default_factory=list, description="Commands run before the tests")
    command: Command = Field(description="The test command")
    artifacts: list[RelPath] = Field(default_factory=list)
    test_results: RelPath | None = None


class MergeTest(Model):
    """Run the tests again on the branch merged with its base branch."""

    enabled: bool = True
    base: Branch = "develop"
    ignore_branches: list[Branch] = Field(default_factory=lambda: ["master", "develop"])


class Image(Model):
    repository: EcrRepository
    dockerfile: RelPath = "Dockerfile"
    context: RelPath = "."
    build_args: dict[EnvName, Text] = Field(default_factory=dict)
    container: EcsName | None = Field(
        None, description="ECS container this image deploys to (default: the repository's last part)"
    )

    @property
    def container_name(self) -> str:
        return self.container or self.repository.rsplit("/", 1)[-1]


class Delivery(Model):
    region: Region
    images: list[Image] = Field(min_length=1)
    commit_tag_length: int = Field(
        6, ge=4, le=40, description="The commit tag is the first N characters of CIRCLE_SHA1"
    )
    pipeline_source: EcrRepository | None = Field(
        None, description="Repository whose deploy tag starts the pipeline (default: the last image)"
    )
    executor_image: DockerImage = DEFAULT_DELIVERY_IMAGE
    resource_class: ResourceClass | None = None

    @model_validator(mode="after")
    def _known_source(self) -> "Delivery":
        names = [image.repository for image in self.images]
        if len(set(names)) != len(names):
            raise ValueError("each image needs its own repository")
        containers = [image.container_name for image in self.images]
        if len(set(containers)) != len(containers):
            raise ValueError("each image needs its own ECS container name (set 'container')")
        if self.pipeline_source is not None and self.pipeline_source not in names:
            raise ValueError(f"pipeline_source {self.pipeline_source!r} is not one of the images {names}")
        return self


class EnvIndirection(Model):
    """The seed's way: the job environment names project variables, resolved with eval."""

    mode: Literal["env-indirection"]
    account_id_var: EnvName
    access_key_var: EnvName
    secret_key_var: EnvName


class ContextCredentials(Model):
    """A CircleCI context holding AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_ACCOUNT_ID."""

    mode: Literal["context"]
    context: ContextName


def _circleci_id(value: str) -> str:
    if not re.fullmatch(UUID_PATTERN, value):
        raise ValueError(f"expected a CircleCI id, a lowercase UUID like 3f9c1a52-7d4e-4b8a-9e21-6c0d5b7a8f13, got {shown(value)}")
    return value


class OidcCredentials(Model):
    """CircleCI OIDC token (v2) exchanged for a role; the context makes the token available.

    With `org_id` and `project_id` the account's bootstrap stack creates the role (and, unless
    `create_provider` is false, CircleCI's identity provider) with a trust locked to this project.
    """

    mode: Literal["oidc"]
    role_arn: RoleArn
    context: ContextName
    org_id: Annotated[str, AfterValidator(_circleci_id)] | None = Field(
        None, description="CircleCI organization ID (Organization Settings > Overview): issuer and audience"
    )
    project_id: Annotated[str, AfterValidator(_circleci_id)] | None = Field(
        None, description="CircleCI project ID (Project Settings > Overview): the trust's sub condition"
    )
    branch_only: bool = Field(
        True, description="Trust only tokens of jobs on the account's branch (the token's vcs-ref)"
    )
    create_provider: bool = Field(
        True, description="Create the account's CircleCI OIDC provider (false: it exists already)"
    )

    @model_validator(mode="after")
    def _both_ids(self) -> "OidcCredentials":
        if (self.org_id is None) != (self.project_id is None):
            raise ValueError("org_id and project_id go together: the trust needs both")
        return self


Credentials = Annotated[
    Union[EnvIndirection, ContextCredentials, OidcCredentials], Field(discriminator="mode")
]


class BlueGreen(Model):
    """CodeDeploy blue/green: where traffic shifts and how fast."""

    production_listener_arn: ListenerArn
    test_listener_arn: ListenerArn | None = Field(
        None, description="Listener for test traffic to the new tasks before the shift (optional)"
    )
    target_groups: Annotated[list[TargetGroupName], Field(min_length=2, max_length=2)] = Field(
        description="The blue and green target groups, both attached to the listener's rule"
    )
    container: EcsName = Field(description="The ECS container that receives load balancer traffic")
    port: int = Field(ge=1, le=65535, description="That container's port")
    deployment_config: DeploymentConfigName = Field(
        "CodeDeployDefault.ECSAllAtOnce",
        description="e.g. CodeDeployDefault.ECSAllAtOnce, ECSCanary10Percent5Minutes, ECSLinear10PercentEvery1Minutes",
    )
    termination_wait_minutes: int = Field(
        5, ge=0, le=2880, description="Minutes the old (blue) tasks keep running after the shift"
    )
    alarms: Annotated[list[Annotated[str, Field(pattern=ALARM_NAME_PATTERN)]], Field(max_length=10)] = Field(
        default_factory=list,
        description="CloudWatch alarms that stop the deployment and roll it back while they are in ALARM",
    )

    @model_validator(mode="after")
    def _two_groups(self) -> "BlueGreen":
        if self.target_groups[0] == self.target_groups[1]:
            raise ValueError("target_groups must name two different target groups")
        if len(set(self.alarms)) != len(self.alarms):
            raise ValueError("alarms lists an alarm twice")
        return self


class Pipeline(Model):
    """The account's AWS pipeline: ECR source -> CodeBuild -> ECS (rolling) or CodeDeploy (blue/green)."""

    cluster: EcsName = Field(description="ECS cluster name (the template's EcsClusterName default)")
    service: EcsName | None = Field(
        None, description="The one ECS service running every image (or list them under services)"
    )
    services: list["EcsService"] | None = Field(
        None, min_length=1, description="Several ECS services; each image's container runs in exactly one"
    )
    approval: bool = Field(False, description="Add a manual approval stage before the deploy")
    strategy: Literal["rolling", "blue-green"] = "rolling"
    blue_green: BlueGreen | None = Field(None, description="Required with strategy: blue-green")
    build_timeout_minutes: int = Field(10, ge=5, le=480, description="CodeBuild timeout of the deploy-files build")
    log_retention_days: int = Field(30, description="Days CloudWatch Logs keeps the build logs")

    @model_validator(mode="after")
    def _strategy_settings(self) -> "Pipeline":
        if self.strategy == "blue-green" and self.blue_green is None:
            raise ValueError("strategy blue-green needs a blue_green section (listener, target groups...)")
        if self.strategy == "rolling" and self.blue_green is not None:
            raise ValueError("blue_green settings are only used with strategy: blue-green")
        if (self.service is None) == (self.services is None):
            raise ValueError("name the ECS service with either service (one service) or services (several)")
        if self.log_retention_days not in LOG_RETENTION_DAYS:
            raise ValueError(
                f"log_retention_days {self.log_retention_days} is not a CloudWatch Logs retention "
                f"(one of {', '.join(map(str, LOG_RETENTION_DAYS))})"
            )
        if self.services is not None:
            names = [service.name for service in self.services]
            if len(set(names)) != len(names):
                raise ValueError("each entry of services needs its own name")
            keys = [service.key for service in self.services]
            if len(set(keys)) != len(keys):
                raise ValueError("service names must differ in more than '-' and '_' (they name template parameters)")
            containers = [name for service in self.services for name in service.containers]
            twice = sorted({name for name in containers if containers.count(name) > 1})
            if twice:
                raise ValueError(f"container {twice[0]!r} is listed in two services; each runs in exactly one")
        return self


class EcsService(Model):
    """One ECS service of the account and the delivered containers it runs."""

    name: EcsName = Field(description="ECS service name (the default of its template parameter)")
    containers: list[EcsName] = Field(
        min_length=1, description="Containers (the images' container names) this service's task definition runs"
    )

    @property
    def key(self) -> str:
        """The name as CamelCase letters and digits, for template parameter and variable names."""
        return "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_]", self.name) if part)


class Account(Model):
    name: AccountName
    branch: Branch
    deploy_tag: ImageTag | None = Field(
        None, description="Tag the account's pipeline watches, pushed after the commit tags (default: name)"
    )
    credentials: Credentials
    approval: bool = Field(False, description="Hold for a manual approval before delivery")
    pipeline: Pipeline | None = Field(None, description="The AWS pipeline `ciconf cfn` generates")
    environment: AccountEnvironment | None = Field(
        None, description="The account's VPC, load balancer, ECS services and database (docs/environment.md)"
    )


class Profile(Model):
    model_config = ConfigDict(title="ciconf profile")

    project: ProjectName
    test: TestJob
    merge_test: MergeTest | None = None
    delivery: Delivery | None = None
    accounts: list[Account] = Field(default_factory=list)

    @field_validator("accounts")
    @classmethod
    def _traffic_container_is_delivered(cls, accounts: list[Account], info: ValidationInfo) -> list[Account]:
        delivery = info.data.get("delivery")
        if delivery is None:
            return accounts
        containers = [image.container_name for image in delivery.images]
        for index, account in enumerate(accounts):
            blue_green = account.pipeline.blue_green if account.pipeline else None
            if blue_green is None or blue_green.container in containers:
                continue
            guess = closest(blue_green.container, containers)
            message = f"{blue_green.container!r} is not one of the images' containers ({', '.join(containers)})"
            if guess:
                message += f"; did you mean {guess!r}?"
            # located on the field itself, so the message points at the line to fix
            error = InitErrorDetails(
                type=PydanticCustomError("value_error", "{detail}", {"detail": message}),
                loc=(index, "pipeline", "blue_green", "container"),
                input=blue_green.container,
            )
            raise ValidationError.from_exception_data(cls.__name__, [error])
        return accounts

    @field_validator("accounts")
    @classmethod
    def _accounts_fit_delivery(cls, accounts: list[Account], info: ValidationInfo) -> list[Account]:
        # a field validator, so the error points at 'accounts:' in the file
        names = [account.name for account in accounts]
        if len(set(names)) != len(names):
            raise ValueError("account names must be unique")
        if "delivery" not in info.data:
            return accounts  # delivery itself is invalid; that error is reported instead
        delivery = info.data["delivery"]
        if accounts and delivery is None:
            raise ValueError("accounts need a delivery section (region and images)")
        for account in accounts:
            tag = account.deploy_tag or account.name
            if len(tag) == delivery.commit_tag_length and all(c in "0123456789abcdef" for c in tag):
                raise ValueError(
                    f"deploy tag {tag!r} of account {account.name!r} looks like a commit tag; choose another"
                )
        return accounts
