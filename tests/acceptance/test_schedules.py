"""Scheduled workflows (issue 19): `schedules:` renders a workflow that only CircleCI's schedule
trigger of that name runs, the push workflow stops running on schedules, and schedules deliver
nothing, so every deploy role still trusts exactly what `ciconf plan` delivers.

CircleCI in 2026 schedules pipelines with schedule triggers kept in the project settings; a
trigger runs every workflow unless conditions on `pipeline.trigger_source` (`scheduled_pipeline`)
and `pipeline.schedule.name` filter them:
https://circleci.com/docs/guides/orchestrate/schedule-triggers-with-multiple-workflows
`pipeline.schedule.name` is "" for every other run: https://circleci.com/docs/pipeline-variables/
The `triggers: [{schedule: {cron}}]` scheduled workflows are the deprecated form ciconf does not
write: https://circleci.com/docs/guides/orchestrate/migrate-scheduled-workflows-to-schedule-triggers
"""

from __future__ import annotations

import json
import textwrap

import pytest
import yaml
from conftest import ROOT, run_ciconf

from acceptance.test_trust import BRANCHES, PROMOTION, WIDER_TAGS, _oracle, _profile, _trusts
from ciconf.circleci.render import render_config
from ciconf.errors import InputError
from ciconf.plan.run import PlanRequest, build_plan
from ciconf.profile.load import parse_profile

EXAMPLE = ROOT / "profiles" / "examples" / "nightly-schedule.yaml"


def planned(*run: str) -> dict[str, tuple]:
    """Each workflow of the example's plan: whether it runs and which of its jobs run."""
    done = run_ciconf("plan", EXAMPLE, *run, "--format", "json", cwd=ROOT)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    flows = {
        flow["name"]: (flow["runs"], sorted(job["name"] for job in flow["jobs"] if job["runs"]))
        for flow in found["workflows"]
    }
    flows["delivered to"] = sorted(d["account"] for d in found["deliveries"] if d["runs"])
    return flows


def test_a_branch_push_runs_the_push_workflow_only():
    assert planned("--branch", "main") == {
        "catalog": (True, ["delivery_stg", "integration", "unit"]),
        "nightly": (False, []),
        "delivered to": ["stg"],
    }


def test_a_tag_push_releases_and_does_not_run_the_nightly_jobs():
    assert planned("--tag", "v1.2.0") == {
        "catalog": (True, ["delivery_prod", "hold_prod", "integration", "unit"]),
        "nightly": (False, []),
        "delivered to": ["prod"],
    }


def test_the_nightly_schedule_runs_its_jobs_and_delivers_nothing():
    assert planned("--branch", "main", "--schedule", "nightly") == {
        "catalog": (False, []),  # the push workflow does not run on a schedule
        "nightly": (True, ["e2e", "integration", "unit", "vulnerability-scan"]),
        "delivered to": [],
    }


def test_another_schedule_runs_neither_workflow():
    assert planned("--branch", "main", "--schedule", "weekly") == {
        "catalog": (False, []),
        "nightly": (False, []),
        "delivered to": [],
    }


def test_an_api_trigger_is_not_a_schedule():
    plan = planned("--branch", "main", "--api")
    assert plan["catalog"][0] is True and plan["nightly"] == (False, [])


def test_the_conditions_are_circlecis_documented_ones():
    data = yaml.safe_load(render_config(parse_profile(EXAMPLE.read_text(), "p.yaml"), "p.yaml"))
    push, nightly = data["workflows"]["catalog"], data["workflows"]["nightly"]
    assert push["when"] == {
        "not": {"equal": ["scheduled_pipeline", "<< pipeline.trigger_source >>"]}
    }
    assert nightly["when"] == {
        "and": [
            {"equal": ["scheduled_pipeline", "<< pipeline.trigger_source >>"]},
            {"equal": ["nightly", "<< pipeline.schedule.name >>"]},
        ]
    }
    names = [next(iter(job)) if isinstance(job, dict) else job for job in nightly["jobs"]]
    assert names == ["unit", "integration", "e2e", "vulnerability-scan"]  # no delivery, no hold
    pushed = [next(iter(job)) if isinstance(job, dict) else job for job in push["jobs"]]
    assert "e2e" not in pushed and "vulnerability-scan" not in pushed
    assert "triggers" not in json.dumps(data["workflows"])


NIGHTLY = """
schedules:
  nightly:
    jobs: [test]
"""


def test_a_schedule_leaves_every_deploy_roles_trust_as_it_was(tmp_path):
    # tests/acceptance/test_trust.py's oracle: each role may be assumed exactly for the pushes
    # that plan delivers for
    plain = _profile(tmp_path, PROMOTION, "plain.yaml")
    scheduled = _profile(tmp_path, PROMOTION + NIGHTLY, "scheduled.yaml")
    assert _trusts(scheduled) == _trusts(plain)
    assert _oracle(scheduled) == WIDER_TAGS == _oracle(plain)
    for branch in BRANCHES:
        plan = build_plan(PlanRequest(str(scheduled), None, branch, None, schedule="nightly"))
        assert plan.deliveries is not None
        assert [d.account for d in plan.deliveries if d.runs is not False] == [], branch


def refused(text: str) -> str:
    with pytest.raises(InputError) as error:
        parse_profile(textwrap.dedent(text), "p.yaml")
    return str(error.value)


BASE = """\
project: shop
test: {image: cimg/base:2024.01, command: make test}
delivery: {region: eu-west-1, images: [{repository: shop/api}]}
accounts:
  - {name: prod, branch: main, approval: true, credentials: {mode: context, context: shop-prod}}
schedules:
  nightly:
    jobs: [test]
"""


def test_the_base_profile_loads():
    assert list(parse_profile(BASE, "p.yaml").schedules) == ["nightly"]


@pytest.mark.parametrize(
    ("jobs", "expected"),
    [
        (
            "[test, delivery_prod]",
            "p.yaml:8:18: schedules.nightly.jobs[1]: 'delivery_prod': deliveries and approvals run "
            "in the push workflow only",
        ),
        ("[hold_prod]", "'hold_prod': deliveries and approvals run in the push workflow only"),
        (
            "[tset]",
            "schedules.nightly.jobs[0]: 'tset': it is not a test job or a job of this "
            "profile; did you mean 'test'?",
        ),
        ("[]", "schedules.nightly.jobs: got an empty list"),
    ],
)
def test_a_schedule_runs_test_and_custom_jobs_only(jobs, expected):
    assert expected in refused(BASE.replace("jobs: [test]", f"jobs: {jobs}"))


def test_a_schedule_and_a_workflow_cannot_share_a_name():
    text = BASE + "workflows:\n  nightly: {jobs: [test], when: true}\n"
    assert "workflow name 'nightly' is already used" in refused(text)


def test_a_schedule_with_an_unknown_key_gets_a_suggestion():
    text = BASE.replace("jobs: [test]", "jobs: [test]\n    onlyhere: [test]")
    assert "did you mean 'only_here'?" in refused(text)
