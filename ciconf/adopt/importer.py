"""`ciconf import`: an existing CircleCI config (2.0 or 2.1) as profile data, and a report of
where each element went.

Jobs keep their workflow names where the profile's grammar allows; several workflows become the
profile's one workflow (a job entry that appears in several identical workflows is one job). A
job becomes a test job, a delivery (an account) or, failing both, a custom job holding its steps
verbatim, so nothing is dropped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from ciconf.adopt import conditions, ecr_orb, refs, steps, tests_jobs, validate
from ciconf.adopt import delivery as ecr
from ciconf.adopt.report import Report
from ciconf.adopt.resolve import Job, Resolver
from ciconf.errors import InputError
from ciconf.plan.matrix import expand
from ciconf.plan.values import render_scalar
from ciconf.plan.where import Where
from ciconf.profile.grammar import JOB_NAME_PATTERN
from ciconf.profile.models import CustomJob, TestJob
from ciconf.yamlkit.load import Document

PLACEHOLDER = "placeholder-test"
JOB_NAME = re.compile(JOB_NAME_PATTERN)  # the profile's own: letters of either case
ORB_REF = re.compile(
    r"([a-z0-9][a-z0-9-]{0,63}/[a-z0-9][a-z0-9-]{0,63})@([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?"
)


@dataclass
class Node:
    """One job of the profile's workflow, from one or more workflow entries of the config."""

    name: str
    originals: list[tuple[str, str]]  # (workflow, job name there)
    job: Job | None  # None for an approval
    options: dict
    requires: list[str] = field(default_factory=list)  # profile names
    kind: str = "custom"  # test, merge, delivery, approval, custom
    fields: dict = field(default_factory=dict)
    notes: steps.Notes = field(default_factory=steps.Notes)
    converted: list = field(default_factory=list)  # its steps as profile steps (before mapping)


@dataclass
class Imported:
    profile: dict
    report: Report
    renames: dict[tuple[str, str], str]  # (workflow, original name) -> profile name


def import_document(doc: Document, project: str) -> Imported:
    data = doc.data
    if not isinstance(data, dict):
        raise Where(doc, ()).error(
            "a CircleCI config is a mapping", expected="version:, jobs:, workflows:"
        )
    report = Report(source=doc.source, version=str(data.get("version", "")))
    if report.version in ("2", "2.0"):
        report.modernised.append(
            f"version: {report.version} -> 2.1 (CircleCI no longer runs 2.0 configs)"
        )
    resolver = Resolver(data, doc.source)
    nodes = _nodes(doc, data, resolver, report)
    _classify(nodes, report, data)
    profile = _profile(project, nodes, data, report)
    renames = {original: node.name for node in nodes for original in node.originals}
    for (workflow, name), new in renames.items():
        if name != new:
            report.renames.append((workflow, name, new))
    return Imported(profile, report, renames)


# --- the workflow graph ---------------------------------------------------------------------------


def _entries(doc: Document, data: dict) -> list[tuple[str, list, Where]]:
    workflows = data.get("workflows")
    if workflows is None:
        if isinstance(data.get("jobs"), dict) and "build" in data["jobs"]:
            return [("build", ["build"], Where(doc, ("jobs", "build")))]
        return []
    if not isinstance(workflows, dict):
        raise Where(doc, ("workflows",)).error("expected a mapping of workflows")
    found = []
    for name, workflow in workflows.items():
        if name == "version" or not isinstance(workflow, dict):
            continue
        jobs = workflow.get("jobs")
        if not isinstance(jobs, list):
            raise Where(doc, ("workflows", name, "jobs")).error("a workflow needs a list of jobs")
        found.append((str(name), jobs, Where(doc, ("workflows", name))))
    return found


def _nodes(doc: Document, data: dict, resolver: Resolver, report: Report) -> list[Node]:
    """The profile's one workflow: the nodes of every workflow, a job that several identical
    workflows run once, and a job of another workflow under the same name renamed."""
    nodes: list[Node] = []
    by_name: dict[str, Node] = {}
    workflows = data.get("workflows") if isinstance(data.get("workflows"), dict) else {}
    for workflow, entries, where in _entries(doc, data):
        spec = workflows.get(workflow) if isinstance(workflows, dict) else None
        decided = _workflow_outcome(workflow, spec, resolver, report)
        pending = _workflow_nodes(workflow, entries, where, decided, resolver)
        _add_nodes(pending, by_name, nodes)
    return nodes


