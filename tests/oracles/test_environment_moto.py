"""Deploy each environment stack into moto's CloudFormation and look at what it built with boto3.

The proof that the environment and the pipeline agree: the task definition ECS holds has exactly
the containers named in the imagedefinitions.json that the pipeline's own buildspec writes (run
for real in bash against a stub AWS CLI), so the ECS deploy action finds every container it updates.

moto has no RDS clusters, so these deploy each environment without its database section; the
database resources are checked in test_environment_template.py.
"""

from __future__ import annotations

import json
import warnings

import boto3
import pytest
from cfn_helpers import build_script, load_template, render, run_build, service_variables
from environment_helpers import environment_accounts, loaded, render_env, settings
from moto import mock_aws

from ciconf.profile.derive import service_plans
from ciconf.profile.environment import service_names

DIGEST = "sha256:" + "d" * 64


def _imagedefinitions(
    profile, account, tmp_path, deployed: dict[str, dict]
) -> dict[str, list[dict]]:
    """Run the account's pipeline buildspec for a push of commit 0a1b2c..., against the services as
    moto deployed them (`deployed`: "cluster/service" -> its task definition), and read what it
    wrote."""
    _, _, plan = loaded(profile)
    delivery = plan.delivery
    registry = f"123456789012.dkr.ecr.{delivery.region}.amazonaws.com"
    commit = "0a1b2c3d4e5f6a7b8c9d"[: delivery.commit_tag_length]
    deploy_tag = plan.account(account).deploy_tag
    source = delivery.source.repository
    detail = {
        "ImageDigest": DIGEST,
        "RegistryId": "123456789012",
        "RepositoryName": source,
        "ImageURI": f"{registry}/{source}@{DIGEST}",
        "ImageTags": [deploy_tag, commit],
    }
    siblings = {f"{image.repository}:{commit}": DIGEST for image in delivery.siblings}
    template = load_template(render(profile, account))
    done = run_build(
        build_script(template),
        tmp_path,
        detail,
        siblings,
        environment=service_variables(template),
        services={name: task["taskDefinitionArn"] for name, task in deployed.items()},
        task_definitions={
            task["taskDefinitionArn"]: {"taskDefinition": task} for task in deployed.values()
        },
    )
    # the build checks that each deployed task definition holds every container it will update
    assert done.returncode == 0, done.stderr
    return {
        service.name: json.loads((tmp_path / service.definitions_file).read_text())
        for service in service_plans(delivery, plan.account(account).pipeline)
    }


