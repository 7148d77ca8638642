"""Pipeline values and parameters for one run, and `<< pipeline.x >>` templates filled from them.

A run is a push (the default), a scheduled pipeline (`--schedule NAME`) or an API trigger
(`--api`), each of a branch or a tag. A value is *known* when the run decides it
(`pipeline.git.branch` on a branch, `pipeline.git.tag`, `pipeline.schedule.name`), when `--param`
gives it, or when a declared pipeline parameter has a default. Some values are not known but
limited to a set for the kind of run (`RUN_CHOICES`): a condition that gives the same answer for
every value of the set is decided (ciconf.plan.choices). Everything else (`pipeline.number`,
commit subjects, ...) is unknown: whatever depends on it is reported as "depends on ...", never
guessed.
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
    # https://circleci.com/changelog/expanded-pipeline-values-support
    "pipeline.definition.id": "string",
    "pipeline.project.slug": "string",
    "pipeline.name": "string",
    "pipeline.integration_source": "string",
    "pipeline.trigger.id": "string",
    "pipeline.trigger.type": "string",
    "pipeline.trigger.received_at": "string",
    "pipeline.git.repo_id": "string",
    "pipeline.git.commit.url": "string",
}
# families whose members depend on the trigger (webhook payloads, deploy markers ...)
PIPELINE_FAMILIES = (
    "pipeline.trigger_parameters.",
    "pipeline.event.",
    "pipeline.trigger.",
    "pipeline.deploy.",
)
PARAMETERS = "pipeline.parameters."


PUSH, SCHEDULE, API = "push", "schedule", "api"  # the kinds of run ciconf plans
MAX_SCHEDULE_NAME = 200


@dataclass(frozen=True)
class Push:
    """The run being planned: a push by default, or a scheduled pipeline or an API trigger."""

    kind: str  # "branch" or "tag"
    name: str
    trigger: str = PUSH  # PUSH, SCHEDULE or API
    schedule: str = ""  # the schedule's name (SCHEDULE only)

    @property
    def is_tag(self) -> bool:
        return self.kind == "tag"

    def describe(self) -> str:
        ref = f"{self.kind} {self.name}"
        if self.trigger == SCHEDULE:
            return f"scheduled pipeline {self.schedule!r} on {ref}"
        if self.trigger == API:
            return f"API trigger on {ref}"
        return ref

    @property
    def run(self) -> str:
        """`a push`, `a scheduled pipeline`, `an API trigger`: for messages."""
        return {PUSH: "a push", SCHEDULE: "a scheduled pipeline", API: "an API trigger"}[
            self.trigger
        ]


@dataclass(frozen=True)
class Choices:
    """What a pipeline value can be for a kind of run: one of `values`, or (`others`) any value
    except them."""

    values: frozenset[str]
    others: bool = False

    def describe(self) -> str:
        listed = ", ".join(repr(value) for value in sorted(self.values))
        return f"any value but {listed}" if self.others else f"one of {listed}"


# https://circleci.com/docs/pipeline-variables/ : `pipeline.trigger_source` is "the source that
# triggers the pipeline, current values are webhook, api, scheduled_pipeline", and
# `pipeline.schedule.name` / `.id` are "empty string if the pipeline is triggered by other
# sources". A push is neither an API call nor a schedule, whatever its integration; which name an
# integration gives a push is not pinned down by the docs (`webhook` for the OAuth integrations),
# so for a push only `api` and `scheduled_pipeline` are ruled out. The web app's "Trigger
# Pipeline" button goes through the API.
RUN_KNOWN: dict[str, dict[str, str]] = {
    PUSH: {"pipeline.schedule.name": "", "pipeline.schedule.id": ""},
    SCHEDULE: {"pipeline.trigger_source": "scheduled_pipeline"},
    API: {
        "pipeline.trigger_source": "api",
        "pipeline.schedule.name": "",
        "pipeline.schedule.id": "",
    },
}
# https://circleci.com/changelog/expanded-pipeline-values-support : `pipeline.trigger.type` is
# "the type of trigger that initiated the pipeline. Possible values: github_app, bitbucket_dc,
# schedule, webhook, api" (GitHub App pipelines; other integrations may not set it, so it is
# limited for a push only, where any value but schedule and api, the empty string included, holds).
RUN_CHOICES: dict[str, dict[str, Choices]] = {
    PUSH: {
        "pipeline.trigger_source": Choices(frozenset({"api", "scheduled_pipeline"}), True),
        "pipeline.trigger.type": Choices(frozenset({"api", "schedule"}), True),
    },
    SCHEDULE: {},
    API: {},
}


class Other(str):
    """In ciconf.plan.choices: "any other value" of a pipeline value, a string different from
    every string in `differs`; comparing it with anything else is undecided."""

    name: str
    differs: frozenset[str]

    def __new__(cls, name: str, differs: frozenset[str]) -> Other:
        other = super().__new__(cls, f"<another value of {name}>")
        other.name, other.differs = name, differs
        return other


def check_run(push: Push, schedule: str | None, api: bool) -> Push:
    """The push turned into a scheduled pipeline (`--schedule NAME`) or an API trigger (`--api`)."""
    if schedule is not None and api:
        raise InputError("ciconf plan", "give --schedule NAME or --api, not both")
    if api:
        return Push(push.kind, push.name, API)
    if schedule is None:
        return push
    if not schedule or len(schedule) > MAX_SCHEDULE_NAME or not schedule.isprintable():
        raise InputError(
            "--schedule",
            f"{shown(schedule)} is not a schedule name",
            expected=f"the schedule's name, 1 to {MAX_SCHEDULE_NAME} printable characters",
        )
    return Push(push.kind, push.name, SCHEDULE, schedule)


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
    choices: dict[str, Choices] = field(default_factory=dict)  # not known, but one of a set

    def trying(self, assumed: dict[str, Any]) -> Values:
        """These values with `assumed` known as well (ciconf.plan.choices)."""
        return Values(self.push, {**self.known, **assumed}, self.declared, self.source)

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
    """Values known for this run: the run itself, declared defaults, then --param overrides."""
    values = Values(push, declared=declared, source=source)
    values.known.update(RUN_KNOWN[push.trigger])
    if push.trigger == SCHEDULE:
        values.known["pipeline.schedule.name"] = push.schedule
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
    values.choices = {
        name: choices
        for name, choices in RUN_CHOICES[push.trigger].items()
        if name not in values.known
    }
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
            found = lookup(match.group(1))
            if isinstance(found, Other):  # part of a longer text: compared as a whole, undecided
                raise Unknown([found.name])
            return render_scalar(found)
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
