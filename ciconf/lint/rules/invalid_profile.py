"""CP001: a ciconf profile that `ciconf render` would refuse, with the loader's located message."""

from __future__ import annotations

from collections.abc import Iterator

from ciconf.errors import InputError
from ciconf.lint.context import LintContext
from ciconf.lint.findings import Finding
from ciconf.lint.rule import PROFILE, Rule
from ciconf.yamlkit.load import Mark

ID = "CP001"


def check(ctx: LintContext) -> Iterator[Finding]:
    from ciconf.profile.load import validate_document

    try:
        validate_document(ctx.doc)
    except InputError as error:
        for problem in error.problems:  # every problem at once, as `render` reports them
            mark = Mark(problem.line or 1, problem.column or 1)
            yield ctx.finding(ID, mark, problem.detail())


RULE = Rule(
    ID,
    "invalid-profile",
    "a ciconf profile that does not validate (render would refuse it)",
    check,
    frozenset({PROFILE}),
)
