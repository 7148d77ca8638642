"""The real grammars of values that end up in shell commands or AWS resources.

Each checker returns the value or raises ValueError("expected ..."), which the profile loader turns
into a located message. Anything that passes these grammars is free of shell metacharacters, so it
can be placed in a command without changing its meaning.
"""

from __future__ import annotations

import re
from typing import Annotated, Callable

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from ciconf.errors import closest, shown
from ciconf.profile.regions import CHINA, SUPPORTED

AWS_ACCESS_KEY_ID = re.compile(r"(?:AKIA|ASIA|AIDA|AROA|ANPA|AGPA)[A-Z0-9]{16}")
AWS_SECRET_LIKE = re.compile(r"(?=.*[a-z])(?=.*[A-Z])(?=.*[0-9])[A-Za-z0-9/+]{40}")


def _checker(pattern: str, expected: str, extra: Callable[[str], str | None] | None = None):
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
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
            f"(for example {'cimg/' + value.split('/', 1)[1].split('-')[0]!r})"
        )
    return None


_ENV_NAME = r"[A-Za-z_][A-Za-z0-9_]*"

check_env_name = _checker(_ENV_NAME, "a POSIX environment variable name like AWS_STG_ACCOUNT_ID", _not_a_key)
check_project = _checker(
    r"[a-z][a-z0-9-]{0,38}[a-z0-9]", "a lowercase project name: letters, digits and '-' (2-40 chars)"
)
check_account_name = _checker(
    r"[a-z][a-z0-9_]{0,19}", "a short lowercase account name like stg or prod (letters, digits, '_')"
)
_check_region_format = _checker(
    r"(?:us|eu|ap|sa|ca|me|af|il|mx)(?:-gov)?-(?:north|south|east|west|central|northeast|northwest"
    r"|southeast|southwest)-[1-9]",
    "an AWS region like ap-northeast-1",
)


def problem(message: str, expected: str | None = None, suggestion: str | None = None) -> PydanticCustomError:
    """A validation error the profile loader shows as `message (expected …); did you mean '…'?`."""
    context = {"message": message, "expected": expected, "suggestion": suggestion}
    return PydanticCustomError("ciconf_value", "{message}", context)


def check_region(value: str) -> str:
    """The shape of a region, and then a region AWS actually has (ciconf/profile/regions.py)."""
    if value in CHINA:
        raise problem(
            f"AWS China regions are not supported yet ({shown(value)}): their registries live under amazonaws.com.cn",
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


check_account_id = _checker(r"[0-9]{12}", "a 12-digit AWS account id")
check_ecr_repository = _checker(
    r"(?=.{2,256}\Z)[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*",
    "an ECR repository name: lowercase letters, digits and . _ - separated by /",
)
check_image_tag = _checker(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}", "a Docker image tag (letters, digits, _ . -)")
check_branch = _checker(r"[A-Za-z0-9_][A-Za-z0-9_./-]{0,199}", "a git branch name", _git_ref_problem)
check_rel_path = _checker(
    r"(?!/)(?!.*(?:^|/)\.\.(?:/|$))[A-Za-z0-9_.@+][A-Za-z0-9_.@+/-]{0,499}",
    "a relative path inside the repository (letters, digits and _ . @ + - /, no '..', no leading '-')",
)
check_cache_path = _checker(
    r"(?:~/|/)?(?!.*(?:^|/)\.\.(?:/|$))[A-Za-z0-9_.@+][A-Za-z0-9_.@+/-]{0,499}",
    "a path to cache: relative, absolute, or under ~/ (letters, digits and _ . @ + - /, no '..', no leading '-')",
)
check_docker_image = _checker(
    r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?:(?::[0-9]+)?/[a-z0-9]+(?:[._-][a-z0-9]+)*)*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?",
    "a Docker image reference like cimg/php:8.3",
    _image_problem,
)
check_host = _checker(
    r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?", "a host name or IPv4 address like 127.0.0.1"
)
check_context = _checker(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}", "a CircleCI context name (letters, digits, _ . -)")
ROLE_ARN_PATTERN = r"arn:aws(?:-[a-z]+)*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}"
ECS_NAME_PATTERN = r"[A-Za-z][A-Za-z0-9_-]{0,254}"

check_role_arn = _checker(
    ROLE_ARN_PATTERN,
    "an IAM role ARN like arn:aws:iam::123456789012:role/circleci-deploy",
)
check_resource_class = _checker(
    r"[a-z0-9][a-z0-9.+/-]{0,99}", "a CircleCI resource class like medium or large"
)
check_ecs_name = _checker(
    ECS_NAME_PATTERN, "an ECS name: letters, digits, '-' and '_' (up to 255)"
)
check_listener_arn = _checker(
    r"arn:aws(?:-[a-z]+)*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:listener/(?:app|net)/"
    r"[A-Za-z0-9-]{1,32}/[0-9a-f]{16}/[0-9a-f]{16}",
    "a load balancer listener ARN like "
    "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:listener/app/web/0123456789abcdef/0123456789abcdef",
)
check_target_group = _checker(
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?",
    "a target group name: letters, digits and '-' (up to 32, not starting or ending with '-')",
)
check_deployment_config = _checker(
    r"[A-Za-z0-9_.+=,@][A-Za-z0-9_.+=,@-]{0,99}",  # no leading '-': it reads as an option
    "a CodeDeploy deployment configuration like CodeDeployDefault.ECSAllAtOnce",
)


def _no_pipeline_template(value: str) -> str:
    """CircleCI (config 2.1) replaces '<< … >>' before the shell runs: nothing a profile writes may start one.

    A pipeline value such as << pipeline.git.branch >> lands inside ciconf's shell quoting, so a
    branch named "x';curl …|sh;'" would run; a lone '<<' (a heredoc) makes CircleCI refuse the
    config ("Unclosed '<<' tag"). https://circleci.com/docs/guides/orchestrate/config-templating/
    """
    at = value.find("<<")
    if at >= 0:
        raise problem(
            f"'<<' at character {at + 1}: CircleCI reads '<< … >>' as a pipeline value and substitutes it"
            " before the shell runs, past any quoting; use the environment variable CircleCI sets"
            " (such as $CIRCLE_BRANCH) and move heredocs into a script in the repository",
            "text without '<<'",
        )
    return value


_check_label_characters = _checker(r"[^\x00-\x1f\x7f]{1,200}", "a one-line name")


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


def constrained(check: Callable[[str], str]) -> type:
    return Annotated[str, AfterValidator(check)]  # type: ignore[return-value]


EnvName = constrained(check_env_name)
ProjectName = constrained(check_project)
AccountName = constrained(check_account_name)
Region = constrained(check_region)
AccountId = constrained(check_account_id)
EcrRepository = constrained(check_ecr_repository)
ImageTag = constrained(check_image_tag)
Branch = constrained(check_branch)
RelPath = constrained(check_rel_path)
CachePath = constrained(check_cache_path)
DockerImage = constrained(check_docker_image)
Host = constrained(check_host)
ContextName = constrained(check_context)
RoleArn = constrained(check_role_arn)
ResourceClass = constrained(check_resource_class)
EcsName = constrained(check_ecs_name)
Label = constrained(check_job_label)
ListenerArn = constrained(check_listener_arn)
TargetGroupName = constrained(check_target_group)
DeploymentConfigName = constrained(check_deployment_config)
Command = constrained(_no_nul)
Text = constrained(_no_nul_value)
