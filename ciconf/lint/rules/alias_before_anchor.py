"""CC202: an alias (*name) used before its anchor (&name) is defined."""

from __future__ import annotations

from collections.abc import Iterator

from ciconf.lint.context import LintContext
from ciconf.lint.findings import Finding
from ciconf.lint.rule import CONFIG, PROFILE, Rule

ID = "CC202"


def check(ctx: LintContext) -> Iterator[Finding]:
    for alias in ctx.doc.undefined_aliases:
        yield ctx.finding(
            ID,
            alias.mark,
            f"alias *{alias.name} is used before its anchor &{alias.name} is defined; "
            "move the anchor above its first use",
        )


RULE = Rule(
    ID,
    "alias-before-anchor",
    "an alias is used before its anchor is defined (YAML parsers reject the file)",
    check,
    frozenset({CONFIG, PROFILE}),
)
