"""CC106: a job that runs for git tags requires (directly or further up) a job that never does.

CircleCI runs no job for a tag unless its `filters.tags` says so, and a job runs for a tag only
when every job upstream of it (through `requires`, transitively) runs for that tag too. A
release job with `tags: {only: /^v.*/}` that requires a test job without a tags filter is
therefore silently never run when the tag is pushed.

A tags filter lets tags through when it has `only`, or `ignore` that is not the catch-all
`/.*/`; with neither (or no `tags` at all) the job is skipped for every tag. Expression filters
(`filters: pipeline.git.tag == ...`) are not interpreted: such a job is never flagged and never
counts as blocking. Upstream jobs are found with one memoized walk of the requires graph
(linear in its size, cycles cut), and each tag job is reported once, at the requirement
through which the blocking job is reached.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ciconf.lint.context import LintContext
from ciconf.lint.findings import Finding, quoted
from ciconf.lint.rule import Rule
from ciconf.lint.workflows import Entry, Graph, graph, workflows

ID = "CC106"
CATCH_ALL = ("/.*/", "/^.*$/", "/.+/", "/^.+$/")


def runs_for_tags(entry: Entry) -> bool | None:
    """True: the entry's own filter lets tags through; False: it skips every tag; None: an
    expression filter, not interpreted."""
    filters = entry.options.get("filters")
    if isinstance(filters, str):
        return None
    tags = filters.get("tags") if isinstance(filters, dict) else None
    if not isinstance(tags, dict):
        return False
    if _given(tags.get("only")):
        return True
    ignore = tags.get("ignore")
    if not _given(ignore):
        return False
    patterns = ignore if isinstance(ignore, list) else [ignore]
    return not any(pattern in CATCH_ALL for pattern in patterns)


def _given(value: Any) -> bool:
    return (isinstance(value, str) and value != "") or (isinstance(value, list) and bool(value))


def check(ctx: LintContext) -> Iterator[Finding]:
    for workflow in workflows(ctx):
        entries = workflow.entries
        allows = [runs_for_tags(entry) for entry in entries]
        if True not in allows:
            continue
        found = graph(workflow)
        blocker = _blockers(found, allows)
        for number, entry in enumerate(entries):
            if allows[number] is not True:
                continue
            for required, node in zip(entry.requires, found.edges[number], strict=True):
                culprit = blocker[node]
                if culprit is not None:
                    yield ctx.finding(
                        ID, required.mark, lambda: _message(entry, required.name, entries[culprit])
                    )
                    break


def _blockers(found: Graph, allows: list[bool | None]) -> list[int | None]:
    """For each node, the first entry at or upstream of it that skips every tag (or None).

    Iterative depth-first search in post-order; a node met again while still on the path (a
    cycle, reported by CC103) counts as not blocking.
    """
    size = len(allows)
    result: list[int | None] = [None] * len(found.edges)
    state = [0] * len(found.edges)  # 0 new, 1 on the path, 2 done
    for root in range(len(found.edges)):
        if state[root]:
            continue
        stack = [(root, 0)]
        state[root] = 1
        while stack:
            node, child = stack.pop()
            if node < size and allows[node] is False:
                result[node], state[node] = node, 2  # it blocks by itself; upstream does not matter
                continue
            targets = found.edges[node]
            while child < len(targets) and result[node] is None:
                target = targets[child]
                if state[target] == 0:
                    break
                if state[target] == 2:
                    result[node] = result[target]
                child += 1  # done, or on the path (a cycle): next
            if child < len(targets) and result[node] is None:
                stack.append((node, child))  # resumed once the target is done
                state[targets[child]] = 1
                stack.append((targets[child], 0))
                continue
            state[node] = 2
    return result


def _message(entry: Entry, required: str, culprit: Entry) -> str:
    if culprit.name == required:
        where = f"it requires {quoted(required)}, which has no tags filter that lets tags through"
    else:
        where = (
            f"upstream of its requirement {quoted(required)}, job {quoted(culprit.name)} has "
            "no tags filter that lets tags through"
        )
    return (
        f"job {quoted(entry.name)} runs for git tags (filters.tags), but {where}, so "
        "CircleCI never "
        f"runs {quoted(entry.name)} for a tag; give {quoted(culprit.name)} a tags filter as well"
    )


RULE = Rule(
    ID,
    "tag-filter-upstream",
    "a job runs for git tags but a job it requires (directly or further up) has no tags "
    "filter, so it never runs for a tag",
    check,
)
