"""Recognising the `circleci/aws-ecr` orb's build and push as a delivery (images) and an account
(credentials).

Both forms count: the orb's job in a workflow (`aws-ecr/build-and-push-image` in 8.x,
`aws-ecr/build_and_push_image` in 9.x) and its command as the one step of a job of the config.
The parameters are those of the orb's source, CircleCI-Public/aws-ecr-orb, tags v8.2.1 and
v9.8.1 (src/jobs/ and src/commands/): 8.x names them with '-', 9.x with '_'; here both are read
with '_'. The image is built `-f <path>/<dockerfile>` in the context `<build_path>`
(src/scripts/docker_buildx.sh), `tag` is a comma-separated list, the region and the account id
are read at run time from `${AWS_REGION}`/`${AWS_DEFAULT_REGION}` and the registry id variable
unless given. A parameter that changes what is pushed and that the profile has no field for keeps
the job verbatim, with the reason in the report.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from ciconf.adopt.delivery import Found
from ciconf.adopt.resolve import Job
from ciconf.profile.grammar import check_image_tag, check_region, check_role_arn
from ciconf.profile.jobvars import check_project_variable
from ciconf.profile.models import Image

ORB = "circleci/aws-ecr"
AWS_CLI = "circleci/aws-cli"
MAJORS = (8, 9)
BUILD_AND_PUSH = ("build-and-push-image", "build_and_push_image")
ORB_VERSION = re.compile(r"([a-z0-9-]+/[a-z0-9-]+)@([0-9]+)(?:\.[0-9]+){0,2}")
VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")
REGION_VARIABLES = frozenset({"AWS_REGION", "AWS_DEFAULT_REGION"})
COMMIT = ("${CIRCLE_SHA1}", "$CIRCLE_SHA1", "<< pipeline.git.revision >>")
# the variables ciconf's context credentials read (ContextCredentials)
CONTEXT_VARIABLES = ("AWS_ACCOUNT_ID", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
DEFAULTS: dict[int, dict[str, Any]] = {
    8: {
        "region": "${AWS_REGION}",
        "registry_id": "AWS_ECR_REGISTRY_ID",
        "aws_access_key_id": "AWS_ACCESS_KEY_ID",
        "aws_secret_access_key": "AWS_SECRET_ACCESS_KEY",
    },
    9: {"region": "${AWS_DEFAULT_REGION}", "account_id": "${AWS_ACCOUNT_ID}"},
}
# what ciconf's delivery does its own way (executor, AWS CLI profile, timeouts, the repository
# its bootstrap stack creates with scan on push): the value does not change what is pushed
OWN_WAY = frozenset(
    {
        "executor",
        "profile_name",
        "role_session_name",
        "session_duration",
        "no_output_timeout",
        "aws_cli_version",
        "source_profile",
        "new_profile_name",
        "use_credentials_helper",
        "binfmt_version",
        "setup_remote_docker",
        "remote_docker_version",
        "remote_docker_layer_caching",
        "create_repo",
        "repo_scan_on_push",
        "repo_image_tag_mutability",
        "workspace_root",
        "public_registry_alias",
        "dockerhub_username",
        "dockerhub_password",
    }
)
# parameters that change what is pushed, or how: kept verbatim unless at the orb's default
ONLY_DEFAULT: dict[str, Any] = {
    "public_registry": False,
    "push_image": True,
    "platform": "linux/amd64",
    "skip_when_tags_exist": False,
    "attach_workspace": False,
    "checkout": True,
    "lifecycle_policy_path": "",
    "set_repo_policy": False,
    "repo_policy_path": "",
    "docker_login": False,
    "container_registry_login": False,
    "aws_domain": "amazonaws.com",
    "repo_encryption_type": "AES256",
    "repo_encryption_kms_key": "",
    "repo_tag": "",
    "repo_image_tag_exclusion_filters": "",
    "registry_login": None,
}
READ = frozenset(
    {
        "repo",
        "tag",
        "region",
        "dockerfile",
        "path",
        "build_path",
        "extra_build_args",
        "account_id",
        "registry_id",
        "aws_access_key_id",
        "aws_secret_access_key",
        "role_arn",
        "assume_web_identity",
        "auth",
    }
)
SETUP_OWN_WAY = frozenset(
    {"region", "profile_name", "role_session_name", "session_duration", "version", "install_dir"}
)
SETUP_READ = frozenset({"role_arn", "aws_access_key_id", "aws_secret_access_key"})


class Kept(Exception):
    """Why the orb's build and push stays a custom job."""


