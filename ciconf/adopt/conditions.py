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


def branch_patterns(condition: Any) -> list[str] | None:
    """The branches the condition is true for, as profile filter items; None when it tests more."""
    if not isinstance(condition, dict) or len(condition) != 1:
        return None
    operator, operand = next(iter(condition.items()))
    if operator == "equal" and isinstance(operand, list) and len(operand) == 2:
        values = [str(item) for item in operand]
        names = [v for v in values if not BRANCH.match(v)]
        if len(names) == 1 and "<<" not in names[0]:
            return [names[0] if refs.as_profile_list({"only": names}) == names else f"/{re.escape(names[0])}/"]
        return None
    if operator == "matches" and isinstance(operand, dict):
        value, pattern = str(operand.get("value", "")), operand.get("pattern")
        if BRANCH.match(value) and isinstance(pattern, str) and "<<" not in pattern:
            return [f"/{pattern}/"]
        return None
    if operator == "or" and isinstance(operand, list) and operand:
        parts = [branch_patterns(item) for item in operand]
        if any(part is None for part in parts):
            return None
        return [item for part in parts for item in part]  # type: ignore[union-attr]
    if operator == "not":
        inner = branch_patterns(operand)
        return None if inner is None else [refs.negated(inner)]
    return None


def workflow_branches(workflow: dict) -> list[str] | None:
    """The branches a workflow's own condition lets it run on; [] when it has none, None when
    the condition is not about the branch alone."""
    if any(key in workflow for key in ("triggers",)):
        return None
    found: list[str] = []
    for key in ("when", "unless"):
        if key not in workflow:
            continue
        patterns = branch_patterns(workflow[key])
        if patterns is None:
            return None
        patterns = patterns if key == "when" else [refs.negated(patterns)]
        found = patterns if not found else [refs.intersection(found, patterns)]
    return found


def restrict(filters: Any, branches: list[str]) -> dict:
    """A job entry's filters narrowed to `branches` (and to no tag: the workflow does not run)."""
    own = refs.as_profile_list(filters.get("branches")) if isinstance(filters, dict) else []
    if own is None:
        return {"branches": {"ignore": [refs.EVERYTHING]}}
    wanted = branches if not own else [refs.intersection(branches, own)]
    return {"branches": {"only": wanted}}
