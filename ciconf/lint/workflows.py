"""Workflow job entries as CircleCI reads them: the names they run under and what they require.

An entry is a string (`- build`) or a one-key mapping (`- build: {requires: [...], name: ...}`).
`name` runs the job under another name, and `requires` refer to those names. A `matrix` runs
the job once per combination under generated names (`build-3.11`, or the `name` template with
`<< matrix.x >>` filled in); requiring the plain name, or the matrix's `alias`, means every
one of them. A job group (top-level `job-groups:`, https://circleci.com/docs/reference/
configuration-reference/#job-groups) lists its jobs in the same syntax; its `requires` refer to
the group's own jobs, so each group is read here as one more `Workflow` (of kind `job group`).

Everything here is linear in the size of the config (lint runs on anyone's pull request):
names are looked up in dicts, a `<< ... >>` template is matched by a scan with `str.find`
(never a regular expression built from the config), answers are remembered per required name,
and the work spent on generated names in one file is bounded by `MATCH_BUDGET`. Past that
budget a required name that matched nothing is "not known" rather than "missing", so the
rules stay quiet about it instead of guessing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from ciconf.lint.context import LintContext
from ciconf.lint.findings import quoted
from ciconf.yamlkit.load import Document, Mark

OPEN, CLOSE = "<<", ">>"
WORKFLOW, JOB_GROUP = "workflow", "job group"
MATCH_BUDGET = 2_000_000  # characters compared and entries listed for generated names, per file


def template_spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each `<< ... >>` in `text`, `>>` included.

    `<< ... >>` ends at the first `>>` on the same line, as CircleCI's parameter syntax does.
    One pass: the next `>>` and the next newline are searched for again only once passed.
    """
    pos = 0
    close = newline = -1
    while True:
        begin = text.find(OPEN, pos)
        if begin < 0:
            return
        if close < begin + 2:
            close = text.find(CLOSE, begin + 2)
            if close < 0:
                return
        if newline < begin + 2:
            newline = text.find("\n", begin + 2)
        if 0 <= newline < close:  # this `<<` is not closed on its line; go on after the newline
            pos = newline + 1
            continue
        yield begin, close + 2
        pos = close + 2


def template_parts(text: str) -> list[str] | None:
    """The literal text around each `<< ... >>` of `text` (None when it has none)."""
    parts: list[str] = []
    start = 0
    for begin, end in template_spans(text):
        parts.append(text[start:begin])
        start = end
    if not parts:
        return None
    parts.append(text[start:])
    return parts


def is_templated(text: str) -> bool:
    """Names built from `<< ... >>` (pipeline parameters, matrix values) are only known at run
    time."""
    return OPEN in text and template_parts(text) is not None


def fills(parts: tuple[str, ...] | list[str], text: str) -> bool:
    """Whether `text` is `parts` joined with a non-empty filling between each two of them.

    The leftmost place of each literal part is as good as any later one (a classic result for
    patterns whose only wildcards match any text), so one left-to-right scan decides.
    """
    first, last = parts[0], parts[-1]
    if not (text.startswith(first) and text.endswith(last)):
        return False
    cursor = len(first)  # where the next filling begins
    limit = len(text) - len(last)  # where the last literal begins
    for middle in parts[1:-1]:
        found = text.find(middle, cursor + 1, limit - 1)
        if found < 0:
            return False
        cursor = found + len(middle)
    return cursor < limit


@dataclass(slots=True)
class Requirement:
    name: str
    path: tuple  # where it is written (its mark is looked up only for a finding)
    doc: Document = field(repr=False)

    @property
    def mark(self) -> Mark | None:
        return self.doc.mark_for(self.path)


@dataclass
class Entry:
    job: str
    name: str
    mark: Mark | None
    approval: bool = False
    matrix: bool = False
    matrix_alias: str | None = None
    requires: list[Requirement] = field(default_factory=list)
    options: dict = field(default_factory=dict)
    path: tuple = ()


@dataclass(frozen=True)
class Resolved:
    entries: tuple[Entry, ...]
    certain: bool = True  # False: the budget ran out before every generated name was compared


NOTHING = Resolved(())


@dataclass
class Budget:
    left: int = MATCH_BUDGET

    def spend(self, amount: int) -> bool:
        self.left -= amount
        return self.left >= 0