@dataclass
class Use:
    """One build and push of the orb: its parameters (with '_'), and where it runs."""

    job: str
    major: int | None
    reference: str
    parameters: dict
    environment: dict  # the environment of the job that runs the orb's command ({} for its job)
    machine: bool
    contexts: list[str]
    aws_cli: set[str] = field(default_factory=set)  # aliases of circleci/aws-cli
    reasons: list[str] = field(default_factory=list)


def orb_aliases(data: dict) -> dict[str, str]:
    """alias -> `circleci/...@version` of the config's published orbs."""
    orbs = data.get("orbs") if isinstance(data.get("orbs"), dict) else {}
    return {str(k): v for k, v in (orbs or {}).items() if isinstance(v, str)}


def use_of(job: Job, options: dict, orbs: dict[str, str], contexts: list[str]) -> Use | None:
    """The orb's build and push that `job` is (its job) or runs (its command as the one step)."""
    return _as_job(job, options, orbs, contexts) if job.orb_job else _as_step(job, orbs, contexts)


def _as_job(job: Job, options: dict, orbs: dict[str, str], contexts: list[str]) -> Use | None:
    alias, _, name = job.definition.partition("/")
    if not _is_orb(orbs.get(alias), ORB) or name not in BUILD_AND_PUSH:
        return None
    use = _use(job.definition, job.parameters, None, contexts, orbs)
    for key in ("pre-steps", "post-steps"):
        if options.get(key):
            use.reasons.append(f"`{key}` (the profile's delivery takes no steps of a job)")
    return use


def _as_step(job: Job, orbs: dict[str, str], contexts: list[str]) -> Use | None:
    found = [item for item in job.steps if _orb_step(item, orbs) is not None]
    if not found:
        return None
    name, parameters = next(iter(found[0].items()))
    use = _use(name, parameters if isinstance(parameters, dict) else {}, job.body, contexts, orbs)
    if "checkout" in job.steps:
        use.parameters.pop("checkout", None)  # the job checks out itself
    if len(found) > 1:
        use.reasons.append(
            f"{len(found)} builds and pushes in one job (a profile has one delivery)"
        )
    others = [item for item in job.steps if item is not found[0] and not _plain(item)]
    if others:
        use.reasons.append(f"{len(others)} more step(s) in the job (the delivery's are ciconf's)")
    options_of = sorted(set(job.body) - {"docker", "machine", "resource_class", "environment"})
    if options_of:
        use.reasons.append(f"job options {', '.join(options_of)} (no delivery field)")
    extra = sorted(set(use.environment) - REGION_VARIABLES)
    if extra:
        use.reasons.append(f"environment {', '.join(extra)} (the delivery job sets its own)")
    return use


def _use(
    name: str, parameters: dict, body: dict | None, contexts: list[str], orbs: dict[str, str]
) -> Use:
    """A use of the orb `name` names; `body` is the job running its command (None: its job, which
    runs on the orb's machine executor)."""
    reference = orbs[name.partition("/")[0]]
    version = ORB_VERSION.fullmatch(reference)
    major = int(version.group(2)) if version else None
    environment = (body or {}).get("environment")
    use = Use(
        job=name,
        major=major,
        reference=reference,
        parameters={str(k).replace("-", "_"): v for k, v in parameters.items()},
        environment=environment if isinstance(environment, dict) else {},
        machine=body is None or "machine" in body,
        contexts=contexts,
        aws_cli={alias for alias, ref in orbs.items() if _is_orb(ref, AWS_CLI)},
    )
    if major not in MAJORS:
        use.reasons.append(f"{reference}: ciconf reads the parameters of the orb's 8.x and 9.x")
    return use


def _is_orb(reference: str | None, orb: str) -> bool:
    return isinstance(reference, str) and reference.partition("@")[0] == orb


def _orb_step(item: Any, orbs: dict[str, str]) -> str | None:
    if not isinstance(item, dict) or len(item) != 1:
        return None
    name = str(next(iter(item)))
    alias, _, command = name.partition("/")
    return name if _is_orb(orbs.get(alias), ORB) and command in BUILD_AND_PUSH else None


def _plain(item: Any) -> bool:
    """checkout and setup_remote_docker: steps ciconf's delivery job has itself."""
    if item in ("checkout", "setup_remote_docker"):
        return True
    return isinstance(item, dict) and len(item) == 1 and next(iter(item)) == "setup_remote_docker"


