"""The real grammars of values that end up in shell commands or AWS resources.

Each checker returns the value or raises ValueError("expected ..."), which the profile loader turns
into a located message. Anything that passes these grammars is free of shell metacharacters, so it
can be placed in a command without changing its meaning.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextvars import ContextVar
from typing import Annotated

from pydantic import AfterValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from ciconf.errors import closest, shown
from ciconf.profile.machine_images import LEGACY_MACHINE_TAG
from ciconf.profile.regions import CHINA, SUPPORTED

AWS_ACCESS_KEY_ID = re.compile(r"(?:AKIA|ASIA|AIDA|AROA|ANPA|AGPA)[A-Z0-9]{16}")
AWS_SECRET_LIKE = re.compile(r"(?=.*[a-z])(?=.*[A-Z])(?=.*[0-9])[A-Za-z0-9/+]{40}")


def pattern_checker(
    pattern: str, expected: str, extra: Callable[[str], str | None] | None = None
) -> Callable[[str], str]:
    # compiled on first use (re caches it): a run compiles only the patterns its profile needs
    def check(value: str) -> str:
        if not re.fullmatch(pattern, value):
            raise ValueError(f"expected {expected}, got {shown(value)}")
        if extra is not None:
            problem = extra(value)
            if problem:
                raise ValueError(problem)
        return value

    return check


def _not_a_key(value: str) -> str | None:
    if AWS_ACCESS_KEY_ID.fullmatch(value) or AWS_SECRET_LIKE.fullmatch(value):
        return (
            "this looks like an AWS credential, not a variable name; store the secret in CircleCI "
            "(project environment variable or context) and name that variable here"
        )
    return None


def _git_ref_problem(value: str) -> str | None:
    # git check-ref-format rules that a regex alone says badly
    bad = ("..", "@{", "//", "/.", ".lock/")
    if any(part in value for part in bad) or value.endswith((".", "/", ".lock")) or value == "@":
        return f"expected a git branch name (see git check-ref-format), got {shown(value)}"
    return None


def _image_problem(value: str) -> str | None:
    if value.startswith("circleci/"):
        return (
            f"{value!r} is a deprecated circleci/* image; use the cimg/* convenience image "
            f"(for example {'cimg/' + value.split('/', 1)[1].split('-', maxsplit=1)[0]!r})"
        )
    return None


_ENV_NAME = r"[A-Za-z_][A-Za-z0-9_]*"

check_env_name = pattern_checker(
    _ENV_NAME, "a POSIX environment variable name like AWS_STG_ACCOUNT_ID", _not_a_key
)
PROJECT_PATTERN = r"[a-z][a-z0-9-]{0,38}[a-z0-9]"
check_project = pattern_checker(
    PROJECT_PATTERN,
    "a lowercase project name: letters, digits and '-' (2-40 chars)",
)
check_account_name = pattern_checker(
    r"[a-z][a-z0-9_]{0,19}",
    "a short lowercase account name like stg or prod (letters, digits, '_')",
)
_check_region_format = pattern_checker(
    r"(?:us|eu|ap|sa|ca|me|af|il|mx)(?:-gov)?-(?:north|south|east|west|central|northeast|northwest"
    r"|southeast|southwest)-[1-9]",
    "an AWS region like ap-northeast-1",
)


def problem(
    message: str, expected: str | None = None, suggestion: str | None = None
) -> PydanticCustomError:
    """A validation error the profile loader shows as `message (expected …); did you mean '…'?`."""
    context = {"message": message, "expected": expected, "suggestion": suggestion}
    return PydanticCustomError("ciconf_value", "{message}", context)


def check_region(value: str) -> str:
    """The shape of a region, and then a region AWS actually has (ciconf/profile/regions.py)."""
    if value in CHINA:
        raise problem(
            f"AWS China regions are not supported yet ({shown(value)}): their registries "
            "live under amazonaws.com.cn",
            "a region of the aws or aws-us-gov partition",
        )
    try:
        _check_region_format(value)
    except ValueError as error:
        raise problem(str(error), suggestion=closest(value, SUPPORTED)) from None
    if value not in SUPPORTED:
        raise problem(
            f"unknown AWS region {shown(value)}",
            "a region of the aws or aws-us-gov partition, like ap-northeast-1",
            closest(value, SUPPORTED),
        )
    return value


check_account_id = pattern_checker(r"[0-9]{12}", "a 12-digit AWS account id")
check_ecr_repository = pattern_checker(
    r"(?=.{2,256}\Z)[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*",
    "an ECR repository name: lowercase letters, digits and . _ - separated by /",
)
check_image_tag = pattern_checker(
    r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}", "a Docker image tag (letters, digits, _ . -)"
)
check_branch = pattern_checker(
    r"[A-Za-z0-9_][A-Za-z0-9_./-]{0,199}", "a git branch name", _git_ref_problem
)
check_rel_path = pattern_checker(
    r"(?!/)(?!.*(?:^|/)\.\.(?:/|$))[A-Za-z0-9_.@+][A-Za-z0-9_.@+/-]{0,499}",
    "a relative path inside the repository (letters, digits and _ . @ + - /, no '..', no "
    "leading '-')",
)
check_cache_path = pattern_checker(
    # the '..' look-ahead comes first, so that it also sees the segment right after ~/ or /
    r"(?!.*(?:^|/)\.\.(?:/|$))(?:~/|/)?[A-Za-z0-9_.@+][A-Za-z0-9_.@+/-]{0,499}",
    "a path to cache: relative, absolute, or under ~/ (letters, digits and _ . @ + - /, "
    "no '..', no leading '-')",
)


def _folder_problem(value: str) -> str | None:
    # CircleCI's checkout refuses a non-empty folder that is not a clone, so the home directory
    # or the root cannot hold the repository
    if value.rstrip("/") in ("", "~"):
        return (
            f"{shown(value)} is the home or root folder, where checkout cannot clone; "
            "name a folder of its own, like ~/app"
        )
    return None


check_folder = pattern_checker(
    r"(?!.*(?:^|/)\.\.(?:/|$))(?:~/|/)[A-Za-z0-9_.@+][A-Za-z0-9_.@+/-]{0,499}|~/?|/",
    "a folder for the repository: absolute or under ~/ (letters, digits and _ . @ + - /, no '..')",
    _folder_problem,
)


def check_working_directory(value: str) -> str:
    """A subfolder of the repository (services/api) or the folder the repository is cloned into
    (~/app, /home/circleci/app)."""
    if value.startswith(("/", "~")):
        return check_folder(value)
    try:
        return check_rel_path(value)
    except ValueError:
        raise ValueError(
            "expected a folder of the repository (services/api) or a folder to clone it into "
            f"(~/app, /home/circleci/app), without '..', got {shown(value)}"
        ) from None


check_docker_image = pattern_checker(
    r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?:(?::[0-9]+)?/[a-z0-9]+(?:[._-][a-z0-9]+)*)*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?",
    "a Docker image reference like cimg/php:8.3",
    _image_problem,
)
check_host = pattern_checker(
    r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?", "a host name or IPv4 address like 127.0.0.1"
)
check_context = pattern_checker(
    r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}", "a CircleCI context name (letters, digits, _ . -)"
)
ROLE_ARN_PATTERN = r"arn:aws(?:-[a-z]+)*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}"
ECS_NAME_PATTERN = r"[A-Za-z][A-Za-z0-9_-]{0,254}"

# IAM: a role name is 1-64 characters, its path at most 512
# (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html); the ARN's resource is
# role/<path without its leading '/'><name>.
ROLE_NAME_CHARS = 64


def role_path_and_name(role_arn: str) -> tuple[str, str]:
    """(path, name) of an IAM role ARN: ...:role/ci/deploy -> ("/ci/", "deploy")."""
    resource = role_arn.split(":role/", 1)[1]
    path, _, name = resource.rpartition("/")
    return (f"/{path}/" if path else "/"), name


def _role_problem(value: str) -> str | None:
    _, name = role_path_and_name(value)
    if not name:
        return f"expected a role name after the last '/' of the role ARN, got {shown(value)}"
    if len(name) > ROLE_NAME_CHARS:
        return (
            f"IAM role names are at most {ROLE_NAME_CHARS} characters; "
            f"{shown(name)} has {len(name)}"
        )
    return None  # the path fits: ROLE_ARN_PATTERN caps path and name together at 512


check_role_arn = pattern_checker(
    ROLE_ARN_PATTERN,
    "an IAM role ARN like arn:aws:iam::123456789012:role/circleci-deploy",
    _role_problem,
)
check_resource_class = pattern_checker(
    r"[a-z0-9][a-z0-9.+/-]{0,99}", "a CircleCI resource class like medium or large"
)
check_ecs_name = pattern_checker(
    ECS_NAME_PATTERN, "an ECS name: letters, digits, '-' and '_' (up to 255)"
)
# ECS allows 255 characters for a service name, but the environment stack's names derived from it
# must fit CloudFormation's and EC2's 255 too: the tasks' security group is described as
# "<stack> <service> tasks", and the longest stack name is 73 characters (a 40-character project,
# a 20-character account, "-environment"), which leaves 175. Its logical ids (ServiceName +
# a suffix of at most 20) fit then too; tests/oracles/test_aws_name_limits.py lints the longest
# names.
ECS_SERVICE_NAME_CHARS = 175
check_ecs_service_name = pattern_checker(
    ECS_NAME_PATTERN.replace("254", str(ECS_SERVICE_NAME_CHARS - 1)),
    f"an ECS service name: letters, digits, '-' and '_' (up to {ECS_SERVICE_NAME_CHARS}, so that "
    "the names the environment stack derives from it fit AWS's 255)",
)
check_listener_arn = pattern_checker(
    r"arn:aws(?:-[a-z]+)*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:listener/(?:app|net)/"
    r"[A-Za-z0-9-]{1,32}/[0-9a-f]{16}/[0-9a-f]{16}",
    "a load balancer listener ARN like "
    "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:listener/app/web/0123456789abcdef/0123456789abcdef",
)
check_target_group = pattern_checker(
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?",
    "a target group name: letters, digits and '-' (up to 32, not starting or ending with '-')",
)
check_deployment_config = pattern_checker(
    r"[A-Za-z0-9_.+=,@][A-Za-z0-9_.+=,@-]{0,99}",  # no leading '-': it reads as an option
    "a CodeDeploy deployment configuration like CodeDeployDefault.ECSAllAtOnce",
)


# Set while a reusable command's steps are validated: the parameters `<< parameters.NAME >>` may
# name there (CircleCI substitutes them when the command is invoked; every value a profile passes
# is checked against COMMAND_VALUE_PATTERN, so none can change a command's meaning)
COMMAND_PARAMETERS: ContextVar[frozenset[str] | None] = ContextVar(
    "command_parameters", default=None
)
# what declares them: a reusable "command", or a parameterised custom "job"
PARAMETERS_OWNER: ContextVar[str] = ContextVar("parameters_owner", default="command")


def _command_parameters_read(value: str) -> str:
    """`value` with its declared `<< parameters.NAME >>` blanked out (inside a command), after
    refusing any that names an undeclared parameter."""
    declared = COMMAND_PARAMETERS.get()
    if declared is None:
        return value
    for name in PARAMETER_REFERENCE.findall(value):
        if name not in declared:
            raise problem(
                f"<< parameters.{name} >> is not a parameter of this {PARAMETERS_OWNER.get()}",
                f"one of its parameters ({', '.join(sorted(declared)) or 'it declares none'})",
                None if not declared else closest(name, sorted(declared)),
            )
    return PARAMETER_REFERENCE.sub(lambda match: " " * len(match.group(0)), value)


def _no_pipeline_template(value: str) -> str:
    """CircleCI (config 2.1) replaces '<< … >>' before the shell runs: nothing a profile writes may
    start one.

    A pipeline value such as << pipeline.git.branch >> lands inside ciconf's shell quoting, so a
    branch named "x';curl …|sh;'" would run; a lone '<<' (a heredoc) makes CircleCI refuse the
    config ("Unclosed '<<' tag"). https://circleci.com/docs/guides/orchestrate/config-templating/
    """
    at = _command_parameters_read(value).find("<<")
    if at >= 0:
        raise problem(
            f"'<<' at character {at + 1}: CircleCI reads '<< … >>' as a pipeline value "
            "and substitutes it"
            " before the shell runs, past any quoting; use the environment variable CircleCI sets"
            " (such as $CIRCLE_BRANCH) and move heredocs into a script in the repository",
            "text without '<<'",
        )
    return value


_check_label_characters = pattern_checker(r"[^\x00-\x1f\x7f]{1,200}", "a one-line name")


def check_job_label(value: str) -> str:
    return _no_pipeline_template(_check_label_characters(value))


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("expected a shell command without NUL characters")
    if not value.strip():
        raise ValueError("expected a non-empty shell command")
    # the newline that ends a YAML '|' block means nothing to the shell; without it the
    # command stays a one-liner, or its literal block gets no trailing blank line
    return _no_pipeline_template(value).rstrip("\n")


def _no_nul_value(value: str) -> str:
    # environment and build-arg values are free text, but no process can receive a NUL
    if "\x00" in value:
        raise ValueError("expected text without NUL characters")
    return _no_pipeline_template(value)


# CircleCI reads `$NAME` in a docker image's auth and aws_auth from the job's contexts or project
# variables (https://circleci.com/docs/guides/execute/private-images/); a literal secret there
# would be readable by everyone who can read the repository
ENV_REFERENCE_PATTERN = r"\$" + _ENV_NAME
_ENV_REFERENCE = re.compile(ENV_REFERENCE_PATTERN)


def check_env_reference(value: str) -> str:
    if _ENV_REFERENCE.fullmatch(value):
        return check_env_name(value[1:]) and value
    braced = re.fullmatch(r"\$\{(" + _ENV_NAME + r")\}", value)
    if braced:
        raise problem(
            f"{shown(value)}: CircleCI's auth fields take the plain form",
            "an environment variable reference like $DOCKERHUB_PASSWORD",
            "$" + braced.group(1),
        )
    raise problem(
        f"{shown(value)} is a literal; a secret written in the profile is written into the "
        "config, readable by everyone who can read the repository: store it in a context or a "
        "project environment variable and name it here",
        "an environment variable reference like $DOCKERHUB_PASSWORD",
    )


_check_registry_user = pattern_checker(
    r"[A-Za-z0-9][A-Za-z0-9_.@+-]{0,254}", "a registry user name like mydockerhub-user"
)


def check_registry_user(value: str) -> str:
    """A user name is not a secret (CircleCI's docs write it literally), or a `$NAME` reference."""
    return check_env_reference(value) if value.startswith("$") else _check_registry_user(value)


# The checked string types are plain `Annotated` aliases (not built by a function) so that mypy
# reads every profile field as a `str`.


EnvName = Annotated[str, AfterValidator(check_env_name)]
AccountName = Annotated[str, AfterValidator(check_account_name)]
Region = Annotated[str, AfterValidator(check_region)]
AccountId = Annotated[str, AfterValidator(check_account_id)]
EcrRepository = Annotated[str, AfterValidator(check_ecr_repository)]
ImageTag = Annotated[str, AfterValidator(check_image_tag)]
Branch = Annotated[str, AfterValidator(check_branch)]
RelPath = Annotated[str, AfterValidator(check_rel_path)]
CachePath = Annotated[str, AfterValidator(check_cache_path)]
WorkingDirectory = Annotated[str, AfterValidator(check_working_directory)]
Host = Annotated[str, AfterValidator(check_host)]
ContextName = Annotated[str, AfterValidator(check_context)]
RoleArn = Annotated[str, AfterValidator(check_role_arn)]
ResourceClass = Annotated[str, AfterValidator(check_resource_class)]
EcsName = Annotated[str, AfterValidator(check_ecs_name)]
EcsServiceName = Annotated[str, AfterValidator(check_ecs_service_name)]
Label = Annotated[str, AfterValidator(check_job_label)]
ListenerArn = Annotated[str, AfterValidator(check_listener_arn)]
TargetGroupName = Annotated[str, AfterValidator(check_target_group)]
DeploymentConfigName = Annotated[str, AfterValidator(check_deployment_config)]
Command = Annotated[str, AfterValidator(_no_nul)]
Text = Annotated[str, AfterValidator(_no_nul_value)]
EnvReference = Annotated[
    str,
    AfterValidator(check_env_reference),
    WithJsonSchema({"type": "string", "pattern": f"^(?:{ENV_REFERENCE_PATTERN})$"}),
]
RegistryUser = Annotated[str, AfterValidator(check_registry_user)]


# --- profile reach: executors, jobs, steps, orbs and triggers (issue 10) -------------------------

# CircleCI machine images ("ubuntu-2204:current", "android:2024.01.1", "linux-cuda-12:default"),
# and the older dated tags ("ubuntu-2004:202107-02"), which `ciconf lint` notes (CC307)
MACHINE_IMAGE_PATTERN = (
    r"(?:ubuntu-[0-9]{4}|android|linux-cuda-[0-9]{2}|windows-server-[0-9]{4}-gui|default)"
    r"(?::(?:current|edge|default|[0-9]{4}\.[0-9]{2}\.[0-9]+|" + LEGACY_MACHINE_TAG + r"))?"
)
_MACHINE_IMAGE = re.compile(MACHINE_IMAGE_PATTERN)


def _machine_image_as_docker(value: str) -> str | None:
    if _MACHINE_IMAGE.fullmatch(value):
        return (
            f"{value!r} is a CircleCI machine image, not a Docker image; "
            f"write `machine: {{image: {value}}}` instead of `image:`"
        )
    return _image_problem(value)


def _docker_image_named_as_machine(value: str) -> str | None:
    return (
        f"{value!r} is not a CircleCI machine image (expected ubuntu-2204:current or similar); "
        "a Docker image goes under `image:`"
    )


check_container_image = pattern_checker(
    r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?:(?::[0-9]+)?/[a-z0-9]+(?:[._-][a-z0-9]+)*)*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?",
    "a Docker image reference like cimg/php:8.3",
    _machine_image_as_docker,
)
_check_machine_pattern = pattern_checker(
    MACHINE_IMAGE_PATTERN, "a CircleCI machine image like ubuntu-2204:current"
)


