"""The delivery jobs, run: their `run` steps in bash, the real AWS CLI, a registry with ECR's rules.

Each scenario renders a profile, "deploys" its bootstrap stacks into the ECR stand-in
(tests/oracles/ecr_standin.py: repositories, tag mutability, repository and identity policies as the
templates say), runs delivery jobs as CircleCI would (a fresh machine each run, steps stop at the
first failure) and asserts the registry afterwards. Non-reproducible builds
(tests/docker_standin.py)
make "rebuilt" and "reused" visible as different digests.

ECR's rules: https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutImage.html (a push of
an existing immutable tag: ImageTagAlreadyExistsException, even for the same image:
ImageAlreadyExistsException) and https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html
(IMMUTABLE_WITH_EXCLUSION: tags matching an exclusion filter stay mutable).
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from jobsim import JobRun, aws_cli, run_against_ecr

from ciconf.circleci.render import render_config
from ciconf.cloudformation import bootstrap
from ciconf.profile.derive import plan as derive_plan
from ciconf.profile.derive import promotion_targets
from ciconf.profile.load import validate_document
from ciconf.yamlkit.emit import Tagged
from ciconf.yamlkit.load import Document
from oracles.ecr_standin import EcrServer

pytestmark = pytest.mark.skipif(aws_cli() is None, reason="the AWS CLI of the test extra")

REGION = "eu-west-1"
STG, PROD = "111122223333", "444455556666"
SHA_A = "a1b2c3" + "0" * 34
SHA_B = "b2c3d4" + "1" * 34
SHA_A_TWIN = "a1b2c3" + "f" * 34  # another commit sharing SHA_A's 6-character commit tag

PROFILE: dict[str, Any] = {
    "project": "shop",
    "test": {"image": "cimg/python:3.12", "command": "pytest"},
    "delivery": {
        "region": REGION,
        "commit_tag_length": 6,
        "images": [
            {"repository": "shop/worker", "dockerfile": "worker/Dockerfile"},
            {"repository": "shop/web", "build_args": {"GIT_COMMIT": {"from_env": "CIRCLE_SHA1"}}},
        ],
        "pipeline_source": "shop/web",
    },
    "accounts": [
        {
            "name": "stg",
            "branches": ["main", "/^release\\/.*/"],
            "credentials": {
                "mode": "env-indirection",
                "account_id_var": "AWS_STG_ACCOUNT_ID",
                "access_key_var": "AWS_STG_ACCESS_KEY",
                "secret_key_var": "AWS_STG_SECRET_KEY",
            },
        },
        {
            "name": "prod",
            "tags": ["/^v.*/"],
            "promote_from": "stg",
            "credentials": {
                "mode": "env-indirection",
                "account_id_var": "AWS_PROD_ACCOUNT_ID",
                "access_key_var": "AWS_PROD_ACCESS_KEY",
                "secret_key_var": "AWS_PROD_SECRET_KEY",
            },
        },
    ],
}
REPOSITORIES = ("shop/worker", "shop/web")
PROJECT_VARIABLES = {
    "AWS_STG_ACCOUNT_ID": STG,
    "AWS_STG_ACCESS_KEY": f"key-{STG}",
    "AWS_STG_SECRET_KEY": "stg-secret",
    "AWS_PROD_ACCOUNT_ID": PROD,
    "AWS_PROD_ACCESS_KEY": f"key-{PROD}",
    "AWS_PROD_SECRET_KEY": "prod-secret",
}


# --- the bootstrap stack, applied to the stand-in ------------------------------------------------


def _resolve(value: Any, account: str, arns: dict[str, str], parameters: dict[str, str]) -> Any:
    """The intrinsics ciconf's bootstrap stack uses, resolved as CloudFormation does."""
    if isinstance(value, Tagged):
        if value.tag == "!GetAtt":
            return arns[value.value.removesuffix(".Arn")]
        if value.tag == "!Ref":
            return parameters[value.value]
        assert value.tag == "!Sub", value.tag
        names = {"AWS::Partition": "aws", "AWS::Region": REGION, "AWS::AccountId": account}
        return re.sub(r"\$\{([^}]+)\}", lambda m: {**names, **parameters}[m.group(1)], value.value)
    if isinstance(value, dict):
        return {key: _resolve(item, account, arns, parameters) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve(item, account, arns, parameters) for item in value]
    return value


