"""CC306: the deprecated `deploy:` step.

https://circleci.com/docs/reference/configuration-reference/#deploy-deprecated : `deploy` is
deprecated; `run` takes the same options. Found in the steps of jobs and commands (inline orbs
too), in `when`/`unless` steps and in workflow `pre-steps`/`post-steps`.
"""

from __future__ import annotations

from collections.abc import Iterator

from ciconf.lint.context import LintContext
from ciconf.lint.findings import Finding
from ciconf.lint.rule import Rule

ID = "CC306"
STEP_LISTS = ("steps", "pre-steps", "post-steps")


def check(ctx: LintContext) -> Iterator[Finding]:
    if "deploy" not in ctx.text:
        return
    for path, mark in ctx.written():
        if len(path) >= 3 and path[-1] == "deploy" and _in_step_list(path):
            yield ctx.finding(
                ID,
                ctx.doc.key_marks.get(path) or mark,
                "the deploy step is deprecated; use run, which takes the same options",
            )


def _in_step_list(path: tuple) -> bool:
    return isinstance(path[-2], int) and path[-3] in STEP_LISTS


RULE = Rule(ID, "deprecated-deploy-step", "a `deploy:` step (deprecated; use `run`)", check)