def check_machine_image(value: str) -> str:
    if not _MACHINE_IMAGE.fullmatch(value) and check_docker_image_lenient(value):
        raise ValueError(_docker_image_named_as_machine(value))
    return _check_machine_pattern(value)


def check_docker_image_lenient(value: str) -> bool:
    try:
        check_docker_image(value)
    except ValueError:
        return False
    return True


# CircleCI's config compiler takes job names matching ^[A-Za-z][A-Za-z\s\d_-]*$ (its error
# messages quote the pattern: github.com/SchemaStore/schemastore/issues/3832), unique ignoring
# case; the lowercase-only rule of https://circleci.com/docs/reusing-config/ holds for commands,
# executors and parameters. ciconf takes the letters of either case, without spaces: a name is
# also a word in `requires:` lists, cache keys and plan output.
JOB_NAME_PATTERN = r"[A-Za-z][A-Za-z0-9_-]{0,39}"
_check_job_name = pattern_checker(
    JOB_NAME_PATTERN, "a job name: a letter, then letters, digits, '_' and '-' (up to 40)"
)


def check_job_name(value: str) -> str:
    if " " in value.strip() and re.fullmatch(r"[A-Za-z][A-Za-z0-9_ -]{0,39}", value.strip()):
        raise problem(
            f"{shown(value)} has a space; ciconf job names are one word",
            "a letter, then letters, digits, '_' and '-' (up to 40)",
            re.sub(" +", "_", value.strip()),
        )
    return _check_job_name(value)


