"""`ignore_branches` on accounts, test jobs and custom jobs: "every branch except these", rendered
as CircleCI's `filters.branches.ignore` and planned as CircleCI runs it.

CircleCI: a branch runs a job when it matches `only` (or no `only` is given) and does not match
`ignore`; only is considered before ignore
(https://circleci.com/docs/reference/configuration-reference/#filters).
"""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import ROOT, run_ciconf

from ciconf.errors import InputError
from ciconf.profile.load import parse_profile

EXAMPLE = ROOT / "profiles" / "examples" / "branch-ignore.yaml"
BOTS = ["/^dependabot\\/.*/", "/^renovate\\/.*/"]


def planned(branch: str) -> dict[str, bool]:
    done = run_ciconf("plan", EXAMPLE, "--branch", branch, "--format", "json", cwd=ROOT)
    assert done.returncode == 0, done.stderr
    (workflow,) = json.loads(done.stdout)["workflows"]
    return {job["name"]: job["runs"] for job in workflow["jobs"]}


def test_a_feature_branch_deploys_to_dev_only():
    assert planned("feature/login") == {
        "unit": True,
        "audit": True,
        "merge_unit": True,
        "merge_audit": True,
        "delivery_dev": True,
        "delivery_prod": False,
        "storybook": True,
    }


def test_main_deploys_to_prod_and_never_to_dev():
    runs = planned("main")
    assert runs["delivery_prod"] and not runs["delivery_dev"]
    assert not runs["merge_unit"] and not runs["merge_audit"]  # merge_test ignores main
    assert runs["storybook"] and runs["audit"]


def test_a_bot_branch_runs_the_gating_tests_and_nothing_else():
    runs = planned("dependabot/npm_and_yarn/lodash-4.17.21")
    assert {name for name, run in runs.items() if run} == {"unit", "merge_unit"}


def test_the_rendered_filters_carry_the_ignore_lists():
    done = run_ciconf("render", EXAMPLE, "--stdout", cwd=ROOT)
    assert done.returncode == 0, done.stderr
    (workflow,) = yaml.safe_load(done.stdout)["workflows"].values()
    entries = {
        next(iter(job)): next(iter(job.values())) for job in workflow["jobs"] if job != "unit"
    }
    assert entries["audit"]["filters"] == {"branches": {"ignore": BOTS}}
    assert entries["delivery_dev"]["filters"] == {"branches": {"ignore": ["main", *BOTS]}}
    # the merge variant ignores merge_test's branches and the job's own
    assert entries["merge_audit"]["filters"] == {
        "branches": {"ignore": ["main", *BOTS]},
        "tags": {"ignore": "/.*/"},
    }
    assert entries["storybook"]["filters"] == {"branches": {"ignore": [BOTS[0]]}}


def test_only_and_ignore_together_render_both():
    profile = parse_profile(
        PROFILE_HEAD
        + """
accounts:
  - name: stg
    branches: [/^release\\/.*/]
    ignore_branches: [release/legacy]
    credentials: {mode: context, context: ship-stg}
""",
        "p.yaml",
    )
    (account,) = [n for n in profile.workflow_nodes() if n.kind == "delivery"]
    assert (account.branches, account.ignored) == (("/^release\\/.*/",), ("release/legacy",))


PROFILE_HEAD = """
project: ship
tests:
  unit: {image: cimg/base:2024.01, command: make test}
delivery:
  region: eu-west-1
  images: [{repository: ship/api}]
"""


@pytest.mark.parametrize(
    ("text", "message", "where"),
    [
        (
            "tests:\n  unit: {image: cimg/base:2024.01, command: make, ignore_branches: [main]}\n",
            "a job that gates delivery runs on every branch; set gates_delivery: false",
            "p.yaml:3:3: tests.unit:",
        ),
        (
            "test: {image: cimg/base:2024.01, command: make, gates_delivery: false,"
            " ignore_branches: ['release/*']}\n",
            "is neither a branch name nor a pattern",
            "p.yaml:2:90: test.ignore_branches[0]:",
        ),
    ],
)
def test_bad_ignore_branches_are_refused_at_their_line(text, message, where):
    with pytest.raises(InputError) as error:
        parse_profile("project: ship\n" + text, "p.yaml")
    assert message in str(error.value)
    assert str(error.value).startswith(where)


def test_an_account_without_any_trigger_names_ignore_branches_as_one():
    with pytest.raises(InputError) as error:
        parse_profile(
            PROFILE_HEAD
            + "accounts:\n  - name: stg\n    credentials: {mode: context, context: ship-stg}\n",
            "p.yaml",
        )
    assert "(or every branch but ignore_branches)" in str(error.value)


def test_an_oidc_deploy_role_still_trusts_the_ignored_branches_and_plan_says_so(tmp_path):
    # an IAM `sub` condition (StringLike) cannot say "every branch except main"
    profile = tmp_path / "p.yaml"
    profile.write_text(
        PROFILE_HEAD
        + """
accounts:
  - name: dev
    ignore_branches: [main]
    credentials:
      mode: oidc
      role_arn: arn:aws:iam::111111111111:role/circleci-ship
      context: ship-dev
      org_id: 3f9c1a52-7d4e-4b8a-9e21-6c0d5b7a8f13
      project_id: 4f9c1a52-7d4e-4b8a-9e21-6c0d5b7a8f13
"""
    )
    done = run_ciconf("plan", profile, "--branch", "main", "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (delivery,) = json.loads(done.stdout)["deliveries"]
    assert delivery["runs"] is False
    assert "branches.ignore main is still trusted" in delivery["trust_wider_than_filters"]
