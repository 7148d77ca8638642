"""Random valid profiles built from the new fields always render a config that CircleCI's official
schema accepts, that `ciconf lint` finds clean, whose tag releases can run, and that PyYAML and
ruamel.yaml load to the same data."""

from __future__ import annotations

import copy
import io
from itertools import pairwise

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from ciconf.circleci.build import build_config
from ciconf.circleci.render import render_config
from ciconf.lint.rule import CONFIG
from ciconf.lint.runner import lint_text
from ciconf.lint.schema import circleci_validator
from ciconf.profile.derive import plan
from ciconf.profile.load import validate_document
from ciconf.yamlkit.emit import expand
from ciconf.yamlkit.load import Document

IMAGES = ["cimg/python:3.12", "cimg/node:20.11", "cimg/base:2024.01", "cimg/go:1.22"]
ORBS = {"slack": "circleci/slack@4.13.3", "aws-cli": "circleci/aws-cli@4.1.3"}
ORB_COMMANDS = ["slack/notify", "aws-cli/setup"]
BRANCHES = ["main", "develop", "release/next", "/^release\\/.*/", "/^hotfix-.*/"]
TAGS = ["v1.0.0", "/^v\\d+\\.\\d+\\.\\d+$/", "/^rc-.*/"]
# private images: a login on the primary image or a service (every secret a $NAME reference)
LOGINS = [
    None,
    {"auth": {"username": "acmeci", "password": "$DOCKERHUB_PASSWORD"}},
    {"aws_auth": {"oidc_role_arn": "arn:aws:iam::123456789012:role/ecr-pull"}},
    {"aws_auth": {"aws_access_key_id": "$ECR_KEY", "aws_secret_access_key": "$ECR_SECRET"}},
]
COMMANDS = {
    "build-in": {
        "parameters": {
            "dir": {"type": "string", "default": "."},
            "jobs": {"type": "integer", "default": 2},
            "mode": {"type": "enum", "enum": ["fast", "full"], "default": "fast"},
        },
        "steps": [
            {"run": "make -C << parameters.dir >> -j << parameters.jobs >> << parameters.mode >>"}
        ],
    }
}
COMMAND_USES = [
    {"command": "build-in"},
    {"command": "build-in", "parameters": {"dir": "web", "jobs": 4, "mode": "full"}},
]
words = st.sampled_from(
    ["make", "npm test", "echo 'it''s ok'", "curl -fsS https://example.com", "ls -la"]
)


