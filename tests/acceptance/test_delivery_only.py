"""Delivery-only services: a profile with accounts may leave out test/tests; no placeholder test
job is rendered, and the deliveries start the workflow."""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import ROOT, run_ciconf

from ciconf.circleci.render import render_config
from ciconf.errors import InputError
from ciconf.lint.schema import circleci_validator
from ciconf.profile.load import load_profile, parse_profile

EXAMPLE = ROOT / "profiles" / "examples" / "delivery-only.yaml"


@pytest.fixture
def data(monkeypatch) -> dict:
    monkeypatch.chdir(ROOT)
    path = str(EXAMPLE.relative_to(ROOT))
    return yaml.safe_load(render_config(load_profile(path), path))


def planned(branch: str) -> dict[str, tuple[int, bool]]:
    done = run_ciconf("plan", EXAMPLE, "--branch", branch, "--format", "json", cwd=ROOT)
    assert done.returncode == 0, done.stderr
    (workflow,) = json.loads(done.stdout)["workflows"]
    return {job["name"]: (job["stage"], job["runs"]) for job in workflow["jobs"]}


def test_no_test_job_is_rendered_and_the_config_is_valid_for_circleci(data):
    assert set(data["jobs"]) == {"delivery_stg", "delivery_prod", "smoke"}
    assert list(circleci_validator().iter_errors(data)) == []
    (workflow,) = data["workflows"].values()
    first = workflow["jobs"][0]
    assert "requires" not in first["delivery_stg"]  # nothing to wait for


def test_main_builds_ships_smoke_tests_then_waits_for_the_approval():
    assert planned("main") == {
        "delivery_stg": (0, True),
        "smoke": (1, True),
        "approve_prod": (2, True),
        "delivery_prod": (3, True),
    }


def test_another_branch_runs_nothing():
    assert not any(runs for _, runs in planned("feature/x").values())


def test_without_accounts_a_test_section_is_still_required():
    with pytest.raises(InputError) as error:
        parse_profile("project: ship\n", "p.yaml")
    assert "missing required key 'test'" in str(error.value)
    assert "accounts for a delivery-only service" in str(error.value)


def test_a_tag_release_without_tests_needs_no_upstream_filters():
    text = """
project: ship
delivery: {region: eu-west-1, images: [{repository: ship/api}]}
accounts:
  - name: prod
    tags: [/^v.*/]
    credentials: {mode: context, context: ship-prod}
"""
    data = yaml.safe_load(render_config(parse_profile(text, "p.yaml"), "p.yaml"))
    (workflow,) = data["workflows"].values()
    assert workflow["jobs"] == [
        {
            "delivery_prod": {
                "context": ["ship-prod"],
                "filters": {"branches": {"ignore": "/.*/"}, "tags": {"only": ["/^v.*/"]}},
                "serial-group": "<< pipeline.project.slug >>/deploy-prod",
            }
        }
    ]
