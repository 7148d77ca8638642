"""One step or executor of an existing config as the profile writes it (custom steps, executors).

What the profile would refuse is modernised and said so: `circleci/*` images become their `cimg/*`
successors (https://circleci.com/docs/next-gen-migration-guide/), `$(aws ecr get-login ...)`
(removed from AWS CLI v2) becomes `aws ecr get-login-password | docker login`
(https://docs.aws.amazon.com/cli/latest/reference/ecr/get-login-password.html).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ciconf.shell import commands

# circleci/* images whose cimg/* successor has another name, or needs a full version
RENAMED = {"golang": "go", "buildpack-deps": "base", "openjdk": "openjdk", "jdk": "openjdk"}
BARE_VERSIONS = {"python:3": "3.12", "node:latest": "lts", "python:latest": "3.12", "ruby:2": "2.7"}
GET_LOGIN = re.compile(r"\$\(\s*aws ecr get-login\b([^)]*)\)|`\s*aws ecr get-login\b([^`]*)`")
REGION_OPTION = re.compile(r"--region[ =]+([a-z]{2}(?:-gov)?-[a-z]+-[0-9])")
FALLBACK_IMAGE = "cimg/base:stable"
RUN_KEYS = (
    "command",
    "name",
    "working_directory",
    "background",
    "when",
    "no_output_timeout",
    "shell",
    "environment",
)
STEP_KEYS = {
    "save_cache": ("key", "paths", "name", "when"),
    "restore_cache": ("keys", "name"),
    "persist_to_workspace": ("root", "paths"),
    "attach_workspace": ("at",),
    "store_artifacts": ("path", "destination"),
    "store_test_results": ("path",),
    "add_ssh_keys": ("fingerprints",),
    "checkout": ("path",),
    "setup_remote_docker": ("docker_layer_caching", "version"),
}


@dataclass
class Notes:
    """What a conversion changed: modernised items and items the profile cannot hold."""

    modernised: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)


def modern_image(image: str, notes: Notes) -> str:
    if not image.startswith("circleci/"):
        return image
    name, _, tag = image[len("circleci/") :].partition(":")
    name = RENAMED.get(name, name)
    tag = tag or "latest"
    tag = BARE_VERSIONS.get(f"{name}:{tag}", tag)
    if name == "base":
        tag = "stable"
    if tag == "latest":
        tag = "current" if name == "node" else "stable" if name == "base" else tag
    modern = f"cimg/{name}:{tag}"
    notes.modernised.append(
        f"image {image} -> {modern} (circleci/* images are deprecated; check the tag exists)"
    )
    return modern


def modern_command(command: str, notes: Notes) -> str:
    """`$(aws ecr get-login ...)` is gone from AWS CLI v2: log in with get-login-password."""

    def replace(match: re.Match[str]) -> str:
        options = match.group(1) or match.group(2) or ""
        region = REGION_OPTION.search(options)
        login = commands.ecr_login(region.group(1) if region else "${AWS_DEFAULT_REGION}")
        notes.modernised.append(
            "`aws ecr get-login` -> `aws ecr get-login-password | docker login`"
        )
        return login.rstrip("\n")

    return GET_LOGIN.sub(replace, command)


# pipeline values a job can read from CircleCI's environment instead
# (https://circleci.com/docs/reference/variables/)
PIPELINE_VALUES = {
    "pipeline.git.branch": "CIRCLE_BRANCH",
    "pipeline.git.tag": "CIRCLE_TAG",
    "pipeline.git.revision": "CIRCLE_SHA1",
    "pipeline.id": "CIRCLE_PIPELINE_ID",
    "pipeline.project.git_url": "CIRCLE_REPOSITORY_URL",
}
TEMPLATE = re.compile(r"<<\s*([A-Za-z0-9_.-]+)\s*>>")


def shell_text(command: str, notes: Notes) -> str:
    """A command without '<<': pipeline values become the variables CircleCI sets; a command that
    still holds one (a heredoc) runs from an encoded copy, as written."""

    def variable(match: re.Match[str]) -> str:
        name = PIPELINE_VALUES.get(match.group(1))
        if name is None:
            return match.group(0)
        notes.modernised.append(f"<< {match.group(1)} >> -> ${{{name}}} (read at run time)")
        return "${" + name + "}"

    command = TEMPLATE.sub(variable, command)
    if "<<" in command:
        notes.modernised.append(
            "a command holding '<<' (a heredoc or template) runs from an encoded copy of itself"
        )
        return commands.encoded_script(command)
    return command


def plain_text(value: str, notes: Notes, what: str) -> str | None:
    """Text that is no command (environment, parameters): None when it holds a template."""
    if "<<" in value:
        notes.lost.append(f"{what}: {value!r} holds '<<', which a profile cannot hold there")
        return None
    return value


def _env(value: Any, notes: Notes | None = None) -> dict:
    found: dict = {}
    if isinstance(value, dict):
        found = {str(k): _scalar_text(v) for k, v in value.items()}
    elif isinstance(value, list):  # the old `- KEY=value` form, or a list of one-key mappings
        for item in value:
            if isinstance(item, dict):
                found.update({str(k): _scalar_text(v) for k, v in item.items()})
            else:
                key, _, text = str(item).partition("=")
                found[key] = text
    kept = {}
    for key, text in found.items():
        if plain_text(text, notes or Notes(), f"environment {key}") is not None:
            kept[key] = text
    return kept


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def step(item: Any, notes: Notes) -> Any:  # noqa: PLR0911 - one return per step kind
    """A config step as a profile step (a string, or a one-key mapping)."""
    if isinstance(item, str):
        if item in ("checkout", "setup_remote_docker", "add_ssh_keys"):
            return item
        if "/" in item:
            return {"orb": item}  # a bare name that is no command of the config: an orb's command
        notes.lost.append(f"step {item!r} is neither a built-in step nor a command of the config")
        return None
    if not isinstance(item, dict) or len(item) != 1:
        notes.lost.append(f"step {item!r} is not a step CircleCI knows")
        return None
    kind, value = next(iter(item.items()))
    value = {} if value is None else value
    if kind in ("run", "deploy"):
        return {"run": _run(value, notes)}
    if kind in STEP_KEYS:
        return {kind: _options(kind, value, notes)}
    if "/" in str(kind):
        return _orb_step(str(kind), value, notes)
    notes.lost.append(f"step {kind!r} is neither a built-in step nor a command of the config")
    return None


def _run(value: Any, notes: Notes) -> dict:
    if isinstance(value, str):
        return {"command": shell_text(modern_command(value, notes), notes)}
    run: dict = {}
    for key, inner in value.items():
        if key not in RUN_KEYS:
            notes.lost.append(f"run option {key!r} (the profile's run steps have no such option)")
            continue
        if key == "command":
            run["command"] = shell_text(modern_command(str(inner), notes), notes)
        elif key == "environment":
            run["environment"] = _env(inner, notes)
        elif key == "working_directory":
            folder = _relative(str(inner))
            if folder is None:
                notes.lost.append(
                    f"run working_directory {inner!r} "
                    "(the profile takes a folder of the repository)"
                )
            elif folder:
                run["working_directory"] = folder
        elif key == "background":
            run["background"] = bool(inner)
        else:
            run[key] = _scalar_text(inner) if not isinstance(inner, bool) else inner
    run.setdefault("command", "true")
    return run


def _relative(path: str) -> str | None:
    """A folder as the profile writes it, relative to the checkout; '' for the checkout itself."""
    for root in ("~/project", "/home/circleci/project", "~/repo", "/root/project", "~"):
        if path == root:
            return ""
        if path.startswith(root + "/"):
            return path[len(root) + 1 :].rstrip("/")
    if path.startswith(("/", "~", "$")):
        return None
    return path.rstrip("/") or ""


def _options(kind: str, value: Any, notes: Notes) -> Any:
    if not isinstance(value, dict):
        return {}
    if kind == "restore_cache" and "key" in value and "keys" not in value:
        value = {**{k: v for k, v in value.items() if k != "key"}, "keys": [value["key"]]}
    if kind == "persist_to_workspace" and isinstance(value.get("paths"), str):
        value = {**value, "paths": [value["paths"]]}
    if kind == "save_cache" and isinstance(value.get("paths"), str):
        value = {**value, "paths": [value["paths"]]}
    kept = {}
    for key, inner in value.items():
        if key not in STEP_KEYS[kind]:
            notes.lost.append(f"{kind} option {key!r} (not in the profile's {kind} step)")
            continue
        kept[key] = (
            [str(x) for x in inner]
            if isinstance(inner, list)
            else (inner if isinstance(inner, bool) else _scalar_text(inner))
        )
    return kept


def _orb_step(kind: str, value: Any, notes: Notes) -> dict:
    out: dict = {"orb": kind}
    if isinstance(value, dict) and value:
        out["parameters"] = orb_parameters(value, notes, f"orb step {kind}")
    return out


def orb_parameters(value: dict, notes: Notes, what: str) -> dict:
    kept: dict[str, str | int | bool] = {}
    for key, inner in value.items():
        if isinstance(inner, str):
            if plain_text(inner, notes, f"{what} parameter {key}") is not None:
                kept[str(key)] = inner
        elif isinstance(inner, (bool, int)):
            kept[str(key)] = inner
        elif isinstance(inner, float):
            kept[str(key)] = str(inner)
        else:
            notes.lost.append(
                f"{what} parameter {key!r} (a list or mapping; profile orb parameters are scalars)"
            )
    return kept


JOB_KEYS = frozenset(
    {
        "docker",
        "machine",
        "environment",
        "resource_class",
        "working_directory",
        "parallelism",
        "macos",
        "steps",
        "description",
        "circleci_ip_ranges",
    }
)


def executor(body: dict, notes: Notes) -> dict:
    """The executor keys of a job as the profile writes them."""
    docker = body.get("docker")
    if isinstance(docker, list) and docker:
        out = _docker(docker, notes)
    elif body.get("machine") is not None:
        out = _machine(body["machine"], notes)
    else:
        kind = "macos" if "macos" in body else "an executor the profile has no field for"
        notes.lost.append(f"{kind}: the job runs on {FALLBACK_IMAGE} instead")
        out = {"image": FALLBACK_IMAGE}
    env = {**out.get("environment", {}), **_env(body.get("environment"), notes)}
    if env:
        out["environment"] = env
    if body.get("resource_class") is not None:
        out["resource_class"] = str(body["resource_class"])
    if body.get("working_directory") is not None:
        _working_directory(str(body["working_directory"]), out, notes)
    if not out.get("services"):
        out.pop("services", None)
    for key in sorted(set(body) - JOB_KEYS):
        notes.lost.append(f"job option {key!r} (not in the profile's jobs)")
    return out


def _docker(docker: list, notes: Notes) -> dict:
    """The primary container as the image (and its environment), the others as services."""
    primary, *services = [c for c in docker if isinstance(c, dict)]
    out: dict = {"image": modern_image(str(primary.get("image")), notes)}
    env = _env(primary.get("environment"), notes)
    for key in sorted(set(primary) - {"image", "environment"}):
        notes.lost.append(
            f"primary container option {key!r} (the profile's image takes no options)"
        )
    out["services"] = [_service(s, notes) for s in services]
    if env:
        out["environment"] = env
    return out


def _machine(machine: Any, notes: Notes) -> dict:
    image = machine.get("image") if isinstance(machine, dict) else None
    out: dict = {"machine": {"image": str(image or "ubuntu-2204:current")}}
    if image is None or (isinstance(machine, bool) or "image" not in machine):
        notes.modernised.append("machine: true -> machine image ubuntu-2204:current")
    if isinstance(machine, dict) and machine.get("docker_layer_caching"):
        out["machine"]["docker_layer_caching"] = True
    return out


def _working_directory(folder: str, out: dict, notes: Notes) -> None:
    relative = _relative(folder)
    if relative is None:
        notes.modernised.append(f"working_directory {folder} -> the checkout (~/project)")
    elif relative:
        out["working_directory"] = relative


def _service(container: dict, notes: Notes) -> dict:
    out: dict = {"image": modern_image(str(container.get("image")), notes)}
    env = _env(container.get("environment"), notes)
    if env:
        out["environment"] = env
    if container.get("name"):
        out["name"] = str(container["name"])
    for key in ("command", "entrypoint"):
        if key in container:
            value = container[key]
            out[key] = [str(x) for x in value] if isinstance(value, list) else str(value).split()
    for key in sorted(set(container) - {"image", "environment", "name", "command", "entrypoint"}):
        notes.lost.append(f"service container option {key!r} (not in the profile's services)")
    return out
