"""The profile: one small typed description of a service's CI and delivery.

Unknown keys are rejected and types are strict (a YAML ``yes`` is a boolean, never the string
"yes"), so what the user wrote is what gets rendered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonDict
from pydantic_core import InitErrorDetails, PydanticCustomError

from ciconf.errors import closest, shown
from ciconf.profile.conditions import (
    CONDITION_TEXT_PATTERN,
    check_condition_text,
    check_pattern,
    parameter_of,
)
from ciconf.profile.environment import LOG_RETENTION_DAYS, Environment
from ciconf.profile.grammar import (
    CIRCLECI_STEPS,
    COMMAND_PARAMETERS,
    PARAMETER_REFERENCE,
    PARAMETERS_OWNER,
    AccountName,
    Branch,
    BranchFilter,
    CacheKey,
    CachePath,
    Command,
    CommandName,
    CommandParameterName,
    CommandValue,
    ContainerImage,
    ContextName,
    DeploymentConfigName,
    EcrRepository,
    EcsName,
    EcsServiceName,
    EnvName,
    EnvReference,
    Fingerprint,
    Glob,
    Host,
    JobName,
    ListenerArn,
    MachineImage,
    MatrixValue,
    OrbAlias,
    OrbItem,
    OrbRef,
    ParameterisedImage,
    ParameterName,
    ProjectName,
    Region,
    RegistryUser,
    RelPath,
    ResourceClass,
    RoleArn,
    SerialGroup,
    Shell,
    SingleBranch,
    StepName,
    TagFilter,
    TargetGroupName,
    Text,
    Timeout,
    WorkingDirectory,
    check_command_value,
    check_container_image,
    check_image_tag,
)
from ciconf.profile.jobvars import check_delivery_variable, check_project_variable
from ciconf.profile.refs import Refs, job_refs
from ciconf.profile.runvalues import CircleciVariable, refuse_variables, typed_build_arg
from ciconf.profile.tagrules import (
    build_tags_can_look_like_commit_tags,
    check_tag_prefix,
    looks_like_build_tag,
    looks_like_commit_tag,
)
from ciconf.profile.trust import (
    TRUST_POLICY_MAX,
    OidcTrust,
    compile_trust,
    trust_policy_length,
    unsafe_globs,
)

DEFAULT_DELIVERY_IMAGE = "cimg/aws:2025.01"
UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
ALARM_NAME_PATTERN = r"^[A-Za-z0-9_.][A-Za-z0-9_./-]{0,254}$"


class Model(BaseModel):
    # defer_build: validators are built on first use, once for the whole Profile rather than once
    # per class at import (load.py builds them without pydantic's plugin scan)
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)


EnvVars = dict[EnvName, Text]
# for mappings keyed by a grammar (job names, orb aliases): a key outside it is an editor error too
NAMED_KEYS_ONLY: JsonDict = {"additionalProperties": False}


class ImageAuth(Model):
    """Log in to pull a private image (Docker Hub, GitHub, any registry): the password is a
    `$NAME` reference to a context or project variable, never the secret itself."""

    username: RegistryUser = Field(description="The registry user, literal or a $NAME reference")
    password: EnvReference = Field(description="A $NAME reference, e.g. $DOCKERHUB_PASSWORD")


class AwsAuth(Model):
    """Pull a private image from Amazon ECR: an IAM role CircleCI assumes with its OIDC token
    (no stored keys), or access keys as `$NAME` references."""

    oidc_role_arn: RoleArn | None = Field(
        None, description="A role CircleCI's OIDC token may assume, with ECR pull rights"
    )
    aws_access_key_id: EnvReference | None = Field(
        None, description="A $NAME reference, e.g. $ECR_AWS_ACCESS_KEY_ID"
    )
    aws_secret_access_key: EnvReference | None = Field(
        None, description="A $NAME reference, e.g. $ECR_AWS_SECRET_ACCESS_KEY"
    )

    @model_validator(mode="after")
    def _role_or_keys(self) -> AwsAuth:
        keys = (self.aws_access_key_id, self.aws_secret_access_key)
        if self.oidc_role_arn is not None:
            if any(key is not None for key in keys):
                raise ValueError("give oidc_role_arn or the access keys, not both")
        elif None in keys:
            raise ValueError(
                "aws_auth needs oidc_role_arn, or both aws_access_key_id and aws_secret_access_key"
            )
        return self


# a private image's login, on a job (its primary image) or on a service (that service's image)
PullLogin = Annotated[
    ImageAuth | None, Field(description="Registry login for a private image (username, $PASSWORD)")
]
EcrPullLogin = Annotated[
    AwsAuth | None,
    Field(description="Amazon ECR login for a private image (oidc_role_arn, or access keys)"),
]


def _one_login(auth: ImageAuth | None, aws_auth: AwsAuth | None) -> None:
    if auth is not None and aws_auth is not None:
        raise ValueError("an image is pulled with auth or aws_auth, not both")


class Service(Model):
    """A service container next to the primary image (a database, a cache...)."""

    image: ParameterisedImage = Field(description="Docker image, e.g. cimg/mysql:8.0")
    environment: EnvVars = Field(default_factory=dict)
    name: Host | None = Field(None, description="Host name the other containers reach it by")
    command: list[Text] | None = Field(None, description="Overrides the image's command (CMD)")
    entrypoint: list[Text] | None = Field(None, description="Overrides the image's entrypoint")
    auth: PullLogin = None
    aws_auth: EcrPullLogin = None

    @model_validator(mode="after")
    def _single_login(self) -> Service:
        _one_login(self.auth, self.aws_auth)
        return self


class RemoteDocker(Model):
    """Docker for `docker build` inside a docker job (CircleCI's setup_remote_docker)."""

    docker_layer_caching: bool = Field(
        False, description="Reuse image layers between jobs (a paid option)"
    )
    version: (
        Annotated[str, Field(pattern=r"^(?:default|edge|[0-9]{1,4}(?:\.[0-9]{1,4}){1,2})$")] | None
    ) = Field(None, description="Remote Docker version (default: CircleCI's current one)")


class Machine(Model):
    """A full VM with Docker installed: pick it to build images or run docker compose natively."""

    image: MachineImage = Field(description="A CircleCI machine image like ubuntu-2204:current")
    docker_layer_caching: bool = Field(
        False, description="Reuse image layers between jobs (a paid option)"
    )


class Cache(Model):
    """Dependency cache: restored before install, saved after it."""

    name: JobName | None = Field(
        None, description="Tells several caches of one job apart (part of the key)"
    )
    version: Annotated[str, Field(pattern=r"^v[0-9]+$")] = Field(
        "v1", description="Bump to throw the cache away (v1, v2...)"
    )
    lockfiles: list[RelPath] = Field(
        min_length=1,
        description="Files whose checksums key the cache, relative to the job's working_directory",
    )
    paths: list[CachePath] = Field(min_length=1, description="Directories to cache (~/ allowed)")


class WaitFor(Model):
    """A service port to wait for before setup (dockerize -wait)."""

    host: Host = "127.0.0.1"
    port: int = Field(ge=1, le=65535)
    timeout: int = Field(60, ge=1, le=3600, description="Seconds")


# --- custom steps -------------------------------------------------------------------------------


class RunStep(Model):
    command: Command = Field(description="Shell command (bash -eo pipefail)")
    name: StepName | None = None
    working_directory: RelPath | None = Field(
        None, description="Relative to the job's working directory"
    )
    background: bool = False
    when: Literal["always", "on_success", "on_fail"] | None = None
    no_output_timeout: Timeout | None = Field(None, description="e.g. 20m")
    shell: Shell | None = None
    environment: EnvVars = Field(default_factory=dict)


class SaveCache(Model):
    key: CacheKey
    paths: list[CachePath] = Field(min_length=1)
    name: StepName | None = None
    when: Literal["always", "on_success", "on_fail"] | None = None


class RestoreCache(Model):
    keys: list[CacheKey] = Field(min_length=1)
    name: StepName | None = None


class PersistToWorkspace(Model):
    root: CachePath
    paths: list[Glob] = Field(min_length=1)


class AttachWorkspace(Model):
    at: CachePath


class StoreArtifacts(Model):
    path: CachePath
    destination: RelPath | None = None


class StoreTestResults(Model):
    path: CachePath


class AddSshKeys(Model):
    fingerprints: list[Fingerprint] = Field(
        default_factory=list, description="Default: every key of the project"
    )


class Checkout(Model):
    path: CachePath | None = None
    method: Literal["full", "blobless"] | None = Field(
        None,
        description="full: the whole history and every file's content (git blame, diffs of old "
        "revisions); blobless: contents fetched on demand, faster (CircleCI's default)",
    )


STEP_KINDS = (*CIRCLECI_STEPS, "orb", "command")
_NO_ARGUMENT_STEPS = ("checkout", "setup_remote_docker", "add_ssh_keys")


def _string_or_step(schema: dict) -> None:
    """Editors accept what the loader accepts: a plain string (a command) or one step mapping."""
    mapping = dict(schema, maxProperties=2, minProperties=1)
    mapping["properties"]["run"]["anyOf"].insert(0, {"type": "string"})  # `run: make`
    description = mapping.pop("description", None)
    schema.clear()
    schema.update({"anyOf": [{"type": "string"}, mapping], "description": description})


class Step(Model):
    """One CircleCI step: a plain string runs a command; otherwise exactly one of these keys."""

    model_config = ConfigDict(title="Step", json_schema_extra=_string_or_step)

    run: RunStep | None = Field(
        None, description="A command, or {command, name, working_directory, ...}"
    )
    save_cache: SaveCache | None = None
    restore_cache: RestoreCache | None = None
    persist_to_workspace: PersistToWorkspace | None = None
    attach_workspace: AttachWorkspace | None = None
    store_artifacts: StoreArtifacts | None = None
    store_test_results: StoreTestResults | None = None
    add_ssh_keys: AddSshKeys | None = None
    checkout: Checkout | None = None
    setup_remote_docker: RemoteDocker | None = None
    orb: OrbItem | None = Field(
        None, description="An orb command, e.g. aws-cli/setup (the orb must be declared)"
    )
    command: CommandName | None = Field(
        None, description="One of the profile's own commands (declared under commands:)"
    )
    parameters: dict[ParameterName, Text | int | bool] = Field(
        default_factory=dict, description="The orb command's or the command's parameters"
    )

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: object) -> object:
        if isinstance(value, str):
            # `- checkout` means what it means in CircleCI; any other string is a command
            return {value: {}} if value in _NO_ARGUMENT_STEPS else {"run": {"command": value}}
        if isinstance(value, dict):
            value = {
                key: ({} if key in _NO_ARGUMENT_STEPS and item is None else item)
                for key, item in value.items()
            }
            if isinstance(value.get("run"), str):
                value["run"] = {"command": value["run"]}
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> Step:
        kinds = [kind for kind in STEP_KINDS if getattr(self, kind) is not None]
        if len(kinds) != 1:
            raise ValueError(
                "a step is a command or a mapping with exactly one of "
                + ", ".join(STEP_KINDS)
                + (f"; this one has {', '.join(kinds)}" if kinds else "")
            )
        if self.parameters and self.orb is None and self.command is None:
            raise ValueError(
                "parameters belong to an orb step ({orb: name/command, parameters: ...}) or a "
                "command step ({command: name, parameters: ...})"
            )
        return self

    @property
    def kind(self) -> str:
        return next(kind for kind in STEP_KINDS if getattr(self, kind) is not None)


