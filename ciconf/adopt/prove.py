"""The import's proof: `plan` on the original config and on the config the profile renders runs
the same jobs (up to the renames the report lists) for every push that matters.

The pushes: every branch and tag the config's filters name literally, plus the default branch, a
feature branch and a version tag.
"""

from __future__ import annotations

from typing import Any

from ciconf.adopt import refs
from ciconf.plan.compute import declared_parameters, plan_config
from ciconf.plan.values import Push, build_values, check_ref
from ciconf.yamlkit.load import Document

DEFAULT_BRANCHES = ("main",)
FEATURE_BRANCH = "feature/ciconf-import"
VERSION_TAG = "v1.2.3"


def pushes(doc: Document) -> list[Push]:
    branches: list[str] = list(DEFAULT_BRANCHES)
    tags: list[str] = []
    for filters in _all_filters(doc.data):
        branches += refs.named_refs(filters.get("branches"))
        tags += refs.named_refs(filters.get("tags"))
    branches += [FEATURE_BRANCH]
    tags += [VERSION_TAG]
    found = []
    for kind, names in (("branch", branches), ("tag", tags)):
        for name in dict.fromkeys(names):
            try:
                found.append(check_ref(kind, name))
            except Exception:  # a name git refuses is no push to try
                continue
    return found


def _all_filters(data: Any) -> list[dict]:
    found: list[dict] = []
    workflows = data.get("workflows") if isinstance(data, dict) else None
    if not isinstance(workflows, dict):
        return found
    for workflow in workflows.values():
        jobs = workflow.get("jobs") if isinstance(workflow, dict) else None
        for entry in jobs if isinstance(jobs, list) else []:
            if isinstance(entry, dict) and len(entry) == 1:
                options = next(iter(entry.values()))
                if isinstance(options, dict) and isinstance(options.get("filters"), dict):
                    found.append(options["filters"])
    return found


def _runs(doc: Document, push: Push, rename: dict[tuple[str, str], str] | None) -> tuple[set, set]:
    values = build_values(push, declared_parameters(doc), {}, doc.source)
    plan = plan_config(doc, values)
    running: set[str] = set()
    undecided: set[str] = set()
    for workflow in plan.workflows:
        for job in workflow.jobs:
            name = (
                rename.get((workflow.name, job.name), job.name) if rename is not None else job.name
            )
            if job.runs is True:
                running.add(name)
            elif job.runs is None:
                undecided.add(name)
    return running, undecided


def compare(
    original: Document,
    rendered: Document,
    rename: dict[tuple[str, str], str],
    added: frozenset[str] = frozenset(),
) -> tuple[list[str], list[str]]:
    """The pushes tried, and one line per push whose plans differ.

    A job the original's plan cannot decide (a condition on a value the push does not fix) is
    left out of the comparison: nothing can be proven about it either way. `added` are jobs the
    import had to add (a profile needs a test job), listed in the report."""
    tried, differences = [], []
    for push in pushes(original):
        tried.append(push.describe())
        before, before_open = _runs(original, push, rename)
        after, after_open = _runs(rendered, push, None)
        after -= added | before_open
        after_open -= added | before_open
        if before == after and not after_open:
            continue
        parts = []
        if before - after:
            parts.append("only the original runs " + ", ".join(sorted(before - after)))
        if after - before:
            parts.append("only the profile runs " + ", ".join(sorted(after - before)))
        if after_open:
            parts.append("the profile's plan cannot decide " + ", ".join(sorted(after_open)))
        differences.append(f"{push.describe()}: " + "; ".join(parts))
    return tried, differences