@pytest.mark.parametrize(
    ("profile", "account"), environment_accounts(), ids=lambda v: getattr(v, "stem", v)
)
def test_stack_deploys_and_runs_what_the_pipeline_deploys(profile, account, tmp_path):
    model, plan_account = settings(profile, account)
    _, _, plan = loaded(profile)
    region = plan.delivery.region
    environment = model.environment
    zones = environment.network.availability_zones
    text = render_env(profile, account, without_database=True)

    with mock_aws(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # moto announces the resource types it does not model
        certificate = boto3.client("acm", region_name=region).request_certificate(
            DomainName="shop.example.com"
        )
        cloudformation = boto3.client("cloudformation", region_name=region)
        cloudformation.create_stack(
            StackName="environment",
            TemplateBody=text,
            Capabilities=["CAPABILITY_IAM"],
            Parameters=[
                {"ParameterKey": "CertificateArn", "ParameterValue": certificate["CertificateArn"]},
                {"ParameterKey": "ImagesDelivered", "ParameterValue": "true"},
            ],
        )
        (stack,) = cloudformation.describe_stacks(StackName="environment")["Stacks"]
        assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}

        ec2 = boto3.client("ec2", region_name=region)
        (vpc,) = ec2.describe_vpcs(VpcIds=[outputs["VpcId"]])["Vpcs"]
        assert vpc["CidrBlock"] == environment.network.cidr
        subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])[
            "Subnets"
        ]
        assert len(subnets) == 2 * zones
        assert len({s["AvailabilityZone"] for s in subnets}) == zones
        private = outputs["PrivateSubnetIds"].split(",")
        assert len({s["AvailabilityZone"] for s in subnets if s["SubnetId"] in private}) == zones
        gateways = ec2.describe_nat_gateways(
            Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}]
        )["NatGateways"]
        assert len(gateways) == (zones if environment.network.nat == "per-az" else 1)
        assert all(g["SubnetId"] not in private for g in gateways)

        elb = boto3.client("elbv2", region_name=region)
        (balancer,) = elb.describe_load_balancers()["LoadBalancers"]
        assert balancer["Scheme"] == "internet-facing" and balancer["Type"] == "application"
        assert not set(balancer_subnets(balancer)) & set(private)
        listeners = {
            listener["Port"]: listener
            for listener in elb.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])[
                "Listeners"
            ]
        }
        test_port = environment.test_listener.port if environment.test_listener else None
        assert set(listeners) == {80, 443} | ({test_port} if test_port else set())
        assert listeners[443]["Protocol"] == "HTTPS"
        assert listeners[443]["Certificates"][0]["CertificateArn"] == certificate["CertificateArn"]
        (redirect,) = listeners[80]["DefaultActions"]
        assert redirect["Type"] == "redirect" and redirect["RedirectConfig"]["Protocol"] == "HTTPS"
        groups = {g["TargetGroupArn"]: g for g in elb.describe_target_groups()["TargetGroups"]}
        rules = [
            r
            for r in elb.describe_rules(ListenerArn=listeners[443]["ListenerArn"])["Rules"]
            if not r["IsDefault"]
        ]
        routed = {}  # path pattern -> the target groups its rule forwards to
        for rule in rules:
            forwarded = {
                g["TargetGroupArn"]
                for a in rule["Actions"]
                for g in a.get("ForwardConfig", {}).get("TargetGroups", [])
            }
            forwarded |= {a["TargetGroupArn"] for a in rule["Actions"] if "TargetGroupArn" in a}
            for condition in rule["Conditions"]:
                for path in condition.get("PathPatternConfig", {}).get(
                    "Values", condition.get("Values", [])
                ):
                    routed[path] = forwarded
        expected_groups = 0
        for service_settings in environment.services.values():
            target = service_settings.load_balancer
            if target is None:
                continue
            blue_green = service_settings.deployment.strategy != "rolling"
            expected_groups += 2 if blue_green else 1
            (forwarded,) = {frozenset(routed[path]) for path in target.paths}
            assert len(forwarded) == (2 if blue_green else 1)
            for arn in forwarded:
                group = groups[arn]
                assert group["TargetType"] == "ip" and group["VpcId"] == vpc["VpcId"]
                assert group["Port"] == service_settings.ports[target.container]
                assert group["HealthCheckPath"] == target.health_check_path
        assert len(groups) == expected_groups

        ecs = boto3.client("ecs", region_name=region)
        (cluster,) = ecs.describe_clusters(clusters=[outputs["ClusterName"]])["clusters"]
        assert cluster["clusterName"] == model.pipeline.cluster
        arns = ecs.list_services(cluster=cluster["clusterName"])["serviceArns"]
        services = {
            s["serviceName"]: s
            for s in ecs.describe_services(cluster=cluster["clusterName"], services=arns)[
                "services"
            ]
        }
        assert sorted(services) == sorted(environment.services) == sorted(service_names(model))
        tasks = {}
        for name, service in services.items():
            assert service["desiredCount"] == environment.services[name].desired_count
            task = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])[
                "taskDefinition"
            ]
            tasks[name] = json.loads(json.dumps(task, default=str))
        definitions = _imagedefinitions(
            profile,
            account,
            tmp_path,
            {f"{cluster['clusterName']}/{name}": task for name, task in tasks.items()},
        )
        assert sorted(definitions) == sorted(services)
        delivered = []
        for name, task in tasks.items():
            service_settings = environment.services[name]
            containers = {c["name"]: c for c in task["containerDefinitions"]}
            # the ECS deploy action swaps images by container name: exactly these names, no more, no
            # fewer
            assert sorted(containers) == sorted(d["name"] for d in definitions[name])
            delivered += containers
            for definition in definitions[name]:
                repository = definition["imageUri"].split("/", 1)[1].split("@")[0]
                assert containers[definition["name"]]["image"].endswith(
                    f"/{repository}:{plan_account.deploy_tag}"
                )
            ports = {
                n: [m["containerPort"] for m in c.get("portMappings", [])]
                for n, c in containers.items()
            }
            assert ports == {
                n: [service_settings.ports[n]] if n in service_settings.ports else []
                for n in containers
            }
            # moto keeps only family, containers and memory of a template's task definition (the
            # CPU,
            # Fargate and role settings are checked in test_environment_template.py)
            assert task["family"] == name and task["memory"] == str(service_settings.memory)
        # every delivered image runs in exactly one service
        assert sorted(delivered) == sorted(image.container for image in plan.delivery.images)
        iam = boto3.client("iam", region_name=region)
        role = outputs["TaskExecutionRoleArn"].rsplit("/", 1)[1]
        trust = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]["Statement"][0]
        assert trust["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}


def balancer_subnets(balancer: dict) -> list[str]:
    return [zone["SubnetId"] for zone in balancer["AvailabilityZones"]]


def test_services_start_at_zero_tasks_until_images_are_delivered():
    profile, account = environment_accounts()[0]
    _, _, plan = loaded(profile)
    region = plan.delivery.region
    with mock_aws(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        certificate = boto3.client("acm", region_name=region).request_certificate(
            DomainName="shop.example.com"
        )
        cloudformation = boto3.client("cloudformation", region_name=region)
        cloudformation.create_stack(
            StackName="environment",
            TemplateBody=render_env(profile, account, without_database=True),
            Capabilities=["CAPABILITY_IAM"],
            Parameters=[
                {"ParameterKey": "CertificateArn", "ParameterValue": certificate["CertificateArn"]}
            ],
        )
        ecs = boto3.client("ecs", region_name=region)
        (cluster,) = ecs.list_clusters()["clusterArns"]
        (service,) = ecs.describe_services(
            cluster=cluster, services=ecs.list_services(cluster=cluster)["serviceArns"]
        )["services"]
        assert service["desiredCount"] == 0