def _workflow_outcome(
    workflow: str, spec: Any, resolver: Resolver, report: Report
) -> bool | list | None:
    """When the workflow runs on a push: always (True), never (False), on these branches (a
    list), or on a condition the profile cannot hold (None, reported)."""
    decided = (
        conditions.workflow_outcome(resolver.fill_pipeline(spec))
        if isinstance(spec, dict)
        else True
    )
    if decided is False:
        report.mapped.append(
            f"workflow {workflow}: never runs on a push (schedule or condition); "
            "its jobs get filters that match no push"
        )
    elif isinstance(decided, list) and decided:
        report.mapped.append(f"workflow {workflow}: its condition -> branch filters of its jobs")
    elif decided is None:
        for key in ("when", "unless", "triggers"):
            if key in spec:
                report.lost.append(
                    f"workflow {workflow}: `{key}` (the profile's one workflow runs on every push)"
                )
    return decided


def _workflow_nodes(
    workflow: str, entries: list, where: Where, decided: bool | list | None, resolver: Resolver
) -> list[tuple[Node, list[str]]]:
    """A node per job instance of the workflow (matrix expanded), with the profile names of the
    jobs it requires."""
    only_on = decided if isinstance(decided, list) and decided else None
    local: dict[str, list[str]] = {}
    pending: list[tuple[Node, list[str]]] = []
    for index, entry in enumerate(entries):
        job, options = _entry(entry, where.at("jobs", index))
        matrix = options.get("matrix")
        if isinstance(matrix, dict) and isinstance(matrix.get("parameters"), dict):
            options = {**options, **{k: f"<< matrix.{k} >>" for k in matrix["parameters"]}}
        for instance in expand(job, options, where.at("jobs", index)):
            opts = instance.options
            if only_on:
                opts = {**opts, "filters": conditions.restrict(opts.get("filters"), only_on)}
            elif decided is False:
                opts = {**opts, "filters": conditions.NEVER}
            resolved = None if opts.get("type") == "approval" else resolver.job(job, opts)
            node = Node(_name(instance.name), [(workflow, instance.name)], resolved, opts)
            requires = [
                render_scalar(next(iter(r)) if isinstance(r, dict) else r)
                for r in opts.get("requires") or []
            ]
            local.setdefault(instance.name, []).append(node.name)
            if instance.group and instance.group != instance.name:
                local.setdefault(instance.group, []).append(node.name)
            pending.append((node, requires))
    for node, requires in pending:
        node.requires = [target for name in requires for target in local.get(name, [name])]
    return pending


def _add_nodes(
    pending: list[tuple[Node, list[str]]], by_name: dict[str, Node], nodes: list[Node]
) -> None:
    """A workflow's nodes into the profile's: a twin of a node already there is that node; a
    different job under a taken name gets the workflow's name after its own."""
    for node, _ in pending:
        twin = by_name.get(node.name.lower())  # `by_name` is keyed ignoring case
        if twin is not None and _same(twin, node):
            twin.originals += node.originals
            _rename(pending, node.name, twin.name)
            continue
        if twin is not None:
            new = _free(f"{node.name[:30]}-{_name(node.originals[0][0])[:9]}", by_name)
            _rename(pending, node.name, new)
            node.name = new
        by_name[node.name.lower()] = node
        nodes.append(node)


def _rename(pending: list[tuple[Node, list[str]]], old: str, new: str) -> None:
    for node, _ in pending:
        node.requires = [new if name == old else name for name in node.requires]


def _same(a: Node, b: Node) -> bool:
    keys = ("filters", "context", "type")
    return (
        a.requires == b.requires
        and all(a.options.get(k) == b.options.get(k) for k in keys)
        and (a.job is None) == (b.job is None)
        and _definition(a.job) == _definition(b.job)
    )


def _definition(job: Job | None) -> tuple | None:
    return None if job is None else (job.body, job.steps, job.parameters)