# --- the parameters as profile fields -------------------------------------------------------------


def recognise(use: Use) -> Found | list[str]:
    """The delivery and credentials the orb's build and push is, or why it stays verbatim."""
    reasons = list(use.reasons)
    if reasons and use.major not in MAJORS:
        return reasons
    parameters = {**DEFAULTS[use.major or 9], **use.parameters}
    reasons += _unmodelled(parameters)
    results: dict[str, Any] = {}
    for key, read in (
        ("region", _region),
        ("image", _image),
        ("tags", _tags),
        ("credentials", _credentials),
    ):
        try:
            results[key] = read(parameters, use)
        except Kept as why:
            reasons.append(str(why))
    if reasons:
        return reasons
    length, deploy_tag = results["tags"]
    return Found(
        results["region"],
        [results["image"]],
        length,
        results["credentials"],
        use.machine,
        deploy_tag=deploy_tag,
        orb=use.job.partition("/")[0],
    )


def _unmodelled(parameters: dict) -> list[str]:
    reasons = []
    for key, value in parameters.items():
        if key in READ or key in OWN_WAY:
            continue
        if key not in ONLY_DEFAULT:
            reasons.append(f"parameter `{key}` is none the orb's build and push takes")
        elif value != ONLY_DEFAULT[key]:
            shown = str(value).lower() if isinstance(value, bool) else value  # as YAML writes it
            reasons.append(f"parameter `{key}: {shown}` has no profile field")
    return reasons


def _text(parameters: dict, key: str, default: str) -> str:
    """A parameter as the orb reads it: its default when absent or null."""
    value = parameters.get(key)
    return default if value is None else str(value)


def _variable(value: Any) -> str | None:
    """NAME for a value that is `$NAME` or `${NAME}` and nothing else."""
    match = VARIABLE.fullmatch(str(value).strip())
    return match.group(1) if match else None


def _region(parameters: dict, use: Use) -> str:
    value = str(parameters["region"]).strip()
    name = _variable(value)
    if name is not None:
        value = str(use.environment.get(name, value))
    try:
        return check_region(value)
    except ValueError:
        raise Kept(
            f"region {parameters['region']} is read at run time; a profile names its region"
        ) from None


def _image(parameters: dict, use: Use) -> dict:
    del use
    image: dict = {"repository": _text(parameters, "repo", "")}
    folder = _folder(_text(parameters, "path", "."))
    name = _folder(_text(parameters, "dockerfile", "Dockerfile"))
    dockerfile = "/".join(x for x in (folder, name) if x)
    if dockerfile != "Dockerfile":
        image["dockerfile"] = dockerfile
    context = _folder(_text(parameters, "build_path", "."))
    if context:
        image["context"] = context
    arguments = _build_args(_text(parameters, "extra_build_args", ""))
    if arguments:
        image["build_args"] = arguments
    try:
        Image.model_validate(image)
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(x) for x in problem["loc"])
        raise Kept(f"image {where}: {problem['msg']}") from None
    return image


def _folder(path: str) -> str:
    """A folder or file of the checkout as the profile writes it ('' for the checkout)."""
    path = path.strip().rstrip("/")
    while path.startswith("./"):
        path = path[2:]
    return "" if path == "." else path


def _build_args(text: str) -> dict:
    """`--build-arg NAME=value ...` as build_args: literal text, or {from_env: VAR} for `$VAR`."""
    try:
        words = shlex.split(text)
    except ValueError:
        raise Kept("extra_build_args does not split into words") from None
    found: dict = {}
    while words:
        flag = words.pop(0)
        if flag != "--build-arg" or not words or "=" not in words[0]:
            raise Kept(f"extra_build_args `{flag}` is no --build-arg NAME=value")
        name, _, value = words.pop(0).partition("=")
        variable = _variable(value)
        if variable is not None:
            found[name] = {"from_env": variable}
        elif "$" in value:
            raise Kept(f"build arg {name} mixes text and variables")
        else:
            found[name] = value
    return found


