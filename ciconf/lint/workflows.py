"""Workflow job entries as CircleCI reads them: the names they run under and what they require.

An entry is a string (`- build`) or a one-key mapping (`- build: {requires: [...], name: ...}`).
`name` runs the job under another name, and `requires` refer to those names. A `matrix` runs
the job once per combination under generated names (`build-3.11`, or the `name` template with
`<< matrix.x >>` filled in); requiring the plain name, or the matrix's `alias`, means every
one of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator

from ciconf.lint.context import LintContext
from ciconf.yamlkit.load import Mark

TEMPLATE = re.compile(r"<<.*?>>")


@dataclass
class Requirement:
    name: str
    mark: Mark | None


@dataclass
class Entry:
    job: str
    name: str
    mark: Mark | None
    approval: bool = False
    matrix: bool = False
    matrix_alias: str | None = None
    requires: list[Requirement] = field(default_factory=list)

    def answers_to(self, required: str) -> bool:
        """Whether `requires: [required]` in the same workflow means this entry."""
        if required in (self.name, self.job) and (self.matrix or required == self.name):
            return True
        if required == self.matrix_alias:  # `matrix: {alias: ...}` names the whole matrix
            return True
        if TEMPLATE.search(self.name):
            pattern = ".+".join(re.escape(part) for part in TEMPLATE.split(self.name))
            return re.fullmatch(pattern, required) is not None
        return self.matrix and required.startswith(self.name + "-")


@dataclass
class Workflow:
    name: str
    entries: list[Entry]


def workflows(ctx: LintContext) -> Iterator[Workflow]:
    data = ctx.data
    found = data.get("workflows") if isinstance(data, dict) else None
    if not isinstance(found, dict):
        return
    for name, workflow in found.items():
        if isinstance(workflow, dict) and isinstance(workflow.get("jobs"), list):
            path = ("workflows", name, "jobs")
            yield Workflow(str(name), list(_entries(ctx, path, workflow["jobs"])))


def _entries(ctx: LintContext, path: tuple, items: list) -> Iterator[Entry]:
    for index, item in enumerate(items):
        here = path + (index,)
        if isinstance(item, str):
            yield Entry(item, item, ctx.doc.mark_for(here))
        elif isinstance(item, dict) and len(item) == 1:
            job, options = next(iter(item.items()))
            yield _entry(ctx, here + (job,), str(job), options if isinstance(options, dict) else {})


def _entry(ctx: LintContext, path: tuple, job: str, options: dict) -> Entry:
    name = options.get("name")
    entry = Entry(
        job,
        name if isinstance(name, str) else job,
        ctx.doc.key_marks.get(path) or ctx.doc.mark_for(path),
        approval=options.get("type") == "approval",
        matrix="matrix" in options,
    )
    matrix = options.get("matrix")
    if isinstance(matrix, dict) and isinstance(matrix.get("alias"), str):
        entry.matrix_alias = matrix["alias"]
    requires = options.get("requires")
    for index, required in enumerate(requires if isinstance(requires, list) else []):
        mark = ctx.doc.mark_for(path + ("requires", index))
        if isinstance(required, dict) and len(required) == 1:  # `- build: failed` (status form)
            required = next(iter(required))
        if isinstance(required, str):
            entry.requires.append(Requirement(required, mark))
    return entry


def resolve(workflow: Workflow, required: str) -> list[Entry]:
    return [entry for entry in workflow.entries if entry.answers_to(required)]


def is_templated(text: str) -> bool:
    """Names built from pipeline parameters are only known when the pipeline runs."""
    return TEMPLATE.search(text) is not None
