"""`executor:` in a custom job: an executor of a declared orb (`node/default`), with its
parameters written beside `name:` as CircleCI reads them
(https://circleci.com/docs/reference/configuration-reference/#executor-job and
https://circleci.com/docs/reusing-config/#invoking-reusable-executors).
"""

from __future__ import annotations

import re

import pytest
import yaml
from conftest import ROOT, planned_runs

from ciconf.circleci.render import render_config
from ciconf.errors import InputError
from ciconf.lint.schema import circleci_validator
from ciconf.profile.load import parse_profile

EXAMPLE = ROOT / "profiles" / "examples" / "orb-executor.yaml"


def with_job(executor: str, extra: str = "", orbs: str = "node: circleci/node@5.2.0") -> str:
    return (
        "project: ship\n"
        f"orbs: {{{orbs}}}\n"
        "test: {image: cimg/node:20.11, command: npm test}\n"
        "jobs:\n"
        "  build:\n"
        f"    executor: {executor}\n" + extra + "    steps: [checkout, npm run build]\n"
    )


def rendered(text: str) -> dict:
    return yaml.safe_load(render_config(parse_profile(text, "p.yaml"), "p.yaml"))


@pytest.mark.parametrize(
    ("executor", "written"),
    [
        ("node/default", "node/default"),
        ("{name: node/default}", "node/default"),
        (
            "{name: node/default, parameters: {tag: '20.11', fast: true}}",
            {"name": "node/default", "tag": "20.11", "fast": True},
        ),
    ],
)
def test_the_orb_executor_is_written_as_circleci_invokes_it(executor, written):
    data = rendered(with_job(executor, "    resource_class: large\n"))
    job = data["jobs"]["build"]
    assert job["executor"] == written
    assert "docker" not in job and "machine" not in job
    assert job["resource_class"] == "large"
    errors = list(circleci_validator().iter_errors(data))
    assert errors == [], [error.message for error in errors]


@pytest.mark.parametrize(
    ("executor", "at"),
    [
        ("nod/default", "6:15: jobs.build.executor"),
        ("{name: nod/default}", "6:22: jobs.build.executor.name"),
    ],
)
def test_an_undeclared_orb_is_refused_with_the_declared_one(executor, at):
    with pytest.raises(InputError) as error:
        parse_profile(with_job(executor), "p.yaml")
    text = str(error.value)
    assert text.startswith(f"p.yaml:{at}: 'nod/default' comes from orb 'nod'"), text
    assert "did you mean 'node/default'?" in text


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        ("    image: cimg/base:2024.01\n", "an orb executor brings its own image or machine"),
        ("    machine: {image: ubuntu-2204:current}\n", "remove machine (or the executor)"),
    ],
)
def test_an_orb_executor_and_an_image_or_machine_are_refused_together(extra, says):
    with pytest.raises(InputError, match=re.escape(says)):
        parse_profile(with_job("node/default", extra), "p.yaml")


def test_a_parameter_called_name_is_refused():
    with pytest.raises(InputError, match="'name' is the executor's own key"):
        parse_profile(with_job("{name: node/default, parameters: {name: x}}"), "p.yaml")


def test_a_job_without_any_executor_names_the_three_kinds():
    text = with_job("node/default").replace("    executor: node/default\n", "")
    with pytest.raises(InputError, match="image \\(Docker\\), machine or an orb's executor"):
        parse_profile(text, "p.yaml")


def test_the_example_runs_its_orb_executor_jobs_where_intended():
    data = yaml.safe_load(render_config(parse_profile(EXAMPLE.read_text(), "e.yaml"), "e.yaml"))
    assert data["jobs"]["storybook"]["executor"] == {"name": "node/default", "tag": "20.11"}
    assert data["jobs"]["e2e"]["executor"] == "node/default"
    for branch, on_main in (("feature/x", False), ("main", True)):
        assert planned_runs(EXAMPLE, branch) == {
            "test": True,
            "delivery_stg": on_main,
            "storybook": True,
            "e2e": on_main,
        }
