"""Which stacks a profile generates, where they go, and their YAML (with a header naming the
command)."""

from __future__ import annotations

from typing import NamedTuple

from ciconf.circleci.render import display_path
from ciconf.cloudformation import bootstrap, quotas
from ciconf.cloudformation.template import build_template
from ciconf.defaults import DEFAULT_STACKS_DIR
from ciconf.errors import InputError, closest, field_name
from ciconf.profile.derive import AccountPlan, Plan, bootstrap_stack_name, promotion_targets
from ciconf.yamlkit.load import Document

DEFAULT_DIR = DEFAULT_STACKS_DIR
STACKS = ("bootstrap", "pipeline")  # in the order they are deployed


class StackTarget(NamedTuple):
    """One stack to render: the account, which of its stacks, and its file (None: stdout)."""

    account: AccountPlan
    stack: str
    path: str | None


def stack_name(plan: Plan, account: AccountPlan, stack: str) -> str:
    return (
        bootstrap_stack_name(plan.project, account) if stack == "bootstrap" else account.stack_name
    )


def default_output(
    plan: Plan, account: AccountPlan, stack: str = "pipeline", directory: str = DEFAULT_DIR
) -> str:
    return f"{directory.rstrip('/')}/{stack_name(plan, account, stack)}.yaml"


def find_account(plan: Plan, name: str, profile_path: str) -> AccountPlan:
    names = [account.name for account in plan.accounts]
    if not names:
        raise InputError(profile_path, "the profile has no accounts", field="accounts")
    for account in plan.accounts:
        if account.name == name:
            return account
    raise InputError(
        profile_path,
        f"no account named {name!r}",
        field="--account",
        expected="one of " + ", ".join(names),
        suggestion=closest(name, names),
    )


def require_pipeline(doc: Document, plan: Plan, account: AccountPlan) -> None:
    if account.pipeline is not None:
        return
    index = plan.accounts.index(account)
    mark = doc.mark_for(("accounts", index, "name"))
    raise InputError(
        doc.source,
        f"account {account.name!r} has no pipeline section, so there is no stack to generate",
        line=mark.line if mark else None,
        column=mark.column if mark else None,
        field=f"accounts[{index}].pipeline",
        expected="pipeline: {cluster: ..., service: ...}",
    )


def _located(
    doc: Document,
    path: tuple,
    message: str,
    expected: str | None = None,
    suggestion: str | None = None,
) -> InputError:
    mark = doc.mark_for(path)
    field = field_name(path)
    return InputError(
        doc.source,
        message,
        line=mark.line if mark else None,
        column=mark.column if mark else None,
        field=field,
        expected=expected,
        suggestion=suggestion,
    )


def check_services(doc: Document, plan: Plan) -> None:
    """Each delivered container runs in exactly one of an account's `services` (located error)."""
    if plan.delivery is None:
        return
    containers = [image.container for image in plan.delivery.images]
    for index, account in enumerate(plan.accounts):
        services = account.pipeline.services if account.pipeline else None
        if services is None:
            continue
        for number, service in enumerate(services):
            for position, name in enumerate(service.containers):
                if name not in containers:
                    raise _located(
                        doc,
                        ("accounts", index, "pipeline", "services", number, "containers", position),
                        f"{name!r} is not the container of any delivered image",
                        expected="one of " + ", ".join(containers),
                        suggestion=closest(name, containers),
                    )
        listed = {name for service in services for name in service.containers}
        missing = [name for name in containers if name not in listed]
        if missing:
            raise _located(
                doc,
                ("accounts", index, "pipeline", "services"),
                f"container {missing[0]!r} runs in none of the services; list it under "
                "one service's containers",
            )


def targets(plan: Plan, directory: str = DEFAULT_DIR) -> list[StackTarget]:
    """(account, stack, file) of every stack the profile generates: a bootstrap per account, then
    a pipeline per account with a pipeline section."""
    if plan.delivery is None:
        return []
    out = []
    for account in plan.accounts:
        for stack in STACKS:
            if stack == "pipeline" and account.pipeline is None:
                continue
            out.append(StackTarget(account, stack, default_output(plan, account, stack, directory)))
    return out


def all_targets(doc: Document, plan: Plan, directory: str) -> list[StackTarget]:
    """`ciconf cfn --all`: every stack; an error when the profile has no accounts."""
    if not plan.accounts:
        raise InputError(doc.source, "the profile has no accounts", field="accounts")
    return targets(plan, directory)


def header(
    plan: Plan, profile_path: str, account: AccountPlan, stack: str, output_path: str | None
) -> list[str]:
    command = f"ciconf cfn {display_path(profile_path)} --account {account.name}"
    if stack != "pipeline":
        command += f" --stack {stack}"
    if output_path is not None and display_path(output_path) != default_output(
        plan, account, stack
    ):
        command += f" -o {display_path(output_path)}"
    lines = [
        f"Generated by ciconf from {display_path(profile_path)} for account {account.name}"
        f" (stack {stack_name(plan, account, stack)}).",
        f"Do not edit by hand: change the profile and regenerate with `{command}`.",
    ]
    if stack == "bootstrap":
        lines += bootstrap.notes(account)
    return lines


def render_stack(
    plan: Plan, target: StackTarget, profile_path: str, doc: Document | None = None
) -> str:
    """The stack's YAML; over a CloudFormation quota, an InputError (located with `doc`)."""
    account, stack, output_path = target
    assert plan.delivery is not None  # accounts require a delivery section
    if stack == "bootstrap":
        source = plan.account(account.promote_from) if account.promote_from else None
        targets = promotion_targets(plan.accounts, account.name)
        template = bootstrap.build_bootstrap(plan.project, plan.delivery, account, targets, source)
        grows_with: tuple = ("delivery", "images")  # one repository, and its output, per image
    else:
        template = build_template(plan.project, plan.delivery, account)
        grows_with = ("accounts", plan.accounts.index(account), "pipeline")
    return quotas.written(
        template,
        header(plan, profile_path, account, stack, output_path),
        stack_name(plan, account, stack),
        quotas.Origin(profile_path, doc, grows_with),
    )


def stacks_for(
    profile_doc: Document, plan: Plan, directory: str = DEFAULT_DIR
) -> list[tuple[str, str]]:
    """(file, text) of every stack the profile generates, at its default path under `directory`.

    Pure: reads nothing and writes nothing, so `check` can compare and `render` can write the same
    list. Bad input (a container in no service...) raises one located InputError.
    """
    check_services(profile_doc, plan)
    found = []
    for target in targets(plan, directory):
        assert target.path is not None  # targets() gives every stack its default file
        found.append((target.path, render_stack(plan, target, profile_doc.source, profile_doc)))
    return found


def rendered(doc: Document, plan: Plan, chosen: list[StackTarget]) -> list[tuple[str | None, str]]:
    """(file, text) of each chosen stack; file None for stdout."""
    return [(target.path, render_stack(plan, target, doc.source, doc)) for target in chosen]
