"""The plan: what runs for one push, as plain data the formatters print."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Requirement:
    name: str  # as written (after matrix values are filled in)
    statuses: tuple[str, ...]  # "success" unless the 2.1 status form says otherwise
    targets: list[str] = field(default_factory=list)  # the job names it resolves to


@dataclass
class JobPlan:
    name: str
    job: str  # the job it runs (`orb/job` for an orb's job)
    runs: bool | None
    stage: int
    approval: bool
    requires: list[Requirement]
    reason: str | None
    contexts: list[str]
    job_group: str | None = None  # the job group (`job-groups:`) it runs in

    def as_json(self) -> dict[str, Any]:
        data = {
            "name": self.name,
            "runs": self.runs,
            "stage": self.stage,
            "approval": self.approval,
            "requires": [name for requirement in self.requires for name in requirement.targets],
            "reason": self.reason,
            "job": self.job,
            "contexts": self.contexts,
        }
        if self.job_group is not None:
            data["job_group"] = self.job_group
        return data


@dataclass
class WorkflowPlan:
    name: str
    runs: bool | None
    reason: str | None
    jobs: list[JobPlan]
    notes: list[str] = field(default_factory=list)  # what CircleCI would say about the whole config

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "runs": self.runs,
            "reason": self.reason,
            "jobs": [job.as_json() for job in self.jobs],
        }
        if self.notes:
            data["notes"] = self.notes
        return data


@dataclass
class Delivery:
    """For a ciconf profile: what one account receives when its delivery job runs."""

    account: str
    runs: bool | None
    job: str
    hold: str | None
    region: str
    registry: str
    images: list[str]  # repositories, in push order (the pipeline's source image last)
    commit_tag: str
    deploy_tag: str
    source: str  # the repository whose deploy tag starts the AWS pipeline
    stack: str
    pipeline: dict[str, Any] | None  # cluster, service, approval, strategy (None: no stack)
    # where the deploy role ciconf makes trusts pushes the workflow never delivers for
    trust_wider: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "account": self.account,
            "runs": self.runs,
            "job": self.job,
            "approval_job": self.hold,
            "region": self.region,
            "registry": self.registry,
            "images": [
                {"repository": name, "tags": [self.commit_tag, self.deploy_tag]}
                for name in self.images
            ],
            "commit_tag": self.commit_tag,
            "deploy_tag": self.deploy_tag,
            "pipeline_source": self.source,
            "stack": self.stack,
            "pipeline": self.pipeline,
        }
        if self.trust_wider:
            data["trust_wider_than_filters"] = list(self.trust_wider)
        return data


@dataclass
class PipelinePlan:
    """What one CircleCI pipeline runs (`ciconf plan`); not the profile's derived values
    (ciconf.profile.derive.Plan)."""

    source: str
    push: str  # "branch develop" / "tag v1.4.0"
    workflows: list[WorkflowPlan]
    setup: bool = False
    deliveries: list[Delivery] | None = None  # only for ciconf profiles

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"workflows": [workflow.as_json() for workflow in self.workflows]}
        if self.deliveries is not None:
            data["deliveries"] = [delivery.as_json() for delivery in self.deliveries]
        return data

    def job(self, name: str) -> JobPlan | None:
        for workflow in self.workflows:
            for job in workflow.jobs:
                if job.name == name:
                    return job
        return None
