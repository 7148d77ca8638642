"""The values a workflow condition (`when`/`unless`) compares, and the conditions ciconf writes.

A condition is a CircleCI logic statement (https://circleci.com/docs/reference/configuration-reference/#logic-statements):
`and`/`or`/`not`/`equal`/`matches` over values. A value is a literal (text, a number, true/false)
or exactly one pipeline value, `<< pipeline.git.branch >>` or `<< pipeline.parameters.deploy >>`
(https://circleci.com/docs/pipeline-variables/). Conditions are compiled before any shell runs,
so no shell quoting is involved; still, ciconf accepts a reference only as the whole value, from
the documented names below, so a typo is reported at its line instead of becoming a condition
that is silently always false.

The conditions of scheduled workflows are derived here once (`scheduled_only`, `not_scheduled`):
the push workflow and each schedule's workflow are written from them.
"""

from __future__ import annotations

import re

from ciconf.errors import closest, shown

# https://circleci.com/docs/pipeline-variables/ (the values every integration documents, and
# `pipeline.trigger_source` / `pipeline.schedule.*` that scheduled pipelines set)
PIPELINE_VALUES = (
    "pipeline.id",
    "pipeline.number",
    "pipeline.project.git_url",
    "pipeline.project.type",
    "pipeline.git.tag",
    "pipeline.git.branch",
    "pipeline.git.branch.is_default",
    "pipeline.git.revision",
    "pipeline.git.base_revision",
    "pipeline.trigger_source",
    "pipeline.schedule.name",
    "pipeline.schedule.id",
)
PARAMETERS_PREFIX = "pipeline.parameters."
_REFERENCE = re.compile(r"<<\s*([A-Za-z0-9_.-]{1,100})\s*>>")
_LITERAL_MAX = 200
# the same grammar for editors (schema/profile.schema.json): a literal or one known reference
_NAMES = "|".join(re.escape(name) for name in PIPELINE_VALUES)
CONDITION_TEXT_PATTERN = (
    rf"<<\s*(?:{_NAMES}|pipeline\.parameters\.[A-Za-z0-9_.-]{{1,80}})\s*>>"
    rf"|(?!.*<<)[^\x00-\x1f\x7f]{{0,{_LITERAL_MAX}}}"
)
SCHEDULED = "scheduled_pipeline"  # pipeline.trigger_source of a scheduled pipeline


def reference(value: str) -> str | None:
    """The pipeline value a condition value names (`pipeline.git.branch`), or None for a
    literal."""
    found = _REFERENCE.fullmatch(value)
    return found.group(1) if found else None


def check_condition_text(value: str) -> str:
    """A literal without '<<' (one line), or exactly one documented pipeline value or
    `pipeline.parameters.NAME`; whether that parameter is declared is checked by the profile."""
    name = reference(value)
    if name is None:
        if "<<" in value:
            raise ValueError(
                f"{shown(value)}: a pipeline value is the whole value, like "
                "'<< pipeline.git.branch >>' or '<< pipeline.parameters.deploy >>'"
            )
        if len(value) > _LITERAL_MAX or not value.isprintable():
            raise ValueError(f"expected one line of at most {_LITERAL_MAX} printable characters")
        return value
    if name.startswith(PARAMETERS_PREFIX) or name in PIPELINE_VALUES:
        return value
    guess = closest(name, PIPELINE_VALUES)
    raise ValueError(
        f"{shown(name)} is not a pipeline value ciconf knows"
        + (f"; did you mean {guess!r}?" if guess else f" (one of {', '.join(PIPELINE_VALUES)})")
    )


def parameter_of(value: object) -> str | None:
    """The pipeline parameter a condition value reads, or None."""
    name = reference(value) if isinstance(value, str) else None
    if name is None or not name.startswith(PARAMETERS_PREFIX):
        return None
    return name.removeprefix(PARAMETERS_PREFIX)


def scheduled_only(schedule: str) -> dict:
    """Runs only for the scheduled pipeline named `schedule`, as CircleCI's own example filters
    (https://circleci.com/docs/guides/orchestrate/schedule-triggers-with-multiple-workflows)."""
    return {
        "and": [
            {"equal": [SCHEDULED, "<< pipeline.trigger_source >>"]},
            {"equal": [schedule, "<< pipeline.schedule.name >>"]},
        ]
    }


def not_scheduled() -> dict:
    """Every run but a scheduled pipeline: the push workflow of a profile with schedules (a
    schedule trigger otherwise runs every workflow of the config, same page as above)."""
    return {"not": {"equal": [SCHEDULED, "<< pipeline.trigger_source >>"]}}


def check_pattern(value: str) -> str:
    """A `matches` pattern: a literal that Java's regex syntax accepts (CircleCI matches with
    Java's `Pattern.matches`, as for /filters/)."""
    from ciconf.profile.grammar import _regex_problem  # the one check of the filters' patterns

    if reference(check_condition_text(value)) is not None:
        raise ValueError("a matches pattern is written literally, not a pipeline value")
    slashed = f"/{value}/"  # as a /filter/ is written, which the check expects
    problem = _regex_problem(slashed)
    if problem:
        raise ValueError(problem.replace(shown(slashed), shown(value)))
    return value
