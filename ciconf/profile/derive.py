"""Values derived from a profile, computed once and shared by the CircleCI and CloudFormation sides.

Registry hosts, tags, job names, container names and push order live here only, so the two
generated artifacts cannot disagree about them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ciconf.profile.credentials import (
    CredentialParts,
    credential_parts,
    role_account,  # noqa: F401 - re-exported
)
from ciconf.profile.environment import Environment
from ciconf.profile.grammar import role_path_and_name
from ciconf.profile.models import (
    Account,
    AccountImage,
    Credentials,
    Delivery,
    FromCircleci,
    FromEnv,
    Image,
    ImageTags,
    Machine,
    Pipeline,
    Profile,
    RemoteDocker,
    delivery_job_name,
    hold_job_name,
)
from ciconf.profile.refs import Refs, job_refs
from ciconf.profile.runvalues import SOMETIMES_SET
from ciconf.profile.tagrules import FULL_SHA_LENGTH
from ciconf.profile.trust import TAGS, oidc_issuer, ref_globs  # noqa: F401 - oidc_issuer: re-exported

COMMIT_SHA_VAR = "CIRCLE_SHA1"


def registry_host(account_id: str, region: str) -> str:
    """ECR registry host; `account_id` may be a literal or a shell/CloudFormation expression."""
    return f"{account_id}.dkr.ecr.{region}.amazonaws.com"


def snake(name: str) -> str:
    return "".join(char if char.isalnum() else "_" for char in name).strip("_").lower()


@dataclass(frozen=True)
class BuildArg:
    name: str
    value: str  # the literal text, or the name of the job's environment variable
    from_env: bool = False
    when_set: bool = False  # a variable CircleCI sets on some pushes only: empty on the others


@dataclass(frozen=True)
class ImagePlan:
    repository: str
    dockerfile: str
    context: str
    build_args: tuple[BuildArg, ...]
    container: str

    @property
    def anchor(self) -> str:
        return f"image_{snake(self.repository)}"


@dataclass(frozen=True)
class AccountPlan:
    name: str
    branch: str | None  # the legacy single branch, when the account gives one
    deploy_tag: str
    credentials: Credentials
    approval: bool
    job: str
    hold_job: str | None
    stack_name: str
    pipeline: Pipeline | None  # what `ciconf cfn` builds for this account
    refs: (
        Refs  # which pushes deliver: its workflow filters and its deploy role's trust are both this
    )
    parts: CredentialParts  # its credentials mode's job environment, steps and bootstrap
    branches: tuple[str, ...] = ()  # branch filters (names or /patterns/)
    tags: tuple[str, ...] = ()  # tag filters
    serial_group: str | None = None
    promote_from: str | None = None  # the account whose images this one copies
    source_account_id: str | None = (
        None  # that account's id: a literal, or $VAR naming a project variable
    )
    # what this account receives: the profile's images with its own repositories and build args
    # (accounts[].images); its delivery job, bootstrap and pipeline all use this one
    delivery: DeliveryPlan | None = None
    # the account's `environment:` section: its environment stack is built from this plan, so the
    # stacks side never validates the profile a second time
    environment: Environment | None = None

    @property
    def mode(self) -> str:
        return self.credentials.mode


@dataclass(frozen=True)
class TagSet:
    """The tags a delivery writes beside the full-SHA tag, by kind: ciconf/shell/ writes them, and
    the bootstrap stack keeps exactly `mutable_tags` mutable, so no rerun meets an immutable tag it
    must move."""

    commit_prefix: str = ""  # the commit tag: prefix + the commit's first N hex digits
    moving: tuple[str, ...] = ()  # fixed tags moved to each delivery, before the deploy tag
    build_prefix: str | None = None  # prefix + CIRCLE_BUILD_NUM, immutable, one per run
    release: bool = False  # CIRCLE_TAG on tag pushes, immutable


@dataclass(frozen=True)
class DeliveryPlan:
    region: str
    commit_tag_length: int
    images: tuple[ImagePlan, ...]  # build and push order
    source: ImagePlan  # its deploy tag starts the pipeline, so it is tagged last
    executor_image: str
    resource_class: str | None
    machine: Machine | None = None
    remote_docker: RemoteDocker | None = None
    tags: TagSet = TagSet()

    @property
    def has_short_tag(self) -> bool:
        """The commit tag is a tag of its own (not the full-SHA tag every image carries)."""
        return bool(self.tags.commit_prefix) or self.commit_tag_length < FULL_SHA_LENGTH

    @property
    def deploy_tag_order(self) -> tuple[ImagePlan, ...]:
        others = tuple(image for image in self.images if image is not self.source)
        return (*others, self.source)

    @property
    def commit_tag_pattern(self) -> str:
        """Regex (ERE and jq) for a commit tag: the profile checks refuse a fixed tag that matches
        (ciconf/profile/tagrules.py), and a prefix has no regex metacharacter."""
        return f"^{self.tags.commit_prefix}[0-9a-f]{{{self.commit_tag_length}}}$"

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


def _build_arg(name: str, value: str | FromEnv | FromCircleci) -> BuildArg:
    if isinstance(value, FromEnv):
        return BuildArg(name, value.from_env, from_env=True)
    if isinstance(value, FromCircleci):
        return BuildArg(
            name, value.circleci, from_env=True, when_set=value.circleci in SOMETIMES_SET
        )
    return BuildArg(name, value)


def _image(image: Image, override: AccountImage | None = None) -> ImagePlan:
    """The image as built and pushed; `override`: one account's repository and build args."""
    override = override or AccountImage()
    build_args = {**image.build_args, **override.build_args}
    return ImagePlan(
        repository=override.repository or image.repository,
        dockerfile=image.dockerfile,
        context=image.context,
        build_args=tuple(_build_arg(name, value) for name, value in sorted(build_args.items())),
        container=image.container_name,  # the ECS container: the same in every account
    )


