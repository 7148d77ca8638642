"""Which pushes run each workflow job: derived once, read by the workflow filters and the IAM trust.

CircleCI runs a job for a git tag only when the job *and every job it requires, directly or not*,
carry a tags filter (https://circleci.com/docs/guides/orchestrate/workflows/#executing-workflows-for-a-git-tag);
otherwise the release silently never starts. So a job's tag patterns are added to everything
upstream of it, and a custom job without triggers of its own runs on the tags of what it requires.
A delivery job's `Refs` is therefore "which refs deliver to this account": the CircleCI filters of
`delivery_<account>` are written from it, and so is the `sub` condition of its deploy role.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # models imports this module; the nodes are only read here
    from ciconf.profile.models import WorkflowNode

EVERY_NAME = "/.*/"


@dataclass(frozen=True)
class RefFilter:
    """One branch or tag filter item (a name, or a /regex/) and where the profile writes it."""

    value: str
    loc: tuple = ()


@dataclass(frozen=True)
class Refs:
    """A job's `filters`: `branches.only` (none: every branch, unless tags_only), `tags.only`."""

    branches: tuple[RefFilter, ...] = ()
    tags: tuple[RefFilter, ...] = ()
    tags_only: bool = False  # its own triggers are tags only: branch pushes never run it

    @property
    def every_branch(self) -> bool:
        return not self.branches and not self.tags_only

    @property
    def branch_values(self) -> list[str]:
        return [item.value for item in self.branches]

    @property
    def tag_values(self) -> list[str]:
        return [item.value for item in self.tags]


def _topological(nodes: list[WorkflowNode]) -> list[WorkflowNode]:
    """Requirements first, otherwise in declaration order (the profile has no cycles)."""
    by_name = {node.name: node for node in nodes}
    done: set[str] = set()
    order: list[WorkflowNode] = []
    for start in nodes:
        stack: list[tuple[WorkflowNode, int]] = [(start, 0)]
        while stack:
            node, index = stack.pop()
            if node.name in done:
                continue
            requirements = [by_name[name] for name, _ in node.requires if name in by_name]
            if index < len(requirements):
                stack.append((node, index + 1))
                if requirements[index].name not in done:
                    stack.append((requirements[index], 0))
                continue
            done.add(node.name)
            order.append(node)
    return order


def _written(values: tuple[str, ...], locs: tuple[tuple, ...]) -> tuple[RefFilter, ...]:
    return tuple(
        RefFilter(value, locs[index] if index < len(locs) else ())
        for index, value in enumerate(values)
    )


def _unique(items: Iterable[RefFilter]) -> tuple[RefFilter, ...]:
    """First occurrence of each value, in order (its location is where it was first written)."""
    seen: dict[str, RefFilter] = {}
    for item in items:
        seen.setdefault(item.value, item)
    return tuple(seen.values())


def tag_filters(nodes: list[WorkflowNode]) -> dict[str, tuple[RefFilter, ...]]:
    """Each job's tag patterns: its own (or, for a custom job without triggers, its upstream's),
    plus those of every job downstream of it."""
    order = _topological(nodes)
    own: dict[str, tuple[RefFilter, ...]] = {}
    for node in order:
        tags = list(_written(node.tags, node.tag_locs))
        if node.kind == "custom" and not node.tags and not node.branches:
            for required, _ in node.requires:
                tags += own.get(required, ())
        own[node.name] = _unique(tags)
    result = dict(own)
    for node in reversed(order):  # dependents come later in `order`, so they are final here
        for required, _ in node.requires:
            if required in result:
                result[required] = _unique(result[required] + result[node.name])
    return result


def job_refs(nodes: list[WorkflowNode]) -> dict[str, Refs]:
    """Every job's refs by name: what its `filters:` say and the deploy role's trust compiles."""
    tags = tag_filters(nodes)
    return {
        node.name: Refs(
            branches=_written(node.branches, node.branch_locs),
            tags=tags[node.name],
            tags_only=bool(node.tags),
        )
        for node in nodes
    }
