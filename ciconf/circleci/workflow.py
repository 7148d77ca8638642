"""The workflows: which job runs after which, on which branches and tags.

The push workflow runs every job of the profile (but `only_here` ones); the profile's conditional
workflows and schedules follow it, each with its condition (ciconf/profile/conditions.py) and
some of its test and custom jobs, never a delivery.

Each job's filters are written from its derived `Refs` (ciconf/profile/refs.py: tag filters reach
everything upstream of a tag job); a delivery job's come from its account's plan, the value the
account's deploy-role trust is compiled from.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from ciconf.profile.conditions import not_scheduled, scheduled_only
from ciconf.profile.derive import AccountPlan, Plan
from ciconf.profile.models import CustomJob, Profile, TestJob, WorkflowNode, merge_job_name
from ciconf.profile.refs import EVERY_NAME, Refs, job_refs


def _filters(refs: Refs) -> dict | None:
    # CircleCI reads `only` before `ignore`: a branch runs when it matches only and not ignore
    # (https://circleci.com/docs/reference/configuration-reference/#filters)
    filters: dict = {}
    branches: dict = {"only": refs.branch_values} if refs.branches else {}
    if refs.ignored:
        branches["ignore"] = list(refs.ignored)
    if branches:
        filters["branches"] = branches
    elif refs.tags_only:
        filters["branches"] = {"ignore": EVERY_NAME}  # tags only: never on a branch push
    if refs.tags:
        filters["tags"] = {"only": refs.tag_values}
    return filters or None


def _matrix(profile: Profile, name: str) -> dict | None:
    job = profile.test_jobs.get(name)
    if job is None or job.matrix is None:
        return None
    return {"parameters": {key: list(values) for key, values in job.matrix.parameters.items()}}


def _entry(name: str, options: dict) -> Any:
    return {name: options} if options else name


def workflow_jobs(profile: Profile, plan: Plan) -> list:
    nodes = profile.push_nodes()
    refs = job_refs(nodes)
    accounts = {account.job: account for account in plan.accounts}
    jobs: list = []
    merges: list = []
    for node in nodes:
        account = accounts.get(node.name)
        # a delivery's filters are its account's refs, the value its deploy role trusts
        filters = _filters(account.refs if account is not None else refs[node.name])
        jobs.append(_job_entry(profile, node, account, filters))
        if node.kind == "test":
            merges += _merge_entry(profile, node.name, _matrix(profile, node.name))
    # merge variants follow the test jobs, as in the seed's workflow
    first_other = next((i for i, node in enumerate(nodes) if node.kind != "test"), len(nodes))
    return jobs[:first_other] + merges + jobs[first_other:]


def _job_entry(
    profile: Profile, node: WorkflowNode, account: AccountPlan | None, filters: dict | None
) -> Any:
    """One job of a workflow: its matrix, requires, context and filters."""
    options: dict = {}
    if node.kind == "test":
        matrix = _matrix(profile, node.name)
        if matrix:
            options["matrix"] = matrix
        if node.requires:
            options["requires"] = [name for name, _ in node.requires]
        context = _context(None, profile.test_jobs[node.name])
        if context:
            options["context"] = context
        if filters:
            options["filters"] = filters
        return _entry(node.name, options)
    if node.kind == "approval":
        options["type"] = "approval"
    custom = profile.jobs.get(node.job or node.name) if node.kind == "custom" else None
    if custom is not None and (custom.orb_job is not None or node.job is not None):
        options["name"] = node.name  # an orb job, or one run of a parameterised job
    if node.requires:
        options["requires"] = [name for name, _ in node.requires]
    context = _context(account, custom)
    if context:
        options["context"] = context
    if filters:
        options["filters"] = filters
    if account is not None and account.serial_group:
        options["serial-group"] = account.serial_group
    if custom is not None and custom.orb_job is not None:
        options.update(custom.parameters)
        return {custom.orb_job: options}
    options.update(node.arguments)  # CircleCI reads a job's arguments beside name and requires
    return _entry(node.job or node.name, options)


def workflows(profile: Profile, plan: Plan) -> dict:
    """The push workflow, then the profile's conditional workflows, then its schedules'."""
    push: dict = {"jobs": workflow_jobs(profile, plan)}
    if profile.schedules:
        push = {"when": not_scheduled(), **push}
    result = {profile.project: push}
    for name, conditional in profile.workflows.items():
        key, condition = conditional.condition
        result[name] = {key: _dumped(condition), "jobs": _extra_jobs(profile, conditional.jobs)}
    for name, scheduled in profile.schedules.items():
        result[name] = {"when": scheduled_only(name), "jobs": _extra_jobs(profile, scheduled.jobs)}
    return result


def _dumped(condition: object) -> object:
    return condition.model_dump(by_alias=True) if isinstance(condition, BaseModel) else condition


def _extra_jobs(profile: Profile, names: list[str]) -> list:
    """The listed jobs without filters (the workflow's condition decides when they run), in the
    push workflow's order; never a delivery, so an extra workflow widens no deploy-role trust."""
    nodes = {node.name: node for node in profile.workflow_nodes()}
    listed = [node for name in names for node in profile.extra_nodes(nodes, name)]
    order = {node.name: index for index, node in enumerate(nodes.values())}
    return [
        _job_entry(profile, node, None, None)
        for node in sorted(listed, key=lambda node: order[node.name])
    ]


def _context(account: AccountPlan | None, job: CustomJob | TestJob | None) -> list[str]:
    """The contexts a workflow entry requests: a delivery's credentials', else the job's own."""
    if account is not None:
        return list(account.parts.contexts)
    if job is not None:
        return list(job.context)
    return []


def _merged(profile: Profile, name: str) -> bool:
    """Whether the test job also runs merged with the base branch (merge_<name>)."""
    merge = profile.merge_test
    job = profile.test_jobs[name]
    return merge is not None and merge.enabled and job.merge_test and not job.branches


def _merge_entry(profile: Profile, name: str, matrix: dict | None) -> list:
    merge = profile.merge_test
    job = profile.test_jobs[name]
    if merge is None or not _merged(profile, name):
        return []
    filters: dict = {"tags": {"ignore": EVERY_NAME}}
    ignored = list(dict.fromkeys([*merge.ignore_branches, *job.ignore_branches]))
    if ignored:
        filters = {"branches": {"ignore": ignored}, **filters}
    options: dict = {}
    if matrix:
        options["matrix"] = {"parameters": {k: list(v) for k, v in matrix["parameters"].items()}}
    if job.requires:
        # the merged run of a job waits for the merged run of what it requires, where there is one
        options["requires"] = [
            merge_job_name(required) if _merged(profile, required) else required
            for required in job.requires
        ]
    context = _context(None, job)
    if context:
        options["context"] = context
    options["filters"] = filters
    return [{merge_job_name(name): options}]


def pipeline_parameters(profile: Profile) -> dict:
    """Top-level `parameters:` (https://circleci.com/docs/pipeline-variables/#pipeline-parameters)."""
    rendered: dict = {}
    for name, parameter in profile.parameters.items():
        declared: dict = {"type": parameter.type}
        if parameter.description is not None:
            declared["description"] = parameter.description
        if parameter.enum:
            declared["enum"] = list(parameter.enum)
        declared["default"] = parameter.default
        rendered[name] = declared
    return rendered