class _Index:
    """Which entries of one workflow a required name means, looked up rather than searched."""

    def __init__(self, entries: list[Entry], budget: Budget) -> None:
        self.budget = budget
        self.by_name: dict[str, list[Entry]] = {}
        self.matrix_by_job: dict[str, list[Entry]] = {}
        self.by_alias: dict[str, list[Entry]] = {}
        self.matrix_names: dict[
            str, list[Entry]
        ] = {}  # plain matrix names: `name-...` is generated
        self.templates: dict[tuple[str, ...], list[Entry]] = {}
        self.memo: dict[str, Resolved] = {}
        for entry in entries:
            self.by_name.setdefault(entry.name, []).append(entry)
            if entry.matrix:
                self.matrix_by_job.setdefault(entry.job, []).append(entry)
            if entry.matrix_alias is not None:
                self.by_alias.setdefault(entry.matrix_alias, []).append(entry)
            parts = template_parts(entry.name) if OPEN in entry.name else None
            if parts is not None:
                self.templates.setdefault(tuple(parts), []).append(entry)
            elif entry.matrix:
                self.matrix_names.setdefault(entry.name, []).append(entry)
        self.matrix_lengths = {len(name) for name in self.matrix_names}
        self.generated = bool(self.matrix_by_job or self.by_alias or self.templates)
        self.order = {id(entry): number for number, entry in enumerate(entries)}

    def resolve(self, required: str) -> Resolved:
        known = self.memo.get(required)
        if known is None:
            known = self.memo[required] = self._resolve(required)
        return known

    def _resolve(self, required: str) -> Resolved:
        if not self.generated:  # plain names only (the common case): one lookup
            named = self.by_name.get(required)
            return Resolved(tuple(named)) if named else NOTHING
        found: dict[int, Entry] = {}
        for entry in self.by_name.get(required, ()):
            found[id(entry)] = entry
        for group in (self.matrix_by_job, self.by_alias):
            for entry in group.get(required, ()):
                found[id(entry)] = entry
        certain = self._generated(required, found)
        entries = sorted(found.values(), key=lambda entry: self.order[id(entry)])
        return Resolved(tuple(entries), certain)

    def _generated(self, required: str, found: dict[int, Entry]) -> bool:
        """Add the entries whose generated names include `required`; False when out of budget."""
        if self.matrix_names:
            dash = required.find("-")
            while dash >= 0:
                if dash in self.matrix_lengths:
                    matches = self.matrix_names.get(required[:dash], ())
                    if not self.budget.spend(dash + 1 + len(matches)):
                        return False
                    for entry in matches:
                        found[id(entry)] = entry
                dash = required.find("-", dash + 1)
        for parts, entries in self.templates.items():
            scanned = len(required) if len(parts) > 2 else 0  # middle parts are searched for
            if not self.budget.spend(
                len(parts[0]) + len(parts[-1]) + scanned + len(parts) + len(entries)
            ):
                return False
            if fills(parts, required):
                for entry in entries:
                    found[id(entry)] = entry
        return True


@dataclass
class Workflow:
    name: str
    entries: list[Entry]
    budget: Budget = field(default_factory=Budget)
    kind: str = WORKFLOW  # or JOB_GROUP
    _index: _Index | None = field(default=None, repr=False)
    _graph: Graph | None = field(default=None, repr=False)

    @property
    def label(self) -> str:
        """`workflow 'main'` or `job group 'release'`, for messages."""
        return f"{self.kind} {quoted(self.name)}"

    def resolve(self, required: str) -> Resolved:
        """The entries `requires: [required]` means in this workflow."""
        index = self._index
        if index is None:
            index = self._index = _Index(self.entries, self.budget)
        known = index.memo.get(required)
        return known if known is not None else index.resolve(required)


def workflows(ctx: LintContext) -> list[Workflow]:
    """The config's workflows, read once per file and shared by the rules."""
    if "workflows" not in ctx.memo:
        ctx.memo["workflows"] = list(_workflows(ctx, Budget()))
    return ctx.memo["workflows"]


def job_group_names(ctx: LintContext) -> set[str]:
    """The names of the config's job groups: a workflow may run one as if it were a job."""
    groups = ctx.data.get("job-groups") if isinstance(ctx.data, dict) else None
    return {str(name) for name in groups} if isinstance(groups, dict) else set()


