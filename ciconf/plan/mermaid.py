"""The plan as a Mermaid flowchart: one subgraph per workflow, approvals as hexagons, jobs that do
not run greyed, and for ciconf profiles each account's ECR -> CodeBuild -> ECS pipeline.

Labels are always quoted, with every character Mermaid could read as syntax written as an entity
code (`#quot;`, `#35;`, `#37;` for the `%%` of comments and directives ...), so a job name cannot
break out of its label or configure the diagram. Node ids are generated.
"""

from __future__ import annotations

from ciconf.errors import printable
from ciconf.plan.model import Delivery, JobPlan, PipelinePlan

# `%%` starts a comment or a directive (`%%{init: ...}%%`) wherever it is, even in a label
_ENTITIES = {
    '"': "#quot;",
    "#": "#35;",
    "<": "#lt;",
    ">": "#gt;",
    "&": "#amp;",
    "`": "#96;",
    "%": "#37;",
}
CLASSES = [
    "classDef skipped fill:#eeeeee,stroke:#bbbbbb,color:#888888,stroke-dasharray:4 3",
    "classDef undecided fill:#fff8e1,stroke:#e0a800,stroke-dasharray:2 2",
    "classDef aws fill:#fff3e0,stroke:#ff9900",
]


def label(text: str) -> str:
    """A quoted Mermaid label for any text."""
    return '"' + "".join(_ENTITIES.get(char, char) for char in printable(text)) + '"'


def format_mermaid(plan: PipelinePlan) -> str:
    lines = ["flowchart LR"]
    ids: dict[str, str] = {}  # job name -> node id (first workflow that has it)
    styles: dict[str, list[str]] = {"skipped": [], "undecided": [], "aws": []}
    for w_index, workflow in enumerate(plan.workflows):
        state = {True: "", False: " (skipped)", None: " (undecided)"}[workflow.runs]
        lines.append(f"  subgraph w{w_index}[{label('workflow ' + workflow.name + state)}]")
        local: dict[str, str] = {}
        for j_index, job in enumerate(workflow.jobs):
            node = f"w{w_index}j{j_index}"
            local[job.name] = node
            ids.setdefault(job.name, node)
            lines.append(f"    {node}{_shape(job)}")
            if job.runs is False:
                styles["skipped"].append(node)
            elif job.runs is None:
                styles["undecided"].append(node)
        lines.append("  end")
        for job in workflow.jobs:
            for requirement in job.requires:
                for target in requirement.targets:
                    if target in local:
                        lines.append(f"  {local[target]} --> {local[job.name]}")
    for a_index, delivery in enumerate(plan.deliveries or []):
        lines += _account(a_index, delivery, ids.get(delivery.job), styles)
    lines += ["  " + line for line in CLASSES]
    for name, nodes in styles.items():
        if nodes:
            lines.append(f"  class {','.join(nodes)} {name}")
    return "\n".join(lines) + "\n"


def _shape(job: JobPlan) -> str:
    text = job.name + (" (approval)" if job.approval else "")
    return "{{" + label(text) + "}}" if job.approval else "[" + label(text) + "]"


def _account(
    index: int, delivery: Delivery, job_node: str | None, styles: dict[str, list[str]]
) -> list[str]:
    prefix = f"a{index}"
    title = f"account {delivery.account} ({delivery.region})"
    lines = [f"  subgraph {prefix}[{label(title)}]"]
    ecr = f"{prefix}ecr"
    lines.append(f"    {ecr}[({label('ECR ' + ', '.join(delivery.images))})]")
    nodes = [ecr]
    if delivery.pipeline is not None:
        pipeline = delivery.pipeline
        steps = [("cb", f"CodeBuild (pins {delivery.source}:{delivery.deploy_tag} by digest)")]
        if pipeline["approval"]:
            steps.append(("ok", "manual approval"))
        steps.append(
            ("ecs", f"ECS {pipeline['cluster']}/{pipeline['service']} ({pipeline['strategy']})")
        )
        previous = ecr
        for suffix, text in steps:
            node = f"{prefix}{suffix}"
            shape = "{{" + label(text) + "}}" if suffix == "ok" else "[" + label(text) + "]"
            lines.append(f"    {node}{shape}")
            lines.append(f"    {previous} --> {node}")
            nodes.append(node)
            previous = node
    lines.append("  end")
    if job_node is not None:
        lines.append(f"  {job_node} -- {label('commit tag + ' + delivery.deploy_tag)} --> {ecr}")
    key = {True: "aws", False: "skipped", None: "undecided"}[delivery.runs]
    styles[key].extend(nodes)
    return lines
