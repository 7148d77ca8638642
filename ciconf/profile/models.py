"""The profile: one small typed description of a service's CI and delivery.

Unknown keys are rejected and types are strict (a YAML ``yes`` is a boolean, never the string
"yes"), so what the user wrote is what gets rendered.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ciconf.profile.grammar import (
    AccountName,
    Branch,
    CachePath,
    Command,
    ContextName,
    DockerImage,
    EcrRepository,
    EcsName,
    EnvName,
    Host,
    ImageTag,
    ProjectName,
    Region,
    RelPath,
    ResourceClass,
    RoleArn,
)

DEFAULT_DELIVERY_IMAGE = "cimg/aws:2025.01"


class Model(BaseModel):
    # defer_build: validators are built on first use, once for the whole Profile rather than once
    # per class at import (load.py builds them without pydantic's plugin scan)
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)


Environment = dict[EnvName, str]


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
    build_args: dict[EnvName, str] = Field(default_factory=dict)
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


class Account(Model):
    name: AccountName
    branch: Branch
    deploy_tag: ImageTag | None = Field(
        None, description="Tag the account's pipeline watches, pushed after the commit tags (default: name)"
    )
    credentials: Credentials
    approval: bool = Field(False, description="Hold for a manual approval before delivery")


class Profile(Model):
    model_config = ConfigDict(title="ciconf profile")

    project: ProjectName
    test: TestJob
    merge_test: MergeTest | None = None
    delivery: Delivery | None = None
    accounts: list[Account] = Field(default_factory=list)

    @model_validator(mode="after")
    def _accounts_need_delivery(self) -> "Profile":
        if self.accounts and self.delivery is None:
            raise ValueError("accounts need a delivery section (region and images)")
        names = [account.name for account in self.accounts]
        if len(set(names)) != len(names):
            raise ValueError("account names must be unique")
        if self.delivery is not None:
            length = self.delivery.commit_tag_length
            for account in self.accounts:
                tag = account.deploy_tag or account.name
                if len(tag) == length and all(c in "0123456789abcdef" for c in tag):
                    raise ValueError(
                        f"deploy tag {tag!r} of account {account.name!r} looks like a commit tag; "
                        "choose another"
                    )
        return self