def account_delivery(delivery: DeliveryPlan, profile: Delivery, account: Account) -> DeliveryPlan:
    """The delivery as `account` receives it: its repositories and build args, the same order."""
    if not account.images:
        return delivery
    images = tuple(_image(image, account.images.get(image.repository)) for image in profile.images)
    source = images[delivery.images.index(delivery.source)]
    return replace(delivery, images=images, source=source)


SERIAL_GROUP_PREFIX = "<< pipeline.project.slug >>/deploy-"


def _account(
    project: str,
    account: Account,
    accounts: list[Account],
    refs: dict[str, Refs],
    delivery: DeliveryPlan | None,
) -> AccountPlan:
    serial_group = None
    if account.serialize:
        serial_group = account.serial_group or SERIAL_GROUP_PREFIX + account.name
    source = next((a for a in accounts if a.name == account.promote_from), None)
    delivers = refs[delivery_job_name(account.name)]
    return AccountPlan(
        name=account.name,
        branch=account.branch,
        deploy_tag=account.deploy_tag or account.name,
        credentials=account.credentials,
        approval=account.approval or bool(account.approvals),
        job=delivery_job_name(account.name),
        hold_job=hold_job_name(account.name) if account.approval else None,
        stack_name=f"{project}-{account.name.replace('_', '-')}-pipeline",
        pipeline=account.pipeline,
        environment=account.environment,
        branches=tuple(account.branch_filters),
        tags=tuple(account.tags),
        refs=delivers,
        parts=credential_parts(account.credentials, delivers),
        serial_group=serial_group,
        promote_from=account.promote_from,
        source_account_id=(
            credential_parts(source.credentials, refs[delivery_job_name(source.name)]).account_id
            if source
            else None
        ),
        delivery=delivery,
    )


def promotion_targets(accounts: tuple[AccountPlan, ...], source: str) -> tuple[AccountPlan, ...]:
    """The accounts that copy their images from account `source` (its repositories let them in)."""
    return tuple(account for account in accounts if account.promote_from == source)


def _tag_set(tags: ImageTags) -> TagSet:
    return TagSet(
        commit_prefix=tags.commit_prefix or "",
        moving=tuple(tags.moving),
        build_prefix=tags.build_number,
        release=tags.release,
    )