def _free(name: str, taken: dict) -> str:
    """`name`, or it numbered: unlike every name in `taken` ignoring case, as the profile's are."""
    taken_names = {str(key).lower() for key in taken}
    base, number = name.rstrip("-_"), 2
    while name.lower() in taken_names:
        name = f"{base[:36]}-{number}"
        number += 1
    return name


def _name(name: str) -> str:
    """A job name the profile accepts: letters, digits, '_' and '-', up to 40, the case kept."""
    if JOB_NAME.fullmatch(name):
        return name
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-_")
    if not cleaned or not cleaned[0].isalpha():
        cleaned = "job-" + cleaned
    return cleaned[:40].rstrip("-_")


def _entry(entry: Any, where: Where) -> tuple[str, dict]:
    if isinstance(entry, str):
        return entry, {}
    if isinstance(entry, dict) and len(entry) == 1:
        job, options = next(iter(entry.items()))
        return str(job), options if isinstance(options, dict) else {}
    raise where.error(
        "a workflow job is a name or a one-key mapping", expected="- build or - build: {...}"
    )


# --- what each job becomes ------------------------------------------------------------------------


def _classify(nodes: list[Node], report: Report, data: dict) -> None:
    by_name = {node.name: node for node in nodes}
    for node in nodes:
        if node.job is None:
            node.kind = "approval"
            continue
        notes = steps.Notes(modernised=[], lost=list(node.job.notes))
        node.fields = validate.fit(CustomJob, _custom(node, notes), notes, node.name)
        node.converted = list(node.fields.get("steps", []))
        _note(report, node, notes)
    _deliveries(nodes, report, data)
    _tests(nodes, by_name, report)
    _approvals(nodes, by_name, report)


def _note(report: Report, node: Node, notes: steps.Notes) -> None:
    """Kept on the node: a job that becomes a delivery or a merge test gets ciconf's steps."""
    del report
    node.notes.modernised += notes.modernised
    node.notes.lost += notes.lost


def _notes(report: Report, live: list[Node]) -> None:
    for node in live:
        if node.kind not in ("test", "custom"):
            continue
        report.modernised += [
            f"{node.name}: {text}" for text in dict.fromkeys(node.notes.modernised)
        ]
        report.lost += [f"{node.name}: {text}" for text in dict.fromkeys(node.notes.lost)]


def _custom(node: Node, notes: steps.Notes) -> dict:
    job = node.job
    assert job is not None
    fields: dict = {}
    if job.orb_job:
        fields["orb_job"] = job.definition
        if job.parameters:
            fields["parameters"] = steps.orb_parameters(
                job.parameters, notes, f"orb job {job.definition}"
            )
        return fields
    fields.update(steps.executor(job.body, notes))
    converted = [steps.step(item, notes) for item in job.steps]
    fields["steps"] = [item for item in converted if item is not None] or ["checkout"]
    parallelism = job.body.get("parallelism")
    if isinstance(parallelism, int) and parallelism > 1:
        fields["parallelism"] = parallelism
    return fields


def _deliveries(nodes: list[Node], report: Report, data: dict) -> None:
    orbs = ecr_orb.orb_aliases(data)
    found = [(node, hit) for node in nodes if (hit := _delivery_of(node, orbs, report))]
    if not found:
        return
    if not ecr.same([hit for _, hit in found]):
        report.lost.append(
            "deliveries "
            + ", ".join(node.name for node, _ in found)
            + ": they push other images or to other regions; a profile has one delivery "
            "(kept as custom jobs)"
        )
        return
    taken: set[str] = set()
    for node, hit in found:
        name = ecr.account_name(_account_base(node))
        while name in taken:
            name = name[:18] + "_2"
        taken.add(name)
        node.kind = "delivery"
        node.fields = {"account": name, "found": hit}
        _rename_node(nodes, node, f"delivery_{name}")
        report.mapped.append(
            f"{node.originals[0][1]}: {_delivered(hit)} -> accounts[{name}] {_how(hit)}"
        )


def _account_base(node: Node) -> str:
    """What the account is named after: the job's name, or, for an orb's job under its own name
    (aws-ecr/build_and_push_image), the one branch it delivers from."""
    if node.job is None or not node.job.orb_job or node.originals[0][1] != node.job.definition:
        return node.name
    branches = refs.as_profile_list(_filters(node).get("branches")) or []
    if len(branches) == 1 and not refs.is_regex(branches[0]):
        return branches[0]
    return "ecr"