def deploy_bootstrap(server: EcrServer, profile: Any, name: str, account: str) -> None:
    """What `aws cloudformation deploy` of the account's bootstrap stack creates, here."""
    plan = derive_plan(profile)
    assert plan.delivery is not None
    target = plan.account(name)
    source = plan.account(target.promote_from) if target.promote_from else None
    template = bootstrap.build_bootstrap(
        plan.project, plan.delivery, target, promotion_targets(plan.accounts, name), source
    )
    parameters = {"StgAccountId": STG, "ProdAccountId": PROD}
    resources = template["Resources"]
    arns = {
        logical: f"arn:aws:ecr:{REGION}:{account}:repository/{body['Properties']['RepositoryName']}"
        for logical, body in resources.items()
        if body["Type"] == "AWS::ECR::Repository"
    }
    for logical in arns:
        properties = _resolve(resources[logical]["Properties"], account, arns, parameters)
        server.ecr.create_repository(
            account,
            REGION,
            properties["RepositoryName"],
            mutability=properties["ImageTagMutability"],
            exclusions=tuple(
                item["ImageTagMutabilityExclusionFilterValue"]
                for item in properties.get("ImageTagMutabilityExclusionFilters", [])
            ),
            policy=properties.get("RepositoryPolicyText"),
        )
    document = _resolve(resources["DeliveryPolicy"], account, arns, parameters)
    server.ecr.identity[account] = document["Properties"]["PolicyDocument"]["Statement"]
    server.keys[f"key-{account}"] = account


# --- scenarios -----------------------------------------------------------------------------------


class Delivery:
    """One profile's rendered jobs and a registry that persists across their runs."""

    def __init__(self, server: EcrServer, tmp_path: Path, profile_data: dict) -> None:
        self.server = server
        self.tmp_path = tmp_path
        self.profile = validate_document(Document("shop.yaml", profile_data))
        self.config = yaml.safe_load(render_config(self.profile, "shop.yaml"))
        self.runs = itertools.count(1)

    def bootstrap(self, *accounts: tuple[str, str]) -> None:
        for name, account in accounts:
            deploy_bootstrap(self.server, self.profile, name, account)

    def run(self, job: str, sha: str, **extra: str) -> JobRun:
        """One run of a job on a fresh machine (CircleCI's "Rerun workflow" is a fresh one too)."""
        workdir = self.tmp_path / f"run-{next(self.runs)}"
        workdir.mkdir()
        variables = {**PROJECT_VARIABLES, "CIRCLE_SHA1": sha, **extra}
        return run_against_ecr(self.config["jobs"][job], workdir, variables, self.server.url)

    def tags(self, account: str, repository: str) -> dict[str, str]:
        return dict(self.server.ecr.repository(account, REGION, repository).tags)

    def builds(self, run: JobRun) -> list[list[str]]:
        return [argv for argv in run.argvs if argv[:2] == ["docker", "build"]]


@pytest.fixture(scope="module")
def server():
    with EcrServer() as running:
        yield running


@pytest.fixture
def delivery(server, tmp_path):
    server.ecr.repositories.clear()
    server.ecr.identity.clear()
    made = Delivery(server, tmp_path, PROFILE)
    made.bootstrap(("stg", STG), ("prod", PROD))
    return made


def assert_complete_set(delivery: Delivery, account: str, deploy_tag: str, sha: str) -> None:
    """Every repository's deploy tag names the image of one commit `sha` (its full-SHA tag)."""
    for repository in REPOSITORIES:
        tags = delivery.tags(account, repository)
        assert tags[deploy_tag] == tags[sha], (repository, tags)
        assert tags[sha[:6]] == tags[sha], (repository, tags)


def ok(run: JobRun) -> JobRun:
    assert run.returncode == 0, run.stderr
    return run


# Each job run costs a few dozen AWS CLI starts, so each test tells one story, asserting the
# registry after every run of it.


