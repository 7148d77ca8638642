"""A scan between build and push (`delivery.steps.after_build`) together with image tag templates
(`delivery.tags`): the split Build/Scan/Push steps must write exactly the tags the template says,
and reruns must neither rebuild, rescan nor rewrite an immutable tag.

Run as tests/oracles/test_delivery_harness.py runs the delivery jobs (bash, the real AWS CLI, ECR's
stand-in). A failing step stops the job (https://circleci.com/docs/configuration-reference/#steps);
CIRCLE_BUILD_NUM and CIRCLE_TAG as https://circleci.com/docs/reference/variables/ define them.
"""

from __future__ import annotations

import pytest
from jobsim import JobRun, aws_cli

from oracles.test_delivery_harness import REPOSITORIES, SHA_A, STG, Delivery, fresh_delivery, ok
from oracles.test_image_tags_harness import TAGS, _profile
from oracles.test_scan_before_push import (  # noqa: F401 - server: the registry fixture
    SCAN,
    server,
    step_names,
)

needs_cli = pytest.mark.skipif(aws_cli() is None, reason="the AWS CLI of the test extra")


def scanning_tagged_profile() -> dict:
    profile = _profile()  # delivery.tags: git- prefix, latest, build-N, the release tag
    profile["delivery"]["steps"] = {"after_build": [{"run": {"name": "Scan", "command": SCAN}}]}
    assert profile["delivery"]["tags"] == TAGS
    return profile


@pytest.fixture
def delivery(server, tmp_path):  # noqa: F811 - the imported fixture
    return fresh_delivery(server, tmp_path, scanning_tagged_profile())


def stg(delivery: Delivery, build: int, **extra: str) -> JobRun:
    return delivery.run("delivery_stg", SHA_A, CIRCLE_BUILD_NUM=str(build), **extra)


def registry(delivery: Delivery) -> dict[str, dict[str, str]]:
    return {repository: delivery.tags(STG, repository) for repository in REPOSITORIES}


@needs_cli
def test_scan_then_templated_tags_a_rerun_scans_nothing_and_a_tag_push_adds_the_release(delivery):
    names = step_names(delivery, "delivery_stg")
    assert names.index("Scan") > max(i for i, n in enumerate(names) if n.startswith("Build"))
    assert names.index("Scan") < min(i for i, n in enumerate(names) if n.startswith("Push"))

    # a finding: built, scanned, nothing pushed, no tag anywhere
    rejected = stg(delivery, 10, REJECT="shop/web", CIRCLE_BRANCH="main")
    assert rejected.returncode != 0 and "finding in" in rejected.stderr
    assert all(tags == {} for tags in registry(delivery).values())

    # a clean run: the scanned images are the pushed ones, under every templated tag
    clean = ok(stg(delivery, 11, CIRCLE_BRANCH="main"))
    scanned = [argv[2] for argv in clean.argvs if argv[:2] == ["docker", "tag"]]
    pushed = [argv[2] for argv in clean.argvs if argv[:2] == ["docker", "push"]]
    assert scanned == pushed and len(pushed) == len(REPOSITORIES)
    for repository, tags in registry(delivery).items():
        digest = tags[SHA_A]
        assert tags == {
            SHA_A: digest,
            "git-a1b2c3": digest,
            "build-11": digest,
            "latest": digest,
            "stg": digest,
        }, repository
    delivered = registry(delivery)

    # "Rerun workflow": nothing built or scanned, one more build tag, nothing else changed
    rerun = ok(stg(delivery, 12, REJECT="shop/web", CIRCLE_BRANCH="main"))
    assert delivery.builds(rerun) == [] and "scanning: nothing" in rerun.stdout
    for repository, tags in registry(delivery).items():
        assert tags == {**delivered[repository], "build-12": delivered[repository][SHA_A]}

    # a tag push of the same commit: the release tag joins, nothing rebuilt or rescanned
    release = ok(stg(delivery, 13, REJECT="shop/web", CIRCLE_TAG="v1.0.0"))
    assert delivery.builds(release) == [] and "scanning: nothing" in release.stdout
    for repository, tags in registry(delivery).items():
        assert tags["v1.0.0"] == tags[SHA_A] == delivered[repository][SHA_A]