def _delivered(hit: ecr.Found) -> str:
    return "the aws-ecr orb's build and push" if hit.orb else "ECR delivery"


def _how(hit: ecr.Found) -> str:
    if hit.orb is None:
        return "(ciconf writes the login, builds and pushes)"
    tags = "the commit tags" + (f" and deploy tag {hit.deploy_tag}" if hit.deploy_tag else "")
    return f"(ciconf logs in, builds and pushes {tags})"


def _rename_node(nodes: list[Node], node: Node, new: str) -> None:
    """`node` named `new`, and every job that waits for it waits for `new`."""
    old, node.name = node.name, new
    for other in nodes:
        other.requires = [new if name == old else name for name in other.requires]


def _delivery_of(node: Node, orbs: dict[str, str], report: Report) -> ecr.Found | None:
    """The delivery `node` is (with its account's credentials), or None."""
    if node.job is None:
        return None
    contexts = _contexts(node.options.get("context"))
    use = ecr_orb.use_of(node.job, node.options, orbs, contexts)
    hit: ecr.Found | None = None
    if use is not None:
        recognised = ecr_orb.recognise(use)
        if isinstance(recognised, list):
            _kept(report, node, recognised)
            return None
        hit = recognised
    elif not node.job.orb_job:
        hit = _hand_written(node, contexts)
    if hit is not None and not _delivers_somewhere(node):
        if use is not None:
            _kept(report, node, ["its filters run it on no branch and no tag"])
        return None
    return hit


def _kept(report: Report, node: Node, reasons: list[str]) -> None:
    report.lost.append(
        f"{node.name}: the aws-ecr orb's build and push stays a custom job: " + "; ".join(reasons)
    )


def _hand_written(node: Node, contexts: list[str]) -> ecr.Found | None:
    assert node.job is not None
    hit = ecr.recognise(node.job.body, node.fields.get("steps", []))
    if hit is None:
        return None
    if hit.credentials is None and contexts:
        hit.credentials = {"mode": "context", "context": contexts[0]}
    elif hit.credentials is not None and hit.credentials["mode"] == "oidc":
        if not contexts:
            return None
        hit.credentials["context"] = contexts[0]
    return hit if hit.credentials is not None else None


def _delivers_somewhere(node: Node) -> bool:
    """An account delivers from a branch or a tag: filters that run the job on neither (or a
    filter expression, which the profile's accounts cannot hold) are no account's."""
    filters = node.options.get("filters")
    if filters is None:
        return True
    if not isinstance(filters, dict):
        return False
    return refs.as_profile_list(filters.get("branches")) is not None or bool(filters.get("tags"))


def _contexts(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(item) for item in (value if isinstance(value, list) else [value])]


def _tests(nodes: list[Node], by_name: dict[str, Node], report: Report) -> None:
    deliveries = [node for node in nodes if node.kind == "delivery"]
    for node in nodes:
        if node.kind != "custom" or node.job is None or node.job.orb_job or node.requires:
            continue
        filters = node.options.get("filters") or {}
        if tests_jobs.starts_with_merge(node.fields.get("steps", [])):
            continue  # a merge test, matched with its test job below
        if not isinstance(filters, dict) or (
            filters.get("tags") and not refs.ignores_every_tag(filters["tags"])
        ):
            continue
        branches = refs.as_profile_list(filters.get("branches"))
        if branches is None or node.options.get("serial-group"):
            continue
        fields = node.fields
        recognised = tests_jobs.recognise(
            fields["steps"], fields.get("environment", {}), steps.Notes()
        )
        contexts = _contexts(node.options.get("context"))
        candidate = (
            {**fields, **recognised, "steps": recognised.get("steps", {}), "context": contexts}
            if recognised
            else {}
        )
        if recognised is None or not _valid(TestJob, candidate):
            continue
        notes = steps.Notes()
        tests_jobs.recognise(fields["steps"], fields.get("environment", {}), notes)
        _note(report, node, notes)
        gates = bool(deliveries) and all(node.name in d.requires for d in deliveries)
        executor = {k: v for k, v in fields.items() if k not in ("steps",)}
        node.kind = "test"
        node.fields = {**executor, **recognised}
        if branches:
            node.fields["branches"] = branches
        if contexts:
            node.fields["context"] = contexts
        if (deliveries and not gates) or branches:
            node.fields["gates_delivery"] = False
        report.mapped.append(
            f"{node.originals[0][1]}: test job "
            "(image, cache, install, setup, command ... as fields)"
        )
    _merges(nodes, report)


