"""CC105: `<< parameters.x >>` or `<< pipeline.parameters.x >>` naming a parameter nobody declared.

A job, command or executor sees only the parameters it declares under its own `parameters:`
(element parameter scope); `<< pipeline.parameters.x >>` needs `x` under the top-level
`parameters:`. CircleCI refuses such a config when it compiles it. Pipeline values
(`<< pipeline.id >>`, `<< pipeline.git.branch >>`, `<< pipeline.trigger_source >>`, ...) need no
declaration and are never flagged: their list grows, and only `pipeline.parameters.*` is user
declared. References written outside a job, command or executor (an anchor under
`references:`, say) have no scope of their own and are checked for pipeline parameters only.
Inline orbs (`orbs: {name: {jobs: ...}}`) are checked like the config's own elements.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ciconf.lint.context import LintContext
from ciconf.lint.findings import NAME_LIMIT, Finding, quoted
from ciconf.lint.rule import Rule
from ciconf.lint.suggest import Suggestions
from ciconf.lint.workflows import OPEN, template_spans

ID = "CC105"
ELEMENTS = ("jobs", "commands", "executors")
KINDS = {"jobs": "job", "commands": "command", "executors": "executor"}
REFERENCE = re.compile(r"(pipeline\.)?parameters\.([A-Za-z0-9_-]+)")  # anchored by fullmatch


def check(ctx: LintContext) -> Iterator[Finding]:
    if OPEN not in ctx.text:
        return  # no `<< ... >>` anywhere: nothing to read
    data = ctx.data
    pipeline = _declared(data.get("parameters"))
    scopes: dict[tuple, Scope | None] = {}
    for path, mark, value in ctx.written_strings():
        if OPEN not in value:
            continue
        for begin, end in template_spans(value):
            match = REFERENCE.fullmatch(value[begin + 2 : end - 2].strip())
            if match is None:
                continue  # a pipeline value, a matrix value, include(): not a declared parameter
            name = match.group(2)
            if match.group(1):
                if pipeline is not None and name not in pipeline.names:
                    yield ctx.finding(
                        ID, mark, lambda: _message("pipeline.parameters.", name, pipeline)
                    )
                continue
            scope = _scope(data, path, scopes)
            if scope is not None and name not in scope.names:
                yield ctx.finding(ID, mark, lambda: _message("parameters.", name, scope))


class Scope:
    """The parameters one element (or the pipeline) declares."""

    def __init__(self, what: str, names: set[str]) -> None:
        self.what = what
        self.names = names
        self.suggestions: Suggestions | None = None

    def closest(self, name: str) -> str | None:
        self.suggestions = self.suggestions or Suggestions(self.names)
        return self.suggestions.closest(name)


def _declared(parameters: Any, what: str = "the top-level parameters") -> Scope | None:
    """The declared names; None when `parameters` is there but not a mapping (cannot tell)."""
    if parameters is None:
        return Scope(what, set())
    if isinstance(parameters, dict):
        return Scope(what, {str(name) for name in parameters})
    return None


def _scope(data: dict, path: tuple, scopes: dict[tuple, Scope | None]) -> Scope | None:
    """The element a written value belongs to: `jobs.x`, `commands.x`, `executors.x`, or the
    same inside an inline orb; None outside any element."""
    if len(path) > 2 and path[0] in ELEMENTS:
        where = path[:2]
    elif len(path) > 4 and path[0] == "orbs" and path[2] in ELEMENTS:
        where = path[:4]
    else:
        return None
    if where not in scopes:
        body: Any = data
        for part in where:
            body = body.get(part) if isinstance(body, dict) else None
        label = f"{KINDS[where[-2]]} {quoted(where[-1])}"
        scopes[where] = _declared(body.get("parameters"), label) if isinstance(body, dict) else None
    return scopes[where]


def _message(prefix: str, name: str, scope: Scope) -> str:
    reference = prefix + (name if len(name) <= NAME_LIMIT else name[: NAME_LIMIT - 3] + "...")
    if scope.what.startswith("the top-level"):
        message = (
            f"<< {reference} >> names no pipeline parameter: {quoted(name)} is not declared "
            "under the top-level parameters"
        )
    else:
        message = (
            f"<< {reference} >> names no parameter of {scope.what}: {quoted(name)} is not "
            "under its parameters"
        )
    suggestion = scope.closest(name)
    return message + (f"; did you mean {quoted(suggestion)}?" if suggestion else "")


RULE = Rule(
    ID,
    "undeclared-parameter",
    "<< parameters.x >> or << pipeline.parameters.x >> names a parameter that is not declared",
    check,
)