ORB_REF_PATTERN = r"[a-z0-9][a-z0-9-]{0,63}/[a-z0-9][a-z0-9-]{0,63}@[0-9]+\.[0-9]+\.[0-9]+"


def check_orb_ref(value: str) -> str:
    if value.endswith("@volatile"):
        raise ValueError(
            f"{shown(value)} is not pinned: 'volatile' takes whatever version is newest; "
            "pin an exact version like circleci/aws-cli@4.1.3"
        )
    if not re.fullmatch(ORB_REF_PATTERN, value):
        raise ValueError(
            "expected an orb pinned to an exact version like circleci/aws-cli@4.1.3, got "
            f"{shown(value)}"
        )
    return value


# CircleCI: command, executor and parameter names are lowercase
# (https://circleci.com/docs/reusing-config/#notes-on-reusable-configuration)
COMMAND_NAME_PATTERN = r"[a-z][a-z0-9_-]{0,39}"
# CircleCI's own steps (the profile's step kinds, in their order); a command cannot take their
# names, nor those of the conditional steps
CIRCLECI_STEPS = (
    "run",
    "save_cache",
    "restore_cache",
    "persist_to_workspace",
    "attach_workspace",
    "store_artifacts",
    "store_test_results",
    "add_ssh_keys",
    "checkout",
    "setup_remote_docker",
)
BUILT_IN_STEPS = (*CIRCLECI_STEPS, "when", "unless")