def mutable_tags(delivery: DeliveryPlan, account: AccountPlan) -> tuple[str, ...]:
    """The tags each delivery to `account` moves: its repositories' mutability exclusions."""
    return (*delivery.tags.moving, account.deploy_tag)


# a lifecycle rule's tag pattern holds only `*` wildcards, at most 4
# (https://docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_parameters.html)
ECR_PATTERN_WILDCARDS = 4


def release_tag_patterns(delivery: DeliveryPlan, account: AccountPlan) -> tuple[str, ...]:
    """ECR tag patterns that hold every release tag a delivery to `account` writes (`CIRCLE_TAG`
    on the tag pushes its filters accept): its repositories' lifecycle policy keeps those images.

    One pattern per tag filter item, from the same glob the deploy role's trust uses, with `?`
    widened to `*`. A family that starts with a wildcard (`/.*/`) gets none: it would hold every
    commit tag too, and so keep every image."""
    if not delivery.tags.release:
        return ()
    patterns: list[str] = []
    for glob in ref_globs(account.refs):
        if glob.kind != "tag":
            continue
        pattern = glob.glob.removeprefix(TAGS).replace("?", "*")
        while "**" in pattern:
            pattern = pattern.replace("**", "*")
        parts = pattern.split("*")
        if len(parts) > ECR_PATTERN_WILDCARDS + 1:  # the 4th `*` takes the rest: still all of it
            pattern = "*".join(parts[:ECR_PATTERN_WILDCARDS]) + "*"
        if pattern and not pattern.startswith("*") and pattern not in patterns:
            patterns.append(pattern)
    return tuple(patterns)


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
            machine=profile.delivery.machine,
            remote_docker=profile.delivery.remote_docker,
            tags=_tag_set(profile.delivery.tags),
        )
    refs = job_refs(profile.workflow_nodes())
    accounts = tuple(
        _account(
            profile.project,
            account,
            profile.accounts,
            refs,
            account_delivery(delivery, profile.delivery, account)
            if delivery is not None and profile.delivery is not None
            else None,
        )
        for account in profile.accounts
    )
    return Plan(project=profile.project, delivery=delivery, accounts=accounts)


# --- the AWS side's values: ECS services, bootstrap stack, deploy role ---------------------------


@dataclass(frozen=True)
class ServicePlan:
    """One ECS service the pipeline deploys, and the delivered images whose containers it runs."""

    name: str  # default of its template parameter
    parameter: str  # template parameter naming the service
    env_var: str  # CodeBuild variable holding that name
    definitions_file: str  # its imagedefinitions file (rolling)
    images: tuple[ImagePlan, ...]  # in delivery order


def service_plans(delivery: DeliveryPlan, pipeline: Pipeline) -> tuple[ServicePlan, ...]:
    """The pipeline's services: `service` runs every image; `services` lists their containers.

    Containers a service lists that no image delivers are left out here (the cloudformation layer
    refuses such a profile with a located message before anything is rendered).
    """
    if pipeline.services is None:
        assert pipeline.service is not None  # the model requires one of the two
        return (
            ServicePlan(
                pipeline.service,
                "EcsServiceName",
                "ECS_SERVICE",
                "imagedefinitions.json",
                delivery.images,
            ),
        )
    return tuple(
        ServicePlan(
            name=service.name,
            parameter=f"EcsService{service.key}Name",
            env_var=f"ECS_SERVICE_{snake(service.key)}".upper(),
            definitions_file=f"imagedefinitions-{service.name}.json",
            images=tuple(
                image for image in delivery.images if image.container in service.containers
            ),
        )
        for service in pipeline.services
    )


def bootstrap_stack_name(project: str, account: AccountPlan) -> str:
    return f"{project}-{account.name.replace('_', '-')}-bootstrap"


def role_name(role_arn: str) -> tuple[str, str]:
    """(path, name) of an IAM role ARN: arn:aws:iam::123456789012:role/ci/deploy -> ("/ci/",
    "deploy")."""
    return role_path_and_name(role_arn)  # the grammar checks these against IAM's limits