def _valid(model: Any, fields: dict) -> bool:
    try:
        model.model_validate(fields)
    except ValidationError:
        return False
    return True


def _merges(nodes: list[Node], report: Report) -> None:
    tests = {node.name: node for node in nodes if node.kind == "test"}
    for node in nodes:
        if node.kind != "custom" or node.job is None or node.requires:
            continue
        filters = node.options.get("filters") or {}
        branches = filters.get("branches") if isinstance(filters, dict) else None
        tags = filters.get("tags") if isinstance(filters, dict) else None
        if tags is not None and not refs.ignores_every_tag(tags):
            continue
        if branches is not None and (not isinstance(branches, dict) or "only" in branches):
            continue
        ignore = (
            [str(x) for x in (branches or {}).get("ignore") or []]
            if isinstance(branches, dict)
            else []
        )
        if any(refs.is_regex(x) for x in ignore):
            continue
        for test in tests.values():
            base = tests_jobs.merge_base(node.fields.get("steps", []), test.converted)
            if base is None or test.fields.get("branches"):
                continue
            node.kind = "merge"
            node.fields = {"base": base, "ignore_branches": ignore, "test": test.name}
            node.name = f"merge_{test.name}"
            report.mapped.append(
                f"{node.originals[0][1]}: merge test of {test.name} -> merge_test (base {base})"
            )
            break


def _approvals(nodes: list[Node], by_name: dict[str, Node], report: Report) -> None:
    for node in nodes:
        if node.kind != "approval":
            continue
        dependents = [
            other
            for other in nodes
            if node.name in other.requires and other.kind in ("custom", "delivery")
        ]
        owner = next((d for d in dependents if d.kind == "delivery"), None) or next(
            iter(dependents), None
        )
        if owner is None:
            report.lost.append(
                f"{node.name}: an approval no job waits for "
                "(the profile places approvals in front of a job)"
            )
            node.kind = "dropped"
            continue
        node.kind = "approval-of"
        node.fields = {"owner": owner.name}
        if owner.kind == "delivery":
            owner.fields.setdefault("approvals", []).append(node)
        else:
            if owner.fields.get("approval"):
                report.lost.append(f"{node.name}: a second approval in front of {owner.name}")
                node.kind = "dropped"
                continue
            owner.fields["approval"] = True
            old = node.name
            node.name = f"hold_{owner.name}"
            owner.requires = [r for r in owner.requires if r != old]
            owner.fields["approval_requires"] = node.requires
            for other in nodes:
                other.requires = [node.name if r == old else r for r in other.requires]
        report.mapped.append(f"{node.originals[0][1]}: approval -> in front of {owner.name}")


# --- the profile ----------------------------------------------------------------------------------


