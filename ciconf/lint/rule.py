"""The shape of a lint rule: a stable id, a name, a one-line summary and a check function."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ciconf.lint.context import LintContext
from ciconf.lint.findings import Finding

CONFIG, PROFILE = "circleci", "profile"


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    summary: str
    check: Callable[[LintContext], Iterable[Finding]]
    applies_to: frozenset[str] = frozenset({CONFIG})