def group_members(ctx: LintContext, workflow: Workflow) -> set[str]:
    """The names of the jobs inside the job groups `workflow` runs (groups in groups too).

    Whether a job outside a group may require one of them directly is not documented; CC101
    stays quiet about it rather than guess."""
    if "job groups" not in ctx.memo:
        ctx.memo["job groups"] = {
            found.name: found for found in workflows(ctx) if found.kind == JOB_GROUP
        }
    groups: dict[str, Workflow] = ctx.memo["job groups"]
    if not groups:
        return set()
    members: set[str] = set()
    pending = [entry.job for entry in workflow.entries if entry.job in groups]
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        for entry in groups[name].entries:
            members.add(entry.name)
            if entry.job in groups:
                pending.append(entry.job)
    return members


def _workflows(ctx: LintContext, budget: Budget) -> Iterator[Workflow]:
    data = ctx.data
    if not isinstance(data, dict):
        return
    for section, kind in (("workflows", WORKFLOW), ("job-groups", JOB_GROUP)):
        found = data.get(section)
        if not isinstance(found, dict):
            continue
        for name, workflow in found.items():
            if isinstance(workflow, dict) and isinstance(workflow.get("jobs"), list):
                path = (section, name, "jobs")
                entries = list(_entries(ctx, path, workflow["jobs"]))
                yield Workflow(str(name), entries, budget, kind)


def _entries(ctx: LintContext, path: tuple, items: list) -> Iterator[Entry]:
    for index, item in enumerate(items):
        here = (*path, index)
        if isinstance(item, str):
            yield Entry(item, item, ctx.doc.mark_for(here), path=here)
        elif isinstance(item, dict) and len(item) == 1:
            job, options = next(iter(item.items()))
            yield _entry(ctx, (*here, job), str(job), options if isinstance(options, dict) else {})


def _entry(ctx: LintContext, path: tuple, job: str, options: dict) -> Entry:
    name = options.get("name")
    entry = Entry(
        job,
        name if isinstance(name, str) else job,
        ctx.doc.key_marks.get(path) or ctx.doc.mark_for(path),
        approval=options.get("type") == "approval",
        matrix="matrix" in options,
        options=options,
        path=path,
    )
    matrix = options.get("matrix")
    if isinstance(matrix, dict) and isinstance(matrix.get("alias"), str):
        entry.matrix_alias = matrix["alias"]
    requires = options.get("requires")
    where = (*path, "requires")
    doc, found = ctx.doc, entry.requires
    for index, required in enumerate(requires if isinstance(requires, list) else []):
        if type(required) is not str:
            if isinstance(required, dict) and len(required) == 1:  # `- build: failed` (status form)
                required = next(iter(required))  # noqa: PLW2901 - the job it names
            if not isinstance(required, str):
                continue
        found.append(Requirement(required, (*where, index), doc))
    return entry


@dataclass
class Graph:
    """A workflow's `requires` as a graph, linear in size however names fan out.

    Nodes 0..len(entries)-1 are the entries; after them comes one node per distinct required
    name, which points at the entries that name means. An entry points at the names it requires.
    (Edge lists from entry to entry directly could be quadratic: 2,000 entries requiring a
    2,000-job matrix.)
    """

    workflow: Workflow
    edges: list[list[int]]
    names: list[str]  # the name of each name node, in node order after the entries
    backwards: bool  # every requirement means entries listed before it: no cycle is possible


def graph(workflow: Workflow) -> Graph:
    """The workflow's graph, built once and shared by the rules."""
    if workflow._graph is None:
        workflow._graph = _build_graph(workflow)
    return workflow._graph


def _build_graph(workflow: Workflow) -> Graph:
    entries = workflow.entries
    first_name = len(entries)  # the first name node
    node_of: dict[str, int] = {}
    edges: list[list[int]] = [[] for _ in entries]
    names: list[str] = []
    position = {id(entry): number for number, entry in enumerate(entries)}
    latest: list[int] = []  # per name node: the last entry it means
    backwards = True
    resolve = workflow.resolve
    for number, entry in enumerate(entries):
        out = edges[number]
        for required in entry.requires:
            name = required.name
            node = node_of.get(name)
            if node is None:
                node = node_of[name] = len(edges)
                names.append(name)
                targets = [position[id(e)] for e in resolve(name).entries]
                edges.append(targets)
                latest.append(max(targets) if targets else -1)
            out.append(node)
            if backwards and latest[node - first_name] >= number:
                backwards = False
    return Graph(workflow, edges, names, backwards)