def _built_in_step(value: str) -> str | None:
    if value in BUILT_IN_STEPS:
        return f"{shown(value)} is CircleCI's own step; give the command another name"
    return None


check_command_name = pattern_checker(
    COMMAND_NAME_PATTERN,
    "a command name: a lowercase letter, then lowercase letters, digits, '_' and '-' (CircleCI's "
    "rule for commands)",
    _built_in_step,
)
COMMAND_PARAMETER_PATTERN = r"[a-z][a-z0-9_-]{0,63}"
check_command_parameter = pattern_checker(
    COMMAND_PARAMETER_PATTERN,
    "a parameter name: a lowercase letter, then lowercase letters, digits, '_' and '-' "
    "(CircleCI's rule for parameters)",
)
# a string a command's << parameters.NAME >> becomes: nothing the shell reads specially
COMMAND_VALUE_PATTERN = r"[A-Za-z0-9_./:@%+=,-]{0,200}"
check_command_value = pattern_checker(
    COMMAND_VALUE_PATTERN,
    "a parameter value CircleCI can substitute into a command as it is: letters, digits and "
    "_ . / : @ % + = , - (no spaces, quotes or $)",
)
ORB_ALIAS_PATTERN = r"[a-z][a-z0-9_-]{0,39}"
check_orb_alias = pattern_checker(
    ORB_ALIAS_PATTERN, "an orb alias: lowercase letters, digits, '_' and '-'"
)
ORB_ITEM_PATTERN = ORB_ALIAS_PATTERN + r"/[a-z][a-z0-9_-]{0,63}"
check_orb_item = pattern_checker(ORB_ITEM_PATTERN, "an orb command or job like aws-cli/setup")
PARAMETER_NAME_PATTERN = r"[A-Za-z_][A-Za-z0-9_-]{0,63}"
check_parameter_name = pattern_checker(
    PARAMETER_NAME_PATTERN, "a parameter name: letters, digits, '_' and '-'"
)
MATRIX_VALUE_PATTERN = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}"
check_matrix_value = pattern_checker(
    MATRIX_VALUE_PATTERN, "a matrix value like 8.3 (letters, digits, _ . -)"
)
GLOB_PATTERN = (
    r"(?!/)(?!.*(?:^|/)\.\.(?:/|$))[A-Za-z0-9_.@+*?{},\[\]!][A-Za-z0-9_.@+*?{},\[\]!/-]{0,499}"
)
check_glob = pattern_checker(
    GLOB_PATTERN, "a relative glob like tests/**/*_test.py (no '..', no spaces or quotes)"
)
check_timeout = pattern_checker(
    r"[0-9]{1,5}(?:\.[0-9]{1,3})?[smh]", "a duration like 20m, 1.5h or 90s"
)
check_fingerprint = pattern_checker(
    r"(?:[0-9a-f]{2}:){15}[0-9a-f]{2}|SHA256:[A-Za-z0-9+/]{43}=?",
    "an SSH key fingerprint like SHA256:... or aa:bb:...:ff",
)
check_cache_key = pattern_checker(
    r"[A-Za-z0-9_.{}\" /<>:-]{1,500}",
    'a cache key like v1-deps-{{ checksum "package-lock.json" }} (no quotes other than in '
    "templates)",
)
check_serial_group = pattern_checker(
    r"[A-Za-z0-9_.:/<> -]{0,511}[A-Za-z0-9_.:/>-]",
    "a serial group like << pipeline.project.slug >>/deploy-prod (letters, digits, _ . : / -)",
)
check_shell = pattern_checker(r"[A-Za-z0-9_./ -]{1,200}", "a shell like /bin/bash -eo pipefail")
check_step_name = pattern_checker(r"[^\x00-\x1f\x7f]{1,200}", "a one-line step name")
# A tag literal (git check-ref-format keeps tags to branch-like names); patterns are /regex/
check_git_tag = pattern_checker(r"[A-Za-z0-9_][A-Za-z0-9_.+-]{0,127}", "a git tag like v1.2.3")