def _tags(parameters: dict, use: Use) -> tuple[int, str | None]:
    """(commit tag length, deploy tag): the commit SHA is a commit tag, one other tag the deploy
    tag (ciconf pushes both, and the full SHA besides)."""
    del use
    length, others = 0, []
    for tag in (item.strip() for item in _text(parameters, "tag", "latest").split(",")):
        if tag in COMMIT:
            length = 40
        elif tag:
            others.append(tag)
    if len(others) > 1:
        raise Kept(f"tags {', '.join(others)}: the profile pushes one deploy tag per account")
    if others:
        try:
            check_image_tag(others[0])
        except ValueError:
            raise Kept(
                f"tag {others[0]} is read at run time; the profile's tags are fixed"
            ) from None
    return length or 6, (others[0] if others else None)


def _credentials(parameters: dict, use: Use) -> dict:
    setup = _setup(parameters, use)
    role = str(parameters.get("role_arn") or setup.get("role_arn") or "").strip()
    if use.major == 8 and role and parameters.get("assume_web_identity") is not True:
        raise Kept("role_arn assumed with access keys (the profile's roles are OIDC)")
    if role:
        return _oidc(role, parameters, use)
    account = _account_variable(parameters)
    access = _variable(setup.get("aws_access_key_id", "")) or str(
        parameters.get("aws_access_key_id", "AWS_ACCESS_KEY_ID")
    )
    secret = _variable(setup.get("aws_secret_access_key", "")) or str(
        parameters.get("aws_secret_access_key", "AWS_SECRET_ACCESS_KEY")
    )
    if use.contexts:
        return _context(use.contexts, (account, access, secret))
    try:
        for name in (account, access, secret):
            check_project_variable(name)
    except ValueError as error:
        raise Kept(f"project variables: {error}") from None
    return {
        "mode": "env-indirection",
        "account_id_var": account,
        "access_key_var": access,
        "secret_key_var": secret,
    }


def _setup(parameters: dict, use: Use) -> dict:
    """The parameters of the 9.x `auth: [aws-cli/setup: ...]` step ({} without one)."""
    auth = parameters.get("auth")
    if auth is None:
        return {}
    steps = auth if isinstance(auth, list) else [auth]
    if len(steps) == 1 and isinstance(steps[0], str):
        steps = [{steps[0]: {}}]  # `- aws-cli/setup`: its defaults
    if len(steps) != 1 or not isinstance(steps[0], dict) or len(steps[0]) != 1:
        raise Kept("auth is not one aws-cli/setup step")
    name, setup = next(iter(steps[0].items()))
    alias, _, command = str(name).partition("/")
    if alias not in use.aws_cli or command != "setup":
        raise Kept(f"auth step {name} is not circleci/aws-cli's setup")
    setup = {
        str(k).replace("-", "_"): v for k, v in (setup if isinstance(setup, dict) else {}).items()
    }
    extra = sorted(set(setup) - SETUP_OWN_WAY - SETUP_READ)
    if extra:
        raise Kept(f"aws-cli/setup {', '.join(extra)} (no profile field)")
    for key in ("aws_access_key_id", "aws_secret_access_key"):
        if key in setup and _variable(setup[key]) is None:
            raise Kept(f"aws-cli/setup {key} is no variable (a key written out)")
    return setup


def _oidc(role: str, parameters: dict, use: Use) -> dict:
    try:
        check_role_arn(role)
    except ValueError:
        raise Kept(f"role_arn {role} is not an IAM role ARN written out") from None
    account = str(parameters.get("account_id") or "").strip()
    if account and _variable(account) is None and account != role.split(":")[4]:
        raise Kept(f"account_id {account} is not the account of role_arn {role}")
    if len(use.contexts) != 1:
        raise Kept(
            "OIDC credentials of a profile name one context (the token comes with it); "
            f"the job has {len(use.contexts) or 'none'}"
        )
    return {"mode": "oidc", "role_arn": role, "context": use.contexts[0]}


def _account_variable(parameters: dict) -> str:
    if "registry_id" in parameters and "account_id" not in parameters:
        return str(parameters["registry_id"]).strip()  # 8.x: an env var name
    name = _variable(parameters.get("account_id", ""))
    if name is None:
        raise Kept(
            f"account_id {parameters.get('account_id')} written out; the profile reads the "
            "account id from a context or a project variable"
        )
    return name


def _context(contexts: list[str], names: tuple[str, str, str]) -> dict:
    if len(contexts) != 1:
        raise Kept(f"{len(contexts)} contexts; an account's credentials name one")
    if names != CONTEXT_VARIABLES:
        raise Kept(
            "context credentials read " + ", ".join(CONTEXT_VARIABLES) + " from the context; "
            "the orb reads " + ", ".join(names)
        )
    return {"mode": "context", "context": contexts[0]}