class CommandParameter(Model):
    """A parameter of a reusable command; its value replaces `<< parameters.NAME >>` in the
    command's steps."""

    type: Literal["string", "boolean", "integer", "enum"]
    description: StepName | None = None
    default: CommandValue | int | bool | None = Field(
        None, description="The value when a step gives none (without it, every step must)"
    )
    enum: list[CommandValue] = Field(
        default_factory=list, description="The values an enum parameter takes"
    )

    @model_validator(mode="after")
    def _typed(self) -> CommandParameter:
        if (self.type == "enum") != bool(self.enum):
            raise ValueError("an enum parameter lists its values in enum; other types take none")
        if self.default is not None:
            problem = parameter_problem(self, self.default)
            if problem:
                raise ValueError(f"default: {problem}")
        return self


def parameter_problem(declared: CommandParameter, value: object) -> str | None:
    """Why `value` cannot be passed to a parameter declared so, or None."""
    if declared.type == "boolean":
        return None if isinstance(value, bool) else "expected true or false"
    if declared.type == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else "expected a whole number"
    if not isinstance(value, str):
        return "expected a string (quote it)"
    if declared.type == "enum" and value not in declared.enum:
        return f"expected one of {', '.join(declared.enum)}, got {shown(value)}"
    return None


class ReusableCommand(Model):
    """Steps used in several jobs under one name (CircleCI's reusable commands), with typed
    parameters written << parameters.NAME >> in their commands and environment values."""

    description: StepName | None = None
    parameters: dict[CommandParameterName, CommandParameter] = Field(
        default_factory=dict, json_schema_extra=NAMED_KEYS_ONLY
    )
    steps: list[Step] = Field(min_length=1)

    @model_validator(mode="wrap")
    @classmethod
    def _steps_see_parameters(cls, value: object, handler: Callable) -> ReusableCommand:
        # the steps may name the declared parameters (ciconf/profile/grammar.COMMAND_PARAMETERS)
        declared = value.get("parameters") if isinstance(value, dict) else None
        names = frozenset(declared) if isinstance(declared, dict) else frozenset()
        token = COMMAND_PARAMETERS.set(frozenset(str(name) for name in names))
        try:
            return handler(value)
        finally:
            COMMAND_PARAMETERS.reset(token)


class TestSteps(Model):
    """Custom steps at named points of a test job."""

    before_install: list[Step] = Field(default_factory=list)
    after_install: list[Step] = Field(default_factory=list)
    before_test: list[Step] = Field(default_factory=list)
    after_test: list[Step] = Field(
        default_factory=list, description="Run after the test command (and its uploads)"
    )


class StepNames(Model):
    """What the built-in steps of a test job are called in the CircleCI UI."""

    install: StepName = Field("Install dependencies", description="The install step's name")
    initialize: StepName = Field(
        "Initialize", description="The step running the wait_for waits and setup"
    )
    test: StepName = Field("Test", description="The test command's step")


class DeliverySteps(Model):
    """Custom steps at named points of the delivery jobs."""

    before_build: list[Step] = Field(
        default_factory=list, description="After credentials and ECR login"
    )
    after_build: list[Step] = Field(
        default_factory=list,
        description="After every image is built, before any is pushed (an image scan such as "
        "`trivy image --exit-code 1`): a failing step stops the push. BUILT_IMAGES lists the "
        "local names of the images this run built, space-separated (empty when every image "
        "was already delivered); promotions build nothing and skip these steps",
    )
    after_push: list[Step] = Field(
        default_factory=list, description="After every image and deploy tag is pushed"
    )


# --- jobs ---------------------------------------------------------------------------------------


class Executor(Model):
    """Where a job runs: a Docker image (`image`, with `services`, `remote_docker`) or a `machine`; `auth`/`aws_auth` log in to pull a private primary image."""  # noqa: E501 - pydantic makes this docstring the schema's description

    image: ParameterisedImage | None = Field(None, description="Docker executor: the primary image")
    services: list[Service] = Field(
        default_factory=list, description="Docker executor: service containers"
    )
    environment: EnvVars = Field(default_factory=dict)
    resource_class: ResourceClass | None = None
    remote_docker: RemoteDocker | None = Field(
        None, description="Docker executor: Docker for docker build"
    )
    machine: Machine | None = Field(None, description="Machine executor (instead of image)")
    working_directory: WorkingDirectory | None = Field(
        None,
        description="services/api: run in this folder of the repository (a monorepo service), "
        "checkout stays at ~/project; ~/app or /home/circleci/app: clone the repository there "
        "and run at its root",
    )
    auth: PullLogin = None
    aws_auth: EcrPullLogin = None

    @model_validator(mode="after")
    def _one_executor(self) -> Executor:
        _one_login(self.auth, self.aws_auth)
        if self.machine is not None:
            if "image" in self.model_fields_set:
                raise ValueError(
                    "a job runs on a Docker image or a machine, not both: remove image or machine"
                )
            if self.services or self.remote_docker or self.auth or self.aws_auth:
                raise ValueError(
                    "services, remote_docker, auth and aws_auth are Docker executor options; "
                    "a machine runs Docker itself"
                )
        return self


class Split(Model):
    """CircleCI test splitting: the test files are spread over the parallel containers."""

    glob: list[Glob] = Field(min_length=1, description="Test files, e.g. tests/**/*Test.php")
    by: Literal["timings", "name", "filesize"] = Field(
        "timings", description="timings needs test_results (CircleCI learns timings from them)"
    )


class Matrix(Model):
    """Run the job once per combination of parameter values (<< parameters.NAME >> in image, commands)."""  # noqa: E501 - pydantic makes this docstring the schema's description

    parameters: dict[ParameterName, Annotated[list[MatrixValue], Field(min_length=1)]] = Field(
        min_length=1, json_schema_extra=NAMED_KEYS_ONLY
    )


class TestJob(Executor):
    image: ParameterisedImage | None = Field(
        None, description="Primary image, e.g. cimg/php:8.3-browsers"
    )
    cache: Cache | None = None
    caches: list[Cache] = Field(
        default_factory=list, description="Several caches (instead of cache), each with a name"
    )
    install: Command | None = Field(None, description="Dependency install command")
    wait_for: list[WaitFor] = Field(default_factory=list)
    setup: list[Command] = Field(default_factory=list, description="Commands run before the tests")
    command: Command = Field(
        description="The test command; with split, it reads the file list on stdin"
    )
    artifacts: list[RelPath] = Field(default_factory=list)
    test_results: RelPath | None = None
    parallelism: int = Field(1, ge=1, le=256, description="Identical containers running this job")
    split: Split | None = Field(None, description="Spread test files over the parallel containers")
    matrix: Matrix | None = None
    steps: TestSteps = Field(default_factory=TestSteps, description="Custom steps at named points")
    step_names: StepNames = Field(
        default_factory=StepNames,
        description="Own names for the built-in Install dependencies / Initialize / Test steps",
    )
    gates_delivery: bool = Field(True, description="Deliveries wait for this job")
    context: list[ContextName] = Field(
        default_factory=list,
        description="CircleCI contexts it reads secrets from (a private image's password, a "
        "service token); its merged run gets them too",
    )
    requires: list[JobName] = Field(
        default_factory=list,
        description="Other test jobs it waits for, e.g. lint before unit before integration",
    )
    merge_test: bool = Field(
        True, description="Also run it merged with the base branch (see merge_test)"
    )
    branches: list[BranchFilter] = Field(
        default_factory=list,
        description="Only on these branches (a job that gates delivery runs everywhere)",
    )
    ignore_branches: list[BranchFilter] = Field(
        default_factory=list,
        description="Never on these branches, names or /patterns/ (CircleCI branches.ignore; "
        "needs gates_delivery: false)",
    )

    @model_validator(mode="after")
    def _test_job(self) -> TestJob:
        if self.image is None and self.machine is None:
            raise ValueError("a test job needs an executor: image (Docker) or machine")
        if self.cache is not None and self.caches:
            raise ValueError("give cache or caches, not both")
        names = [cache.name for cache in self.caches]
        if len(self.caches) > 1 and (None in names or len(set(names)) != len(names)):
            raise ValueError("several caches need a name each, all different")
        if self.split is not None and self.parallelism < 2:
            raise ValueError(
                "split spreads tests over parallel containers: set parallelism to 2 or more"
            )
        if self.split is not None and self.split.by == "timings" and self.test_results is None:
            raise ValueError(
                "split by timings needs test_results: CircleCI learns the timings from them"
            )
        if (self.branches or self.ignore_branches) and self.gates_delivery:
            raise ValueError(
                "a job that gates delivery runs on every branch; set gates_delivery: "
                "false to filter it"
            )
        _parameters_known(self, set(self.matrix.parameters) if self.matrix else set(), "matrix")
        _matrix_images(self, self.matrix)
        return self

    def all_caches(self) -> list[Cache]:
        return [self.cache] if self.cache is not None else list(self.caches)


def _parameters_known(job: Executor, declared: set[str], where: str) -> None:
    """Every << parameters.NAME >> of the job's image, services, environment and commands is
    declared (under `where`: its matrix, or its job_parameters)."""
    texts = [
        job.image or "",
        *(service.image for service in job.services),
        *job.environment.values(),
    ]
    for field in ("install", "command"):
        texts.append(getattr(job, field, None) or "")
    texts += list(getattr(job, "setup", []))
    for text in texts:
        for name in PARAMETER_REFERENCE.findall(text):
            if name not in declared:
                guess = closest(name, sorted(declared))
                hint = f"; did you mean {guess!r}?" if guess else ""
                raise ValueError(
                    f"<< parameters.{name} >> is used but the job's {where} declares no "
                    f"{name!r}{hint}"
                )


