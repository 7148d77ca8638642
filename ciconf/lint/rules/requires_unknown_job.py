"""CC101: a workflow job requires a name that no job in the same workflow runs under.

CircleCI rejects such a workflow when the pipeline starts; the schema cannot see it because
`requires` are plain strings.
"""

from __future__ import annotations

from typing import Iterator

from ciconf.errors import closest
from ciconf.lint.context import LintContext
from ciconf.lint.findings import Finding
from ciconf.lint.rule import Rule
from ciconf.lint.workflows import is_templated, resolve, workflows

ID = "CC101"


def check(ctx: LintContext) -> Iterator[Finding]:
    for workflow in workflows(ctx):
        names = [entry.name for entry in workflow.entries]
        for entry in workflow.entries:
            for required in entry.requires:
                if is_templated(required.name) or resolve(workflow, required.name):
                    continue
                message = (
                    f"job {entry.name!r} requires {required.name!r}, which is not a job "
                    f"of workflow {workflow.name!r}"
                )
                suggestion = closest(required.name, names)
                if suggestion:
                    message += f"; did you mean {suggestion!r}?"
                yield ctx.finding(ID, required.mark, message)


RULE = Rule(ID, "requires-unknown-job", "a workflow job requires a job that is not in that workflow", check)
