"""The one workflow: which job runs after which, on which branches and tags.

Each job's filters are written from its derived `Refs` (ciconf/profile/refs.py: tag filters reach
everything upstream of a tag job); a delivery job's come from its account's plan, the value the
account's deploy-role trust is compiled from.
"""

from __future__ import annotations

from typing import Any

from ciconf.profile.derive import AccountPlan, Plan
from ciconf.profile.models import CustomJob, Profile, merge_job_name
from ciconf.profile.refs import EVERY_NAME, Refs, job_refs


def _filters(refs: Refs) -> dict | None:
    filters: dict = {}
    if refs.branches:
        filters["branches"] = {"only": refs.branch_values}
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
    nodes = profile.workflow_nodes()
    refs = job_refs(nodes)
    accounts = {account.job: account for account in plan.accounts}
    jobs: list = []
    merges: list = []
    for node in nodes:
        options: dict = {}
        if node.kind == "test":
            matrix = _matrix(profile, node.name)
            if matrix:
                options["matrix"] = matrix
            filters = _filters(refs[node.name])
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
        # a delivery's filters are its account's refs, the value its deploy role trusts
        filters = _filters(account.refs if account is not None else refs[node.name])
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
        return list(account.parts.contexts)
    if custom is not None:
        return list(custom.context)
    return []


def _merge_entry(profile: Profile, name: str, matrix: dict | None) -> list:
    merge = profile.merge_test
    job = profile.test_jobs[name]
    if merge is None or not merge.enabled or not job.merge_test or job.branches:
        return []
    filters: dict = {"tags": {"ignore": EVERY_NAME}}
    if merge.ignore_branches:
        filters = {"branches": {"ignore": list(merge.ignore_branches)}, **filters}
    options: dict = {}
    if matrix:
        options["matrix"] = {"parameters": {k: list(v) for k, v in matrix["parameters"].items()}}
    options["filters"] = filters
    return [{merge_job_name(name): options}]
