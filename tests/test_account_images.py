"""accounts[].images: an account's own repository names and build arguments (issue 19).

The override is derived once (AccountPlan.delivery in ciconf/profile/derive.py); the delivery job,
the bootstrap and pipeline stacks and the promotion all read it. tests/test_cfn_consistency.py,
tests/test_moto_bootstrap.py and tests/test_cfn_lint.py hold for profiles/examples/
per-account-images.yaml as for the bundled profiles; here the jobs run against ECR's stand-in, as
tests/test_delivery_harness.py runs them. A cross-account pull needs the source repository's policy
and the puller's identity policy both to allow it:
https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html
"""

from __future__ import annotations

import copy
import json

import pytest
import yaml
from conftest import PROFILES, run_ciconf
from jobsim import aws_cli
from test_delivery_harness import PROD, PROFILE, SHA_A, STG, Delivery, ok

from ciconf.profile.derive import plan as derive_plan
from ciconf.profile.load import load_profile

EXAMPLE = PROFILES / "examples" / "per-account-images.yaml"
needs_cli = pytest.mark.skipif(aws_cli() is None, reason="the AWS CLI of the test extra")
RENAMED = {"shop/worker": "prod/worker", "shop/web": "prod/web"}


def with_prod(**prod: object) -> dict:
    profile = copy.deepcopy(PROFILE)
    profile["accounts"][1].update(prod)
    return profile


@pytest.fixture(scope="module")
def server():
    from ecr_standin import EcrServer

    with EcrServer() as running:
        yield running


def fresh(server, tmp_path, profile: dict) -> Delivery:
    server.ecr.repositories.clear()
    server.ecr.identity.clear()
    made = Delivery(server, tmp_path, profile)
    made.bootstrap(("stg", STG), ("prod", PROD))
    return made


@needs_cli
def test_promotion_copies_from_the_sources_repositories_into_the_accounts_own(server, tmp_path):
    delivery = fresh(
        server,
        tmp_path,
        with_prod(images={name: {"repository": own} for name, own in RENAMED.items()}),
    )
    # each bootstrap made its own account's repositories, nothing else
    assert set(server.ecr.repositories) >= {
        (STG, "eu-west-1", "shop/worker"),
        (PROD, "eu-west-1", "prod/worker"),
    }
    assert (PROD, "eu-west-1", "shop/worker") not in server.ecr.repositories
    ok(delivery.run("delivery_stg", SHA_A, CIRCLE_BRANCH="main"))
    promote = ok(delivery.run("delivery_prod", SHA_A, CIRCLE_TAG="v1.0.0"))
    assert delivery.builds(promote) == []
    for theirs, own in RENAMED.items():
        tested = delivery.tags(STG, theirs)
        copied = delivery.tags(PROD, own)
        assert copied["prod"] == copied[SHA_A] == tested[SHA_A]  # by digest: the tested image
    again = ok(delivery.run("delivery_prod", SHA_A, CIRCLE_TAG="v1.0.0"))
    assert "prod/web: commit" in again.stdout and "reused, not rebuilt" in again.stdout


@needs_cli
def test_a_building_account_pushes_its_own_build_to_its_own_repository(server, tmp_path):
    profile = with_prod(
        images={"shop/web": {"repository": "prod/web", "build_args": {"APP_ENV": "production"}}},
        branches=["main"],
    )
    del profile["accounts"][1]["promote_from"], profile["accounts"][1]["tags"]
    delivery = fresh(server, tmp_path, profile)
    run = ok(delivery.run("delivery_prod", SHA_A, CIRCLE_BRANCH="main"))
    (web,) = [argv for argv in delivery.builds(run) if f"/prod/web:{SHA_A}" in " ".join(argv)]
    # the account's argument joins the image's own (from_env CIRCLE_SHA1), sorted by name
    assert web[2:6] == ["--build-arg", "APP_ENV=production", "--build-arg", f"GIT_COMMIT={SHA_A}"]
    assert set(delivery.tags(PROD, "prod/web")) == {SHA_A, SHA_A[:6], "prod"}
    assert set(delivery.tags(PROD, "shop/worker")) == {SHA_A, SHA_A[:6], "prod"}  # not overridden
    # staging's build of the same image has no APP_ENV
    stg = ok(delivery.run("delivery_stg", SHA_A, CIRCLE_BRANCH="main"))
    (web,) = [argv for argv in delivery.builds(stg) if f"/shop/web:{SHA_A}" in " ".join(argv)]
    assert "APP_ENV=production" not in web


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
    done = run_ciconf("plan", profile, *push, "--format", "json", cwd=PROFILES)
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
