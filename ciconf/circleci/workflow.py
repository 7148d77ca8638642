"""The one workflow: which job runs after which, on which branches and tags.

CircleCI runs a job for a git tag only when the job *and every job it requires, directly or not*,
carry a tags filter (https://circleci.com/docs/guides/orchestrate/workflows/#executing-workflows-for-a-git-tag);
otherwise the release silently never starts. So ciconf writes those filters itself: a job's tag
patterns are added to everything upstream of it, and a custom job without triggers of its own runs
on the tags of what it requires.
"""

from __future__ import annotations

from typing import Any

from ciconf.profile.derive import AccountPlan, Plan
from ciconf.profile.models import CustomJob, Profile, WorkflowNode, merge_job_name

ALL = "/.*/"


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


def tag_filters(nodes: list[WorkflowNode]) -> dict[str, list[str]]:
    """Each job's tag patterns: its own (or, for a custom job without triggers, its upstream's),
    plus
    those of every job downstream of it."""
    order = _topological(nodes)
    own: dict[str, list[str]] = {}
    for node in order:
        tags = list(node.tags)
        if node.kind == "custom" and not node.tags and not node.branches:
            for required, _ in node.requires:
                tags += own.get(required, [])
        own[node.name] = _unique(tags)
    result = {name: list(tags) for name, tags in own.items()}
    for node in reversed(order):  # dependents come later in `order`, so they are final here
        for required, _ in node.requires:
            if required in result:
                result[required] = _unique(result[required] + result[node.name])
    return result


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _filters(branches: tuple[str, ...], tags: list[str], own_tags: bool) -> dict | None:
    filters: dict = {}
    if branches:
        filters["branches"] = {"only": list(branches)}
    elif own_tags:
        filters["branches"] = {"ignore": ALL}  # tags only: never on a branch push
    if tags:
        filters["tags"] = {"only": tags}
    return filters or None


def _matrix(profile: Profile, name: str) -> dict | None:
    job = profile.test_jobs.get(name)
    if job is None or job.matrix is None:
        return None
    return {"parameters": {key: list(values) for key, values in job.matrix.parameters.items()}}


def _entry(name: str, options: dict) -> Any:
    return {name: options} if options else name


def workflow_jobs(profile: Profile, plan: Plan) -> list:
    nodes = profile.workflow_nodes()
    tags = tag_filters(nodes)
    accounts = {account.job: account for account in plan.accounts}
    jobs: list = []
    merges: list = []
    for node in nodes:
        options: dict = {}
        if node.kind == "test":
            matrix = _matrix(profile, node.name)
            if matrix:
                options["matrix"] = matrix
            filters = _filters(node.branches, tags[node.name], False)
            if filters:
                options["filters"] = filters
            jobs.append(_entry(node.name, options))
            merges += _merge_entry(profile, node.name, matrix)
            continue
        if node.kind == "approval":
            options["type"] = "approval"
        custom = profile.jobs.get(node.name) if node.kind == "custom" else None
        if custom is not None and custom.orb_job is not None:
            options["name"] = node.name
        if node.requires:
            options["requires"] = [name for name, _ in node.requires]
        account = accounts.get(node.name)
        context = _context(account, custom)
        if context:
            options["context"] = context
        filters = _filters(node.branches, tags[node.name], bool(node.tags))
        if filters:
            options["filters"] = filters
        if account is not None and account.serial_group:
            options["serial-group"] = account.serial_group
        if custom is not None and custom.orb_job is not None:
            options.update(custom.parameters)
            jobs.append({custom.orb_job: options})
            continue
        jobs.append(_entry(node.name, options))
    # merge variants follow the test jobs, as in the seed's workflow
    first_other = next((i for i, node in enumerate(nodes) if node.kind != "test"), len(nodes))
    return jobs[:first_other] + merges + jobs[first_other:]


def _context(account: AccountPlan | None, custom: CustomJob | None) -> list[str]:
    if account is not None:
        context = getattr(account.credentials, "context", None)
        return [context] if context else []
    if custom is not None:
        return list(custom.context)
    return []


def _merge_entry(profile: Profile, name: str, matrix: dict | None) -> list:
    merge = profile.merge_test
    job = profile.test_jobs[name]
    if merge is None or not merge.enabled or not job.merge_test or job.branches:
        return []
    filters: dict = {"tags": {"ignore": ALL}}
    if merge.ignore_branches:
        filters = {"branches": {"ignore": list(merge.ignore_branches)}, **filters}
    options: dict = {}
    if matrix:
        options["matrix"] = {"parameters": {k: list(v) for k, v in matrix["parameters"].items()}}
    options["filters"] = filters
    return [{merge_job_name(name): options}]