def _profile(project: str, nodes: list[Node], data: dict, report: Report) -> dict:
    profile: dict = {"project": project}
    live = [n for n in nodes if n.kind not in ("dropped",)]
    _notes(report, live)
    names = {n.name for n in live}
    tests = {n.name: n.fields for n in live if n.kind == "test"}
    merges = [n for n in live if n.kind == "merge"]
    for n in live:
        n.requires = [r for r in dict.fromkeys(n.requires) if r in names or r.startswith("hold_")]
    if list(tests) == ["test"]:
        profile["test"] = tests["test"]
    elif tests:
        profile["tests"] = tests
    if merges:
        first = merges[0].fields
        profile["merge_test"] = {"base": first["base"], "ignore_branches": first["ignore_branches"]}
        merged = {m.fields["test"] for m in merges}
        for name, fields in tests.items():
            if name not in merged:
                fields["merge_test"] = False
    orbs = _orbs(data, report)
    if orbs:
        profile["orbs"] = orbs
    jobs = _custom_jobs(live, report)
    if not tests:
        # a profile has at least one test job: the first custom job that needs nothing becomes it
        stand_in = next(
            (
                n
                for n in live
                if n.kind == "custom"
                and not n.requires
                and "orb_job" not in n.fields
                and not n.fields.get("approval")
                and not refs.as_profile_list(_filters(n).get("tags"))
            ),
            None,
        )
        if stand_in is not None and _valid(TestJob, _as_test(jobs[stand_in.name])):
            profile["tests"] = {stand_in.name: _as_test(jobs.pop(stand_in.name))}
            report.notes.append(
                f"{stand_in.name}: kept verbatim as a test job "
                "(its steps under steps.before_test, command `true`)"
            )
        else:
            name = _free(PLACEHOLDER, {n.name: n for n in live})
            profile["tests"] = {
                name: {"image": steps.FALLBACK_IMAGE, "command": "true", "merge_test": False}
            }
            report.added.append(
                f"{name}: a test job that runs `true` (the config has none; a profile needs one)"
            )
    if jobs:
        profile["jobs"] = jobs
    deliveries = [n for n in live if n.kind == "delivery"]
    if deliveries:
        profile.update(_delivery(deliveries, tests, report))
        _drop_unused_orbs(profile, {n.fields["found"].orb for n in deliveries}, report)
    return profile


def _drop_unused_orbs(profile: dict, aliases: set[str | None], report: Report) -> None:
    """An orb whose build and push became the delivery, and that nothing else uses, goes."""
    # an orb's command or job is `alias/name` wherever the profile names it
    used = json.dumps({k: v for k, v in profile.items() if k != "orbs"})
    for alias in sorted(a for a in aliases if a and a in profile.get("orbs", {})):
        if f'"{alias}/' not in used:
            del profile["orbs"][alias]
            report.mapped.append(f"orb {alias}: no longer used (ciconf builds and pushes)")
    if "orbs" in profile and not profile["orbs"]:
        del profile["orbs"]


def _filters(node: Node) -> dict:
    filters = node.options.get("filters")
    return filters if isinstance(filters, dict) else {}


def _as_test(job: dict) -> dict:
    """A custom job as the profile's test job, every key of it kept: one a test job does not
    have (an orb executor, invocations...) fails the validation, and the job stays verbatim."""
    fields = {k: v for k, v in job.items() if k != "steps"}
    job_steps = list(job.get("steps", []))
    if job_steps and job_steps[0] == "checkout":
        job_steps = job_steps[1:]
    fields["command"] = "true"
    fields["merge_test"] = False
    if job_steps:
        fields["steps"] = {"before_test": job_steps}
    if fields.get("branches"):
        fields["gates_delivery"] = False
    return fields


UNMODELLED_ENTRY_KEYS = ("serial-group", "override-with", "max_auto_reruns")


def _custom_jobs(live: list[Node], report: Report) -> dict:
    jobs: dict = {}
    # every job with tags of its own (a delivery too): a custom job after one must not inherit them
    on_tags = {n.name: bool(refs.as_profile_list(_filters(n).get("tags"))) for n in live}
    for node in _ordered(live):
        if node.kind != "custom":
            continue
        for key in UNMODELLED_ENTRY_KEYS:
            if key in node.options:
                report.lost.append(f"{node.name}: `{key}` (a profile's custom jobs have none)")
        if isinstance(node.options.get("filters"), str):
            report.lost.append(f"{node.name}: the filter expression (the profile lists branches)")
        fields = dict(node.fields)
        requires = fields.pop("approval_requires", None)
        fields.pop("approval", None)
        approval = bool(node.fields.get("approval"))
        filters = node.options.get("filters") or {}
        filters = filters if isinstance(filters, dict) else {}
        branches = refs.as_profile_list(filters.get("branches"))
        tags = refs.as_profile_list(filters.get("tags")) or []
        upstream_tags = any(on_tags.get(r) for r in node.requires)
        if branches is None:  # on no branch: tags only (the profile's tags without branches)
            branches = [] if tags else [refs.NOTHING]
        elif branches == [] and (tags or upstream_tags):
            # a job without branch filters runs on every branch; the profile's would be tags-only
            # (own tags) or inherit its requirements' tags
            branches = [refs.EVERYTHING]
        if branches:
            fields["branches"] = branches
        if tags:
            fields["tags"] = tags
        wanted = list(dict.fromkeys([*(requires or []), *node.requires]))
        if wanted:
            fields["requires"] = wanted
        contexts = _contexts(node.options.get("context"))
        if contexts:
            fields["context"] = contexts
        if approval:
            fields["approval"] = True
        jobs[node.name] = fields
    return {name: jobs[name] for name in [n.name for n in live] if name in jobs}


