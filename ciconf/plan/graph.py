"""The `requires` graph of one workflow: stages, and which jobs run once their upstream is known.

https://circleci.com/docs/configuration-reference/#requires : a job runs after every job it
requires has finished with one of the required statuses (`success` unless the 2.1 status form
`- build: [success, failed]` lists others; `terminal` means any final state). A job whose required
job does not run does not run either ("upstream X does not run"), except that a `not_run` or
`terminal` requirement is satisfied by a job that never ran -- whether CircleCI counts a job removed
by its filters as `not_run` is not documented, so ciconf reports that case as undecided.
The plan assumes every job that runs succeeds and every approval is given.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from ciconf.plan.filters import Decision
from ciconf.plan.model import Requirement
from ciconf.plan.where import Where

STATUSES = ("success", "failed", "canceled", "not_run", "terminal")


@dataclass
class Node:
    name: str
    job: str
    approval: bool
    contexts: list[str]
    requires: list[Requirement]
    own: Decision  # the job's own filters
    group: str | None  # the matrix alias
    where: Where
    stage: int = 0
    decision: Decision = field(default_factory=Decision.yes)
    job_group: str | None = None  # the job group (top-level `job-groups:`) it runs in
    filtered: bool = True  # its entry has filters or when/unless (else `own` is the default)


def resolve(nodes: list[Node]) -> None:
    """Point every requirement at the jobs it names: a job's name, a matrix's alias, or a job
    group (every job in it)."""
    by_name: dict[str, list[str]] = {}
    by_group: dict[str, list[str]] = {}
    for node in nodes:
        by_name.setdefault(node.name, []).append(node.name)
        for group in {node.group, node.job_group} - {None}:
            by_group.setdefault(str(group), []).append(node.name)
    for node in nodes:
        for requirement in node.requires:
            requirement.targets = by_name.get(requirement.name) or by_group.get(
                requirement.name, []
            )


def order(nodes: list[Node]) -> list[Node]:
    """Nodes in `requires` order (Kahn's algorithm), each with its stage; a cycle is bad input."""
    waiting = {id(node): len({t for r in node.requires for t in r.targets}) for node in nodes}
    dependents: dict[str, list[Node]] = {}
    for node in nodes:
        for target in {t for r in node.requires for t in r.targets}:
            dependents.setdefault(target, []).append(node)
    ready = deque(node for node in nodes if waiting[id(node)] == 0)
    done: list[Node] = []
    while ready:
        node = ready.popleft()
        done.append(node)
        for dependent in dependents.get(node.name, []):
            dependent.stage = max(dependent.stage, node.stage + 1)
            waiting[id(dependent)] -= 1
            if waiting[id(dependent)] == 0:
                ready.append(dependent)
    if len(done) < len(nodes):
        finished = {id(node) for node in done}
        stuck = next(node for node in nodes if id(node) not in finished)
        raise stuck.where.error(
            f"{stuck.name!r} is part of a requires cycle; CircleCI rejects the config"
        )
    return done


def _requirement(node: Node, requirement: Requirement, upstream: Node) -> Decision:
    statuses = set(requirement.statuses)
    allows_not_run = bool(statuses & {"not_run", "terminal"})
    if upstream.decision.runs is False:
        why = f" ({upstream.decision.reason})" if upstream.decision.reason else ""
        if allows_not_run:
            return Decision(
                None,
                f"requires {upstream.name} to be not_run, and it is filtered out{why}: "
                "whether CircleCI counts that as not_run is not documented",
            )
        return Decision(False, f"upstream {upstream.name} does not run{why}")
    if upstream.decision.runs is None:
        return Decision(None, f"upstream {upstream.name}: {upstream.decision.reason}")
    if statuses & {"success", "terminal"}:
        return Decision.yes()
    return Decision(None, f"runs only if {upstream.name} ends {' or '.join(requirement.statuses)}")


def decide(nodes: list[Node]) -> list[Node]:
    """Each node's decision: its own filter, then its upstream jobs (in requires order)."""
    ordered = order(nodes)
    by_name = {node.name: node for node in nodes}
    for node in ordered:
        if node.own.runs is False:
            node.decision = node.own
            continue
        verdicts = [node.own]
        for requirement in node.requires:
            if not requirement.targets:
                verdicts.append(
                    Decision(
                        False,
                        f"requires {requirement.name!r}, which is no job in this workflow "
                        "(CircleCI rejects the config)",
                    )
                )
            for target in requirement.targets:
                verdicts.append(_requirement(node, requirement, by_name[target]))
        node.decision = _first(verdicts, False) or _first(verdicts, None) or Decision.yes()
    return sorted(nodes, key=lambda node: node.stage)  # stable: config order within a stage


def _first(verdicts: list[Decision], runs: bool | None) -> Decision | None:
    return next((verdict for verdict in verdicts if verdict.runs is runs), None)
