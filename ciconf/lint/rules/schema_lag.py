"""CC002: syntax that CircleCI's configs use but the vendored schema does not know yet.

CC001 validates against CircleCI's schema as vendored by check-jsonschema
(ciconf.lint.schema), which can lag CircleCI's syntax. Where it is known to lag (`LAGS`), CC001
leaves the error to this rule, which says so instead of calling the config invalid: the key is
not checked, and the finding names the schema as what is behind.

Known lags (check-jsonschema's vendored circle-ci.json, checked 2026-12):
- `filters.pull_requests` on a workflow job (real configs use it, e.g. jestjs/jest; the vendored
  schema allows only `branches` and `tags` in a filters mapping).

CC001 runs first (rules run in id order) and leaves what it skipped in `ctx.memo[MEMO]`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ciconf.errors import dotted
from ciconf.lint.context import LintContext
from ciconf.lint.findings import Finding
from ciconf.lint.rule import Rule
from ciconf.yamlkit.load import Mark

ID = "CC002"
MEMO = "schema lags"
LAGS: dict[str, frozenset[str]] = {  # mapping key -> keys under it the vendored schema lacks
    "filters": frozenset({"pull_requests"}),
}


def lagging(error: Any, path: tuple) -> list[str]:
    """The keys of a CC001 error that the vendored schema lacks only because it lags (empty when
    the error is a real one, or names any other key too)."""
    if (
        error.validator != "additionalProperties"
        or not path
        or not isinstance(error.instance, dict)
    ):
        return []
    known = LAGS.get(str(path[-1]))
    if known is None:
        return []
    allowed = set(error.schema.get("properties", {}))
    extra = sorted(str(key) for key in error.instance if str(key) not in allowed)
    return extra if extra and set(extra) <= known else []


def remember(ctx: LintContext, mark: Mark | None, path: tuple, keys: list[str]) -> None:
    ctx.memo.setdefault(MEMO, []).extend((mark, dotted((*path, key))) for key in keys)


def check(ctx: LintContext) -> Iterator[Finding]:
    for mark, where in ctx.memo.get(MEMO, ()):
        yield ctx.finding(
            ID,
            mark,
            f"{where}: not in CircleCI's schema as vendored by check-jsonschema, which lags "
            "CircleCI's syntax here; not checked (the config is not known to be invalid)",
        )


RULE = Rule(
    ID,
    "schema-lag",
    "syntax CircleCI configs use that the vendored schema does not know yet (not checked)",
    check,
)