def _ordered(nodes: list[Node]) -> list[Node]:
    by_name = {n.name: n for n in nodes}
    done: set[str] = set()
    order: list[Node] = []

    def visit(node: Node, depth: int = 0) -> None:
        if node.name in done or depth > 500:
            return
        done.add(node.name)
        for name in node.requires:
            if name in by_name:
                visit(by_name[name], depth + 1)
        order.append(node)

    for node in nodes:
        visit(node)
    return order


def _orbs(data: dict, report: Report) -> dict:
    orbs: dict = data["orbs"] if isinstance(data.get("orbs"), dict) else {}
    pinned = {}
    for alias, reference in orbs.items():
        if not isinstance(reference, str):
            report.lost.append(f"orb {alias}: an inline orb (the profile declares published orbs)")
            continue
        match = ORB_REF.fullmatch(reference)
        if match is None:
            report.lost.append(
                f"orb {alias}: {reference} is not pinned to a version; pin it by hand"
            )
            continue
        exact = f"{match.group(1)}@{match.group(2)}.{match.group(3) or 0}.{match.group(4) or 0}"
        if exact != reference:
            report.modernised.append(
                f"orb {alias}: {reference} -> {exact} (a profile pins exact versions; "
                f"take the newest {reference.split('@')[1]}.x)"
            )
        pinned[str(alias)] = exact
    return pinned


def _delivery(deliveries: list[Node], tests: dict, report: Report) -> dict:
    found: ecr.Found = deliveries[0].fields["found"]
    delivery: dict = {
        "region": found.region,
        "commit_tag_length": found.tag_length,
        "images": found.images,
    }
    if found.machine:
        delivery["machine"] = {"image": "ubuntu-2204:current"}
    report.modernised.append(
        "delivery: runs on ciconf's delivery executor (cimg/aws, with the AWS CLI) "
        "and pushes a deploy tag after the commit tags"
    )
    accounts = []
    for node in deliveries:
        hit: ecr.Found = node.fields["found"]
        account: dict = {"name": node.fields["account"]}
        filters = node.options.get("filters") or {}
        branches = refs.as_profile_list(filters.get("branches"))
        tags = refs.as_profile_list(filters.get("tags")) or []
        if branches is None:
            branches = []
        if len(branches) == 1 and not refs.is_regex(branches[0]):
            account["branch"] = branches[0]
        elif branches:
            account["branches"] = branches
        elif not tags:
            account["branches"] = [refs.EVERYTHING]
        if tags:
            account["tags"] = tags
        if hit.deploy_tag:
            account["deploy_tag"] = hit.deploy_tag
        account["credentials"] = hit.credentials
        chain = node.fields.get("approvals") or []
        if chain:
            account["approvals"] = [
                {
                    "name": a.name,
                    **(
                        {"requires": [r for r in a.requires if r not in tests]}
                        if [r for r in a.requires if r not in tests]
                        else {}
                    ),
                }
                for a in chain
            ]
        others = [r for r in node.requires if r not in tests and r not in {a.name for a in chain}]
        if others:
            account["requires"] = others
        group = node.options.get("serial-group")
        if group:
            account["serial_group"] = str(group)
        else:
            account["serialize"] = False
        accounts.append(account)
    return {"delivery": delivery, "accounts": accounts}


def check_version(doc: Document) -> None:
    data = doc.data
    version = data.get("version") if isinstance(data, dict) else None
    if str(version) not in ("2", "2.0", "2.1"):
        raise InputError(
            doc.source,
            f"version {version!r} is not a CircleCI config version",
            expected="2, 2.0 or 2.1",
        )
