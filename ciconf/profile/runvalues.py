"""Run-time values: the CircleCI variables a profile may name for build arguments and image tags.

CircleCI sets these in every job's environment (https://circleci.com/docs/reference/variables/);
some only on one kind of push, and those are read as empty on the other kind instead of stopping
the job.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal, get_args

CircleciVariable = Literal[
    "CIRCLE_SHA1",
    "CIRCLE_BUILD_NUM",
    "CIRCLE_BUILD_URL",
    "CIRCLE_JOB",
    "CIRCLE_WORKFLOW_ID",
    "CIRCLE_PROJECT_REPONAME",
    "CIRCLE_PROJECT_USERNAME",
    "CIRCLE_BRANCH",
    "CIRCLE_TAG",
]
CIRCLECI_VARIABLES: tuple[str, ...] = get_args(CircleciVariable)

# set on branch pushes only / on tag pushes only: empty (not an error) on the other kind
SOMETIMES_SET = frozenset({"CIRCLE_BRANCH", "CIRCLE_TAG"})

# `$NAME` or `${NAME}` inside literal text: docker and ECR would get the text itself
_VARIABLE_REFERENCE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")


def variable_reference(value: str) -> tuple[str, str] | None:
    """(the reference as written, the variable's name) of the first `$NAME` in `value`, if any."""
    found = _VARIABLE_REFERENCE.search(value)
    return (found.group(0), found.group(1)) if found else None


def typed_build_arg(name: str) -> str:
    """The typed build-argument form for a variable a profile wrote as `$NAME`."""
    if name in CIRCLECI_VARIABLES:
        return f"{{circleci: {name}}}"
    return f"{{from_env: {name}}}"


def refuse_variables(consequence: str, typed: Callable[[str], str]) -> Callable[[str], str]:
    """A validator refusing `$NAME` in literal text: `consequence` says why, `typed(NAME)` names
    the typed form to write instead."""

    def check(value: str) -> str:
        found = variable_reference(value)
        if found:
            written, name = found
            raise ValueError(f"{written!r} {consequence}; did you mean {typed(name)}?")
        return value

    return check
