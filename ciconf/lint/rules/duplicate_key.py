"""CC201: a mapping key written twice. YAML forbids it; most parsers silently keep the last one."""

from __future__ import annotations

from typing import Iterator

from ciconf.lint.context import LintContext
from ciconf.lint.findings import Finding
from ciconf.lint.rule import CONFIG, PROFILE, Rule

ID = "CC201"


def check(ctx: LintContext) -> Iterator[Finding]:
    for duplicate in ctx.doc.duplicates:
        yield ctx.finding(
            ID,
            duplicate.again,
            f"duplicate key {str(duplicate.key)!r} (first at line {duplicate.first.line}); "
            "only one of them takes effect",
        )


RULE = Rule(
    ID,
    "duplicate-key",
    "a mapping key is written twice; all but one are silently ignored",
    check,
    frozenset({CONFIG, PROFILE}),
)