def _matrix_images(job: Executor, matrix: Matrix | None) -> None:
    """Each matrix value makes a valid image where it stands in."""
    if matrix is None:
        return
    for name, values in matrix.parameters.items():
        for value in values:
            for image in [job.image or "", *(service.image for service in job.services)]:
                check_container_image(
                    PARAMETER_REFERENCE.sub(
                        lambda m: value if m.group(1) == name else "0",  # noqa: B023 - called here
                        image,
                    )
                )


class MergeTest(Model):
    """Run the tests again on the branch merged with its base branch."""

    enabled: bool = True
    base: Branch = "develop"
    ignore_branches: list[Branch] = Field(default_factory=lambda: ["master", "develop"])


class FromEnv(Model):
    """A build argument whose value the delivery job reads from its environment when it runs."""

    from_env: EnvName = Field(
        description="Environment variable of the delivery job, such as CIRCLE_SHA1 or a project"
        " variable"
    )


class FromCircleci(Model):
    """A build argument holding a value CircleCI sets in every job (its built-in variables)."""

    circleci: CircleciVariable = Field(
        description="A CircleCI built-in variable (https://circleci.com/docs/reference/variables/):"
        " CIRCLE_SHA1, CIRCLE_BUILD_NUM, ...; CIRCLE_TAG (tag pushes) and CIRCLE_BRANCH (branch"
        " pushes) are empty on the other kind of push"
    )


_literal_build_arg = refuse_variables(
    "would reach docker as the text itself (build arguments are written literally)",
    typed_build_arg,
)


BuildArgText = Annotated[Text, AfterValidator(_literal_build_arg)]


def _build_arg_kind(value: object) -> str:
    if isinstance(value, FromCircleci) or (isinstance(value, dict) and "circleci" in value):
        return "circleci"
    return "env" if isinstance(value, (dict, FromEnv)) else "text"


# one branch per value, so a bad value gets one message (not one per form it failed to be)
BuildArgValue = Annotated[
    Annotated[BuildArgText, Tag("text")]
    | Annotated[FromEnv, Tag("env")]
    | Annotated[FromCircleci, Tag("circleci")],
    Discriminator(_build_arg_kind),
]


class Image(Model):
    repository: EcrRepository
    dockerfile: RelPath = "Dockerfile"
    context: RelPath = "."
    build_args: dict[EnvName, BuildArgValue] = Field(
        default_factory=dict,
        description="docker build --build-arg values: literal text, {circleci: CIRCLE_SHA1} (or"
        " another CircleCI built-in variable), or {from_env: NAME} for a variable of the delivery"
        " job's environment (a project variable), read when the job runs",
    )
    container: EcsName | None = Field(
        None,
        description="ECS container this image deploys to (default: the repository's last part)",
    )

    @property
    def container_name(self) -> str:
        return self.container or self.repository.rsplit("/", 1)[-1]


DeliveryEnvironment = dict[Annotated[EnvName, AfterValidator(check_delivery_variable)], Text]


def _typed_tag(name: str) -> str:
    """Where an image tag with the run-time value `name` is written instead."""
    return {
        "CIRCLE_TAG": "delivery.tags.release: true",
        "CIRCLE_BUILD_NUM": "delivery.tags.build_number: build-",
        "CIRCLE_SHA1": "delivery.tags.commit_prefix (the commit tag is prefix + the commit)",
    }.get(name, "a fixed tag (delivery.tags.moving)")


_static_tag = refuse_variables(
    "would be part of the tag's text: expected a literal Docker image tag (letters, digits, _ . -)",
    _typed_tag,
)


# a tag written in the profile: no run-time value, then Docker's tag grammar
StaticTag = Annotated[str, AfterValidator(_static_tag), AfterValidator(check_image_tag)]
TagPrefix = Annotated[str, AfterValidator(check_tag_prefix)]

# ECR allows 5 exclusion filters per repository; the account's deploy tag is one of them
# (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutImageTagMutability.html)
MAX_MOVING_TAGS = 4


class ImageTags(Model):
    """More tags on every delivered image, beside its commit tags and the account's deploy tag."""

    commit_prefix: TagPrefix | None = Field(
        None,
        description="The commit tag is this prefix + the first commit_tag_length characters of"
        " CIRCLE_SHA1 (git- gives git-a1b2c3); immutable. The full-SHA tag stays unprefixed",
    )
    moving: list[StaticTag] = Field(
        default_factory=list,
        max_length=MAX_MOVING_TAGS,
        description="Fixed tags (such as latest) moved to each delivered commit's images with the"
        " deploy tag; the bootstrap stack keeps them mutable in every account",
    )
    build_number: TagPrefix | None = Field(
        None,
        description="Also tag each delivery's images with this prefix + CIRCLE_BUILD_NUM (build-"
        " gives build-417): immutable, one more on every run, rerun or rollback",
    )
    release: bool = Field(
        False,
        description="On a tag push, also tag the images with the git tag (CIRCLE_TAG, such as"
        " v1.2.3): immutable; a rerun finds it already there",
    )

    @model_validator(mode="after")
    def _moving_tags_unique(self) -> ImageTags:
        if len(set(self.moving)) != len(self.moving):
            raise ValueError("each moving tag once")
        return self


class Delivery(Model):
    region: Region
    images: list[Image] = Field(min_length=1)
    commit_tag_length: int = Field(
        6, ge=4, le=40, description="The commit tag is the first N characters of CIRCLE_SHA1"
    )
    tags: ImageTags = Field(
        default_factory=ImageTags,
        description="Image tag templates: a commit tag prefix, fixed moving tags (latest), the"
        " build number, the release (git) tag",
    )
    pipeline_source: EcrRepository | None = Field(
        None,
        description="Repository whose deploy tag starts the pipeline (default: the last image)",
    )
    executor_image: ContainerImage = Field(
        DEFAULT_DELIVERY_IMAGE, description="Docker image of the delivery jobs"
    )
    machine: Machine | None = Field(
        None, description="Run the delivery jobs on a machine instead of executor_image"
    )
    remote_docker: RemoteDocker | None = Field(
        None,
        description="Options of the Docker the docker executor builds with (docker_layer_caching, "
        "version)",
    )
    resource_class: ResourceClass | None = None
    steps: DeliverySteps = Field(
        default_factory=DeliverySteps, description="Custom steps at named points"
    )
    no_output_timeout: Timeout | None = Field(
        None,
        description="How long an image build may print nothing before CircleCI stops it "
        "(CircleCI's default: 10m), e.g. 30m for a long compile step",
    )
    environment: DeliveryEnvironment = Field(
        default_factory=dict,
        description="Plain settings for every delivery job (names and values that are not "
        "credentials: AWS credentials come from the account's credentials)",
    )

    @model_validator(mode="after")
    def _known_source(self) -> Delivery:
        names = [image.repository for image in self.images]
        if len(set(names)) != len(names):
            raise ValueError("each image needs its own repository")
        containers = [image.container_name for image in self.images]
        if len(set(containers)) != len(containers):
            raise ValueError("each image needs its own ECS container name (set 'container')")
        if self.pipeline_source is not None and self.pipeline_source not in names:
            raise ValueError(
                f"pipeline_source {self.pipeline_source!r} is not one of the images {names}"
            )
        if self.machine is not None and (
            "executor_image" in self.model_fields_set or self.remote_docker
        ):
            raise ValueError("delivery runs on executor_image (Docker) or machine, not both")
        return self


# a project variable the delivery job's environment names; never one ciconf writes itself
ProjectVariable = Annotated[EnvName, AfterValidator(check_project_variable)]


class EnvIndirection(Model):
    """The seed's way: the job environment names project variables, resolved with eval."""

    mode: Literal["env-indirection"]
    account_id_var: ProjectVariable
    access_key_var: ProjectVariable
    secret_key_var: ProjectVariable


class ContextCredentials(Model):
    """A CircleCI context holding AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_ACCOUNT_ID."""

    mode: Literal["context"]
    context: ContextName


VCS_ORIGIN_PATTERN = r"[a-z0-9][a-z0-9.-]{0,99}(?:/[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}){1,4}"


def _vcs_origin(value: str) -> str:
    if not re.fullmatch(VCS_ORIGIN_PATTERN, value):
        raise ValueError(
            "expected a repository as CircleCI's OIDC token names it, like "
            f"github.com/acme/billing (host and path, no scheme), got {shown(value)}"
        )
    return value


VcsOrigin = Annotated[
    str,
    AfterValidator(_vcs_origin),
    WithJsonSchema({"type": "string", "pattern": f"^(?:{VCS_ORIGIN_PATTERN})$"}),
]


def _circleci_id(value: str) -> str:
    if not re.fullmatch(UUID_PATTERN, value):
        raise ValueError(
            "expected a CircleCI id, a lowercase UUID like "
            f"3f9c1a52-7d4e-4b8a-9e21-6c0d5b7a8f13, got {shown(value)}"
        )
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
        None,
        description="CircleCI organization ID (Organization Settings > Overview): issuer and "
        "audience",
    )
    project_id: Annotated[str, AfterValidator(_circleci_id)] | None = Field(
        None,
        description="CircleCI project ID (Project Settings > Overview): the trust's sub condition",
    )
    branch_only: bool = Field(
        True, description="Trust only tokens of jobs on the account's branch (the token's vcs-ref)"
    )
    create_provider: bool = Field(
        True, description="Create the account's CircleCI OIDC provider (false: it exists already)"
    )
    vcs_origin: VcsOrigin | None = Field(
        None,
        description="The repository as CircleCI's token names it (vcs-origin), e.g. "
        "github.com/acme/billing: the trust then accepts tokens of this repository only",
    )
    wider_trust: bool = Field(
        False,
        description="Accept a trust wider than the delivery filters where a /regex/ filter has no "
        "IAM pattern with a literal start (docs/cloudformation.md)",
    )

    def trust(self, delivers: Refs) -> OidcTrust:
        """The deploy role's trust for the refs that deliver (every ref with branch_only: false)."""
        assert self.org_id is not None and self.project_id is not None
        refs = delivers if self.branch_only else None
        return compile_trust(self.org_id, self.project_id, self.vcs_origin, refs)

    @model_validator(mode="after")
    def _both_ids(self) -> OidcCredentials:
        if (self.org_id is None) != (self.project_id is None):
            raise ValueError("org_id and project_id go together: the trust needs both")
        return self


