"""Job groups: a workflow entry naming a group (top-level `job-groups:`) runs the group's jobs.

https://circleci.com/docs/reference/configuration-reference/#job-groups and
https://circleci.com/changelog/job-groups-serialize-multiple-jobs-as-one-unit/ : a job group is a
named list of jobs, written as a workflow's jobs are (`requires` between them), that a workflow
runs "as a single unit". The plan expands the group where the workflow names it:

- the group entry's `filters` and `when`/`unless` apply to every job of the group (a job of the
  group with no filters of its own runs when the group does, on a tag too; one with filters runs
  when both let it);
- the group entry's `requires` are required by the group's first jobs (those that require no
  other job of the group), so the whole group starts after them;
- requiring the group means requiring every job of it;
- `serial-group` on the group serializes whole runs of the group; it changes no plan.
"""

from __future__ import annotations

from dataclasses import dataclass

from ciconf.plan.caps import Caps
from ciconf.plan.filters import Decision
from ciconf.plan.graph import Node
from ciconf.plan.model import Requirement
from ciconf.plan.where import Where

MAX_NESTING = 20  # a group listing a group listing ...; deeper (or circular) is bad input


@dataclass(frozen=True)
class Scope:
    """The config's job groups (where each is defined), the plan's caps (ciconf.plan.caps: a
    group listing a group twice, and so on, doubles each time) and the groups being expanded."""

    groups: dict[str, Where]
    caps: Caps
    within: tuple[str, ...] = ()

    def entering(self, group: str, where: Where) -> Scope:
        """The scope inside `group`; a group inside itself (or nested too deep) is bad input."""
        if group in self.within or len(self.within) >= MAX_NESTING:
            raise where.error(
                f"job group {group!r} contains itself (through {' -> '.join(self.within)})"
            )
        return Scope(self.groups, self.caps, (*self.within, group))


def join(group: str, nodes: list[Node], own: Decision, requires: list[Requirement]) -> list[Node]:
    """The group's jobs, each under the group's condition and after the group's requirements."""
    members = {node.name for node in nodes}
    for node in nodes:
        node.own = _both(group, own, node.own if node.filtered else Decision.yes())
        if node.job_group is None:
            node.job_group = group
        if not any(requirement.name in members for requirement in node.requires):
            node.requires = [_copy(requirement) for requirement in requires] + node.requires
    return nodes


def _both(group: str, outer: Decision, inner: Decision) -> Decision:
    """Runs when the group runs and the job's own filters let it; False wins, then None."""
    if outer.runs is False:
        return Decision(False, f"job group {group}: {outer.reason}")
    if inner.runs is False or outer.runs is True:
        return inner
    return Decision(None, f"job group {group}: {outer.reason}")


def _copy(requirement: Requirement) -> Requirement:
    return Requirement(requirement.name, requirement.statuses)