REF_FILTER_MAX = 200
REF_FILTER_PATTERN = r"/.{1,198}/|[A-Za-z0-9_][A-Za-z0-9_./+-]{0,199}"


def _regex_problem(value: str) -> str | None:
    """Check the user's own pattern once, as CircleCI reads it (Java's syntax, ciconf.javaregex),
    to report a syntax error at its line; Java syntax ciconf does not translate is accepted."""
    from ciconf.javaregex import MAX_DEPTH, JavaSyntaxError, TooDeep, Undecided, compile_java

    body = value[1:-1]
    if "\n" in body:
        return "a filter pattern is one line"
    try:
        compile_java(body)
    except JavaSyntaxError as error:
        return f"{shown(value)} is not a valid regular expression in Java's syntax ({error})"
    except TooDeep:
        return f"{shown(value)} nests groups or classes deeper than {MAX_DEPTH} levels"
    except Undecided:
        pass
    return None


def _is_checked_pattern(value: str, name: str) -> bool:
    """True for a valid /pattern/; a too-long value or a bad pattern raises; False for a plain
    name."""
    if len(value) > REF_FILTER_MAX:
        raise ValueError(f"expected {name} or /pattern/ of at most {REF_FILTER_MAX} characters")
    if len(value) >= 2 and value.startswith("/") and value.endswith("/"):
        problem = _regex_problem(value)
        if problem:
            raise ValueError(problem)
        return True
    return False