Credentials = Annotated[
    EnvIndirection | ContextCredentials | OidcCredentials, Field(discriminator="mode")
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
        description="e.g. CodeDeployDefault.ECSAllAtOnce, ECSCanary10Percent5Minutes, "
        "ECSLinear10PercentEvery1Minutes",
    )
    termination_wait_minutes: int = Field(
        5, ge=0, le=2880, description="Minutes the old (blue) tasks keep running after the shift"
    )
    alarms: Annotated[
        list[Annotated[str, Field(pattern=ALARM_NAME_PATTERN)]], Field(max_length=10)
    ] = Field(
        default_factory=list,
        description="CloudWatch alarms that stop the deployment and roll it back while they are in "
        "ALARM",
    )

    @model_validator(mode="after")
    def _two_groups(self) -> BlueGreen:
        if self.target_groups[0] == self.target_groups[1]:
            raise ValueError("target_groups must name two different target groups")
        if len(set(self.alarms)) != len(self.alarms):
            raise ValueError("alarms lists an alarm twice")
        return self


class Pipeline(Model):
    """The account's AWS pipeline: ECR source -> CodeBuild -> ECS (rolling) or CodeDeploy (blue/green)."""  # noqa: E501 - pydantic makes this docstring the schema's description

    cluster: EcsName = Field(description="ECS cluster name (the template's EcsClusterName default)")
    service: EcsServiceName | None = Field(
        None, description="The one ECS service running every image (or list them under services)"
    )
    services: list[EcsService] | None = Field(
        None,
        min_length=1,
        description="Several ECS services; each image's container runs in exactly one",
    )
    approval: bool = Field(
        False,
        description="An approval in AWS: a CodePipeline manual-approval stage after the image is "
        "pushed, before "
        "ECS deploys it (accounts[].approval is the other kind: a CircleCI hold before "
        "anything is pushed)",
    )
    strategy: Literal["rolling", "blue-green"] = "rolling"
    blue_green: BlueGreen | None = Field(None, description="Required with strategy: blue-green")
    build_timeout_minutes: int = Field(
        10, ge=5, le=480, description="CodeBuild timeout of the deploy-files build"
    )
    log_retention_days: int = Field(30, description="Days CloudWatch Logs keeps the build logs")

    @model_validator(mode="after")
    def _strategy_settings(self) -> Pipeline:
        if self.strategy == "blue-green" and self.blue_green is None:
            raise ValueError(
                "strategy blue-green needs a blue_green section (listener, target groups...)"
            )
        if self.strategy == "rolling" and self.blue_green is not None:
            raise ValueError("blue_green settings are only used with strategy: blue-green")
        if (self.service is None) == (self.services is None):
            raise ValueError(
                "name the ECS service with either service (one service) or services (several)"
            )
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
                raise ValueError(
                    "service names must differ in more than '-' and '_' (they name "
                    "template parameters)"
                )
            containers = [name for service in self.services for name in service.containers]
            twice = sorted({name for name in containers if containers.count(name) > 1})
            if twice:
                raise ValueError(
                    f"container {twice[0]!r} is listed in two services; each runs in exactly one"
                )
        return self


class EcsService(Model):
    """One ECS service of the account and the delivered containers it runs."""

    name: EcsServiceName = Field(
        description="ECS service name (the default of its template parameter)"
    )
    containers: list[EcsName] = Field(
        min_length=1,
        description="Containers (the images' container names) this service's task definition runs",
    )

    @property
    def key(self) -> str:
        """The name as CamelCase letters and digits, for template parameter and variable names."""
        return "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_]", self.name) if part)


class Approval(Model):
    """A manual approval in front of a delivery (a step of an approval chain)."""

    name: JobName = Field(description="The approval job's name in the workflow, e.g. qa_signoff")
    requires: list[JobName] = Field(
        default_factory=list,
        description="Further jobs it waits for, e.g. another account's delivery_stg",
    )


class AccountImage(Model):
    """One of delivery.images as this account receives it: its own repository, its own build."""

    repository: EcrRepository | None = Field(
        None,
        description="This account's repository for the image (default: the image's "
        "repository), e.g. prod/web; its bootstrap, pipeline and delivery job use it",
    )
    build_args: dict[EnvName, BuildArgValue] = Field(
        default_factory=dict,
        description="Build arguments of this account's build, over the image's own (a name "
        "given in both takes this value)",
    )


class Account(Model):
    name: AccountName
    branch: SingleBranch | None = Field(
        None, description="Deliver from this branch (or use branches / tags)"
    )
    branches: list[BranchFilter] = Field(
        default_factory=list,
        description="Deliver from these branches; /regex/ for patterns like /^release\\/.*/",
    )
    ignore_branches: list[BranchFilter] = Field(
        default_factory=list,
        description="Never deliver from these branches (CircleCI branches.ignore); alone: every "
        "other branch",
    )
    tags: list[TagFilter] = Field(
        default_factory=list,
        description="Deliver on these git tags; /regex/ for patterns like /^v\\d+\\.\\d+\\.\\d+$/",
    )
    deploy_tag: StaticTag | None = Field(
        None,
        description="Tag the account's pipeline watches, pushed after the commit tags (default: "
        "name)",
    )
    credentials: Credentials
    approval: bool = Field(
        False,
        description="An approval in CircleCI: a hold_<account> job before the images are built and "
        "pushed (pipeline.approval is the other kind: a CodePipeline stage after the push, "
        "before the ECS deploy)",
    )
    approvals: list[Approval] = Field(
        default_factory=list, description="An approval chain (instead of approval: true), in order"
    )
    requires: list[JobName] = Field(
        default_factory=list, description="Further jobs the delivery waits for"
    )
    promote_from: AccountName | None = Field(
        None,
        description="Copy the images this commit already pushed to that account (by digest) "
        "instead of building",
    )
    serialize: bool = Field(
        True, description="One delivery to this account at a time (CircleCI serial-group)"
    )
    serial_group: SerialGroup | None = Field(
        None, description="Serial group name (default: << pipeline.project.slug >>/deploy-<name>)"
    )
    pipeline: Pipeline | None = Field(None, description="The AWS pipeline `ciconf cfn` generates")
    images: dict[EcrRepository, AccountImage] = Field(
        default_factory=dict,
        description="Per image, keyed by its delivery.images repository: this account's own "
        "repository name or build arguments, e.g. {web: {repository: prod/web}}",
    )
    environment: Environment | None = Field(
        None,
        description="The account's VPC, load balancer, ECS services and database "
        "(docs/environment.md)",
    )

    @model_validator(mode="after")
    def _triggers(self) -> Account:
        if self.branch is not None and self.branches:
            raise ValueError("give branch or branches, not both")
        if self.branch is None and not self.branches and not self.tags and not self.ignore_branches:
            raise ValueError(
                "an account delivers from a branch, branches or tags (or every branch but "
                "ignore_branches): give at least one"
            )
        if self.approval and self.approvals:
            raise ValueError("give approval: true or an approvals chain, not both")
        if self.promote_from == self.name:
            raise ValueError("an account cannot promote from itself")
        return self

    @property
    def branch_filters(self) -> list[str]:
        return [self.branch] if self.branch is not None else list(self.branches)


def _name_or_mapping(schema: dict) -> None:
    """Editors accept what the loader accepts: `node/default` alone, or {name, parameters}."""
    mapping = dict(schema)
    mapping["properties"]["parameters"]["not"] = {"required": ["name"]}
    description = mapping.pop("description", None)
    name = dict(mapping["properties"]["name"])
    name.pop("title", None)
    schema.clear()
    schema.update({"anyOf": [name, mapping], "description": description})


class OrbExecutor(Model):
    """An executor from a declared orb (`node/default`), with its parameters."""

    model_config = ConfigDict(title="OrbExecutor", json_schema_extra=_name_or_mapping)

    name: OrbItem = Field(
        description="alias/executor, e.g. node/default (the orb must be declared)"
    )
    parameters: dict[ParameterName, Text | int | bool] = Field(
        default_factory=dict, description="The executor's parameters, e.g. {tag: '20.11'}"
    )

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: object) -> object:
        return {"name": value} if isinstance(value, str) else value

    @field_validator("parameters")
    @classmethod
    def _not_name(cls, parameters: dict) -> dict:
        if "name" in parameters:
            # CircleCI writes the parameters beside `name:`, so an executor parameter cannot be
            # called that
            raise ValueError("'name' is the executor's own key, not a parameter it can take")
        return parameters


# what an orb executor brings itself: a job that names one gives none of these
_EXECUTOR_KEYS = ("image", "machine", "services", "auth", "aws_auth")
# the keys of a workflow entry: CircleCI writes a job's arguments beside them
# (https://circleci.com/docs/reusing-config/), so no job parameter can be called so
_WORKFLOW_ENTRY_KEYS = ("name", "requires", "context", "filters", "matrix", "type", "serial-group")


class JobInvocation(Model):
    """One run of a parameterised job in the workflow: its own name and its arguments."""

    name: JobName = Field(
        description="Its name in the workflow (what other jobs' requires name), e.g. "
        "deploy-docs-staging"
    )
    parameters: dict[ParameterName, Text | int | bool] = Field(
        default_factory=dict,
        description="Values for the job's job_parameters (typed as declared)",
    )
    requires: list[JobName] = Field(
        default_factory=list, description="Jobs this run waits for, besides the job's requires"
    )


def _null(*keys: str) -> JsonDict:
    return {key: {"type": "null"} for key in keys}


# the executor keys an orb job or an orb executor brings itself (CustomJob._steps_or_orb)
_OWN_EXECUTOR: JsonDict = {
    **_null("image", "machine", "auth", "aws_auth"),
    "services": {"maxItems": 0},
}
_GIVEN: JsonDict = {"not": {"type": "null"}}
# what CustomJob's validators require, for editors: an orb job (orb_job) brings its executor and
# steps and takes its orb's `parameters`; any other job has steps, one executor, and declares its
# own parameters under job_parameters
_STEPS_OR_ORB: JsonDict = {
    "if": {"required": ["orb_job"], "properties": {"orb_job": {"type": "string"}}},
    "then": {
        "properties": {
            **_OWN_EXECUTOR,
            **_null("executor"),
            "steps": {"maxItems": 0},
            "job_parameters": {"maxProperties": 0},
            "invocations": {"maxItems": 0},
        }
    },
    "else": {
        "required": ["steps"],
        "properties": {"steps": {"minItems": 1}, "parameters": {"maxProperties": 0}},
        "anyOf": [
            {"required": [key], "properties": {key: _GIVEN}}
            for key in ("image", "machine", "executor")
        ],
        "if": {"required": ["executor"], "properties": {"executor": _GIVEN}},
        "then": {"properties": _OWN_EXECUTOR},
    },
}


