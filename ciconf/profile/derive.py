"""Values derived from a profile, computed once and shared by the CircleCI and CloudFormation sides.

Registry hosts, tags, job names, container names and push order live here only, so the two
generated artifacts cannot disagree about them.
"""

from __future__ import annotations

from dataclasses import dataclass

from ciconf.profile.models import Account, Credentials, Image, Pipeline, Profile

COMMIT_SHA_VAR = "CIRCLE_SHA1"


def registry_host(account_id: str, region: str) -> str:
    """ECR registry host; `account_id` may be a literal or a shell/CloudFormation expression."""
    return f"{account_id}.dkr.ecr.{region}.amazonaws.com"


def snake(name: str) -> str:
    return "".join(char if char.isalnum() else "_" for char in name).strip("_").lower()


@dataclass(frozen=True)
class ImagePlan:
    repository: str
    dockerfile: str
    context: str
    build_args: tuple[tuple[str, str], ...]
    container: str

    @property
    def anchor(self) -> str:
        return f"image_{snake(self.repository)}"


@dataclass(frozen=True)
class AccountPlan:
    name: str
    branch: str
    deploy_tag: str
    credentials: Credentials
    approval: bool
    job: str
    hold_job: str | None
    stack_name: str
    pipeline: Pipeline | None  # what `ciconf cfn` builds for this account

    @property
    def mode(self) -> str:
        return self.credentials.mode


@dataclass(frozen=True)
class DeliveryPlan:
    region: str
    commit_tag_length: int
    images: tuple[ImagePlan, ...]  # build and push order
    source: ImagePlan  # its deploy tag starts the pipeline, so it is tagged last
    executor_image: str
    resource_class: str | None

    @property
    def deploy_tag_order(self) -> tuple[ImagePlan, ...]:
        others = tuple(image for image in self.images if image is not self.source)
        return others + (self.source,)

    @property
    def commit_tag_pattern(self) -> str:
        """Regex (ERE and jq) for a commit tag: the deploy-tag grammar guarantees no deploy tag matches."""
        return f"^[0-9a-f]{{{self.commit_tag_length}}}$"

    @property
    def siblings(self) -> tuple[ImagePlan, ...]:
        return tuple(image for image in self.images if image is not self.source)


@dataclass(frozen=True)
class Plan:
    project: str
    delivery: DeliveryPlan | None
    accounts: tuple[AccountPlan, ...]

    def account(self, name: str) -> AccountPlan:
        for account in self.accounts:
            if account.name == name:
                return account
        raise KeyError(name)


def _image(image: Image) -> ImagePlan:
    return ImagePlan(
        repository=image.repository,
        dockerfile=image.dockerfile,
        context=image.context,
        build_args=tuple(sorted(image.build_args.items())),
        container=image.container_name,
    )


def _account(project: str, account: Account) -> AccountPlan:
    return AccountPlan(
        name=account.name,
        branch=account.branch,
        deploy_tag=account.deploy_tag or account.name,
        credentials=account.credentials,
        approval=account.approval,
        job=f"delivery_{account.name}",
        hold_job=f"hold_{account.name}" if account.approval else None,
        stack_name=f"{project}-{account.name.replace('_', '-')}-pipeline",
        pipeline=account.pipeline,
    )


def plan(profile: Profile) -> Plan:
    delivery = None
    if profile.delivery is not None:
        images = tuple(_image(image) for image in profile.delivery.images)
        wanted = profile.delivery.pipeline_source or images[-1].repository
        source = next(image for image in images if image.repository == wanted)
        delivery = DeliveryPlan(
            region=profile.delivery.region,
            commit_tag_length=profile.delivery.commit_tag_length,
            images=images,
            source=source,
            executor_image=profile.delivery.executor_image,
            resource_class=profile.delivery.resource_class,
        )
    accounts = tuple(_account(profile.project, account) for account in profile.accounts)
    return Plan(project=profile.project, delivery=delivery, accounts=accounts)
