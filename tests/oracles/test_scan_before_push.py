"""delivery.steps.after_build: steps between the image builds and the first push (issue 19).

Run as tests/test_delivery_harness.py runs the delivery jobs: every `run` step in bash, the real AWS
CLI, ECR's stand-in and a docker stand-in whose builds are not reproducible. A failing step between
build and push stops the job before any image is pushed (CircleCI stops a job at its first failing
step: https://circleci.com/docs/configuration-reference/#steps), and each build's local name reaches
the step in BUILT_IMAGES through BASH_ENV, which CircleCI sources before every step
(https://circleci.com/docs/set-environment-variable/#set-an-environment-variable-in-a-shell-command).
"""

from __future__ import annotations

import copy
import json

import pytest
from conftest import PROFILES, run_ciconf
from jobsim import aws_cli

from oracles.ecr_standin import EcrServer
from oracles.test_delivery_harness import (
    PROFILE,
    REPOSITORIES,
    SHA_A,
    STG,
    Delivery,
    fresh_delivery,
    ok,
)

needs_cli = pytest.mark.skipif(aws_cli() is None, reason="the AWS CLI of the test extra")
SCAN_EXAMPLE = PROFILES / "examples" / "scan-before-push.yaml"

# a stand-in scanner: `docker tag` fails unless the image exists locally under that name
SCAN = """echo "scanning: ${BUILT_IMAGES:-nothing}"
for image in ${BUILT_IMAGES}; do
  docker tag "${image}" "${image}-scanned"
  if [[ "${image}" == *"/${REJECT:-none}:"* ]]; then
    echo "finding in ${image}" >&2
    exit 1
  fi
done
"""


def scanning_profile() -> dict:
    profile = copy.deepcopy(PROFILE)
    profile["delivery"]["steps"] = {"after_build": [{"run": {"name": "Scan", "command": SCAN}}]}
    profile["delivery"]["no_output_timeout"] = "30m"
    return profile


@pytest.fixture(scope="module")
def server():
    with EcrServer() as running:
        yield running


@pytest.fixture
def delivery(server, tmp_path):
    return fresh_delivery(server, tmp_path, scanning_profile())


def step_names(delivery: Delivery, job: str) -> list[str]:
    return [
        step["run"]["name"]
        for step in delivery.config["jobs"][job]["steps"]
        if isinstance(step, dict) and "run" in step
    ]


@needs_cli
def test_builds_then_the_scan_then_the_pushes_and_only_builds_wait_long(delivery):
    assert step_names(delivery, "delivery_stg") == [
        "AWS credentials",
        "ECR login",
        "Build shop/worker",
        "Build shop/web",
        "Scan",
        "Push shop/worker",
        "Push shop/web",
        "Deploy tag",
    ]
    # https://circleci.com/docs/configuration-reference/#run : no_output_timeout, default 10m
    timeouts = {
        step["run"]["name"]: step["run"].get("no_output_timeout")
        for step in delivery.config["jobs"]["delivery_stg"]["steps"]
        if isinstance(step, dict) and "run" in step
    }
    assert timeouts["Build shop/worker"] == timeouts["Build shop/web"] == "30m"
    assert timeouts["Push shop/web"] is None
    # a promotion builds nothing, so it has nothing to scan: the source account's scan passed
    assert "Scan" not in step_names(delivery, "delivery_prod")


@needs_cli
def test_a_finding_pushes_nothing_then_a_clean_run_delivers_and_a_rerun_scans_nothing(delivery):
    rejected = delivery.run("delivery_stg", SHA_A, REJECT="shop/web")
    assert rejected.returncode != 0
    assert f"finding in {STG}.dkr.ecr.eu-west-1.amazonaws.com/shop/web:{SHA_A}" in rejected.stderr
    assert len(delivery.builds(rejected)) == 2  # both built, neither pushed
    assert not [argv for argv in rejected.argvs if argv[:2] == ["docker", "push"]]
    for repository in REPOSITORIES:
        assert delivery.tags(STG, repository) == {}

    clean = ok(delivery.run("delivery_stg", SHA_A))
    local = [f"{STG}.dkr.ecr.eu-west-1.amazonaws.com/{r}:{SHA_A}" for r in REPOSITORIES]
    assert f"scanning: {' '.join(local)}" in clean.stdout
    # the scanner saw the very images that were pushed
    scanned = [argv[2] for argv in clean.argvs if argv[:2] == ["docker", "tag"]]
    pushed = [argv[2] for argv in clean.argvs if argv[:2] == ["docker", "push"]]
    assert scanned == pushed == local
    for repository in REPOSITORIES:
        tags = delivery.tags(STG, repository)
        assert set(tags) == {SHA_A, SHA_A[:6], "stg"}
        assert tags["stg"] == tags[SHA_A]
    delivered = {repository: delivery.tags(STG, repository) for repository in REPOSITORIES}

    # a rerun reuses the delivered images: nothing built, nothing to scan, registry unchanged
    rerun = ok(delivery.run("delivery_stg", SHA_A, REJECT="shop/web"))
    assert delivery.builds(rerun) == []
    assert "scanning: nothing" in rerun.stdout
    assert {repository: delivery.tags(STG, repository) for repository in REPOSITORIES} == delivered


def planned(profile, *push: str) -> dict:
    done = run_ciconf("plan", profile, *push, "--format", "json", cwd=PROFILES)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_plan_the_scan_example_delivers_from_main_only():
    for branch, delivers in (("main", True), ("feature/x", False)):
        (workflow,) = planned(SCAN_EXAMPLE, "--branch", branch)["workflows"]
        runs = {job["name"]: job["runs"] for job in workflow["jobs"]}
        assert runs == {"test": True, "delivery_stg": delivers}