def check_branch_filter(value: str) -> str:
    if _is_checked_pattern(value, "a branch name"):
        return value
    if any(char in value for char in "*?[") or value.startswith("/"):
        raise ValueError(
            f"{shown(value)} is neither a branch name nor a pattern; write a pattern "
            "between slashes, like /^release\\/.*/"
        )
    return check_branch(value)


def check_tag_filter(value: str) -> str:
    if _is_checked_pattern(value, "a git tag"):
        return value
    if any(char in value for char in "*?["):
        raise ValueError(
            f"{shown(value)} is a glob; CircleCI matches tags with a regular expression "
            "between slashes, like /^v\\d+\\.\\d+\\.\\d+$/"
        )
    return check_git_tag(value)


def _pattern_schema(pattern: str) -> WithJsonSchema:
    """The JSON Schema of a checked string that carries its grammar, so editors flag what ciconf
    refuses."""
    return WithJsonSchema({"type": "string", "pattern": f"^(?:{pattern})$"})


ProjectName = Annotated[str, AfterValidator(check_project), _pattern_schema(PROJECT_PATTERN)]
ContainerImage = Annotated[
    str, AfterValidator(check_container_image), _pattern_schema(r"[a-z0-9][!-~]*")
]
MachineImage = Annotated[
    str, AfterValidator(check_machine_image), _pattern_schema(MACHINE_IMAGE_PATTERN)
]
JobName = Annotated[str, AfterValidator(check_job_name), _pattern_schema(JOB_NAME_PATTERN)]
OrbRef = Annotated[str, AfterValidator(check_orb_ref), _pattern_schema(ORB_REF_PATTERN)]
OrbAlias = Annotated[str, AfterValidator(check_orb_alias), _pattern_schema(ORB_ALIAS_PATTERN)]
OrbItem = Annotated[str, AfterValidator(check_orb_item), _pattern_schema(ORB_ITEM_PATTERN)]
ParameterName = Annotated[
    str, AfterValidator(check_parameter_name), _pattern_schema(PARAMETER_NAME_PATTERN)
]
MatrixValue = Annotated[
    str, AfterValidator(check_matrix_value), _pattern_schema(MATRIX_VALUE_PATTERN)
]
Glob = Annotated[str, AfterValidator(check_glob), _pattern_schema(GLOB_PATTERN)]
CommandName = Annotated[
    str,
    AfterValidator(check_command_name),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": f"^(?:{COMMAND_NAME_PATTERN})$",
            "not": {"enum": list(BUILT_IN_STEPS)},
        }
    ),
]
CommandParameterName = Annotated[
    str, AfterValidator(check_command_parameter), _pattern_schema(COMMAND_PARAMETER_PATTERN)
]
CommandValue = Annotated[
    str, AfterValidator(check_command_value), _pattern_schema(COMMAND_VALUE_PATTERN)
]
Timeout = Annotated[
    str, AfterValidator(check_timeout), _pattern_schema(r"[0-9]{1,5}(?:\.[0-9]{1,3})?[smh]")
]
Fingerprint = Annotated[
    str,
    AfterValidator(check_fingerprint),
    _pattern_schema(r"(?:[0-9a-f]{2}:){15}[0-9a-f]{2}|SHA256:[A-Za-z0-9+/]{43}=?"),
]
CacheKey = Annotated[str, AfterValidator(check_cache_key)]
SerialGroup = Annotated[str, AfterValidator(check_serial_group)]
Shell = Annotated[str, AfterValidator(check_shell)]
StepName = Annotated[str, AfterValidator(check_step_name)]
BranchFilter = Annotated[
    str, AfterValidator(check_branch_filter), _pattern_schema(REF_FILTER_PATTERN)
]
TagFilter = Annotated[str, AfterValidator(check_tag_filter), _pattern_schema(REF_FILTER_PATTERN)]

