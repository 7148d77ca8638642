"""Image tag templates, run: `delivery.tags` (a commit-tag prefix, a fixed moving tag, the build
number, the release tag) through first runs, reruns, an older commit and tag pushes, in bash with
the real AWS CLI against ECR's stand-in (tests/ecr_standin.py), whose repositories are made exactly
as the bootstrap stacks say (tests/test_delivery_harness.py).

What must hold: the per-commit tags stay immutable and never name two images; every tag a delivery
moves is one the bootstrap stack leaves mutable, so a rerun never fails on an immutable tag; the
release tag (CIRCLE_TAG, https://circleci.com/docs/reference/variables/) is written once and a
rerun finds it already there. ECR's rules: a push of an existing immutable tag fails
(https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutImage.html); tags matching an
exclusion filter stay mutable
(https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html).
"""

from __future__ import annotations

import copy
import re
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT
from jobsim import JobRun, aws_cli

from ciconf.cloudformation import bootstrap
from ciconf.cloudformation.render import stacks_for
from ciconf.profile.derive import mutable_tags
from ciconf.profile.derive import plan as derive_plan
from ciconf.profile.load import load_profile_document
from oracles.test_cfn_lint import _checkov, _tool
from oracles.test_delivery_harness import (  # noqa: F401 - server: the registry fixture
    PROD,
    PROFILE,
    REGION,
    REPOSITORIES,
    STG,
    Delivery,
    ok,
    server,
)

needs_aws_cli = pytest.mark.skipif(aws_cli() is None, reason="the AWS CLI of the test extra")

SHA_A = "a1b2c3" + "0" * 34
SHA_B = "b2c3d4" + "1" * 34
TAGS = {"commit_prefix": "git-", "moving": ["latest"], "build_number": "build-", "release": True}


def _profile() -> dict:
    profile = copy.deepcopy(PROFILE)
    profile["delivery"]["tags"] = TAGS
    profile["accounts"][0]["tags"] = ["/^v.*/"]  # staging builds release tags too
    return profile


@pytest.fixture
def delivery(server, tmp_path):  # noqa: F811 - the imported fixture
    server.ecr.repositories.clear()
    server.ecr.identity.clear()
    made = Delivery(server, tmp_path, _profile())
    made.bootstrap(("stg", STG), ("prod", PROD))
    return made


def registry(delivery: Delivery, account: str) -> dict[str, dict[str, str]]:
    return {repository: delivery.tags(account, repository) for repository in REPOSITORIES}


def names(delivery: Delivery, account: str, tag: str) -> dict[str, str | None]:
    """The digest each repository's `tag` names (None: no image has it)."""
    return {repository: delivery.tags(account, repository).get(tag) for repository in REPOSITORIES}


def images_of(delivery: Delivery, account: str, sha: str) -> dict[str, str]:
    return {repository: delivery.tags(account, repository)[sha] for repository in REPOSITORIES}


def stg(delivery: Delivery, sha: str, build: int, **extra: str) -> JobRun:
    return delivery.run("delivery_stg", sha, CIRCLE_BUILD_NUM=str(build), **extra)


@needs_aws_cli
def test_first_run_rerun_next_commit_older_commit_and_tag_pushes(delivery):
    # first run: every kind of tag, all on the images of this commit
    ok(stg(delivery, SHA_A, 10, CIRCLE_BRANCH="main"))
    a = images_of(delivery, STG, SHA_A)
    for repository in REPOSITORIES:
        assert delivery.tags(STG, repository) == {
            SHA_A: a[repository],
            "git-a1b2c3": a[repository],
            "build-10": a[repository],
            "latest": a[repository],
            "stg": a[repository],
        }

    # rerun: nothing rebuilt, no immutable tag rewritten, one more build tag
    rerun = ok(stg(delivery, SHA_A, 11, CIRCLE_BRANCH="main"))
    assert delivery.builds(rerun) == []
    assert names(delivery, STG, "build-11") == a
    assert names(delivery, STG, "build-10") == a

    # the next commit: latest and the deploy tag move, A keeps its immutable tags
    ok(stg(delivery, SHA_B, 12, CIRCLE_BRANCH="main"))
    b = images_of(delivery, STG, SHA_B)
    assert names(delivery, STG, "latest") == names(delivery, STG, "stg") == b
    assert names(delivery, STG, "git-b2c3d4") == names(delivery, STG, "build-12") == b
    assert names(delivery, STG, "git-a1b2c3") == a

    # an older commit delivered again (a rollback): the moving tags go back to A's images
    rollback = ok(stg(delivery, SHA_A, 13, CIRCLE_BRANCH="main"))
    assert delivery.builds(rollback) == []
    assert names(delivery, STG, "latest") == names(delivery, STG, "stg") == a
    assert names(delivery, STG, "build-13") == a

    # a tag push of A: the release tag names A's images; pushing it again changes nothing more
    ok(stg(delivery, SHA_A, 14, CIRCLE_TAG="v1.0.0"))
    assert names(delivery, STG, "v1.0.0") == a
    before = registry(delivery, STG)
    again = ok(stg(delivery, SHA_A, 14, CIRCLE_TAG="v1.0.0"))  # "Rerun workflow" of the tag push
    assert delivery.builds(again) == []
    assert registry(delivery, STG) == before

    # the git tag moved to B (deleted and pushed again): refused, nothing moved
    moved = stg(delivery, SHA_B, 15, CIRCLE_TAG="v1.0.0")
    assert moved.returncode != 0
    assert "shop/worker:v1.0.0 names another image" in moved.stderr
    assert registry(delivery, STG) == before

    # the AWS pipeline finds a commit's images by its commit tag: exactly one per image
    pattern = derive_plan(delivery.profile).delivery.commit_tag_pattern  # type: ignore[union-attr]
    for repository, tags in registry(delivery, STG).items():
        commit_tags = [tag for tag in tags if re.search(pattern, tag)]
        assert sorted(commit_tags) == ["git-a1b2c3", "git-b2c3d4"], repository
        assert len({tags[tag] for tag in commit_tags}) == 2


