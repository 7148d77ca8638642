"""CC103: workflow jobs that require each other in a circle, so none of them can ever start."""

from __future__ import annotations

from typing import Iterator

from ciconf.lint.context import LintContext
from ciconf.lint.findings import Finding
from ciconf.lint.rule import Rule
from ciconf.lint.workflows import Workflow, resolve, workflows

ID = "CC103"


def check(ctx: LintContext) -> Iterator[Finding]:
    for workflow in workflows(ctx):
        for cycle in _cycles(_edges(workflow)):
            entries = [workflow.entries[index] for index in cycle]
            loop = " -> ".join(entry.name for entry in entries + entries[:1])
            first, second = entries[0], (entries + entries)[1]
            link = next(r for r in first.requires if second in resolve(workflow, r.name))
            yield ctx.finding(ID, link.mark, f"requires form a cycle in workflow {workflow.name!r}: {loop}")


def _edges(workflow: Workflow) -> list[list[int]]:
    """For each entry, the indexes of the entries it requires."""
    index_of = {id(entry): index for index, entry in enumerate(workflow.entries)}
    return [
        sorted({index_of[id(e)] for r in entry.requires for e in resolve(workflow, r.name)})
        for entry in workflow.entries
    ]


def _cycles(edges: list[list[int]]) -> list[list[int]]:
    """Cycles met by an iterative depth-first search, each once, rotated to start at its smallest index."""
    found: set[tuple[int, ...]] = set()
    state = [0] * len(edges)  # 0 unvisited, 1 on the current path, 2 finished
    for root in range(len(edges)):
        if state[root]:
            continue
        path, pending = [root], [iter(edges[root])]
        state[root] = 1
        while pending:
            target = next(pending[-1], None)
            if target is None:
                state[path.pop()] = 2
                pending.pop()
            elif state[target] == 1:
                cycle = path[path.index(target) :]
                start = cycle.index(min(cycle))
                found.add(tuple(cycle[start:] + cycle[:start]))
            elif state[target] == 0:
                state[target] = 1
                path.append(target)
                pending.append(iter(edges[target]))
    return [list(cycle) for cycle in sorted(found)]


RULE = Rule(ID, "requires-cycle", "workflow jobs require each other in a circle and can never start", check)
