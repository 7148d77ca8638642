"""The profile: one small typed description of a service's CI and delivery.

Unknown keys are rejected and types are strict (a YAML ``yes`` is a boolean, never the string
"yes"), so what the user wrote is what gets rendered.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from ciconf.errors import closest
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


class OidcCredentials(Model):
    """CircleCI OIDC token (v2) exchanged for a role; the context makes the token available."""

    mode: Literal["oidc"]
    role_arn: RoleArn
    context: ContextName


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

    @model_validator(mode="after")
    def _two_groups(self) -> "BlueGreen":
        if self.target_groups[0] == self.target_groups[1]:
            raise ValueError("target_groups must name two different target groups")
        return self


class Pipeline(Model):
    """The account's AWS pipeline: ECR source -> CodeBuild -> ECS (rolling) or CodeDeploy (blue/green)."""

    cluster: EcsName = Field(description="ECS cluster name (the template's EcsClusterName default)")
    service: EcsName = Field(description="ECS service name (the template's EcsServiceName default)")
    approval: bool = Field(False, description="Add a manual approval stage before the deploy")
    strategy: Literal["rolling", "blue-green"] = "rolling"
    blue_green: BlueGreen | None = Field(None, description="Required with strategy: blue-green")

    @model_validator(mode="after")
    def _strategy_settings(self) -> "Pipeline":
        if self.strategy == "blue-green" and self.blue_green is None:
            raise ValueError("strategy blue-green needs a blue_green section (listener, target groups...)")
        if self.strategy == "rolling" and self.blue_green is not None:
            raise ValueError("blue_green settings are only used with strategy: blue-green")
        return self


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