@needs_aws_cli
def test_a_git_tag_that_would_pass_for_another_tag_is_refused_and_nothing_moves(delivery):
    # a tag push of a commit not yet delivered: its images are built, then the release tag is
    # refused before any tag but the commit's own is written
    for git_tag, why in (
        ("latest", "is a tag every delivery moves"),
        ("git-b2c3d4", "looks like a commit tag"),
        ("build-99", "looks like a build-number tag"),
    ):
        refused = stg(delivery, SHA_A, 20, CIRCLE_TAG=git_tag)
        assert refused.returncode != 0
        assert f"git tag {git_tag} {why}" in refused.stderr
        assert "no tag moved" in refused.stderr
        for repository, tags in registry(delivery, STG).items():
            assert set(tags) == {SHA_A, "git-a1b2c3"}, repository


@needs_aws_cli
def test_promotion_of_an_older_commit_on_a_tag_push_carries_every_tag_to_production(delivery):
    ok(stg(delivery, SHA_A, 30, CIRCLE_BRANCH="main"))
    ok(stg(delivery, SHA_B, 31, CIRCLE_BRANCH="main"))
    # production promotes the older commit A on its release tag: the tested digests, all tags
    promote = ok(delivery.run("delivery_prod", SHA_A, CIRCLE_BUILD_NUM="32", CIRCLE_TAG="v1.0.0"))
    assert delivery.builds(promote) == []
    a = images_of(delivery, STG, SHA_A)
    assert images_of(delivery, PROD, SHA_A) == a
    for tag in ("git-a1b2c3", "build-32", "v1.0.0", "latest", "prod"):
        assert names(delivery, PROD, tag) == a, tag
    assert names(delivery, STG, "latest") == images_of(delivery, STG, SHA_B)  # staging unmoved


@needs_aws_cli
def test_the_bootstrap_leaves_exactly_the_moving_tags_mutable_and_a_rerun_needs_it(delivery):
    plan = derive_plan(delivery.profile)
    assert plan.delivery is not None
    for name, tags in (("stg", ("latest", "stg")), ("prod", ("latest", "prod"))):
        account = plan.account(name)
        assert mutable_tags(plan.delivery, account) == tags
        template = bootstrap.build_bootstrap(plan.project, plan.delivery, account)
        for resource in template["Resources"].values():
            if resource["Type"] == "AWS::ECR::Repository":
                filters = resource["Properties"]["ImageTagMutabilityExclusionFilters"]
                assert [f["ImageTagMutabilityExclusionFilterValue"] for f in filters] == list(tags)
    # guard: a repository that kept `latest` immutable fails the next commit's delivery
    for repository in REPOSITORIES:
        delivery.server.ecr.repository(STG, REGION, repository).exclusions = ("stg",)
    ok(stg(delivery, SHA_A, 40, CIRCLE_BRANCH="main"))
    failed = stg(delivery, SHA_B, 41, CIRCLE_BRANCH="main")
    assert failed.returncode != 0
    assert "ImageTagAlreadyExistsException" in failed.stderr


# --- the example's stacks: cfn-lint and checkov ----------------------------------------------


def test_the_example_stacks_pass_cfn_lint_and_checkov(tmp_path):
    doc, loaded = load_profile_document(str(ROOT / "profiles" / "examples" / "run-time-tags.yaml"))
    stacks = stacks_for(doc, derive_plan(loaded), "stacks")
    for path, text in stacks:
        (tmp_path / Path(path).name).write_text(text)
        if "bootstrap" in path:
            assert "ImageTagMutabilityExclusionFilterValue: latest" in text
    files = sorted(str(path) for path in tmp_path.glob("*.yaml"))
    assert len(files) == 2  # a bootstrap stack per account (the example has no AWS pipeline)
    done = subprocess.run(
        [_tool("cfn-lint"), "--format", "parseable", *files], capture_output=True, text=True
    )
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr
    assert _checkov(tmp_path) == []
