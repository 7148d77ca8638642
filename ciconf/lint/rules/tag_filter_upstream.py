"""CC105: a job runs for git tags, but a job it requires has no tags filter.

CircleCI runs a job for a tag only when it and every job it requires, directly or not, carry a
tags filter (https://circleci.com/docs/guides/orchestrate/workflows/#executing-workflows-for-a-git-tag);
otherwise the release silently never starts. Reported on the `requires` entry to fix; fixing it may
reveal the next job upstream.
"""

from __future__ import annotations

from typing import Any, Iterator

from ciconf.lint.context import LintContext
from ciconf.lint.findings import Finding
from ciconf.lint.rule import Rule
from ciconf.lint.workflows import is_templated, resolve, workflows

ID = "CC105"


def _options(ctx: LintContext, workflow: str) -> dict[str, dict]:
    """Each entry's options by the name it runs under (entries as workflows.py reads them)."""
    found: dict[str, dict] = {}
    jobs = ctx.data["workflows"][workflow]["jobs"]
    for item in jobs:
        if isinstance(item, str):
            found.setdefault(item, {})
        elif isinstance(item, dict) and len(item) == 1:
            job, options = next(iter(item.items()))
            options = options if isinstance(options, dict) else {}
            name = options.get("name")
            found.setdefault(name if isinstance(name, str) else str(job), options)
    return found


def _tags(options: dict) -> Any:
    filters = options.get("filters")
    return filters.get("tags") if isinstance(filters, dict) else None


def _runs_for_tags(options: dict) -> bool:
    tags = _tags(options)
    return isinstance(tags, dict) and bool(tags.get("only"))


def check(ctx: LintContext) -> Iterator[Finding]:
    for workflow in workflows(ctx):
        options = _options(ctx, workflow.name)
        for entry in workflow.entries:
            if not _runs_for_tags(options.get(entry.name, {})):
                continue
            for required in entry.requires:
                if is_templated(required.name):
                    continue
                for upstream in resolve(workflow, required.name):
                    if _tags(options.get(upstream.name, {})) is None:
                        yield ctx.finding(
                            ID,
                            required.mark,
                            f"job {entry.name!r} runs for git tags but requires {upstream.name!r}, which has "
                            f"no tags filter, so CircleCI never runs {entry.name!r} for a tag; give "
                            f"{upstream.name!r} the same filters.tags",
                        )
                        break


RULE = Rule(ID, "tag-filter-upstream", "a job runs for tags but a job it requires has no tags filter", check)
