"""accounts[].images: an account's own repository names and build arguments (issue 19).

The override is derived once (AccountPlan.delivery in ciconf/profile/derive.py); the delivery job,
the bootstrap and pipeline stacks and the promotion all read it. The stack consistency, cfn-lint,
checkov and moto tests hold for profiles/examples/per-account-images.yaml as for the bundled
profiles (tests/cfn_helpers.py stack_profiles); tests/oracles/test_account_images_run.py runs the
jobs against ECR's stand-in.
"""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import PROFILES, ciconf_in_process, run_ciconf

from ciconf.profile.derive import plan as derive_plan
from ciconf.profile.load import load_profile

EXAMPLE = PROFILES / "examples" / "per-account-images.yaml"


def test_the_example_derives_each_accounts_repositories_once_for_both_sides():
    plan = derive_plan(load_profile(str(EXAMPLE)))
    stg, prod = plan.account("stg").delivery, plan.account("prod").delivery
    assert [i.repository for i in stg.images] == ["billing/worker", "billing/web"]
    assert [i.repository for i in prod.images] == ["prod/billing-worker", "prod/billing-web"]
    assert prod.source.repository == "prod/billing-web"  # pipeline_source names the profile's
    assert [i.container for i in prod.images] == ["worker", "web"]  # ECS containers unchanged
    assert dict((a.name, a.value) for a in prod.source.build_args) == {
        "GIT_COMMIT": "CIRCLE_SHA1",
        "RAILS_ENV": "production",
    }


def planned(profile, *push: str) -> dict:
    done = ciconf_in_process("plan", profile, *push, "--format", "json", cwd=PROFILES)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_plan_a_main_push_delivers_to_staging_and_a_release_tag_waits_for_approval_then_prod():
    branch = planned(EXAMPLE, "--branch", "main")
    (workflow,) = branch["workflows"]
    runs = {job["name"]: job["runs"] for job in workflow["jobs"]}
    assert runs == {"test": True, "delivery_stg": True, "hold_prod": False, "delivery_prod": False}
    tag = planned(EXAMPLE, "--tag", "v1.2.3")
    (workflow,) = tag["workflows"]
    runs = {job["name"]: job["runs"] for job in workflow["jobs"]}
    assert runs == {"test": True, "delivery_stg": False, "hold_prod": True, "delivery_prod": True}
    (prod,) = [d for d in tag["deliveries"] if d["account"] == "prod"]
    assert [image["repository"] for image in prod["images"]] == [
        "prod/billing-worker",
        "prod/billing-web",
    ]
    assert prod["pipeline_source"] == "prod/billing-web"


BASE = """project: shop
test: {image: cimg/base:2024.01, command: make test}
delivery:
  region: eu-west-1
  images: [{repository: team/web}, {repository: team/worker}]
accounts:
  - name: stg
    branch: main
    credentials: {mode: context, context: aws-stg}
  - name: prod
    branch: release
    credentials: {mode: context, context: aws-prod}
"""


@pytest.mark.parametrize(
    ("extra", "line", "field", "said"),
    [
        (
            "    images: {team/wbe: {repository: prod/web}}",
            13,
            "accounts[1].images['team/wbe']",
            "'team/wbe' is not one of delivery.images (team/web, team/worker); did you mean "
            "'team/web'?",
        ),
        (
            "    images: {team/web: {repository: team/worker}}",
            13,
            "accounts[1].images",
            "two images of account 'prod' would share repository 'team/worker'",
        ),
        (
            "    images: {team/web: {build_args: {X: $HOME}}}",
            13,
            "accounts[1].images['team/web'].build_args.X",
            "did you mean {from_env: HOME}?",
        ),
    ],
)
def test_a_wrong_override_is_refused_at_its_line(tmp_path, extra, line, field, said):
    profile = tmp_path / "ciconf.yaml"
    profile.write_text(BASE + extra + "\n")
    done = run_ciconf("render", profile, "--stdout", cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert f"{profile}:{line}:" in done.stderr
    assert f"{field}: " in done.stderr and said in done.stderr, done.stderr
    assert not (tmp_path / ".circleci").exists()


def test_a_promoting_account_cannot_build_with_its_own_arguments(tmp_path):
    profile = tmp_path / "ciconf.yaml"
    text = BASE.replace(
        "    credentials: {mode: context, context: aws-prod}",
        "    credentials: {mode: oidc, context: aws-prod, role_arn: "
        '"arn:aws:iam::444455556666:role/deploy"}\n'
        "    promote_from: stg",
    ).replace(
        "credentials: {mode: context, context: aws-stg}",
        "credentials: {mode: oidc, "
        'context: aws-stg, role_arn: "arn:aws:iam::111122223333:role/deploy"}',
    )
    profile.write_text(text + "    images: {team/web: {build_args: {APP_ENV: production}}}\n")
    done = run_ciconf("render", profile, "--stdout", cwd=tmp_path)
    assert done.returncode == 2, done.stdout
    assert (
        "accounts[1].images['team/web'].build_args: account 'prod' copies its images from 'stg'"
        in (done.stderr)
    )


def test_an_account_with_its_own_repository_pushes_there_and_shares_the_other_steps(tmp_path):
    profile = tmp_path / "ciconf.yaml"
    profile.write_text(BASE + "    images: {team/web: {repository: prod/web}}\n")
    done = run_ciconf("render", profile, "--stdout", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    jobs = yaml.safe_load(done.stdout)["jobs"]
    pushed = {
        name: [
            line.split("'")[1]
            for step in job["steps"]
            if isinstance(step, dict) and "run" in step
            for line in step["run"]["command"].splitlines()
            if line.startswith("repository='")
        ]
        for name, job in jobs.items()
        if name.startswith("delivery_")
    }
    assert pushed == {
        "delivery_stg": ["team/web", "team/worker"],
        "delivery_prod": ["prod/web", "team/worker"],
    }
    # the shared steps are anchored once and aliased by the account with its own images
    assert done.stdout.count("name: ECR login") == 1
