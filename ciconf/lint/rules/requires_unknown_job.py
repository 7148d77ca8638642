"""CC101: a workflow job requires a name that no job in the same workflow runs under.

CircleCI rejects such a workflow when the pipeline starts; the schema cannot see it because
`requires` are plain strings.
"""

from __future__ import annotations

from collections.abc import Iterator

from ciconf.lint.context import LintContext
from ciconf.lint.findings import Finding, quoted
from ciconf.lint.rule import Rule
from ciconf.lint.suggest import Suggestions
from ciconf.lint.workflows import Entry, Workflow, group_members, is_templated, workflows

ID = "CC101"


def check(ctx: LintContext) -> Iterator[Finding]:
    for workflow in workflows(ctx):
        names: Suggestions | None = None
        resolve = workflow.resolve
        members: set[str] | None = None  # of the job groups the workflow runs, when needed
        for entry in workflow.entries:
            for required in entry.requires:
                resolved = resolve(required.name)
                if resolved.entries or not resolved.certain or is_templated(required.name):
                    continue
                if members is None:
                    members = group_members(ctx, workflow)
                if required.name in members:
                    continue
                if names is None and ctx.shown(ID):
                    names = Suggestions(entry.name for entry in workflow.entries)
                yield ctx.finding(
                    ID,
                    lambda: required.mark,
                    lambda: _message(workflow, entry, required.name, names),
                )


def _message(workflow: Workflow, entry: Entry, required: str, names: Suggestions | None) -> str:
    message = (
        f"job {quoted(entry.name)} requires {quoted(required)}, which is not a job of "
        f"{workflow.label}"
    )
    suggestion = names.closest(required) if names else None
    return message + (f"; did you mean {quoted(suggestion)}?" if suggestion else "")


RULE = Rule(
    ID, "requires-unknown-job", "a workflow job requires a job that is not in that workflow", check
)
