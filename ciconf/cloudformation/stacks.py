"""Every CloudFormation stack a profile generates, for `ciconf cfn`, `render` and `check`.

Per account: its bootstrap (ECR repositories, deploy role), its environment (with an
`environment` section: VPC, load balancer, ECS services) and its pipeline (with a `pipeline`
section). The pipeline side (render.py) and the environment side (environment.py) each list
their own; this module is the one place that puts them together.
"""

from __future__ import annotations

from dataclasses import dataclass

from ciconf.cloudformation import environment, render
from ciconf.errors import InputError
from ciconf.profile.derive import Plan
from ciconf.yamlkit.load import Document

KINDS = ("bootstrap", "environment", "pipeline")  # in the order they are deployed
DEFAULT_DIR = render.DEFAULT_DIR


def all_stacks(doc: Document, plan: Plan, directory: str = DEFAULT_DIR) -> list[tuple[str, str]]:
    """(file, text) of every stack of every account; pure. Bad input raises one located
    InputError."""
    return render.stacks_for(doc, plan, directory) + environment.environment_stacks_for(
        doc, plan, directory
    )


@dataclass(frozen=True)
class CfnRequest:
    """What `ciconf cfn` is asked for: with an `account`, its `stack` (written to `output`, to the
    stack's default file, or to stdout); with account None (`--all`), every stack of every
    account under `directory`."""

    account: str | None
    stack: str = "pipeline"
    output: str | None = None
    stdout: bool = False
    directory: str | None = None

    @property
    def every(self) -> bool:
        return self.account is None


def cfn_outputs(doc: Document, plan: Plan, request: CfnRequest) -> list[tuple[str | None, str]]:
    """What `ciconf cfn` writes: (file, text), file None for stdout; all rendered before any
    write."""
    account, stack, output, stdout = request.account, request.stack, request.output, request.stdout
    directory = request.directory
    if account is None:
        render.check_services(doc, plan)
        chosen = render.all_targets(doc, plan, directory or DEFAULT_DIR)
        return [
            *render.rendered(doc, plan, [*chosen]),
            *environment.environment_stacks_for(doc, plan, directory or DEFAULT_DIR),
        ]
    if stack == "environment":
        return [environment_output(doc, plan, account, output=output, stdout=stdout)]
    render.check_services(doc, plan)
    picked = render.find_account(plan, account, doc.source)
    if stack == "pipeline":
        render.require_pipeline(doc, plan, picked)
    target = None if stdout else (output or render.default_output(plan, picked, stack))
    return render.rendered(doc, plan, [render.StackTarget(picked, stack, target)])


def environment_output(
    doc: Document, plan: Plan, account: str, *, output: str | None, stdout: bool
) -> tuple[str | None, str]:
    """`ciconf cfn --account NAME --stack environment`: that account's environment stack."""
    picked = render.find_account(plan, account, doc.source)
    for path, text in environment.environment_stacks_for(doc, plan):
        if path == environment.default_output(plan.project, picked):
            return (None if stdout else (output or path), text)
    raise InputError(
        doc.source,
        f"account {picked.name!r} has no environment section",
        field="accounts",
        expected="an `environment:` section under the account (see docs/environment.md)",
    )
