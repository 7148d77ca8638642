"""`ciconf import` of the circleci/aws-ecr orb: its build and push becomes `delivery` + `accounts`,
and what a profile cannot express stays a custom job with the reason in the report.

The orb's parameters are read from its source, CircleCI-Public/aws-ecr-orb:
https://github.com/CircleCI-Public/aws-ecr-orb/blob/v8.2.1/src/jobs/build-and-push-image.yml
(8.x: names with '-', `registry-id`/`aws-access-key-id`/`aws-secret-access-key` are env var names,
`region` defaults to ${AWS_REGION}) and
https://github.com/CircleCI-Public/aws-ecr-orb/blob/v9.8.1/src/jobs/build_and_push_image.yml
(9.x: names with '_', `account_id` defaults to ${AWS_ACCOUNT_ID}, `region` to
${AWS_DEFAULT_REGION}, credentials through `auth: [aws-cli/setup: ...]`); both build
`-f <path>/<dockerfile>` in the context `<build_path>` and push each tag of the comma-separated
`tag` (src/scripts/docker_buildx.sh). The orb's job runs on its machine executor
(src/executors/default.yml).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES as ALL_FIXTURES

from ciconf.adopt import ecr_orb
from ciconf.adopt.resolve import Job
from ciconf.adopt.run import imported
from ciconf.profile.load import parse_profile

FIXTURES = ALL_FIXTURES / "adopt" / "aws-ecr"
ORBS = {"aws-ecr": "circleci/aws-ecr@9.8.1", "aws-cli": "circleci/aws-cli@4.1.3"}
OIDC_AUTH = [{"aws-cli/setup": {"role_arn": "arn:aws:iam::111111111111:role/push"}}]


def imported_fixture(tmp_path: Path, name: str):
    circleci = tmp_path / "shop" / ".circleci"
    circleci.mkdir(parents=True)
    shutil.copy(FIXTURES / name, circleci / "config.yml")
    text, report, _ = imported(str(circleci / "config.yml"), "ciconf.yaml")
    return parse_profile(text, "ciconf.yaml"), report


def test_the_9x_orb_jobs_become_two_oidc_accounts_of_one_delivery(tmp_path):
    profile, report = imported_fixture(tmp_path, "orb9-oidc-jobs.yml")
    delivery = profile.delivery
    assert delivery.region == "eu-west-1" and delivery.commit_tag_length == 40
    [image] = delivery.images
    assert (image.repository, image.dockerfile, image.context) == (
        "shop/web",
        "docker/Dockerfile.web",
        "app",
    )
    assert image.build_args["MODE"] == "release"  # literal text
    assert image.build_args["TZ"].from_env == "TZ"  # type: ignore[union-attr]
    assert delivery.machine is not None  # the orb's job runs on its machine executor
    staging, prod = profile.accounts
    assert (staging.name, staging.branch, staging.deploy_tag) == ("staging", "develop", "latest")
    assert staging.credentials.mode == "oidc" and staging.credentials.context == "aws-staging"
    assert staging.credentials.role_arn == "arn:aws:iam::111111111111:role/circleci-push"
    assert prod.tags == ["/^v[0-9]+\\.[0-9]+\\.[0-9]+$/"] and not prod.branch_filters
    assert prod.credentials.role_arn.startswith("arn:aws:iam::222222222222:")
    # the deploy after the push waits for the renamed delivery job; the aws-ecr orb is gone
    assert profile.jobs["aws-ecs-deploy_service_update"].requires == ["delivery_prod"]
    assert "aws-ecr" not in profile.orbs and "aws-ecs" in profile.orbs
    assert ("ship", "push-prod", "delivery_prod") in report.renames
    assert ("ship", "push-staging", "delivery_staging") in report.renames
    assert not report.proof and not report.lost
    assert any(
        "push-prod: the aws-ecr orb's build and push -> accounts[prod]" in m for m in report.mapped
    )


def test_the_8x_orb_job_with_key_variables_becomes_an_env_indirection_account(tmp_path):
    profile, report = imported_fixture(tmp_path, "orb8-keys-job.yml")
    assert profile.delivery.region == "us-east-1"
    assert [(i.repository, i.dockerfile, i.context) for i in profile.delivery.images] == [
        ("api", "deploy/Dockerfile", ".")
    ]
    [account] = profile.accounts
    # named after its one branch (the orb's job has no name of its own)
    assert (account.name, account.branch, account.deploy_tag) == ("main", "main", "latest")
    assert account.credentials.model_dump() == {
        "mode": "env-indirection",
        "account_id_var": "PROD_ACCOUNT_ID",
        "access_key_var": "PROD_ACCESS_KEY_ID",
        "secret_key_var": "PROD_SECRET_ACCESS_KEY",
    }
    assert account.requires == ["node-test"]
    assert ("build", "aws-ecr/build-and-push-image", "delivery_main") in report.renames
    assert not report.proof


def test_the_9x_orb_command_as_the_step_of_a_job_becomes_the_delivery(tmp_path):
    profile, report = imported_fixture(tmp_path, "orb9-command-step.yml")
    delivery = profile.delivery
    # the region the job's environment gives ${AWS_DEFAULT_REGION}; the job's own machine
    assert delivery.region == "ap-northeast-1" and delivery.machine is not None
    assert [i.repository for i in delivery.images] == ["worker"]
    [account] = profile.accounts
    assert account.branches == ["main", "/^release\\/.*/"] and account.deploy_tag is None
    assert account.credentials.model_dump() == {"mode": "context", "context": "aws"}
    assert profile.test is not None and profile.test.command == "go test ./..."
    assert report.share == 1.0 and not report.proof and not report.lost


def test_what_a_profile_cannot_express_stays_verbatim_and_the_report_says_why(tmp_path):
    profile, report = imported_fixture(tmp_path, "orb-kept-verbatim.yml")
    assert profile.delivery is None and not profile.accounts
    assert profile.jobs["ecr-build-and-push-image"].orb_job == "ecr/build-and-push-image"
    assert profile.jobs["old-ecr-build-and-push-image"].orb_job == "old-ecr/build-and-push-image"
    lost = "\n".join(report.lost)
    for reason in (
        "ecr-build-and-push-image: the aws-ecr orb's build and push stays a custom job: "
        "parameter `public_registry: true` has no profile field",
        "region ${AWS_REGION} is read at run time",
        "old-ecr-build-and-push-image: the aws-ecr orb's build and push stays a custom job: "
        "circleci/aws-ecr@6.8.2",
        "image: the aws-ecr orb's build and push stays a custom job: environment CONTAINER_PORT",
        "OIDC credentials of a profile name one context",
    ):
        assert reason in lost
    assert not report.proof


# --- one parameter at a time ----------------------------------------------------------------------


def recognised(parameters: dict, contexts: tuple[str, ...] = ("aws",), orb: str = ""):
    name = "build-and-push-image" if "@8." in orb else "build_and_push_image"
    job = Job(f"aws-ecr/{name}", {}, [], parameters)
    use = ecr_orb.use_of(job, {}, {**ORBS, "aws-ecr": orb or ORBS["aws-ecr"]}, list(contexts))
    assert use is not None
    return ecr_orb.recognise(use)


BASE = {"repo": "web", "region": "eu-west-1", "auth": OIDC_AUTH}


def test_the_commit_sha_is_a_40_character_commit_tag_and_one_other_tag_the_deploy_tag():
    found = recognised({**BASE, "tag": "$CIRCLE_SHA1, stable"})
    assert not isinstance(found, list)
    assert (found.tag_length, found.deploy_tag) == (40, "stable")
    assert found.credentials == {
        "mode": "oidc",
        "role_arn": "arn:aws:iam::111111111111:role/push",
        "context": "aws",
    }


@pytest.mark.parametrize(
    ("parameters", "reason"),
    [
        ({"tag": "latest,stable"}, "tags latest, stable: the profile pushes one deploy tag"),
        ({"tag": "${VERSION}"}, "tag ${VERSION} is read at run time"),
        ({"extra_build_args": "--no-cache"}, "extra_build_args `--no-cache` is no --build-arg"),
        ({"extra_build_args": "--build-arg A=x$B"}, "build arg A mixes text and variables"),
        ({"platform": "linux/arm64"}, "parameter `platform: linux/arm64` has no profile field"),
        ({"push_image": False}, "parameter `push_image: false` has no profile field"),
        ({"account_id": "999999999999"}, "account_id 999999999999 is not the account of role_arn"),
        ({"repo": "${REPO}"}, "image repository:"),
        ({"region": "${AWS_DEFAULT_REGION}"}, "region ${AWS_DEFAULT_REGION} is read at run time"),
        ({"frobnicate": True}, "parameter `frobnicate` is none the orb's build and push takes"),
        ({"auth": [{"aws-cli/setup": {"role_arn": "$ROLE"}}]}, "role_arn $ROLE is not an IAM"),
        ({"auth": [{"aws-cli/setup": {"aws_access_key_id": "AKIA"}}]}, "is no variable"),
        ({"auth": ["checkout"]}, "auth step checkout is not circleci/aws-cli's setup"),
    ],
)
def test_a_parameter_without_a_profile_field_keeps_the_job_and_says_why(parameters, reason):
    found = recognised({**BASE, **parameters})
    assert isinstance(found, list)
    assert any(reason in item for item in found), found


def kept(parameters: dict, contexts: tuple[str, ...] = ("aws",), orb: str = "") -> str:
    reasons = recognised(parameters, contexts, orb)
    assert isinstance(reasons, list)
    return "; ".join(reasons)


def credentials(
    parameters: dict, contexts: tuple[str, ...] = ("aws",), orb: str = ""
) -> dict | None:
    found = recognised(parameters, contexts, orb)
    assert not isinstance(found, list), found
    return found.credentials


def test_credentials_follow_the_context_or_the_variables_the_orb_reads():
    keys = {**BASE, "auth": [{"aws-cli/setup": {}}]}
    assert credentials(keys) == {"mode": "context", "context": "aws"}
    assert credentials({**keys, "account_id": "${STG_ACCOUNT}"}, contexts=()) == {
        "mode": "env-indirection",
        "account_id_var": "STG_ACCOUNT",
        "access_key_var": "AWS_ACCESS_KEY_ID",
        "secret_key_var": "AWS_SECRET_ACCESS_KEY",
    }
    # ciconf writes AWS_ACCOUNT_ID into the job: a project variable of that name is never read
    assert "AWS_ACCOUNT_ID is a variable ciconf writes" in kept(keys, contexts=())
    assert "OIDC credentials of a profile name one context" in kept(BASE, contexts=())
    assert "2 contexts; an account's credentials name one" in kept(keys, contexts=("a", "b"))


def test_8x_names_its_credentials_by_variable_and_its_oidc_by_assume_web_identity():
    role = {"repo": "web", "region": "eu-west-1", "role-arn": "arn:aws:iam::111111111111:role/x"}
    assert "role_arn assumed with access keys" in kept(role, orb="circleci/aws-ecr@8.2.1")
    assert credentials({**role, "assume-web-identity": True}, orb="circleci/aws-ecr@8.2.1") == {
        "mode": "oidc",
        "role_arn": role["role-arn"],
        "context": "aws",
    }
    # the orb's default variables: AWS_ECR_REGISTRY_ID is no variable a context of ciconf holds
    assert "the orb reads AWS_ECR_REGISTRY_ID" in kept(
        {"repo": "web", "region": "eu-west-1"}, orb="circleci/aws-ecr@8.2.1"
    )
    assert credentials(
        {"repo": "web", "region": "eu-west-1", "registry-id": "AWS_ACCOUNT_ID"},
        orb="circleci/aws-ecr@8.2.1",
    ) == {"mode": "context", "context": "aws"}


def test_a_null_parameter_is_the_orbs_default():
    found = recognised({**BASE, "path": None, "dockerfile": None, "tag": None})
    assert not isinstance(found, list)
    assert found.images == [{"repository": "web"}]  # Dockerfile in the checkout
    assert (found.tag_length, found.deploy_tag) == (6, "latest")


TWO_REPOSITORIES = """\
version: 2.1
orbs:
  aws-cli: circleci/aws-cli@4.1.3
  aws-ecr: circleci/aws-ecr@9.8.1
workflows:
  ship:
    jobs:
      - aws-ecr/build_and_push_image: &push
          name: push-api
          context: aws
          auth: [aws-cli/setup]
          region: eu-west-1
          repo: api
          filters: {branches: {only: main}}
      - aws-ecr/build_and_push_image:
          <<: *push
          name: push-web
          repo: web
"""


def test_pushes_of_other_images_are_no_one_delivery_and_stay_custom_jobs(tmp_path):
    circleci = tmp_path / "shop" / ".circleci"
    circleci.mkdir(parents=True)
    (circleci / "config.yml").write_text(TWO_REPOSITORIES)
    text, report, _ = imported(str(circleci / "config.yml"), "ciconf.yaml")
    profile = parse_profile(text, "ciconf.yaml")
    assert profile.delivery is None
    assert sorted(profile.jobs) == ["push-api", "push-web"]
    assert any(
        "deliveries push-api, push-web: they push other images" in item for item in report.lost
    )
    assert not report.proof
