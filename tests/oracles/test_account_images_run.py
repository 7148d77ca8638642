"""accounts[].images, run: an account's own repositories and build arguments reach ECR (issue 19).

The jobs run against ECR's stand-in as tests/oracles/test_delivery_harness.py runs them (every `run`
step in bash, the real AWS CLI). A cross-account pull needs the source repository's policy and the
puller's identity policy both to allow it:
https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html
"""

from __future__ import annotations

import copy

import pytest
from jobsim import aws_cli

from oracles.ecr_standin import EcrServer
from oracles.test_delivery_harness import (
    PROD,
    PROFILE,
    SHA_A,
    STG,
    fresh_delivery,
    ok,
)

needs_cli = pytest.mark.skipif(aws_cli() is None, reason="the AWS CLI of the test extra")
RENAMED = {"shop/worker": "prod/worker", "shop/web": "prod/web"}


def with_prod(**prod: object) -> dict:
    profile = copy.deepcopy(PROFILE)
    profile["accounts"][1].update(prod)
    return profile


@pytest.fixture(scope="module")
def server():
    with EcrServer() as running:
        yield running


@needs_cli
def test_promotion_copies_from_the_sources_repositories_into_the_accounts_own(server, tmp_path):
    delivery = fresh_delivery(
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
    delivery = fresh_delivery(server, tmp_path, profile)
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