class CustomJob(Executor):
    """A job of your own (deploy notifications, smoke tests, terraform plan...), placed in the workflow."""  # noqa: E501 - pydantic makes this docstring the schema's description

    model_config = ConfigDict(json_schema_extra=_STEPS_OR_ORB)

    steps: list[Step] = Field(
        default_factory=list, description="The job's steps (add checkout yourself)"
    )
    orb_job: OrbItem | None = Field(
        None, description="Run an orb's job instead of steps, e.g. slack/notify"
    )
    executor: OrbExecutor | None = Field(
        None,
        description="Run the steps on an orb's executor instead of image/machine: node/default, "
        "or {name: node/default, parameters: {tag: '20.11'}}",
    )
    parameters: dict[ParameterName, Text | int | bool] = Field(
        default_factory=dict, description="The orb job's parameters"
    )
    parallelism: int = Field(1, ge=1, le=256)
    requires: list[JobName] = Field(
        default_factory=list,
        description="Jobs it waits for: test jobs, delivery_<account>, hold_<account>, others",
    )
    branches: list[BranchFilter] = Field(default_factory=list, description="Only on these branches")
    ignore_branches: list[BranchFilter] = Field(
        default_factory=list,
        description="Never on these branches (CircleCI branches.ignore); alone: every other branch",
    )
    tags: list[TagFilter] = Field(
        default_factory=list, description="On these git tags (only tags when no branches are given)"
    )
    context: list[ContextName] = Field(
        default_factory=list, description="CircleCI contexts it reads secrets from"
    )
    approval: bool = Field(
        False, description="Hold for a manual approval (hold_<name>) before it runs"
    )
    job_parameters: dict[CommandParameterName, CommandParameter] = Field(
        default_factory=dict,
        description="Typed parameters of the job (declared as a command's), written "
        "<< parameters.NAME >> in its steps and environment; each invocation passes its values",
        json_schema_extra=NAMED_KEYS_ONLY,
    )
    invocations: list[JobInvocation] = Field(
        default_factory=list,
        description="Run the job several times, each under its own name with its own arguments "
        "(instead of once under the job's name)",
    )

    @model_validator(mode="wrap")
    @classmethod
    def _steps_see_parameters(cls, value: object, handler: Callable) -> CustomJob:
        # the steps may name the declared job_parameters (grammar.COMMAND_PARAMETERS)
        declared = value.get("job_parameters") if isinstance(value, dict) else None
        if not isinstance(declared, dict) or not declared:
            return handler(value)
        names = COMMAND_PARAMETERS.set(frozenset(str(name) for name in declared))
        owner = PARAMETERS_OWNER.set("job")
        try:
            return handler(value)
        finally:
            PARAMETERS_OWNER.reset(owner)
            COMMAND_PARAMETERS.reset(names)

    @property
    def run_names(self) -> list[str]:
        """Its names in the workflow: one per invocation, else none (it runs under its own)."""
        return [invocation.name for invocation in self.invocations]

    @model_validator(mode="after")
    def _invocable(self) -> CustomJob:
        if (self.job_parameters or self.invocations) and self.orb_job is not None:
            raise ValueError(
                "an orb job takes its orb's parameters under parameters: remove "
                "job_parameters/invocations"
            )
        return self

    @field_validator("job_parameters")
    @classmethod
    def _not_entry_keys(cls, parameters: dict) -> dict:
        clash = sorted(set(parameters) & set(_WORKFLOW_ENTRY_KEYS))
        if clash:
            raise ValueError(
                f"job parameter {clash[0]!r} is a key of the workflow entry its arguments sit "
                "beside; name it otherwise"
            )
        return parameters

    @model_validator(mode="after")
    def _steps_or_orb(self) -> CustomJob:
        given = [key for key in _EXECUTOR_KEYS if getattr(self, key)]
        if self.orb_job is not None:
            if self.steps or self.executor or given:
                raise ValueError(
                    "an orb job brings its own executor and steps: remove steps/image/machine"
                    "/executor"
                )
        else:
            if not self.steps:
                raise ValueError("a job needs steps (or orb_job)")
            if self.executor is not None and given:
                raise ValueError(
                    f"an orb executor brings its own image or machine: remove {', '.join(given)}"
                    " (or the executor)"
                )
            if self.image is None and self.machine is None and self.executor is None:
                raise ValueError(
                    "a job needs an executor: image (Docker), machine or an orb's executor"
                )
            if self.parameters:
                raise ValueError(
                    "parameters belong to an orb job; declare a job's own under job_parameters"
                )
        _parameters_known(self, set(self.job_parameters), "job_parameters")
        return self


def _runs(
    here: tuple, name: str, job: CustomJob, shared: tuple[tuple[str, tuple], ...]
) -> Iterator[tuple[str, tuple[tuple[str, tuple], ...], tuple, tuple[tuple[str, object], ...]]]:
    """(workflow name, requires, location, arguments) of each run of a custom job: one per
    invocation, else one under its own name."""
    if not job.invocations:
        yield name, shared, here, ()
    for index, invocation in enumerate(job.invocations):
        at = (*here, "invocations", index)
        refs = tuple((r, (*at, "requires", i)) for i, r in enumerate(invocation.requires))
        yield invocation.name, shared + refs, (*at, "name"), tuple(invocation.parameters.items())


def merge_job_name(test_job: str) -> str:
    return f"merge_{test_job}"


def delivery_job_name(account: str) -> str:
    return f"delivery_{account}"


def hold_job_name(job: str) -> str:
    return f"hold_{job}"


# --- pipeline parameters, conditional and scheduled workflows (issue 19) ---------------------

_CONDITION_TEXT_SCHEMA = WithJsonSchema(
    {"type": "string", "pattern": f"^(?:{CONDITION_TEXT_PATTERN})$"}
)
ConditionText = Annotated[str, AfterValidator(check_condition_text), _CONDITION_TEXT_SCHEMA]
PatternText = Annotated[str, AfterValidator(check_pattern), _CONDITION_TEXT_SCHEMA]
# what _default_fits enforces, for editors: the default has the parameter's type
_DEFAULT_TYPES: JsonDict = {
    "allOf": [  # type: ignore[dict-item] # a list of JsonDicts, which mypy infers narrower
        {
            "if": {"properties": {"type": {"enum": types}}},
            "then": {"properties": {"default": {"type": json_type}}},
        }
        for types, json_type in (
            (["string", "enum"], "string"),
            (["boolean"], "boolean"),
            (["integer"], "integer"),
        )
    ]
    + [
        {
            "if": {"properties": {"type": {"const": "enum"}}},
            "then": {"required": ["enum"], "properties": {"enum": {"minItems": 1}}},
            "else": {"properties": {"enum": {"maxItems": 0}}},
        }
    ]
}
_ONE_CONDITION: JsonDict = {"oneOf": [{"required": ["when"]}, {"required": ["unless"]}]}
CONDITION_KEYS = ("and", "or", "not", "equal", "matches")


class PipelineParameter(Model):
    """A pipeline parameter (top-level `parameters:`): set through the API or the web app's
    Trigger Pipeline button (or a schedule), read by workflow conditions; a push uses the
    default."""

    model_config = ConfigDict(json_schema_extra=_DEFAULT_TYPES)

    type: Literal["string", "boolean", "integer", "enum"]
    default: Text | bool | int = Field(
        description="The value of every run that does not set it (a push never does)"
    )
    enum: list[ConditionText] = Field(
        default_factory=list, description="The values an enum parameter allows"
    )
    description: StepName | None = Field(None, description="Shown in CircleCI's web app")

    @field_validator("default")
    @classmethod
    def _default_fits(cls, default: str | bool | int, info: ValidationInfo) -> str | bool | int:
        kind = info.data.get("type")
        expected = {"boolean": bool, "integer": int}.get(str(kind), str)
        if type(default) is not expected:  # a bool is an int to isinstance
            raise ValueError(
                f"the default of a {kind} parameter is "
                + {str: "text", bool: "true or false", int: "an integer"}[expected]
            )
        if isinstance(default, str):
            check_condition_text(default)
        return default

    @model_validator(mode="after")
    def _enum_fits(self) -> PipelineParameter:
        if (self.type == "enum") != bool(self.enum):
            raise ValueError("enum lists the values of an enum parameter (and only of one)")
        if self.type == "enum" and self.default not in self.enum:
            guess = closest(str(self.default), self.enum)
            raise ValueError(
                f"default {self.default!r} is not one of enum"
                + (f"; did you mean {guess!r}?" if guess else "")
            )
        return self


def _condition_kind(value: object) -> str:
    if isinstance(value, dict):
        return next(iter(value))
    if isinstance(value, BaseModel):
        return next(iter(value.model_dump(by_alias=True)))
    return "value"


def _condition_shape(value: object) -> object:
    # one message for a condition of no known form, instead of one per form it is not
    if not isinstance(value, str | int | dict | BaseModel):  # bool is an int
        raise ValueError(
            f"got {type(value).__name__}; a condition is a value (text, a number, true/false) or "
            "a mapping with exactly one of " + ", ".join(CONDITION_KEYS)
        )
    if isinstance(value, dict) and (len(value) != 1 or next(iter(value)) not in CONDITION_KEYS):
        keys = [str(key) for key in value]
        guess = closest(keys[0], CONDITION_KEYS) if len(keys) == 1 else None
        raise ValueError(
            "a condition is a value or a mapping with exactly one of "
            + ", ".join(CONDITION_KEYS)
            + (f"; did you mean {guess!r}?" if guess else f", not {', '.join(keys) or 'nothing'}")
        )
    return value


class AllOf(Model):
    all_of: list[Condition] = Field(alias="and", min_length=1, description="Every one holds")


class AnyOf(Model):
    any_of: list[Condition] = Field(alias="or", min_length=1, description="At least one holds")


