"""CC102: a workflow runs a job that the config does not define.

Orb jobs (`orb/job`) are defined by their orb, approval jobs (`type: approval`) exist only
in the workflow, and a job group (top-level `job-groups:`) runs its own jobs; none of them needs
an entry under `jobs:`. The jobs a group lists are checked like a workflow's.
"""

from __future__ import annotations

from collections.abc import Iterator

from ciconf.lint.context import LintContext
from ciconf.lint.findings import Finding, quoted
from ciconf.lint.rule import Rule
from ciconf.lint.suggest import Suggestions
from ciconf.lint.workflows import is_templated, job_group_names, workflows

ID = "CC102"


def check(ctx: LintContext) -> Iterator[Finding]:
    jobs = ctx.data.get("jobs") if isinstance(ctx.data, dict) else None
    defined = {str(name) for name in jobs} if isinstance(jobs, dict) else set()
    runnable = defined | job_group_names(ctx)
    suggestions: Suggestions | None = None
    for workflow in workflows(ctx):
        for entry in workflow.entries:
            if (
                entry.approval
                or "/" in entry.job
                or entry.job in runnable
                or is_templated(entry.job)
            ):
                continue
            if ctx.shown(ID):
                suggestions = suggestions or Suggestions(runnable)
            yield ctx.finding(
                ID, entry.mark, lambda: _message(workflow.label, entry.job, suggestions)
            )


def _message(label: str, job: str, suggestions: Suggestions | None) -> str:
    message = f"{label} runs job {quoted(job)}, which is not defined under jobs"
    suggestion = suggestions.closest(job) if suggestions else None
    return message + (f"; did you mean {quoted(suggestion)}?" if suggestion else "")


RULE = Rule(
    ID,
    "undefined-job",
    "a workflow runs a job that is not defined (nor an orb job or an approval)",
    check,
)
