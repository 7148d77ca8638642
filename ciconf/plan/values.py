"""Pipeline values and parameters for one push, and `<< pipeline.x >>` templates filled from them.

A value is *known* when the push decides it (`pipeline.git.branch` on a branch push,
`pipeline.git.tag`), when `--param` gives it, or when a declared pipeline parameter has a default.
Everything else (`pipeline.trigger_source`, `pipeline.number`, ...) is unknown: whatever depends on
it is reported as "depends on ...", never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ciconf.errors import InputError, closest, printable, shown

MAX_REF_LENGTH = 1000  # a branch or tag name longer than this is refused (user regexes run over it)
TEMPLATE = re.compile(r"<<\s*([A-Za-z0-9_.\-]+)\s*>>")  # a constant pattern, never built from input

# https://circleci.com/docs/pipeline-variables/ : the pipeline values a config may use.
PIPELINE_VALUES = {
    "pipeline.id": "string",
    "pipeline.number": "integer",
    "pipeline.project.git_url": "string",
    "pipeline.project.type": "string",
    "pipeline.git.tag": "string",
    "pipeline.git.branch": "string",
    "pipeline.git.branch.is_default": "boolean",
    "pipeline.git.revision": "string",
    "pipeline.git.base_revision": "string",
    "pipeline.in_setup": "boolean",
    "pipeline.trigger_source": "string",
    "pipeline.schedule.name": "string",
    "pipeline.schedule.id": "string",
    "pipeline.git.commit.subject": "string",
    "pipeline.git.commit.body": "string",
    "pipeline.git.commit.author_name": "string",
    "pipeline.git.commit.author_email": "string",
    "pipeline.git.repo_url": "string",
    "pipeline.git.repo_name": "string",
    "pipeline.git.repo_owner": "string",
    "pipeline.event.name": "string",
    "pipeline.event.action": "string",
}
# families whose members depend on the trigger (webhook payloads, deploy markers ...)
PIPELINE_FAMILIES = ("pipeline.trigger_parameters.", "pipeline.event.", "pipeline.deploy.")
PARAMETERS = "pipeline.parameters."


@dataclass(frozen=True)
class Push:
    kind: str  # "branch" or "tag"
    name: str

    @property
    def is_tag(self) -> bool:
        return self.kind == "tag"

    def describe(self) -> str:
        return f"{self.kind} {self.name}"


def check_ref(kind: str, name: str) -> Push:
    if not name:
        raise InputError(f"--{kind}", "the name is empty", expected=f"a git {kind} name")
    if len(name) > MAX_REF_LENGTH:
        raise InputError(
            f"--{kind}", f"the name is {len(name)} characters long; the limit is {MAX_REF_LENGTH}"
        )
    if not name.isprintable():
        raise InputError(
            f"--{kind}", f"{shown(name)} holds control characters", expected=f"a git {kind} name"
        )
    return Push(kind, name)


class Unknown(Exception):
    """A value the push does not decide; `names` says which pipeline values it waits for."""

    def __init__(self, names: Iterable[str], note: str = "") -> None:
        self.names = frozenset(names)
        self.note = note
        super().__init__(", ".join(sorted(self.names)))


@dataclass
class Values:
    push: Push
    known: dict[str, Any] = field(default_factory=dict)
    declared: dict[str, dict] = field(
        default_factory=dict
    )  # pipeline parameter name -> its definition
    source: str = "config"

    def lookup(self, name: str) -> Any:
        """The value of `pipeline.x`; Unknown when the push does not decide it."""
        if name in self.known:
            return self.known[name]
        if name.startswith(PARAMETERS) and name[len(PARAMETERS) :] not in self.declared:
            raise InputError(
                self.source,
                f"{name} is used but no pipeline parameter {name[len(PARAMETERS) :]!r} is declared",
                suggestion=closest(name[len(PARAMETERS) :], self.declared),
            )
        if name == "pipeline.git.branch" and self.push.is_tag:
            raise Unknown([name], "on a tag push")
        raise Unknown([name])


def build_values(
    push: Push, declared: dict[str, dict], params: dict[str, str], source: str
) -> Values:
    """Values known for this push: the push itself, declared defaults, then --param overrides."""
    values = Values(push, declared=declared, source=source)
    if push.is_tag:
        values.known["pipeline.git.tag"] = push.name
    else:
        values.known["pipeline.git.branch"] = push.name
        # "If the pipeline was not triggered by a tag, then this is the empty string."
        values.known["pipeline.git.tag"] = ""
    for name, definition in declared.items():
        if isinstance(definition, dict) and "default" in definition:
            values.known[PARAMETERS + name] = definition["default"]
    for key, raw in params.items():
        name, kind = _param_target(key, declared)
        values.known[name] = _typed(key, raw, kind)
    return values


def _param_target(key: str, declared: dict[str, dict]) -> tuple[str, Any]:
    """`--param KEY=...`: a declared pipeline parameter (`x` or `pipeline.parameters.x`) or a
    pipeline value."""
    bare = key[len(PARAMETERS) :] if key.startswith(PARAMETERS) else key
    if bare in declared and (key == bare or key.startswith(PARAMETERS)):
        return PARAMETERS + bare, declared[bare]
    if key in PIPELINE_VALUES:
        return key, {"type": PIPELINE_VALUES[key]}
    if key.startswith(PIPELINE_FAMILIES) and len(key) > len("pipeline.x."):
        return key, {"type": "string"}
    choices = list(declared) + list(PIPELINE_VALUES)
    raise InputError(
        "--param",
        f"{shown(key)} is neither a declared pipeline parameter nor a pipeline value",
        expected=("one of " + ", ".join(sorted(declared)) + " or ")
        if declared
        else "a pipeline value such as pipeline.trigger_source",
        suggestion=closest(bare, choices),
    )


def _typed(key: str, raw: str, definition: Any) -> Any:
    kind = definition.get("type", "string") if isinstance(definition, dict) else "string"
    if kind == "boolean":
        if raw in ("true", "false"):
            return raw == "true"
        raise InputError("--param", f"{key}={shown(raw)}", expected="true or false")
    if kind == "integer":
        try:
            return int(raw)
        except ValueError:
            raise InputError("--param", f"{key}={shown(raw)}", expected="an integer") from None
    if kind == "enum":
        allowed = [str(item) for item in definition.get("enum", [])]
        if raw not in allowed:
            raise InputError(
                "--param",
                f"{key}={shown(raw)}",
                expected="one of " + ", ".join(allowed),
                suggestion=closest(raw, allowed),
            )
    return raw


def quoted(text: str, limit: int = 80) -> str:
    """A name or pattern quoted for a message: control characters escaped, long ones cut short."""
    text = printable(text)
    return "'" + (text if len(text) <= limit else text[: limit - 3] + "...") + "'"


def render_scalar(value: Any) -> str:
    """How a value reads when interpolated into a string (YAML spelling for booleans and null)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def fill(value: Any, lookup: Callable[[str], Any]) -> Any:
    """`value` with `<< name >>` templates replaced; a lone template keeps the value's type.

    `lookup(name)` returns the value, or raises Unknown; names it does not handle (matrix,
    parameters) it returns as None-sentinel by raising KeyError, and the template stays as written.
    """
    if not isinstance(value, str) or "<<" not in value:
        return value
    whole = TEMPLATE.fullmatch(value.strip())
    if whole:
        try:
            return lookup(whole.group(1))
        except KeyError:
            return value
    missing: set[str] = set()

    def replace(match: re.Match) -> str:
        try:
            return render_scalar(lookup(match.group(1)))
        except KeyError:
            return match.group(0)
        except Unknown as unknown:
            missing.update(unknown.names)
            return match.group(0)

    filled = TEMPLATE.sub(replace, value)
    if missing:
        raise Unknown(missing)
    return filled


def pipeline_lookup(values: Values) -> Callable[[str], Any]:
    """A `fill` lookup that resolves pipeline.* names and leaves the others as written."""

    def lookup(name: str) -> Any:
        if name.startswith("pipeline."):
            return values.lookup(name)
        raise KeyError(name)

    return lookup