class NotCondition(Model):
    negated: Condition = Field(alias="not", description="It does not hold")


class Equal(Model):
    equal: list[ConditionText | bool | int] = Field(
        min_length=2, description="All values are equal, e.g. [main, << pipeline.git.branch >>]"
    )


class MatchesArguments(Model):
    pattern: PatternText = Field(description="A Java regular expression matching the whole value")
    value: ConditionText = Field(description="e.g. << pipeline.git.branch >>")


class Matches(Model):
    matches: MatchesArguments


Condition = Annotated[
    Annotated[ConditionText | bool | int, Tag("value")]
    | Annotated[AllOf, Tag("and")]
    | Annotated[AnyOf, Tag("or")]
    | Annotated[NotCondition, Tag("not")]
    | Annotated[Equal, Tag("equal")]
    | Annotated[Matches, Tag("matches")],
    Discriminator(_condition_kind),
    BeforeValidator(_condition_shape),
]


def condition_values(condition: object, loc: tuple) -> Iterator[tuple[tuple, object]]:
    """Every value of a condition with its location (iterative: the nesting is the user's)."""
    stack: list[tuple[object, tuple]] = [(condition, loc)]
    while stack:
        item, at = stack.pop()
        if isinstance(item, AllOf | AnyOf):
            key = "and" if isinstance(item, AllOf) else "or"
            items = item.all_of if isinstance(item, AllOf) else item.any_of
            stack += [(sub, (*at, key, i)) for i, sub in reversed(list(enumerate(items)))]
        elif isinstance(item, NotCondition):
            stack.append((item.negated, (*at, "not")))
        elif isinstance(item, Equal):
            yield from (((*at, "equal", i), value) for i, value in enumerate(item.equal))
        elif isinstance(item, Matches):
            yield (*at, "matches", "value"), item.matches.value
        else:
            yield at, item


class ExtraWorkflow(Model):
    """A workflow beside the push workflow: some of the profile's test and custom jobs."""

    jobs: list[JobName] = Field(
        min_length=1,
        description="Test jobs and custom jobs (and what they require); never a delivery",
    )
    only_here: list[JobName] = Field(
        default_factory=list,
        description="Of these jobs, those the push workflow leaves out (e.g. a nightly-only suite)",
    )


class ConditionalWorkflow(ExtraWorkflow):
    """Another workflow of the profile's test and custom jobs, run only when (or unless) a
    condition holds: a parameter set through the API, a branch, a schedule."""

    model_config = ConfigDict(json_schema_extra=_ONE_CONDITION)

    when: Condition | None = Field(None, description="Runs only when this holds")
    unless: Condition | None = Field(None, description="Runs only when this does not hold")

    @model_validator(mode="after")
    def _one_condition(self) -> ConditionalWorkflow:
        if (self.when is None) == (self.unless is None):
            raise ValueError(
                "give when or unless (without a condition the jobs would run twice on each push)"
            )
        return self

    @property
    def condition(self) -> tuple[str, Condition]:
        if self.when is not None:
            return "when", self.when
        assert self.unless is not None  # _one_condition
        return "unless", self.unless


class ScheduledWorkflow(ExtraWorkflow):
    """A workflow that runs only for CircleCI's scheduled pipeline (schedule trigger) of this
    name: the push workflow then no longer runs on that schedule. Schedules do not deliver."""


@dataclass(frozen=True)
class WorkflowNode:
    """One job of the workflow graph (merge variants aside): what it requires and its own
    triggers."""

    name: str
    kind: Literal["test", "approval", "delivery", "custom"]
    requires: tuple[tuple[str, tuple], ...]  # (job name, profile location of the reference)
    branches: tuple[str, ...]  # its own branch filters ("" = none)
    tags: tuple[str, ...]
    loc: tuple  # where the job is declared in the profile
    branch_locs: tuple[tuple, ...] = ()  # where each of `branches` is written
    tag_locs: tuple[tuple, ...] = ()  # where each of `tags` is written
    ignored: tuple[str, ...] = ()  # branches it never runs on (branches.ignore)
    job: str | None = None  # the custom job an invocation runs (None: the job of this name)
    arguments: tuple[tuple[str, object], ...] = ()  # an invocation's parameter values


# what _one_test_section enforces, for editors: exactly one of a `test` job and a non-empty `tests`,
# or neither in a delivery-only service (one with accounts)
_HAS_TEST: JsonDict = {"required": ["test"], "properties": {"test": {"type": "object"}}}
_HAS_TESTS: JsonDict = {"required": ["tests"], "properties": {"tests": {"minProperties": 1}}}
ONE_TEST_SECTION: JsonDict = {
    "oneOf": [
        _HAS_TEST,
        _HAS_TESTS,
        {
            "not": {"anyOf": [_HAS_TEST, _HAS_TESTS]},
            "required": ["accounts"],
            "properties": {"accounts": {"minItems": 1}},
        },
    ]
}


