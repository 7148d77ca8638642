"""The delivery job's steps, run in bash with stub docker/aws, issue exactly the expected
commands."""

from __future__ import annotations

import subprocess

import pytest
import yaml
from conftest import ROOT
from jobsim import run_job

from ciconf.circleci.render import render_config
from ciconf.profile.load import load_profile

SHA = "0123456789abcdef0123456789abcdef01234567"
REGISTRY = "111122223333.dkr.ecr.ap-northeast-1.amazonaws.com"
PROJECT_VARIABLES = {
    "CIRCLE_SHA1": SHA,
    "AWS_STG_ACCOUNT_ID": "111122223333",
    "AWS_STG_ACCESS_KEY": "stub-access-key",
    "AWS_STG_SECRET_KEY": "stub-secret-key",
}


@pytest.fixture(scope="module")
def config():
    path = str(ROOT / "profiles" / "ci-cd-example.yaml")
    return yaml.safe_load(render_config(load_profile(path), path))


def test_stg_delivery_issues_login_builds_and_pushes_in_order(config, tmp_path):
    # the registry's side of reruns and rollbacks: tests/oracles/test_delivery_harness.py
    calls = [
        call["argv"]
        for call in run_job(config["jobs"]["delivery_stg"], tmp_path, PROJECT_VARIABLES)
    ]
    docker = [argv for argv in calls if argv[0] == "docker"]
    assert calls[:3] == [
        ["aws", "configure", "set", "aws_access_key_id", "stub-access-key"],
        ["aws", "configure", "set", "aws_secret_access_key", "stub-secret-key"],
        ["aws", "ecr", "get-login-password", "--region", "ap-northeast-1"],
    ]
    assert docker == [
        ["docker", "login", "--username", "AWS", "--password-stdin", REGISTRY],
        ["docker", "build", "-f", "docker/nginx/Dockerfile", "-t", f"{REGISTRY}/nginx:{SHA}", "."],
        ["docker", "push", f"{REGISTRY}/nginx:{SHA}"],
        ["docker", "build", "-f", "Dockerfile", "-t", f"{REGISTRY}/web:{SHA}", "."],
        ["docker", "push", f"{REGISTRY}/web:{SHA}"],
    ]
    # the short commit tag and then the deploy tags go on by manifest; web (the pipeline's) last
    tagged = [
        (argv[argv.index("--repository-name") + 1], argv[argv.index("--image-tag") + 1])
        for argv in calls
        if argv[:3] == ["aws", "ecr", "put-image"]
    ]
    tag = SHA[:6]
    assert tagged == [("nginx", tag), ("web", tag), ("nginx", "stg"), ("web", "stg")]


def test_password_goes_through_stdin_not_argv(config, tmp_path):
    calls = run_job(config["jobs"]["delivery_stg"], tmp_path, PROJECT_VARIABLES)
    login = next(call for call in calls if call["argv"][:2] == ["docker", "login"])
    assert login["stdin"].strip() == "stub-ecr-password"
    assert all("stub-ecr-password" not in " ".join(call["argv"]) for call in calls)


def test_prod_job_uses_its_own_variables_and_tag(config, tmp_path):
    variables = {
        "CIRCLE_SHA1": SHA,
        "AWS_PROD_ACCOUNT_ID": "444455556666",
        "AWS_PROD_ACCESS_KEY": "prod-key",
        "AWS_PROD_SECRET_KEY": "prod-secret",
    }
    calls = [call["argv"] for call in run_job(config["jobs"]["delivery_prod"], tmp_path, variables)]
    assert calls[0][-1] == "prod-key"
    assert calls[-1][:7] == [
        *("aws", "ecr", "put-image", "--region", "ap-northeast-1"),
        *("--repository-name", "web"),
    ]
    assert calls[-1][calls[-1].index("--image-tag") + 1] == "prod"
    pushes = [argv for argv in calls if argv[:2] == ["docker", "push"]]
    assert pushes[-1] == [
        "docker",
        "push",
        f"444455556666.dkr.ecr.ap-northeast-1.amazonaws.com/web:{SHA}",
    ]


def test_unset_account_variable_fails_with_a_clear_message(config, tmp_path):
    variables = {
        key: value for key, value in PROJECT_VARIABLES.items() if key != "AWS_STG_ACCOUNT_ID"
    }
    with pytest.raises(subprocess.CalledProcessError) as failure:
        run_job(config["jobs"]["delivery_stg"], tmp_path, variables)
    assert "does not resolve to a 12-digit account id" in failure.value.stderr
    assert "$AWS_STG_ACCOUNT_ID" in failure.value.stderr