# `<< parameters.php >>` in an image, a command or an environment value of a matrix job
PARAMETER_REFERENCE = re.compile(r"<< *parameters\.([A-Za-z_][A-Za-z0-9_-]{0,63}) *>>")


def check_parameterised_image(value: str) -> str:
    """A container image where matrix parameters may stand for parts (cimg/php:<< parameters.php
    >>)."""
    if len(value) > 500:
        raise ValueError("expected a Docker image reference of at most 500 characters")
    check_container_image(PARAMETER_REFERENCE.sub("0", value))
    return value


ParameterisedImage = Annotated[
    str, AfterValidator(check_parameterised_image), _pattern_schema(r"[a-z0-9<][ -~]*")
]


def check_single_branch(value: str) -> str:
    """`branch:` is one literal branch; a glob or pattern there gets the keys that express it."""
    if any(char in value for char in "*?[") or (value.startswith("/") and value.endswith("/")):
        raise ValueError(
            f"expected one branch name, got the pattern {shown(value)}; write branches: "
            "[/^release\\/.*/] "
            "for branch patterns, or tags: [/^v\\d+\\.\\d+\\.\\d+$/] to deliver on git tags"
        )
    return check_branch(value)


SingleBranch = Annotated[
    str, AfterValidator(check_single_branch), _pattern_schema(r"[A-Za-z0-9_][A-Za-z0-9_./-]{0,199}")
]
