"""`requires` between test jobs (lint -> unit -> integration): rendered as workflow requires, merged
runs waiting for merged runs, and planned in stages as CircleCI runs them."""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import ROOT, run_ciconf

from ciconf.circleci.render import render_config
from ciconf.errors import InputError
from ciconf.profile.load import parse_profile

EXAMPLE = ROOT / "profiles" / "examples" / "test-graph.yaml"


def planned(*push: str) -> dict[str, dict]:
    done = run_ciconf("plan", EXAMPLE, *push, "--format", "json", cwd=ROOT)
    assert done.returncode == 0, done.stderr
    (workflow,) = json.loads(done.stdout)["workflows"]
    return {job["name"]: job for job in workflow["jobs"]}


def test_the_stages_follow_the_requires_on_a_feature_branch():
    jobs = planned("--branch", "feature/x")
    stages = {name: (job["stage"], job["requires"], job["runs"]) for name, job in jobs.items()}
    assert stages == {
        "lint": (0, [], True),
        "unit": (1, ["lint"], True),
        "merge_unit": (1, ["lint"], True),  # lint has no merged run (merge_test: false)
        "integration": (2, ["unit"], True),
        "merge_integration": (2, ["merge_unit"], True),
        "delivery_stg": (3, ["lint", "unit", "integration"], False),
    }


def test_main_delivers_after_the_last_stage():
    jobs = planned("--branch", "main")
    assert jobs["delivery_stg"]["runs"] and jobs["delivery_stg"]["stage"] == 3
    assert not jobs["merge_unit"]["runs"]


BASE = """
project: ship
tests:
  lint: {image: cimg/base:2024.01, command: make lint}
  unit: {image: cimg/base:2024.01, command: make test, requires: [lint]}
delivery:
  region: eu-west-1
  images: [{repository: ship/api}]
accounts:
  - name: prod
    tags: [/^v.*/]
    credentials: {mode: context, context: ship-prod}
"""


def test_a_tag_release_carries_its_tag_filter_to_the_test_jobs_upstream():
    # CircleCI runs a job for a tag only when every job upstream of it has a tags filter
    # (https://circleci.com/docs/guides/orchestrate/workflows/#executing-workflows-for-a-git-tag)
    data = yaml.safe_load(render_config(parse_profile(BASE, "p.yaml"), "p.yaml"))
    (workflow,) = data["workflows"].values()
    entries = {next(iter(job)): next(iter(job.values())) for job in workflow["jobs"]}
    assert entries["unit"] == {"requires": ["lint"], "filters": {"tags": {"only": ["/^v.*/"]}}}
    assert entries["lint"] == {"filters": {"tags": {"only": ["/^v.*/"]}}}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("requires: [lint]", "requires 'lnit', which is not a job of this workflow; did you mean"),
        ("requires: [delivery_prod]", "a test job requires other test jobs only; 'delivery_prod'"),
        ("requires: [unit]", "requires form a cycle"),
    ],
)
def test_bad_test_requires_are_refused_at_their_line(change, message):
    if "lint]" in change:
        text = BASE.replace("requires: [lint]", "requires: [lnit]")
    else:
        text = BASE.replace("command: make lint}", f"command: make lint, {change}}}")
        if "delivery" in change:
            text = text.replace(", requires: [lint]", "")
    with pytest.raises(InputError) as error:
        parse_profile(text, "p.yaml")
    assert message in str(error.value)
    assert ".requires[0]:" in str(error.value)


def test_a_gating_job_cannot_wait_for_a_job_filtered_by_branch():
    text = BASE.replace(
        "command: make lint}",
        "command: make lint, gates_delivery: false, ignore_branches: [gh-pages]}",
    )
    with pytest.raises(InputError) as error:
        parse_profile(text, "p.yaml")
    assert str(error.value).startswith("p.yaml:5:67: tests.unit.requires[0]: 'unit' gates delivery")
