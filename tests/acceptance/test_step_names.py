"""`step_names`: a test job's built-in Install dependencies / Initialize / Test steps under the
team's own names, with the same commands, in the same order."""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import ROOT, run_ciconf

from ciconf.circleci.render import render_config
from ciconf.errors import InputError
from ciconf.profile.load import load_profile, parse_profile

EXAMPLE = ROOT / "profiles" / "examples" / "step-names.yaml"


def run_steps(text: str, path: str, job: str = "test") -> list[tuple[str, str]]:
    data = yaml.safe_load(render_config(parse_profile(text, path), path))
    return [
        (s["run"]["name"], s["run"]["command"])
        for s in data["jobs"][job]["steps"]
        if isinstance(s, dict) and "run" in s
    ]


def test_the_example_names_its_three_built_in_steps():
    text = EXAMPLE.read_text(encoding="utf-8")
    steps = run_steps(text, "step-names.yaml")
    assert [name for name, _ in steps] == ["Bundle install", "Prepare database", "RSpec"]
    assert steps[0][1] == "bundle config set path vendor/bundle && bundle install --jobs 4"
    assert (
        steps[1][1]
        == "dockerize -wait 'tcp://127.0.0.1:5432' -timeout 60s\nbin/rails db:schema:load\n"
    )
    assert steps[2][1] == "bundle exec rspec --format progress"


BASE = """
project: ship
test:
  image: cimg/base:2024.01
  install: make deps
  setup: [make db]
  command: make test
"""


def test_names_left_out_keep_their_defaults():
    steps = run_steps(BASE + "  step_names: {test: Unit tests}\n", "p.yaml")
    assert [name for name, _ in steps] == ["Install dependencies", "Initialize", "Unit tests"]
    assert [name for name, _ in run_steps(BASE, "p.yaml")] == [
        "Install dependencies",
        "Initialize",
        "Test",
    ]


def test_the_merged_run_uses_the_same_names():
    text = BASE + "  step_names: {install: Deps}\nmerge_test: {base: main}\n"
    names = [name for name, _ in run_steps(text, "p.yaml", "merge_test")]
    assert names == ["Merge main", "Deps", "Initialize", "Test"]


def test_a_name_over_two_lines_is_refused_at_its_line():
    with pytest.raises(InputError) as error:
        parse_profile(BASE + '  step_names: {test: "Unit\\ntests"}\n', "p.yaml")
    assert str(error.value).startswith("p.yaml:8:22: test.step_names.test: expected a one-line")


def test_the_plan_runs_the_test_job_everywhere_and_delivers_from_main():
    for branch, delivers in (("feature/cart", False), ("main", True)):
        done = run_ciconf("plan", EXAMPLE, "--branch", branch, "--format", "json", cwd=ROOT)
        assert done.returncode == 0, done.stderr
        (workflow,) = json.loads(done.stdout)["workflows"]
        runs = {job["name"]: job["runs"] for job in workflow["jobs"]}
        assert runs == {"test": True, "delivery_stg": delivers}
    assert load_profile(str(EXAMPLE)).test is not None
