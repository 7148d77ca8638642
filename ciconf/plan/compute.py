"""From a loaded CircleCI config to the plan of one push."""

from __future__ import annotations

from typing import Any

from ciconf.errors import shown
from ciconf.plan import choices
from ciconf.plan.caps import Caps
from ciconf.plan.expressions import evaluate
from ciconf.plan.filters import Decision, job_filter, undecided
from ciconf.plan.graph import STATUSES, Node, decide, resolve
from ciconf.plan.groups import Scope, join
from ciconf.plan.matrix import expand
from ciconf.plan.model import JobPlan, PipelinePlan, Requirement, WorkflowPlan
from ciconf.plan.regex import new_budget
from ciconf.plan.values import Unknown, Values, fill, pipeline_lookup, render_scalar
from ciconf.plan.where import Where
from ciconf.yamlkit.load import Document


def declared_parameters(doc: Document) -> dict[str, dict]:
    data = doc.data if isinstance(doc.data, dict) else {}
    parameters = data.get("parameters")
    if parameters is None:
        return {}
    if not isinstance(parameters, dict):
        raise Where(doc, ("parameters",)).error("expected a mapping of pipeline parameters")
    return {
        str(name): definition if isinstance(definition, dict) else {}
        for name, definition in parameters.items()
    }


def plan_config(doc: Document, values: Values) -> PipelinePlan:
    data = doc.data
    if not isinstance(data, dict):
        raise Where(doc, ()).error(
            "a CircleCI config is a mapping", expected="version:, jobs:, workflows:"
        )
    new_budget()  # every regex match of this plan shares one time budget
    workflows = data.get("workflows")
    plans: list[WorkflowPlan] = []
    caps = Caps()
    scope = Scope(_job_groups(doc), caps)
    if isinstance(workflows, dict):
        for name, workflow in workflows.items():
            if name == "version" or not isinstance(workflow, dict):
                continue  # `version: 2` inside workflows (2.0 configs)
            where = Where(doc, ("workflows", name))
            plans.append(_workflow(str(name), workflow, values, where, scope))
    elif workflows is not None:
        raise Where(doc, ("workflows",)).error("expected a mapping of workflows")
    else:
        plans += _implicit_build(data, values)
    note = _version_note(data.get("version"))
    if note is not None:
        for plan in plans:
            plan.notes.append(note)
    return PipelinePlan(doc.source, values.push.describe(), plans, setup=data.get("setup") is True)


def _version_note(version: Any) -> str | None:
    """CircleCI compiles only `version: 2.1` now
    (https://discuss.circleci.com/t/breaking-change-sunsetting-configuration-version-2-0/5460);
    a version 2 config is still planned as CircleCI ran it, for migrating it (`ciconf import`)."""
    if version in (2, "2", "2.0") and not isinstance(version, bool):
        return (
            f"version: {version} -- CircleCI no longer compiles version 2 configs (it requires "
            "version: 2.1); shown is what this config would run if it were compiled"
        )
    return None


def _implicit_build(data: dict, values: Values) -> list[WorkflowPlan]:
    """No workflows: "The build job is the default job and is required if you are not using
    Workflows" (https://circleci.com/docs/2.0/configuration-reference/#build). Whether such a
    config builds tags is not documented, so a tag push is undecided."""
    jobs = data.get("jobs")
    if not isinstance(jobs, dict) or "build" not in jobs:
        return []
    if values.push.is_tag:
        decision = Decision(
            None,
            "a config without workflows runs its build job; whether it does for tags is "
            "not documented",
        )
    else:
        decision = Decision.yes()
    job = JobPlan("build", "build", decision.runs, 0, False, [], decision.reason, [])
    return [WorkflowPlan("(no workflows: the build job)", decision.runs, decision.reason, [job])]


def _job_groups(doc: Document) -> dict[str, Where]:
    """Where each job group (top-level `job-groups:`) is defined, by name."""
    groups = doc.data.get("job-groups")
    if groups is None:
        return {}
    if not isinstance(groups, dict):
        raise Where(doc, ("job-groups",)).error("expected a mapping of job groups")
    return {str(name): Where(doc, ("job-groups", name)) for name in groups}