def test_staging_first_push_rerun_release_branch_next_commit_rollback_and_colliding_tag(delivery):
    # first push from an empty account (after the bootstrap stack)
    first = ok(delivery.run("delivery_stg", SHA_A, CIRCLE_BRANCH="main"))
    assert_complete_set(delivery, STG, "stg", SHA_A)
    for repository in REPOSITORIES:
        assert set(delivery.tags(STG, repository)) == {SHA_A, SHA_A[:6], "stg"}
    # the run-time build argument reached docker as the commit, not as the text ${CIRCLE_SHA1}
    (web_build,) = [argv for argv in delivery.builds(first) if "shop/web" in " ".join(argv)]
    assert web_build[2:4] == ["--build-arg", f"GIT_COMMIT={SHA_A}"]
    tested = {repository: delivery.tags(STG, repository) for repository in REPOSITORIES}

    # "Rerun workflow", and the first pipeline of a release branch cut from that commit:
    # nothing rebuilt, the registry unchanged
    for branch in ("main", "release/1.0"):
        rerun = ok(delivery.run("delivery_stg", SHA_A, CIRCLE_BRANCH=branch))
        assert delivery.builds(rerun) == []
        assert "reused, not rebuilt" in rerun.stdout
        assert {repository: delivery.tags(STG, repository) for repository in REPOSITORIES} == tested

    # the next commit: new images, the deploy tag moves, the older images stay
    ok(delivery.run("delivery_stg", SHA_B))
    assert_complete_set(delivery, STG, "stg", SHA_B)
    for repository in REPOSITORIES:
        assert delivery.tags(STG, repository)[SHA_A] == tested[repository][SHA_A]

    # rollback: re-running the older commit's delivery deploys the image first delivered for it
    rollback = ok(delivery.run("delivery_stg", SHA_A))
    assert delivery.builds(rollback) == []
    assert_complete_set(delivery, STG, "stg", SHA_A)
    for repository in REPOSITORIES:
        assert delivery.tags(STG, repository)["stg"] == tested[repository][SHA_A]

    # another commit whose 6-character tag is SHA_A's: refused, nothing moved
    before = {repository: delivery.tags(STG, repository) for repository in REPOSITORIES}
    twin = delivery.run("delivery_stg", SHA_A_TWIN)
    assert twin.returncode != 0
    assert f"shop/worker:{SHA_A[:6]} is another image" in twin.stderr
    assert "raise delivery.commit_tag_length" in twin.stderr
    assert delivery.builds(twin) == []
    assert {repository: delivery.tags(STG, repository) for repository in REPOSITORIES} == before


def test_a_failing_push_in_the_middle_moves_no_deploy_tag_and_a_rerun_completes(delivery):
    ok(delivery.run("delivery_stg", SHA_A))
    broken = delivery.run("delivery_stg", SHA_B, FAIL_PUSH="shop/web")
    assert broken.returncode != 0
    assert SHA_B in delivery.tags(STG, "shop/worker")  # the first image made it
    assert SHA_B not in delivery.tags(STG, "shop/web")
    assert_complete_set(delivery, STG, "stg", SHA_A)  # still the whole previous commit
    worker = delivery.tags(STG, "shop/worker")[SHA_B]
    ok(delivery.run("delivery_stg", SHA_B))
    assert_complete_set(delivery, STG, "stg", SHA_B)
    assert delivery.tags(STG, "shop/worker")[SHA_B] == worker  # the image pushed first is kept


def test_promotion_copies_the_tested_digests_and_promoting_again_changes_nothing(delivery, server):
    # promoting a commit staging never had names the cause
    missing = delivery.run("delivery_prod", SHA_A, CIRCLE_TAG="v1.0.0")
    assert missing.returncode != 0
    assert f"shop/worker:{SHA_A} is not in account {STG}; deliver this commit there first" in (
        missing.stderr
    )

    ok(delivery.run("delivery_stg", SHA_A))
    promote = ok(delivery.run("delivery_prod", SHA_A, CIRCLE_TAG="v1.0.0"))
    assert delivery.builds(promote) == []
    assert_complete_set(delivery, PROD, "prod", SHA_A)
    for repository in REPOSITORIES:  # by digest: production runs the image staging tested
        assert delivery.tags(PROD, repository)["prod"] == delivery.tags(STG, repository)[SHA_A]
    copied = {repository: delivery.tags(PROD, repository) for repository in REPOSITORIES}

    again = ok(delivery.run("delivery_prod", SHA_A, CIRCLE_TAG="v1.0.0"))
    assert "reused, not rebuilt" in again.stdout
    assert {repository: delivery.tags(PROD, repository) for repository in REPOSITORIES} == copied

    # a staging stack without the repository policy: AWS's own AccessDenied, not "deliver first"
    for repository in REPOSITORIES:
        server.ecr.repository(STG, REGION, repository).policy = None
    denied = delivery.run("delivery_prod", SHA_A, CIRCLE_TAG="v1.0.0")
    assert denied.returncode != 0
    assert "AccessDeniedException" in denied.stderr
    assert f"cannot read shop/worker in account {STG}" in denied.stderr
    assert "deliver this commit there first" not in denied.stderr