@st.composite
def steps(draw, orbs: list[str]):
    kinds = [
        "string",
        "run",
        "save_cache",
        "restore_cache",
        "persist",
        "attach",
        "artifacts",
        "results",
        "ssh",
        "checkout",
        "docker",
    ] + (["orb"] if orbs else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "string":
        return draw(words)
    if kind == "run":
        run = {"command": draw(words)}
        if draw(st.booleans()):
            run["name"] = draw(st.sampled_from(["Build", "yes", "on", "1.5", "Lint: strict"]))
        if draw(st.booleans()):
            run["when"] = draw(st.sampled_from(["always", "on_success", "on_fail"]))
        if draw(st.booleans()):
            run["no_output_timeout"] = draw(st.sampled_from(["20m", "1.5h", "90s"]))
        if draw(st.booleans()):
            run["working_directory"] = draw(st.sampled_from(["app", "web/ui"]))
        if draw(st.booleans()):
            run["environment"] = {"FLAG": draw(st.sampled_from(["yes", "0755", "on", "text"]))}
        return {"run": run}
    if kind == "orb":
        step = {"orb": draw(st.sampled_from([c for c in ORB_COMMANDS if c.split("/")[0] in orbs]))}
        if draw(st.booleans()):
            step["parameters"] = {"region": "eu-west-1", "debug": draw(st.booleans()), "retries": 3}
        return step
    return {
        "save_cache": {
            "save_cache": {"key": 'v1-{{ checksum "a.lock" }}', "paths": ["node_modules"]}
        },
        "restore_cache": {"restore_cache": {"keys": ['v1-{{ checksum "a.lock" }}', "v1-"]}},
        "persist": {"persist_to_workspace": {"root": ".", "paths": ["dist/*"]}},
        "attach": {"attach_workspace": {"at": "/tmp/workspace"}},
        "artifacts": {"store_artifacts": {"path": "dist"}},
        "results": {"store_test_results": {"path": "reports"}},
        "ssh": draw(
            st.sampled_from(
                ["add_ssh_keys", {"add_ssh_keys": {"fingerprints": ["aa:" * 15 + "ff"]}}]
            )
        ),
        "checkout": draw(st.sampled_from(["checkout", {"checkout": {"path": "src"}}])),
        "docker": draw(
            st.sampled_from(
                ["setup_remote_docker", {"setup_remote_docker": {"docker_layer_caching": True}}]
            )
        ),
    }[kind]


@st.composite
def executor(draw, job: dict) -> None:
    if draw(st.integers(0, 4)) == 0:
        job["machine"] = {
            "image": "ubuntu-2204:current",
            "docker_layer_caching": draw(st.booleans()),
        }
    else:
        job["image"] = draw(st.sampled_from(IMAGES))
        if draw(st.booleans()):
            service = {"image": "cimg/redis:7.2"}
            if draw(st.booleans()):
                service["command"] = ["redis-server", "--appendonly", "no"]
            if draw(st.booleans()):
                service["name"] = "cache"
            job["services"] = [service]
        if draw(st.booleans()):
            job["remote_docker"] = {"docker_layer_caching": draw(st.booleans())}
        login = draw(st.sampled_from(LOGINS))
        if login is not None:
            target = job["services"][0] if "services" in job and draw(st.booleans()) else job
            target.update(login)
    if draw(st.booleans()):
        job["working_directory"] = draw(
            st.sampled_from(["services/api", "app", "~/app", "/home/circleci/app"])
        )
    if draw(st.booleans()):
        job["resource_class"] = draw(st.sampled_from(["medium", "large"]))


@st.composite
def a_test_job(draw, orbs: list[str]) -> dict:
    job: dict = {"command": draw(words)}
    draw(executor(job))
    if "image" in job and draw(st.booleans()):
        job["image"] = "cimg/python:<< parameters.py >>"
        job["matrix"] = {"parameters": {"py": draw(st.sampled_from([["3.11", "3.12"], ["3.12"]]))}}
    if draw(st.booleans()):
        job["caches"] = [
            {"name": "deps", "lockfiles": ["a.lock"], "paths": ["node_modules"]},
            {"name": "tools", "lockfiles": ["tools/b.lock"], "paths": ["~/.tools"]},
        ]
    if draw(st.booleans()):
        job["install"] = "npm ci"
    if draw(st.booleans()):
        job["parallelism"] = draw(st.integers(2, 8))
        job["test_results"] = "reports"
        if draw(st.booleans()):
            job["split"] = {
                "glob": ["tests/**/*_test.py"],
                "by": draw(st.sampled_from(["timings", "name", "filesize"])),
            }
    hooks = {}
    for point in ("before_install", "after_install", "before_test", "after_test"):
        if draw(st.integers(0, 3)) == 0:
            hooks[point] = draw(st.lists(steps(orbs), min_size=1, max_size=2))
    if hooks:
        job["steps"] = hooks
    job["merge_test"] = draw(st.booleans())
    if not draw(st.integers(0, 3)):
        job["gates_delivery"] = False
        if draw(st.booleans()):
            job["branches"] = [draw(st.sampled_from(BRANCHES))]
        if draw(st.booleans()):
            job["ignore_branches"] = [draw(st.sampled_from(BRANCHES))]
    if draw(st.booleans()):
        job["step_names"] = {"test": draw(st.sampled_from(["Unit tests", "RSpec: all", "yes"]))}
    if not draw(st.integers(0, 3)):
        job["context"] = draw(st.sampled_from([["org-docker"], ["org-docker", "sonar"]]))
    return job


CREDENTIALS = [
    {"mode": "context", "context": "aws-ctx"},
    {"mode": "oidc", "role_arn": "arn:aws:iam::123456789012:role/deploy", "context": "aws-oidc"},
    {
        "mode": "env-indirection",
        "account_id_var": "AWS_X_ID",
        "access_key_var": "AWS_X_KEY",
        "secret_key_var": "AWS_X_SECRET",
    },
]


@st.composite
def profiles(draw) -> dict:
    orbs = draw(st.lists(st.sampled_from(sorted(ORBS)), unique=True))
    names = draw(
        st.lists(
            st.sampled_from(["unit", "integration", "browser", "lint", "E2E"]),
            min_size=1,
            max_size=3,
            unique=True,
        )
    )
    profile: dict = {"project": "prop"}
    if orbs:
        profile["orbs"] = {alias: ORBS[alias] for alias in orbs}
    if names == ["unit"] and draw(st.booleans()):
        profile["test"] = draw(a_test_job(orbs))
        tests = ["test"]
    else:
        profile["tests"] = {name: draw(a_test_job(orbs)) for name in names}
        tests = names
        for earlier, later in pairwise(names):
            # a chain (lint -> unit -> ...); a gating job only waits for a job on every branch
            upstream, job = profile["tests"][earlier], profile["tests"][later]
            filtered = "branches" in upstream or "ignore_branches" in upstream
            if draw(st.booleans()) and not (filtered and job.get("gates_delivery", True)):
                job["requires"] = [earlier]
    if draw(st.booleans()):
        profile["merge_test"] = {"base": "main", "ignore_branches": ["main"]}
    profile["delivery"] = {
        "region": "eu-west-1",
        "images": [{"repository": "prop/api"}, {"repository": "prop/web"}],
    }
    if draw(st.booleans()):
        profile["delivery"]["machine"] = {"image": "ubuntu-2204:current"}
    if draw(st.booleans()):
        profile["delivery"]["steps"] = {
            "before_build": draw(st.lists(steps(orbs), max_size=2)),
            "after_push": draw(st.lists(steps(orbs), max_size=2)),
        }
    accounts, jobs = [], list(tests)
    for index in range(draw(st.integers(1, 3))):
        account: dict = {"name": f"acct{index}", "credentials": draw(st.sampled_from(CREDENTIALS))}
        trigger = draw(st.sampled_from(["branch", "branches", "tags", "both"]))
        if trigger == "branch":
            account["branch"] = draw(st.sampled_from(["main", "develop"]))
        if trigger in ("branches", "both"):
            account["branches"] = draw(
                st.lists(st.sampled_from(BRANCHES), min_size=1, max_size=2, unique=True)
            )
        if trigger in ("tags", "both"):
            account["tags"] = draw(
                st.lists(st.sampled_from(TAGS), min_size=1, max_size=2, unique=True)
            )
        if trigger != "branch" and draw(st.integers(0, 3)) == 0:
            account["ignore_branches"] = [draw(st.sampled_from(["develop", "/^hotfix-.*/"]))]
        approval = draw(st.sampled_from(["none", "hold", "chain"]))
        if approval == "hold":
            account["approval"] = True
            jobs.append(f"hold_acct{index}")
        elif approval == "chain":
            chain = [
                {"name": f"qa{index}"},
                {
                    "name": f"go{index}",
                    "requires": draw(st.lists(st.sampled_from(jobs), max_size=1)),
                },
            ]
            account["approvals"] = chain
            jobs += [f"qa{index}", f"go{index}"]
        builders = [
            a for a in accounts if "promote_from" not in a and a["credentials"]["mode"] != "context"
        ]
        if builders and draw(st.booleans()):
            account["promote_from"] = draw(st.sampled_from(builders))["name"]
        if draw(st.booleans()):
            account["serialize"] = False
        accounts.append(account)
        jobs.append(f"delivery_acct{index}")
    profile["accounts"] = accounts
    custom = {}
    for index in range(draw(st.integers(0, 3))):
        name = f"job{index}"
        job: dict = {"requires": draw(st.lists(st.sampled_from(jobs), max_size=2, unique=True))}
        if orbs and "slack" in orbs and draw(st.booleans()):
            job["orb_job"] = "slack/on-hold"
            job["parameters"] = {"channel": "deploys"}
        else:
            if "aws-cli" in orbs and draw(st.booleans()):
                job["executor"] = draw(
                    st.sampled_from(
                        [
                            "aws-cli/default",
                            {"name": "aws-cli/default", "parameters": {"tag": "3.12"}},
                        ]
                    )
                )
            else:
                draw(executor(job))
            job["steps"] = draw(st.lists(steps(orbs), min_size=1, max_size=3))
        if draw(st.booleans()):
            job["tags"] = [draw(st.sampled_from(TAGS))]
        if draw(st.booleans()):
            job["branches"] = [draw(st.sampled_from(BRANCHES))]
        if not draw(st.integers(0, 3)):
            job["ignore_branches"] = [draw(st.sampled_from(BRANCHES))]
        if draw(st.booleans()):
            job["context"] = ["team-secrets"]
        if draw(st.booleans()):
            job["approval"] = True
        custom[name] = job
        jobs.append(name)
    if custom:
        profile["jobs"] = custom
        if draw(st.booleans()):
            # a reusable command, used by the first custom job that has steps
            profile["commands"] = copy.deepcopy(COMMANDS)
            users = [job for job in custom.values() if "steps" in job]
            if users:
                users[0]["steps"].append(copy.deepcopy(draw(st.sampled_from(COMMAND_USES))))
    draw(extra_workflows(profile, accounts))
    return profile


PARAMETERS = {
    "flag": {"type": "boolean", "default": False},
    "target": {"type": "enum", "enum": ["stg", "prod"], "default": "stg", "description": "Where"},
    "count": {"type": "integer", "default": 3},
    "label": {"type": "string", "default": ""},
}


@st.composite
def conditions(draw, parameters: list[str], depth: int = 0):
    """A logic statement over the declared parameters and pipeline values (issue 19)."""
    values = ["<< pipeline.git.branch >>", "main", True, 3]
    values += [f"<< pipeline.parameters.{name} >>" for name in parameters]
    kinds = ["value", "equal", "matches"] + (["and", "or", "not"] if depth < 2 else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "value":
        return draw(st.sampled_from(values))
    if kind == "equal":
        return {"equal": draw(st.lists(st.sampled_from(values), min_size=2, max_size=3))}
    if kind == "matches":
        return {"matches": {"pattern": "release/.*", "value": "<< pipeline.git.branch >>"}}
    if kind == "not":
        return {"not": draw(conditions(parameters, depth + 1))}
    return {kind: draw(st.lists(conditions(parameters, depth + 1), min_size=1, max_size=2))}


def _requires(profile: dict) -> dict[str, list[str]]:
    """What each test and custom job requires (a custom job's hold requires the same)."""
    found = {name: job.get("requires", []) for name, job in profile.get("tests", {}).items()}
    found.update({name: job.get("requires", []) for name, job in profile.get("jobs", {}).items()})
    if "test" in profile:
        found["test"] = []
    return found


def _closed(requires: dict[str, list[str]], name: str) -> list[str] | None:
    """The job and everything it requires, or None when that includes a delivery or approval."""
    found, stack = [], [name]
    while stack:
        job = stack.pop()
        if job not in requires:
            return None
        if job not in found:
            found.append(job)
            stack += requires[job]
    return found


@st.composite
def extra_workflows(draw, profile: dict, accounts: list[dict]) -> None:
    """Maybe pipeline parameters, conditional workflows and a schedule of the profile's jobs."""
    parameters = draw(st.lists(st.sampled_from(sorted(PARAMETERS)), unique=True, max_size=3))
    if parameters:
        profile["parameters"] = {name: PARAMETERS[name] for name in parameters}
    requires = _requires(profile)
    needed = {name for listed in requires.values() for name in listed}
    needed |= {name for account in accounts for name in account.get("requires", [])}
    needed |= {
        name
        for account in accounts
        for a in account.get("approvals", [])
        for name in a.get("requires", [])
    }
    needed |= {n for n, job in profile.get("tests", {}).items() if job.get("gates_delivery", True)}
    needed |= {"test"} if "test" in profile else set()
    sections = {"workflows": ["wf0", "wf1"], "schedules": ["nightly"]}
    for section, names in sections.items():
        for name in draw(st.lists(st.sampled_from(names), unique=True)):
            picked = draw(st.lists(st.sampled_from(sorted(requires)), min_size=1, unique=True))
            jobs: list[str] = []
            for job in picked:
                for item in reversed(_closed(requires, job) or []):
                    if item not in jobs:
                        jobs.append(item)
            if not jobs:
                continue
            workflow: dict = {"jobs": jobs}
            free = [job for job in jobs if job not in needed]
            if free and draw(st.booleans()):
                workflow["only_here"] = draw(
                    st.lists(st.sampled_from(free), unique=True, min_size=1)
                )
                needed |= set(workflow["only_here"])  # left out once is enough
            if section == "workflows":
                key = draw(st.sampled_from(["when", "unless"]))
                workflow[key] = draw(conditions(parameters))
            profile.setdefault(section, {})[name] = workflow


def workflow_entries(data: dict) -> dict[str, dict]:
    jobs = next(iter(data["workflows"].values()))["jobs"]  # the push workflow: always the first
    entries = {}
    for job in jobs:
        name, options = (job, {}) if isinstance(job, str) else next(iter(job.items()))
        entries[options.get("name", name)] = options
    return entries


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(profiles())
def test_random_valid_profiles_render_schema_valid_lint_clean_portable_configs(profile):
    loaded = validate_document(Document("p.yaml", profile))
    text = render_config(loaded, "p.yaml")
    data = yaml.safe_load(text)
    # the official schema (as check-jsonschema vendors it), then every ciconf lint rule
    assert list(circleci_validator().iter_errors(data)) == []
    assert lint_text(text, "config.yml", CONFIG) == []
    model = expand(build_config(loaded, plan(loaded)).data)
    assert data == model
    assert YAML(typ="safe", pure=True).load(io.StringIO(text)) == model
    # a job that runs for a tag has every upstream job run for it too
    # (https://circleci.com/docs/guides/orchestrate/workflows/#executing-workflows-for-a-git-tag)
    entries = workflow_entries(data)
    for options in entries.values():
        tags = set(options.get("filters", {}).get("tags", {}).get("only", []))
        for required in options.get("requires", []):
            assert tags <= set(entries[required].get("filters", {}).get("tags", {}).get("only", []))