def _workflow(
    name: str, workflow: dict, values: Values, where: Where, scope: Scope
) -> WorkflowPlan:
    condition = _condition(workflow, values, where)
    entries = workflow.get("jobs")
    if not isinstance(entries, list):
        raise where.at("jobs").error("a workflow needs a list of jobs")
    nodes = _listed(entries, values, where.at("jobs"), scope)
    resolve(nodes)
    scope.caps.add_edges(
        sum(len(requirement.targets) for node in nodes for requirement in node.requires),
        where.at("jobs"),
    )
    jobs = [_job_plan(node, condition) for node in decide(nodes)]
    return WorkflowPlan(name, *_workflow_outcome(condition, jobs), jobs)


def _condition(workflow: dict, values: Values, where: Where, what: str = "workflow") -> Decision:
    """The workflow's (or a job entry's) own condition: `triggers` (schedules), `when`, `unless`."""
    if workflow.get("triggers"):
        # https://circleci.com/docs/workflows/#scheduling-a-workflow : scheduled workflows run on
        # their own schedule only (not in a scheduled pipeline either, which is another feature)
        return Decision(False, f"scheduled workflow (triggers:) does not run on {values.push.run}")
    for key, wanted in (("when", True), ("unless", False)):
        if key not in workflow:
            continue
        statement, here = workflow[key], where.at(key)
        try:
            truth, note = choices.decide(
                lambda tried: evaluate(statement, tried, here),  # noqa: B023 (called right here)
                values,
                choices.written_strings(statement),
            )
        except Unknown as unknown:
            return undecided(unknown, f"{what} {key}")
        if truth is not wanted:
            why = f" ({note})" if note else ""
            return Decision(
                False, f"{what} {key}: condition is {'false' if wanted else 'true'}{why}"
            )
    return Decision.yes()


def _workflow_outcome(condition: Decision, jobs: list[JobPlan]) -> tuple[bool | None, str | None]:
    if condition.runs is False:
        return False, condition.reason
    if any(job.runs for job in jobs):
        return condition.runs, condition.reason
    if any(job.runs is None for job in jobs):
        return (
            None,
            condition.reason
            or "every job that could run depends on values the push does not decide",
        )
    return False, "no job runs (every job is filtered out)"


def _job_plan(node: Node, condition: Decision) -> JobPlan:
    decision = node.decision
    if condition.runs is False and decision.runs is not False:
        decision = Decision(False, f"the workflow does not run ({condition.reason})")
    elif condition.runs is None and decision.runs is True:
        decision = Decision(None, condition.reason)
    return JobPlan(
        name=node.name,
        job=node.job,
        runs=decision.runs,
        stage=node.stage,
        approval=node.approval,
        requires=node.requires,
        reason=decision.reason,
        contexts=node.contexts,
        job_group=node.job_group,
    )


def _listed(entries: list, values: Values, where: Where, scope: Scope) -> list[Node]:
    """The nodes of a list of workflow (or job group) entries, job groups expanded."""
    return [
        node
        for index, entry in enumerate(entries)
        for node in _nodes(entry, values, where.at(index), scope)
    ]


def _group(group: str, options: dict, values: Values, where: Where, scope: Scope) -> list[Node]:
    """A workflow entry that runs a job group: the group's jobs (ciconf.plan.groups)."""
    inside = scope.entering(group, where)
    definition = scope.groups[group]
    body = definition.doc.data["job-groups"][definition.path[-1]]
    members = body.get("jobs") if isinstance(body, dict) else None
    if not isinstance(members, list) or not members:
        raise definition.at("jobs").error("a job group needs a non-empty list of jobs")
    options = _fill_pipeline(options, values)
    nodes = _listed(members, values, definition.at("jobs"), inside)  # counted by scope.caps
    requires = _requires(options.get("requires"), where.at("requires"))
    return join(group, nodes, _own(options, values, where), requires)


