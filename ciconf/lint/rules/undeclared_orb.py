"""CC104: a job, executor or step from an orb (`orb/name`) whose orb is not declared under `orbs:`.

CircleCI rejects the config when it compiles it; the schema sees only a well-formed name.
Checked in workflow jobs (and their pre-steps/post-steps), job executors and the steps of jobs
and commands.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ciconf.lint.context import LintContext
from ciconf.lint.findings import Finding, quoted
from ciconf.lint.rule import Rule
from ciconf.lint.suggest import Suggestions
from ciconf.lint.workflows import is_templated
from ciconf.yamlkit.load import Mark

ID = "CC104"


def check(ctx: LintContext) -> Iterator[Finding]:
    data = ctx.data
    orbs = data.get("orbs")
    declared = {str(name) for name in orbs} if isinstance(orbs, dict) else set()
    suggestions = Suggestions(declared)
    for path, reference in _references(data):
        orb = reference.split("/", 1)[0]
        if orb in declared or is_templated(reference):
            continue
        message = (
            f"{quoted(reference)} comes from orb {quoted(orb)}, which is not declared under orbs"
        )
        suggestion = suggestions.closest(orb) if ctx.shown(ID) else None
        if suggestion:
            message += f"; did you mean {quoted(suggestion)}?"
        yield ctx.finding(ID, _mark(ctx, path), message)


def _mark(ctx: LintContext, path: tuple) -> Mark | None:
    """At the name: the value of `executor:`, else the step or job key (or the list item)."""
    if path[-1] in ("executor", "name"):
        return ctx.doc.value_marks.get(path) or ctx.doc.mark_for(path)
    return ctx.doc.key_marks.get(path) or ctx.doc.mark_for(path)


def _references(data: dict) -> Iterator[tuple[tuple, str]]:
    """(path, name) of every orb reference in the places CircleCI resolves them."""
    for section in ("jobs", "commands"):
        for name, body in _mapping(data.get(section)).items():
            path: tuple = (section, name)
            executor = body.get("executor") if isinstance(body, dict) else None
            where: tuple = path + (
                ("executor", "name") if isinstance(executor, dict) else ("executor",)
            )
            executor = executor.get("name") if isinstance(executor, dict) else executor
            if isinstance(executor, str) and "/" in executor:
                yield where, executor
            if isinstance(body, dict):
                yield from _steps((*path, "steps"), body.get("steps"))
    for name, workflow in _mapping(data.get("workflows")).items():
        jobs = workflow.get("jobs") if isinstance(workflow, dict) else None
        for index, entry in enumerate(jobs if isinstance(jobs, list) else []):
            path = ("workflows", name, "jobs", index)
            if isinstance(entry, str) and "/" in entry:
                yield path, entry
            if not (isinstance(entry, dict) and len(entry) == 1):
                continue
            job, options = next(iter(entry.items()))
            if isinstance(job, str) and "/" in job:
                yield (*path, job), job
            for hook in ("pre-steps", "post-steps"):
                if isinstance(options, dict):
                    yield from _steps((*path, job, hook), options.get(hook))


def _steps(path: tuple, steps: Any) -> Iterator[tuple[tuple, str]]:
    for index, step in enumerate(steps if isinstance(steps, list) else []):
        if isinstance(step, str) and "/" in step:
            yield (*path, index), step
        elif isinstance(step, dict) and len(step) == 1:
            name = next(iter(step))
            if isinstance(name, str) and "/" in name:
                yield (*path, index, name), name


def _mapping(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


RULE = Rule(
    ID,
    "undeclared-orb",
    "a job, executor or step comes from an orb that is not declared under orbs",
    check,
)