class Profile(Model):
    model_config = ConfigDict(title="ciconf profile", json_schema_extra=ONE_TEST_SECTION)

    project: ProjectName
    test: TestJob | None = Field(None, description="The one test job, named test (or use tests)")
    tests: dict[JobName, TestJob] = Field(
        default_factory=dict,
        description="Several test jobs by name (instead of test), e.g. unit, browser",
        json_schema_extra=NAMED_KEYS_ONLY,
    )
    merge_test: MergeTest | None = None
    orbs: dict[OrbAlias, OrbRef] = Field(
        default_factory=dict,
        description="Orbs by alias, each pinned: {aws-cli: circleci/aws-cli@4.1.3}",
        json_schema_extra=NAMED_KEYS_ONLY,
    )
    jobs: dict[JobName, CustomJob] = Field(
        default_factory=dict,
        description="Your own jobs, placed by requires",
        json_schema_extra=NAMED_KEYS_ONLY,
    )
    delivery: Delivery | None = None
    accounts: list[Account] = Field(default_factory=list)
    commands: dict[CommandName, ReusableCommand] = Field(
        default_factory=dict,
        description="Your own reusable commands: steps with typed parameters, used as "
        "{command: name, parameters: {...}} in test, custom and delivery job steps",
        json_schema_extra=NAMED_KEYS_ONLY,
    )
    # pipeline parameters, conditional and scheduled workflows (issue 19; docs/profiles.md)
    parameters: dict[ParameterName, PipelineParameter] = Field(
        default_factory=dict,
        description="Pipeline parameters by name, read by workflows' when/unless",
        json_schema_extra=NAMED_KEYS_ONLY,
    )
    workflows: dict[JobName, ConditionalWorkflow] = Field(
        default_factory=dict,
        description="More workflows of the profile's jobs, each run only when/unless a condition",
        json_schema_extra=NAMED_KEYS_ONLY,
    )
    schedules: dict[JobName, ScheduledWorkflow] = Field(
        default_factory=dict,
        description="Workflows run only by CircleCI's schedule trigger of that name (no delivery)",
        json_schema_extra=NAMED_KEYS_ONLY,
    )

    @model_validator(mode="after")
    def _extra_workflows_are_sound(self) -> Profile:
        taken = {self.project}
        for section in ("workflows", "schedules"):
            for name, workflow in getattr(self, section).items():
                if name in taken:
                    _fail(
                        (section, name),
                        f"workflow name {name!r} is already used (the project's push workflow, "
                        "workflows and schedules share one namespace)",
                        name,
                    )
                taken.add(name)
                self._extra_jobs_closed((section, name), workflow.jobs)
                self._only_here_listed((section, name), workflow)
        self._push_workflow_keeps_its_jobs()
        for name, workflow in self.workflows.items():
            key, condition = workflow.condition
            for loc, value in condition_values(condition, ("workflows", name, key)):
                self._parameter_declared(loc, value)
        return self

    def _extra_jobs_closed(self, here: tuple, jobs: list[str]) -> None:
        """An extra workflow lists test and custom jobs, and everything they require."""
        runnable = [*self.test_jobs, *self.jobs]
        nodes = {node.name: node for node in self.workflow_nodes()}
        for index, name in enumerate(jobs):
            loc = (*here, "jobs", index)
            if name in jobs[:index]:
                _fail(loc, f"{name!r} is listed twice", name)
            if name not in runnable:
                guess = closest(name, runnable)
                why = (
                    "deliveries and approvals run in the push workflow only"
                    if name in nodes
                    else "it is not a test job or a job of this profile"
                )
                _fail(
                    loc, f"{name!r}: {why}" + (f"; did you mean {guess!r}?" if guess else ""), name
                )
            for node in self.extra_nodes(nodes, name):
                brought = {other.name for other in self.extra_nodes(nodes, name)}
                for required, _ in node.requires:
                    if required in jobs or required in brought:
                        continue  # a custom job's own holds and runs come with it
                    _fail(
                        loc,
                        f"{name!r} requires {required!r}, which this workflow does not run; "
                        f"list {required!r} too"
                        if required in runnable
                        else f"{name!r} requires {required!r}, which runs in the push workflow "
                        "only",
                        name,
                    )

    def _only_here_listed(self, here: tuple, workflow: ExtraWorkflow) -> None:
        for index, name in enumerate(workflow.only_here):
            if name not in workflow.jobs:
                guess = closest(name, workflow.jobs)
                _fail(
                    (*here, "only_here", index),
                    f"{name!r} is not one of this workflow's jobs"
                    + (f"; did you mean {guess!r}?" if guess else ""),
                    name,
                )

    def _push_workflow_keeps_its_jobs(self) -> None:
        """What the push workflow still runs requires none of the jobs left out of it."""
        left_out = self.left_out_of_push()
        if not left_out:
            return
        kept = self.push_nodes()
        if not kept:
            _fail(
                ("workflows",) if self.workflows else ("schedules",),
                "the push workflow would have no job left: keep at least one job out of only_here",
                None,
            )
        for node in kept:
            for required, _ in node.requires:
                if required in left_out:
                    gating = required in self.test_jobs and self.test_jobs[required].gates_delivery
                    _fail(
                        self._only_here_loc(required),
                        f"{required!r} runs only in its own workflow, but {node.name!r} of the "
                        "push workflow requires it"
                        + ("; set its gates_delivery: false" if gating else ""),
                        required,
                    )

    def _only_here_loc(self, name: str) -> tuple:
        for section in ("workflows", "schedules"):
            for key, workflow in getattr(self, section).items():
                if name in workflow.only_here:
                    return (section, key, "only_here", workflow.only_here.index(name))
        return ()

    def left_out_of_push(self) -> set[str]:
        """Jobs that run only in an extra workflow (`only_here`), with their holds."""
        names = {
            name
            for section in (self.workflows, self.schedules)
            for workflow in section.values()
            for name in workflow.only_here
        }
        return names | {hold_job_name(name) for name in names if name in self.jobs}

    def push_nodes(self) -> list[WorkflowNode]:
        """The push workflow's jobs: every job but those left out of it."""
        left_out = self.left_out_of_push()
        return [node for node in self.workflow_nodes() if node.name not in left_out]

    def extra_nodes(self, nodes: dict[str, WorkflowNode], name: str) -> list[WorkflowNode]:
        """The nodes a job listed in an extra workflow brings: itself, after its hold if any."""
        custom = self.jobs.get(name)
        runs = (custom.run_names if custom is not None else []) or [name]
        held = custom is not None and custom.approval
        return [
            node
            for run in runs
            for node in ([nodes[hold_job_name(run)]] if held else []) + [nodes[run]]
        ]

    def _parameter_declared(self, loc: tuple, value: object) -> None:
        parameter = parameter_of(value)
        if parameter is None or parameter in self.parameters:
            return
        guess = closest(parameter, self.parameters)
        _fail(
            loc,
            f"<< pipeline.parameters.{parameter} >> is not declared under parameters"
            + (f"; did you mean {'<< pipeline.parameters.' + guess + ' >>'!r}?" if guess else ""),
            value,
        )

    @property
    def test_jobs(self) -> dict[str, TestJob]:
        """Every test job by name; the legacy `test:` is the job named test."""
        return {"test": self.test} if self.test is not None else dict(self.tests)

    def workflow_nodes(self) -> list[WorkflowNode]:
        nodes = [
            WorkflowNode(
                name,
                "test",
                tuple(
                    (required, (*self._test_loc(name), "requires", i))
                    for i, required in enumerate(job.requires)
                ),
                tuple(job.branches),
                (),
                self._test_loc(name),
                branch_locs=_each((*self._test_loc(name), "branches"), job.branches),
                ignored=tuple(job.ignore_branches),
            )
            for name, job in self.test_jobs.items()
        ]
        gating: tuple[tuple[str, tuple], ...] = tuple(
            (name, ()) for name, job in self.test_jobs.items() if job.gates_delivery
        )
        for index, account in enumerate(self.accounts):
            here: tuple = ("accounts", index)
            triggers = (tuple(account.branch_filters), tuple(account.tags))
            ignored = tuple(account.ignore_branches)
            written = _Written(
                ((*here, "branch"),)
                if account.branch is not None
                else _each((*here, "branches"), account.branches),
                _each((*here, "tags"), account.tags),
            )
            previous = gating
            chain = account.approvals or (
                [Approval(name=hold_job_name(account.name))] if account.approval else []
            )
            for number, approval in enumerate(chain):
                refs: tuple[tuple[str, tuple], ...] = tuple(
                    (name, (*here, "approvals", number, "requires", i))
                    for i, name in enumerate(approval.requires)
                )
                loc = (
                    (*here, "approvals", number, "name")
                    if account.approvals
                    else (*here, "approval")
                )
                nodes.append(
                    WorkflowNode(
                        approval.name,
                        "approval",
                        previous + refs,
                        *triggers,
                        loc,
                        branch_locs=written.branch_locs,
                        tag_locs=written.tag_locs,
                        ignored=ignored,
                    )
                )
                previous = ((approval.name, ()),)
            refs = tuple((name, (*here, "requires", i)) for i, name in enumerate(account.requires))
            nodes.append(
                WorkflowNode(
                    delivery_job_name(account.name),
                    "delivery",
                    previous + refs + self._promote_edge(index),
                    *triggers,
                    here,
                    branch_locs=written.branch_locs,
                    tag_locs=written.tag_locs,
                    ignored=ignored,
                )
            )
        for name, job in self.jobs.items():
            here = ("jobs", name)
            written = _Written(
                _each((*here, "branches"), job.branches), _each((*here, "tags"), job.tags)
            )
            shared = tuple(
                (required, (*here, "requires", i)) for i, required in enumerate(job.requires)
            )
            for run, own, loc, arguments in _runs(here, name, job, shared):
                refs = own
                if job.approval:
                    nodes.append(
                        WorkflowNode(
                            hold_job_name(run),
                            "approval",
                            refs,
                            tuple(job.branches),
                            tuple(job.tags),
                            (*here, "approval"),
                            branch_locs=written.branch_locs,
                            tag_locs=written.tag_locs,
                            ignored=tuple(job.ignore_branches),
                        )
                    )
                    refs = ((hold_job_name(run), ()),)
                nodes.append(
                    WorkflowNode(
                        run,
                        "custom",
                        refs,
                        tuple(job.branches),
                        tuple(job.tags),
                        loc,
                        branch_locs=written.branch_locs,
                        tag_locs=written.tag_locs,
                        ignored=tuple(job.ignore_branches),
                        job=None if run == name else name,
                        arguments=arguments,
                    )
                )
        return nodes

    def _test_loc(self, name: str) -> tuple:
        return ("test",) if self.test is not None else ("tests", name)

    def _promote_edge(self, index: int) -> tuple:
        """A promotion in the same pipeline as its source (a shared branch) waits for the source's
        push."""
        account = self.accounts[index]
        source = next((a for a in self.accounts if a.name == account.promote_from), None)
        if source is None or not set(source.branch_filters) & set(account.branch_filters):
            return ()
        return ((delivery_job_name(source.name), ("accounts", index, "promote_from")),)

    @model_validator(mode="after")
    def _image_tags_apart(self) -> Profile:
        if self.delivery is not None:
            _tags_stay_apart(self.delivery)
        return self

    @model_validator(mode="after")
    def _one_test_section(self) -> Profile:
        if self.test is not None and self.tests:
            _fail(("tests",), "give test (one job) or tests (several), not both", self.tests)
        if self.test is None and not self.tests and not self.accounts:
            _fail(
                ("test",),
                "missing required key 'test' (or 'tests' for several test jobs, or accounts for "
                "a delivery-only service)",
                None,
            )
        return self

    @model_validator(mode="after")
    def _workflow_is_sound(self) -> Profile:
        nodes = self.workflow_nodes()
        self._names_unique(nodes)
        known = {node.name for node in nodes}
        for node in nodes:
            for required, loc in node.requires:
                runs = self.jobs[required].run_names if required in self.jobs else []
                if runs:
                    _fail(
                        loc,
                        f"requires {required!r}, which runs only as its invocations: require "
                        f"one of {', '.join(runs)}",
                        required,
                    )
                if required not in known:
                    message = f"requires {required!r}, which is not a job of this workflow"
                    guess = closest(required, known - {node.name})
                    _fail(
                        loc,
                        message
                        + (
                            f"; did you mean {guess!r}?"
                            if guess
                            else f" (jobs: {', '.join(sorted(known))})"
                        ),
                        required,
                    )
        self._test_jobs_require_test_jobs(nodes)
        _no_cycle(nodes)
        self._orbs_declared()
        self._commands_declared()
        self._promotions()
        self._account_images()
        self._trusts_are_narrow(nodes)
        return self

    def _account_images(self) -> None:
        """Each account's image overrides name a delivered image, and leave each its own
        repository; a promoting account copies the source's images, so it builds with no
        arguments of its own."""
        images = [image.repository for image in self.delivery.images] if self.delivery else []
        for index, account in enumerate(self.accounts):
            for key, override in account.images.items():
                loc = ("accounts", index, "images", key)
                if key not in images:
                    guess = closest(key, images)
                    _fail(
                        loc,
                        f"{key!r} is not one of delivery.images ({', '.join(images)})"
                        + (f"; did you mean {guess!r}?" if guess else ""),
                        key,
                    )
                if override.build_args and account.promote_from is not None:
                    _fail(
                        (*loc, "build_args"),
                        f"account {account.name!r} copies its images from "
                        f"{account.promote_from!r} and builds nothing: give the build "
                        f"arguments to {account.promote_from!r}",
                        key,
                    )
            names = [
                (account.images.get(name) or AccountImage()).repository or name for name in images
            ]
            if len(set(names)) != len(names):
                twice = next(name for name in names if names.count(name) > 1)
                _fail(
                    ("accounts", index, "images"),
                    f"two images of account {account.name!r} would share repository {twice!r}; "
                    "each image needs its own",
                    twice,
                )

    def _trusts_are_narrow(self, nodes: list[WorkflowNode]) -> None:
        """A deploy role trusts the refs its account's delivery runs for; a /regex/ filter whose
        tightest IAM pattern starts with a wildcard (names of any beginning) needs consent."""
        refs = job_refs(nodes)
        for index, account in enumerate(self.accounts):
            credentials = account.credentials
            if not isinstance(credentials, OidcCredentials) or credentials.org_id is None:
                continue  # no role of ciconf's making
            delivers = refs[delivery_job_name(account.name)]
            _trust_fits(index, credentials, delivers)
            if not credentials.branch_only or credentials.wider_trust:
                continue  # the account accepts a wider trust
            for glob in unsafe_globs(delivers):
                _fail(
                    glob.source.loc or ("accounts", index),
                    f"{glob.source.value} has no IAM pattern with a literal start: the tightest, "
                    f"{glob.glob}, would let the deploy role of {account.name!r} trust {glob.kind} "
                    f"pushes of any name; write names or a /pattern/ with a literal start (like "
                    f"/^release\\/.*/), or set accounts[{index}].credentials.wider_trust: true "
                    "(docs/cloudformation.md)",
                    glob.source.value,
                )

    def _names_unique(self, nodes: list[WorkflowNode]) -> None:
        # CircleCI tells job names apart ignoring case: Build and build are one job
        # (https://github.com/circleci/circleci-docs/pull/5278)
        taken = {merge_job_name(name).lower(): merge_job_name(name) for name in self.test_jobs}
        for node in nodes:
            earlier = taken.get(node.name.lower())
            if earlier is not None:
                same = "" if earlier == node.name else f" (as {earlier!r}: case does not count)"
                _fail(
                    node.loc,
                    f"job name {node.name!r} is already used{same} (test jobs, merge_<test>, "
                    "delivery_<account>, hold_<job>, approvals and jobs share one namespace)",
                    node.name,
                )
            taken[node.name.lower()] = node.name

    def _test_jobs_require_test_jobs(self, nodes: list[WorkflowNode]) -> None:
        # a test job runs before any delivery or approval, and a gating one on every branch
        for node in nodes:
            if node.kind != "test":
                continue
            for required, loc in node.requires:
                upstream = self.test_jobs.get(required)
                if upstream is None:
                    _fail(
                        loc,
                        f"a test job requires other test jobs only; {required!r} is not one",
                        required,
                    )
                elif self.test_jobs[node.name].gates_delivery and (
                    upstream.branches or upstream.ignore_branches
                ):
                    _fail(
                        loc,
                        f"{node.name!r} gates delivery, so it runs on every branch, but "
                        f"{required!r} is filtered by branch; remove its branch filters",
                        required,
                    )

    def _orbs_declared(self) -> None:
        for loc, reference in self._orb_references():
            alias = reference.split("/", 1)[0]
            if alias not in self.orbs:
                guess = closest(alias, list(self.orbs))
                hint = (
                    f"; did you mean {guess + '/' + reference.split('/', 1)[1]!r}?" if guess else ""
                )
                _fail(
                    loc,
                    f"{reference!r} comes from orb {alias!r}, which is not declared under "
                    f"orbs{hint}",
                    reference,
                )

    def _step_lists(self) -> Iterator[tuple[tuple, list[Step]]]:
        """Every list of steps in the profile, with its location."""
        for name, job in self.test_jobs.items():
            for point in TestSteps.model_fields:
                yield (*self._test_loc(name), "steps", point), getattr(job.steps, point)
        if self.delivery is not None:
            for point in DeliverySteps.model_fields:
                yield ("delivery", "steps", point), getattr(self.delivery.steps, point)
        for name, custom in self.jobs.items():
            yield ("jobs", name, "steps"), custom.steps
        for name, command in self.commands.items():
            yield ("commands", name, "steps"), command.steps

    def _orb_references(self) -> Iterator[tuple[tuple, str]]:
        for loc, steps in self._step_lists():
            for index, step in enumerate(steps):
                if step.orb is not None:
                    yield (*loc, index, "orb"), step.orb
        for name, custom in self.jobs.items():
            if custom.orb_job is not None:
                yield ("jobs", name, "orb_job"), custom.orb_job
            if custom.executor is not None:
                yield ("jobs", name, "executor", "name"), custom.executor.name

    def _commands_declared(self) -> None:
        """Each command step names a declared command and passes its parameters, typed."""
        for loc, steps in self._step_lists():
            for index, step in enumerate(steps):
                if step.command is None:
                    continue
                at = (*loc, index)
                if loc[0] == "commands":
                    _fail(
                        (*at, "command"),
                        "a command's steps cannot use another command (write its steps here)",
                        step.command,
                    )
                declared = self.commands.get(step.command)
                if declared is None:
                    guess = closest(step.command, list(self.commands))
                    hint = f"; did you mean {guess!r}?" if guess else "; declare it under commands:"
                    _fail((*at, "command"), f"unknown command {step.command!r}{hint}", step.command)
                    continue
                _arguments_fit(
                    at, step.command, step.parameters, declared.parameters, (*at, "command")
                )
        self._invocations_fit()

    def _invocations_fit(self) -> None:
        """Each run of a parameterised job passes its parameters, typed; one run under the
        job's own name needs a default for each."""
        for name, job in self.jobs.items():
            here = ("jobs", name)
            if not job.invocations:
                _arguments_fit(here, name, {}, job.job_parameters, (*here, "job_parameters"))
            for index, invocation in enumerate(job.invocations):
                at = (*here, "invocations", index)
                _arguments_fit(at, name, invocation.parameters, job.job_parameters, (*at, "name"))

    def _promotions(self) -> None:
        names = [account.name for account in self.accounts]
        for index, account in enumerate(self.accounts):
            if account.promote_from is None:
                continue
            loc = ("accounts", index, "promote_from")
            if account.promote_from not in names:
                guess = closest(account.promote_from, names)
                _fail(
                    loc,
                    f"{account.promote_from!r} is not an account"
                    + (f"; did you mean {guess!r}?" if guess else ""),
                    account.promote_from,
                )
            source = self.accounts[names.index(account.promote_from)]
            if source.promote_from is not None:
                _fail(
                    loc,
                    f"{source.name!r} promotes too; promote from the account that builds "
                    f"({source.promote_from!r})",
                    account.promote_from,
                )
            if isinstance(source.credentials, ContextCredentials):
                _fail(
                    loc,
                    f"{source.name!r} keeps its account id inside a CircleCI context, so "
                    "another account's job cannot name its registry; use oidc or "
                    "env-indirection credentials for it",
                    account.promote_from,
                )

    @field_validator("accounts")
    @classmethod
    def _traffic_container_is_delivered(
        cls, accounts: list[Account], info: ValidationInfo
    ) -> list[Account]:
        delivery = info.data.get("delivery")
        if delivery is None:
            return accounts
        containers = [image.container_name for image in delivery.images]
        for index, account in enumerate(accounts):
            blue_green = account.pipeline.blue_green if account.pipeline else None
            if blue_green is None or blue_green.container in containers:
                continue
            guess = closest(blue_green.container, containers)
            message = (
                f"{blue_green.container!r} is not one of the images' containers "
                f"({', '.join(containers)})"
            )
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
            clash = _tag_clash(tag, delivery)
            if clash:
                raise ValueError(f"deploy tag {tag!r} of account {account.name!r} {clash}")
            if tag in delivery.tags.moving:
                raise ValueError(
                    f"deploy tag {tag!r} of account {account.name!r} is one of delivery.tags.moving"
                    "; every delivery moves it already"
                )
        return accounts


