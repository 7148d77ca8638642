"""Recognising a hand-written ECR delivery: log in, `docker build`, `docker push` of images
tagged from CIRCLE_SHA1 to `<account>.dkr.ecr.<region>.amazonaws.com/<repository>`.

Such a job becomes an account of the profile (its credentials and triggers) and the profile's
delivery (region, images); ciconf then writes the login, builds and pushes itself.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Any

REGISTRY = re.compile(
    r"^(?P<account>\S+?)\.dkr\.ecr\.(?P<region>[a-z]{2}(?:-gov)?-[a-z]+-[0-9])\.amazonaws\.com/(?P<repository>[a-z0-9][a-z0-9._/-]*):(?P<tag>\S+)$"
)
SHA_CUT = re.compile(r"CIRCLE_SHA1\}?\s*\|\s*cut\s+-c\s*1-([0-9]{1,2})|CIRCLE_SHA1:0:([0-9]{1,2})")
CREDENTIAL_LINE = re.compile(
    r"^(?:sudo\s+)?(?:pip3?\s+install\s+(?:--upgrade\s+)?awscli|apt-get\s+.*awscli|aws\s+configure\s+set\s+\S+\s+.*)$"
)
LOGIN_LINE = re.compile(r"aws ecr get-login|docker login")
ACCOUNT_VARS = ("AWS_ACCOUNT_ID", "AWS_ACCESS_KEY", "AWS_SECRET_KEY")
OIDC_SETUP = ("aws-cli/setup",)


@dataclass
class Found:
    region: str
    images: list[dict]  # repository, dockerfile, context, build_args
    tag_length: int
    credentials: dict | None  # without a context: filled in from the workflow entry
    machine: bool
    deploy_tag: str | None = None  # the one tag besides the commit's (the account's deploy tag)
    orb: str | None = None  # the aws-ecr orb's alias, when it built and pushed


EVAL_ECHO = re.compile(r"\$\(eval echo \$\{?([A-Za-z_][A-Za-z0-9_]*)\}?\)")


def _lines(command: str) -> list[str]:
    # `$(eval echo $AWS_ACCOUNT_ID)` (the seed's indirection) reads as one word
    joined = EVAL_ECHO.sub(lambda m: "${" + m.group(1) + "}", re.sub(r"\\\n\s*", " ", command))
    return [
        line.strip()
        for line in joined.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]


def _build(line: str) -> dict | None:
    try:
        words = shlex.split(line)
    except ValueError:
        return None
    if words[:2] != ["docker", "build"]:
        return None
    tag = dockerfile = None
    positional = []
    index = 2
    while index < len(words):
        word = words[index]
        if word in ("-t", "--tag") and index + 1 < len(words):
            tag, index = words[index + 1], index + 2
        elif word in ("-f", "--file") and index + 1 < len(words):
            dockerfile, index = words[index + 1], index + 2
        elif word.startswith("-"):
            return None  # build args and other options: kept as a custom job
        else:
            positional.append(word)
            index += 1
    match = REGISTRY.match(tag or "")
    if match is None or len(positional) != 1:
        return None
    image = {"repository": match.group("repository"), "region": match.group("region")}
    if dockerfile and dockerfile not in {"Dockerfile", "./Dockerfile"}:
        image["dockerfile"] = dockerfile.removeprefix("./")
    if positional[0] not in (".", "./"):
        image["context"] = positional[0].removeprefix("./").rstrip("/")
    return image


@dataclass
class _Seen:
    """What the steps of a job showed so far."""

    images: list[dict] = field(default_factory=list)
    length: int = 0  # of the commit tag
    logged_in: bool = False
    credentials: dict | None = None


def recognise(body: dict, steps: list) -> Found | None:
    seen = _Seen()
    if not all(_step(item, seen) for item in steps):
        return None
    return _found(body, seen)


def _step(item: Any, seen: _Seen) -> bool:
    """False for a step that is no part of a hand-written delivery."""
    if item in ("checkout", "setup_remote_docker") or (
        isinstance(item, dict) and "setup_remote_docker" in item
    ):
        return True
    if isinstance(item, dict) and item.get("orb") in OIDC_SETUP:
        return _oidc(item, seen)
    if not (isinstance(item, dict) and "run" in item and set(item["run"]) <= {"command", "name"}):
        return False
    return all(_line(line, seen) for line in _lines(str(item["run"]["command"])))


def _oidc(item: dict, seen: _Seen) -> bool:
    parameters = item.get("parameters") or {}
    role = parameters.get("role_arn") or parameters.get("role-arn")
    if not isinstance(role, str) or not role.startswith("arn:aws"):
        return False
    seen.credentials = {"mode": "oidc", "role_arn": role}
    return True


def _line(line: str, seen: _Seen) -> bool:
    """One shell line: the commit tag, the login, the credentials, a build or a push."""
    cut = SHA_CUT.search(line)
    if line.startswith("IMAGE_TAG=") and (cut or "CIRCLE_SHA1" in line):
        seen.length = int(cut.group(1) or cut.group(2)) if cut else 40
        return True
    if LOGIN_LINE.search(line):
        seen.logged_in = True
        return True
    if CREDENTIAL_LINE.match(line) or line.startswith((': "${', "docker push ")):
        return True
    image = _build(line) if line.startswith("docker build") else None
    if image is not None:
        seen.images.append(image)
    return image is not None


def _found(body: dict, seen: _Seen) -> Found | None:
    regions = {image.pop("region") for image in seen.images}
    if not seen.images or not seen.logged_in or not seen.length or len(regions) != 1:
        return None
    env: dict = body["environment"] if isinstance(body.get("environment"), dict) else {}
    if set(env) - set(ACCOUNT_VARS) - {"AWS_DEFAULT_REGION", "AWS_REGION"}:
        return None
    credentials = seen.credentials or _env_indirection(env)
    length = max(4, min(seen.length, 40))
    return Found(regions.pop(), seen.images, length, credentials, "machine" in body)


def _env_indirection(env: dict) -> dict | None:
    """The seed's credentials: the job environment names the project variables."""
    if not all(str(env.get(name, "")).startswith("$") for name in ACCOUNT_VARS):
        return None
    account, access, secret = (str(env[name]).lstrip("${").rstrip("}") for name in ACCOUNT_VARS)
    return {
        "mode": "env-indirection",
        "account_id_var": account,
        "access_key_var": access,
        "secret_key_var": secret,
    }


def account_name(job: str) -> str:
    name = job.lower().replace("-", "_")
    for prefix in ("delivery_", "deploy_", "push_", "build_and_push_", "release_"):
        if name.startswith(prefix) and len(name) > len(prefix):
            name = name[len(prefix) :]
            break
    name = re.sub(r"[^a-z0-9_]", "", name)
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,19}", name):
        name = ("a" + name)[:20] if name else "main"
    return name


def same(found: list[Found]) -> bool:
    first = found[0]
    return all(f.region == first.region and f.images == first.images for f in found)