def _nodes(entry: Any, values: Values, where: Where, scope: Scope) -> list[Node]:
    options: Any
    if isinstance(entry, str):
        job, options = entry, {}
    elif isinstance(entry, dict) and len(entry) == 1:
        job, options = next(iter(entry.items()))
        where = where.at(job)
        options = {} if options is None else options
        if not isinstance(options, dict):
            raise where.error(f"expected the job's options as a mapping, got {shown(options)}")
    else:
        raise where.error(
            "a workflow job is a name or a one-key mapping", expected="- build or - build: {...}"
        )
    job = render_scalar(job)
    if job in scope.groups:
        return _group(job, options, values, where, scope)
    nodes = []
    instances = expand(job, _fill_pipeline(options, values), where)
    scope.caps.add_jobs(len(instances), where)
    for instance in instances:
        opts = instance.options
        nodes.append(
            Node(
                name=instance.name,
                job=job,
                approval=opts.get("type") == "approval",
                contexts=_contexts(opts.get("context"), where.at("context")),
                requires=_requires(opts.get("requires"), where.at("requires")),
                own=_own(opts, values, where),
                group=instance.group,
                where=where,
                filtered=bool({"filters", "when", "unless"} & set(opts)),
            )
        )
    return nodes


def _own(options: dict, values: Values, where: Where) -> Decision:
    """A job entry's own filters, then its `when`/`unless` logic statement if it has one
    (https://support.circleci.com/hc/en-us/articles/33454665003291-Expression-Based-Job-Filters)."""
    decision = job_filter(options.get("filters"), values, where.at("filters"))
    if decision.runs is False:
        return decision
    condition = _condition(
        {key: options[key] for key in ("when", "unless") if key in options}, values, where, "job"
    )
    if condition.runs is False or (condition.runs is None and decision.runs is True):
        return condition
    return decision


def _fill_pipeline(options: dict, values: Values) -> dict:
    """Pipeline values and parameters the push decides are substituted before anything else, as
    CircleCI substitutes them when it compiles the config; unknown ones stay as written."""
    lookup = pipeline_lookup(values)

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            try:
                return fill(value, lookup)
            except Unknown:
                return value
        if isinstance(value, list):
            return [walk(item) for item in value]
        if isinstance(value, dict):
            return {key: walk(item) for key, item in value.items()}
        return value

    return {key: walk(value) for key, value in options.items()}


def _contexts(context: Any, where: Where) -> list[str]:
    if context is None:
        return []
    if isinstance(context, (str, int)):
        return [str(context)]
    if isinstance(context, list):
        return [render_scalar(item) for item in context]
    raise where.error(f"expected a context name or a list of them, got {shown(context)}")


def _requires(requires: Any, where: Where) -> list[Requirement]:
    if requires is None:
        return []
    if not isinstance(requires, list):
        raise where.error(f"expected a list of job names, got {shown(requires)}")
    found = []
    for index, item in enumerate(requires):
        here = where.at(index)
        if isinstance(item, dict) and len(item) == 1:
            name, statuses = next(iter(item.items()))
            found.append(Requirement(render_scalar(name), _statuses(statuses, here.at(name))))
        elif isinstance(item, (str, int, float)) and not isinstance(item, bool):
            found.append(Requirement(render_scalar(item), ("success",)))
        else:
            raise here.error(f"expected a job name or `job: status`, got {shown(item)}")
    return found


def _statuses(statuses: Any, where: Where) -> tuple[str, ...]:
    if statuses is None:
        return ("success",)
    listed = [statuses] if isinstance(statuses, str) else statuses
    if (
        not isinstance(listed, list)
        or not listed
        or not all(isinstance(item, str) and item in STATUSES for item in listed)
    ):
        raise where.error(
            f"unknown job status {shown(statuses)}",
            expected="one or a list of " + ", ".join(STATUSES),
        )
    return tuple(listed)
