"""CC201: a mapping key written twice. YAML forbids it; most parsers silently keep the last one."""

from __future__ import annotations

from collections.abc import Iterator

from ciconf.lint.context import LintContext
from ciconf.lint.findings import Finding
from ciconf.lint.rule import CONFIG, PROFILE, Rule

ID = "CC201"


def check(ctx: LintContext) -> Iterator[Finding]:
    for duplicate in ctx.doc.duplicates:
        first = duplicate.first.line
        if str(duplicate.key) == "<<":  # parsers disagree: some merge both, some refuse the file
            message = (
                f"duplicate merge key '<<' (first at line {first}); merge several with `<<: "
                "[*a, *b]`"
            )
        else:
            message = (
                f"duplicate key {str(duplicate.key)!r} (first at line {first}); only one of "
                "them takes effect"
            )
        yield ctx.finding(ID, duplicate.again, message)


RULE = Rule(
    ID,
    "duplicate-key",
    "a mapping key is written twice; all but one are silently ignored",
    check,
    frozenset({CONFIG, PROFILE}),
)
