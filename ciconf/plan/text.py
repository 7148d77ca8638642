"""The plan as text for a terminal: workflows, jobs by stage, why a job does not run, deliveries."""

from __future__ import annotations

from ciconf.errors import printable
from ciconf.plan.model import Delivery, JobPlan, PipelinePlan, WorkflowPlan


def _state(runs: bool | None) -> str:
    return {True: "runs", False: "skipped", None: "undecided"}[runs]


def format_text(plan: PipelinePlan) -> str:
    lines = [f"plan for {printable(plan.push)}: {printable(plan.source)}"]
    if plan.setup:
        lines.append(
            "setup config: its workflows run first, then continue with another config (not planned)"
        )
    if not plan.workflows:
        lines.append("no workflows")
    for workflow in plan.workflows:
        lines += ["", *_workflow(workflow)]
    if plan.deliveries is not None:
        lines += ["", "deliveries:"] + [
            line for delivery in plan.deliveries for line in _delivery(delivery)
        ]
        if not plan.deliveries:
            lines.append("  none (the profile has no delivery section)")
    return "\n".join(lines) + "\n"


def _workflow(workflow: WorkflowPlan) -> list[str]:
    head = f"workflow {printable(workflow.name)}: {_state(workflow.runs)}"
    if workflow.reason:
        head += f" -- {printable(workflow.reason)}"
    width = max((len(printable(job.name)) for job in workflow.jobs), default=0)
    notes = [f"  note: {printable(note)}" for note in workflow.notes]
    return [head, *notes] + [_job(job, width) for job in workflow.jobs]


def _job(job: JobPlan, width: int) -> str:
    kind = "approval" if job.approval else "job"
    text = f"  stage {job.stage}  {kind:<8}  {printable(job.name):<{width}}  {_state(job.runs)}"
    if job.approval and job.runs:
        text += " (waits for approval)"
    if job.reason:
        text += f": {printable(job.reason)}"
    extras = []
    if job.job != job.name:
        extras.append(f"runs job {printable(job.job)}")
    if job.job_group is not None:
        extras.append(f"in job group {printable(job.job_group)}")
    targets = [name for requirement in job.requires for name in requirement.targets]
    if targets:
        extras.append("after " + ", ".join(printable(name) for name in targets))
    if job.contexts:
        extras.append("contexts " + ", ".join(printable(name) for name in job.contexts))
    return text + (f"  [{'; '.join(extras)}]" if extras else "")


def _delivery(delivery: Delivery) -> list[str]:
    head = f"  {printable(delivery.account)}: {_state(delivery.runs)} ({printable(delivery.job)})"
    trust = [
        f"    deploy role trusts more than the filters: {printable(why)}"
        for why in delivery.trust_wider
    ]
    if delivery.runs is False:
        return [head + " -- nothing is pushed to this account", *trust]
    lines = [
        head,
        f"    pushes {', '.join(delivery.images)} to {delivery.registry} ({delivery.region})",
        f"    tags: {delivery.commit_tag}, then {delivery.deploy_tag} ({delivery.source} last)",
    ]
    if delivery.hold:
        lines.append(f"    after approval job {printable(delivery.hold)}")
    if delivery.pipeline is None:
        lines.append("    no AWS pipeline in the profile for this account")
    else:
        pipeline = delivery.pipeline
        approval = " -> manual approval" if pipeline["approval"] else ""
        lines.append(
            f"    starts {delivery.stack}: ECR {delivery.source}:{delivery.deploy_tag} -> "
            f"CodeBuild{approval}"
            f" -> ECS {pipeline['cluster']}/{pipeline['service']} ({pipeline['strategy']})"
        )
    return lines + trust
