"""A workflow's `when`/`unless` that tests only the pushed branch, as branch filters of its jobs.

`equal: [<< pipeline.git.branch >>, main]` and `matches: {value: << pipeline.git.branch >>,
pattern: ...}` (https://circleci.com/docs/configuration-reference/#logic-statements) decide
nothing but the branch, which is what a profile's `branches` say per job. On a tag push the
branch value is empty, so such a workflow runs no job for a tag.
"""

from __future__ import annotations

import re
from typing import Any

from ciconf.adopt import refs

BRANCH = re.compile(r"^<<\s*pipeline\.git\.branch\s*>>$")


# what a push is, for conditions that ask (https://circleci.com/docs/reference/variables/#pipeline-values)
PUSH_TRIGGER = "webhook"
TRIGGER = re.compile(r"^<<\s*pipeline\.trigger_source\s*>>$")
# a push has no schedule: its name is "" (as `ciconf plan` reads it)
SCHEDULE = re.compile(r"^<<\s*pipeline\.schedule\.name\s*>>$")
Outcome = bool | list[str] | None  # always/never, only these branches, not decidable


def outcome(condition: Any) -> Outcome:  # noqa: PLR0911 - one return per logic-statement form
    """What a condition (pipeline parameters already filled in) says about a push."""
    if isinstance(condition, bool):
        return condition
    if isinstance(condition, (int, float)) or condition is None:
        return bool(condition)
    if isinstance(condition, str):
        return None if "<<" in condition else condition != ""
    if not isinstance(condition, dict) or len(condition) != 1:
        return None
    operator, operand = next(iter(condition.items()))
    if operator == "equal" and isinstance(operand, list) and len(operand) == 2:
        return _equal([v if isinstance(v, bool) else str(v) for v in operand])
    if operator == "matches" and isinstance(operand, dict):
        value, pattern = str(operand.get("value", "")), operand.get("pattern")
        if BRANCH.match(value) and isinstance(pattern, str) and "<<" not in pattern:
            return [f"/{pattern}/"]
        return None
    if operator in ("or", "and") and isinstance(operand, list) and operand:
        return _combine(operator, [outcome(item) for item in operand])
    if operator == "not":
        inner = outcome(operand)
        if inner is None or isinstance(inner, bool):
            return None if inner is None else not inner
        return [refs.negated(inner)]
    return None


def _equal(values: list) -> Outcome:
    values = ["" if isinstance(v, str) and SCHEDULE.match(v) else v for v in values]
    branch = [v for v in values if isinstance(v, str) and BRANCH.match(v)]
    trigger = [v for v in values if isinstance(v, str) and TRIGGER.match(v)]
    others = [v for v in values if v not in branch and v not in trigger]
    if any(isinstance(v, str) and "<<" in v for v in others):
        return None
    if branch and len(others) == 1 and isinstance(others[0], str):
        name = others[0]
        return [
            name if refs.as_profile_list({"only": [name]}) == [name] else f"/{re.escape(name)}/"
        ]
    if trigger and len(others) == 1:
        return others[0] == PUSH_TRIGGER
    if not branch and not trigger:
        return all(v == values[0] for v in values)
    return None


def _combine(operator: str, parts: list[Outcome]) -> Outcome:
    if any(part is None for part in parts):
        return None
    decisive = operator == "or"  # True decides an `or`, False an `and`
    if decisive in parts:
        return decisive
    lists = [part for part in parts if isinstance(part, list)]
    if not lists:
        return not decisive
    if operator == "or":
        return [item for part in lists for item in part]
    result = lists[0]
    for part in lists[1:]:
        result = [refs.intersection(result, part)]
    return result


def workflow_outcome(workflow: dict) -> Outcome:
    """What a workflow's own condition (`when`, `unless`, `triggers`) says about a push."""
    if workflow.get("triggers"):
        return False  # scheduled: never on a push
    parts: list[Outcome] = []
    for key in ("when", "unless"):
        if key in workflow:
            found = outcome(workflow[key])
            if key == "unless":
                found = outcome({"not": workflow[key]}) if found is not None else None
            parts.append(found)
    return _combine("and", parts) if parts else True


NEVER = {"branches": {"ignore": [refs.EVERYTHING]}}


def restrict(filters: Any, branches: list[str]) -> dict:
    """A job entry's filters narrowed to `branches` (and to no tag: the workflow does not run)."""
    own = refs.as_profile_list(filters.get("branches")) if isinstance(filters, dict) else []
    if own is None:
        return NEVER
    wanted = branches if not own else [refs.intersection(branches, own)]
    return {"branches": {"only": wanted}}
