"""CC103: workflow jobs that require each other in a circle, so none of them can ever start.

One finding per group of jobs caught in cycles (a strongly connected component of the
`requires` graph), showing one cycle of that group: linear time however many cycles there are.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from ciconf.lint.context import LintContext
from ciconf.lint.findings import Finding
from ciconf.lint.rule import Rule
from ciconf.lint.workflows import Graph, graph, workflows

ID = "CC103"
SHOWN_IN_LOOP = 10  # jobs named in the message of a longer cycle


def check(ctx: LintContext) -> Iterator[Finding]:
    for workflow in workflows(ctx):
        found = graph(workflow)
        if found.backwards:
            continue
        size = len(workflow.entries)
        groups = [group for group in components(found.edges) if len(group) > 1]
        for group in sorted(groups, key=lambda group: min(node for node in group if node < size)):
            loop = _one_cycle(found, group)
            entries = [workflow.entries[node] for node in loop if node < size]
            first, through = entries[0], found.names[loop[1] - size]
            link = next(r for r in first.requires if r.name == through)
            yield ctx.finding(
                ID,
                link.mark,
                f"requires form a cycle in {workflow.label}: {_loop(entries)}",
            )


def _one_cycle(found: Graph, group: list[int]) -> list[int]:
    """A component of several nodes holds a cycle (one node cannot: an entry points at names only).

    The shortest cycle through the group's first entry, as nodes from it back to just before it."""
    members = set(group)
    start = min(node for node in group if node < len(found.workflow.entries))
    parent = {start: start}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for target in found.edges[node]:
            if target == start:
                path = [node]
                while path[-1] != start:
                    path.append(parent[path[-1]])
                return path[::-1]
            if target in members and target not in parent:
                parent[target] = node
                queue.append(target)
    raise AssertionError("a strongly connected component has a cycle through each of its nodes")


def _loop(entries: list) -> str:
    names = [entry.name for entry in entries]
    if len(names) > SHOWN_IN_LOOP:
        names = [*names[: SHOWN_IN_LOOP - 1], f"... ({len(entries) - SHOWN_IN_LOOP + 1} more)"]
    return " -> ".join([*names, entries[0].name])


def components(edges: list[list[int]]) -> list[list[int]]:
    """Strongly connected components (Tarjan's algorithm, iterative: no recursion limit)."""
    index: list[int | None] = [None] * len(edges)
    low = [0] * len(edges)
    on_stack = [False] * len(edges)
    stack: list[int] = []
    found: list[list[int]] = []
    counter = 0
    for root in range(len(edges)):
        if index[root] is not None:
            continue
        work = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack[node] = True
            recurse = False
            targets = edges[node]
            while child < len(targets):
                target = targets[child]
                child += 1
                seen = index[target]
                if seen is None:
                    work.append((node, child))
                    work.append((target, 0))
                    recurse = True
                    break
                if on_stack[target]:
                    low[node] = min(low[node], seen)
            if recurse:
                continue
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack[member] = False
                    group.append(member)
                    if member == node:
                        break
                found.append(sorted(group))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found


RULE = Rule(
    ID, "requires-cycle", "workflow jobs require each other in a circle and can never start", check
)
