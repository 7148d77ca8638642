"""CC102: a workflow runs a job that the config does not define.

Orb jobs (`orb/job`) are defined by their orb, and approval jobs (`type: approval`) exist only
in the workflow; neither needs an entry under `jobs:`.
"""

from __future__ import annotations

from typing import Iterator

from ciconf.errors import closest
from ciconf.lint.context import LintContext
from ciconf.lint.findings import Finding
from ciconf.lint.rule import Rule
from ciconf.lint.workflows import is_templated, workflows

ID = "CC102"


def check(ctx: LintContext) -> Iterator[Finding]:
    jobs = ctx.data.get("jobs") if isinstance(ctx.data, dict) else None
    defined = [str(name) for name in jobs] if isinstance(jobs, dict) else []
    for workflow in workflows(ctx):
        for entry in workflow.entries:
            if entry.approval or "/" in entry.job or is_templated(entry.job) or entry.job in defined:
                continue
            message = f"workflow {workflow.name!r} runs job {entry.job!r}, which is not defined under jobs"
            suggestion = closest(entry.job, defined)
            if suggestion:
                message += f"; did you mean {suggestion!r}?"
            yield ctx.finding(ID, entry.mark, message)


RULE = Rule(ID, "undefined-job", "a workflow runs a job that is not defined (nor an orb job or an approval)", check)