def _tags_stay_apart(delivery: Delivery) -> None:
    """No tag the delivery writes can be taken for another kind (they are told apart by form)."""
    tags = delivery.tags
    prefix = tags.commit_prefix or ""
    if tags.build_number is not None and build_tags_can_look_like_commit_tags(
        tags.build_number, prefix, delivery.commit_tag_length
    ):
        _fail(
            ("delivery", "tags", "build_number"),
            f"build-number tags {tags.build_number}<CIRCLE_BUILD_NUM> could look like commit"
            f" tags ({prefix}<{delivery.commit_tag_length} hex digits>); choose another prefix",
            tags.build_number,
        )
    for index, tag in enumerate(tags.moving):
        clash = _tag_clash(tag, delivery)
        if clash:
            _fail(("delivery", "tags", "moving", index), f"moving tag {tag!r} {clash}", tag)


def _tag_clash(tag: str, delivery: Delivery) -> str | None:
    """Why a fixed tag (a deploy or moving tag) cannot be used, if it cannot: it would look like a
    tag the delivery writes from the commit or the build number."""
    tags = delivery.tags
    if looks_like_commit_tag(tag, tags.commit_prefix or "", delivery.commit_tag_length):
        return "looks like a commit tag; choose another"
    if tags.build_number is not None and looks_like_build_tag(tag, tags.build_number):
        return (
            f"looks like a build-number tag ({tags.build_number}<CIRCLE_BUILD_NUM>); choose another"
        )
    return None


def _trust_fits(index: int, credentials: OidcCredentials, delivers: Refs) -> None:
    """The deploy role's trust policy fits IAM's maximum length (one `sub` per filter item)."""
    assert credentials.org_id is not None
    trust = credentials.trust(delivers)
    length = trust_policy_length(credentials.org_id, trust)
    if length > TRUST_POLICY_MAX:
        _fail(
            ("accounts", index),
            f"the deploy role's trust policy would have {length} characters, over IAM's maximum "
            f"of {TRUST_POLICY_MAX} ({len(trust.subjects)} sub patterns, one per branch and tag "
            "filter item): deliver from fewer items, or join them in one /pattern/",
            None,
        )


@dataclass(frozen=True)
class _Written:
    """Where a job's branch and tag filter items are written in the profile."""

    branch_locs: tuple[tuple, ...]
    tag_locs: tuple[tuple, ...]


def _each(loc: tuple, items: list) -> tuple[tuple, ...]:
    """The location of each item of the list at `loc`."""
    return tuple((*loc, index) for index in range(len(items)))


def _arguments_fit(
    at: tuple,
    owner: str,
    passed: dict[str, str | int | bool],
    declared: dict[str, CommandParameter],
    missing_at: tuple,
) -> None:
    """The values `passed` (at `at`) to the command or job `owner` fit its declared
    parameters; one without a default must be passed."""
    for name, value in passed.items():
        parameter = declared.get(name)
        if parameter is None:
            guess = closest(name, list(declared))
            hint = f"; did you mean {guess!r}?" if guess else ""
            _fail((*at, "parameters", name), f"{owner!r} has no parameter {name!r}{hint}", name)
            continue
        problem = parameter_problem(parameter, value)
        if problem is None and isinstance(value, str):
            try:
                check_command_value(value)
            except ValueError as error:
                problem = str(error)
        if problem:
            _fail((*at, "parameters", name), problem, value)
    for name, parameter in declared.items():
        if parameter.default is None and name not in passed:
            _fail(missing_at, f"{owner!r} needs parameter {name!r} (it has no default)", owner)


def _fail(loc: tuple, message: str, value: object) -> None:
    """Raise a validation error located at `loc` (from the profile's root), so it names the line to
    fix."""
    error = InitErrorDetails(
        type=PydanticCustomError("value_error", "{detail}", {"detail": message}),
        loc=loc,
        input=value,
    )
    raise ValidationError.from_exception_data("Profile", [error])


def _no_cycle(nodes: list[WorkflowNode]) -> None:
    """Depth-first search (iterative: the graph comes from user input) for a requires cycle."""
    edges = {node.name: node.requires for node in nodes}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for start, requires in edges.items():
        if state.get(start):
            continue
        path: list[str] = [start]
        stack = [iter(requires)]
        state[start] = 1
        while stack:
            step = next(stack[-1], None)
            if step is None:
                state[path.pop()] = 2
                stack.pop()
                continue
            required, loc = step
            if state.get(required) == 1:
                cycle = [*path[path.index(required) :], required]
                where = loc or next(
                    (at for n in cycle for r, at in edges[n] if at and r in cycle), ()
                )
                _fail(where, "requires form a cycle: " + " -> ".join(reversed(cycle)), required)
            if required in edges and not state.get(required):
                state[required] = 1
                path.append(required)
                stack.append(iter(edges[required]))
