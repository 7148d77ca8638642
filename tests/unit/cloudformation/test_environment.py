"""What the environment stacks contain, read back from the YAML (issue 12)."""

from __future__ import annotations

import ipaddress
import re

import pytest
from cfn_helpers import load_template, render
from conftest import FIXTURES, PROFILES
from environment_helpers import (
    env_template,
    environment_accounts,
    loaded,
    of_type,
    render_env,
    settings,
)

from ciconf.profile.derive import registry_host
from ciconf.profile.environment import logical_name, service_containers, service_names

EXAMPLE = PROFILES / "ci-cd-example.yaml"
STRATEGIES = FIXTURES / "profiles" / "environment-strategies.yaml"
SERVICES = FIXTURES / "profiles" / "environment-services.yaml"


def _service(template: dict) -> dict:
    (service,) = of_type(template, "AWS::ECS::Service").values()
    return service["Properties"]


def _services(template: dict) -> dict[str, dict]:
    """ECS service name -> the properties of its service resource."""
    return {
        r["Properties"]["ServiceName"]: r["Properties"]
        for r in of_type(template, "AWS::ECS::Service").values()
    }


def _task_of(template: dict, name: str) -> dict:
    return template["Resources"][f"{logical_name(name)}TaskDefinition"]["Properties"]


def _task(template: dict) -> dict:
    (task,) = of_type(template, "AWS::ECS::TaskDefinition").values()
    return task["Properties"]


def test_bundled_and_fixture_profiles_cover_every_strategy():
    strategies = {
        service["DeploymentConfiguration"]["Strategy"]
        for p, a in environment_accounts()
        for service in _services(env_template(p, a)).values()
    }
    assert strategies == {"ROLLING", "BLUE_GREEN", "LINEAR", "CANARY"}
    assert (EXAMPLE, "stg") in environment_accounts() and (
        EXAMPLE,
        "prod",
    ) in environment_accounts()


@pytest.mark.parametrize(("account", "zones", "nats"), [("stg", 3, 1), ("prod", 3, 3)])
def test_subnets_span_the_zones_and_private_ones_route_through_nat(account, zones, nats):
    template = env_template(EXAMPLE, account)
    resources = template["Resources"]
    vpc = ipaddress.IPv4Network(resources["Vpc"]["Properties"]["CidrBlock"])
    subnets = of_type(template, "AWS::EC2::Subnet")
    assert len(subnets) == 2 * zones
    cidrs = [ipaddress.IPv4Network(s["Properties"]["CidrBlock"]) for s in subnets.values()]
    assert all(c.subnet_of(vpc) for c in cidrs) and len(set(cidrs)) == len(cidrs)
    for kind in ("Public", "Private"):
        chosen = [
            resources[f"{kind}Subnet{i}"]["Properties"]["AvailabilityZone"] for i in range(zones)
        ]
        assert chosen == [{"!Select": [i, {"!GetAZs": ""}]} for i in range(zones)]
    assert not any(s["Properties"]["MapPublicIpOnLaunch"] for s in subnets.values())
    assert len(of_type(template, "AWS::EC2::NatGateway")) == nats
    for i in range(zones):
        route = resources[f"PrivateRoute{i}"]["Properties"]
        assert route["NatGatewayId"] == {"!Ref": f"NatGateway{i if nats > 1 else 0}"}
        assert resources[f"PrivateSubnet{i}RouteTableAssociation"]["Properties"][
            "RouteTableId"
        ] == {"!Ref": f"PrivateRouteTable{i}"}
    assert resources["PublicRoute"]["Properties"]["GatewayId"] == {"!Ref": "InternetGateway"}


def test_flow_logs_and_container_logs_are_encrypted_and_expire():
    template = env_template(STRATEGIES, "lin")
    resources = template["Resources"]
    flow = resources["FlowLog"]["Properties"]
    assert flow["ResourceId"] == {"!Ref": "Vpc"} and flow["TrafficType"] == "ALL"
    assert flow["LogGroupName"] == {"!Ref": "FlowLogGroup"}
    for group in of_type(template, "AWS::Logs::LogGroup").values():
        assert group["Properties"]["KmsKeyId"] == {"!GetAtt": "LogKey.Arn"}
        assert group["Properties"]["RetentionInDays"] == 90
        assert group["Properties"]["LogGroupName"]["!Sub"].startswith("/${AWS::StackName}/")
    key = resources["LogKey"]["Properties"]
    assert key["EnableKeyRotation"] is True
    logs = key["KeyPolicy"]["Statement"][1]
    assert logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]["!Sub"].endswith(
        ":log-group:/${AWS::StackName}/*"
    )


def test_https_listener_uses_the_certificate_parameter_and_http_redirects():
    template = env_template(STRATEGIES, "lin")
    resources = template["Resources"]
    https = resources["HttpsListener"]["Properties"]
    assert https["Protocol"] == "HTTPS" and https["Port"] == 443
    assert https["Certificates"] == [{"CertificateArn": {"!Ref": "CertificateArn"}}]
    assert https["SslPolicy"].startswith("ELBSecurityPolicy-TLS13")
    (redirect,) = resources["HttpListener"]["Properties"]["DefaultActions"]
    assert redirect == {
        "Type": "redirect",
        "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"},
    }
    balancer = resources["LoadBalancer"]["Properties"]
    assert balancer["Scheme"] == "internet-facing"
    assert balancer["Subnets"] == [{"!Ref": "PublicSubnet0"}, {"!Ref": "PublicSubnet1"}]
    parameter = template["Parameters"]["CertificateArn"]
    assert (
        parameter["Default"]
        == "arn:aws:acm:eu-west-1:111111111111:certificate/0f0e0d0c-0b0a-4909-8807-060504030201"
    )
    assert re.fullmatch(parameter["AllowedPattern"], parameter["Default"])
    assert not re.fullmatch(parameter["AllowedPattern"], "arn:aws:iam::111111111111:role/x")
    assert "Default" not in env_template(EXAMPLE, "stg")["Parameters"]["CertificateArn"]


@pytest.mark.parametrize(
    ("profile", "account"), environment_accounts(), ids=lambda v: getattr(v, "stem", v)
)
def test_only_the_load_balancer_reaches_the_tasks(profile, account):
    template = env_template(profile, account)
    resources = template["Resources"]
    reached = []
    for name, service in _services(template).items():
        task_group = f"{logical_name(name)}SecurityGroup"
        assert service["NetworkConfiguration"]["AwsvpcConfiguration"]["SecurityGroups"] == [
            {"!Ref": task_group}
        ]
        assert (
            service["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"] == "DISABLED"
        )
        assert "SecurityGroupIngress" not in resources[task_group]["Properties"]
        ingress = [
            r["Properties"]
            for r in of_type(template, "AWS::EC2::SecurityGroupIngress").values()
            if r["Properties"]["GroupId"] == {"!Ref": task_group}
        ]
        port = service.get("LoadBalancers", [{}])[0].get("ContainerPort")
        if port is None:
            assert ingress == []  # a worker takes no connections at all
        else:
            reached.append({"!Ref": task_group})
            assert ingress == [
                {
                    "GroupId": {"!Ref": task_group},
                    "IpProtocol": "tcp",
                    "FromPort": port,
                    "ToPort": port,
                    "SourceSecurityGroupId": {"!Ref": "LoadBalancerSecurityGroup"},
                    "Description": "from the load balancer",
                }
            ]
    alb_egress = [
        r["Properties"]
        for r in of_type(template, "AWS::EC2::SecurityGroupEgress").values()
        if r["Properties"]["GroupId"] == {"!Ref": "LoadBalancerSecurityGroup"}
    ]
    assert [e["DestinationSecurityGroupId"] for e in alb_egress] == reached
    (placeholder,) = resources["LoadBalancerSecurityGroup"]["Properties"]["SecurityGroupEgress"]
    assert placeholder["CidrIp"] == "127.0.0.1/32"  # replaces the default allow-all egress


@pytest.mark.parametrize(
    ("profile", "account"), environment_accounts(), ids=lambda v: getattr(v, "stem", v)
)
def test_containers_are_the_delivered_images_at_the_deploy_tag(profile, account):
    model, plan_account = settings(profile, account)
    _, _, plan = loaded(profile)
    template = env_template(profile, account)
    images = {image.container: image for image in plan.delivery.images}
    wanted = service_containers(model, list(images))
    assert set(_services(template)) == set(wanted) == set(model.environment.services)
    registry = registry_host("${AWS::AccountId}", plan.delivery.region)
    for name, service_settings in model.environment.services.items():
        task = _task_of(template, name)
        assert [c["Name"] for c in task["ContainerDefinitions"]] == wanted[name]
        for container in task["ContainerDefinitions"]:
            image = images[container["Name"]]
            assert container["Image"] == {
                "!Sub": f"{registry}/{image.repository}:{plan_account.deploy_tag}"
            }
            ports = [m["ContainerPort"] for m in container.get("PortMappings", [])]
            assert ports == (
                [service_settings.ports[image.container]]
                if image.container in service_settings.ports
                else []
            )
            assert container["LogConfiguration"]["LogDriver"] == "awslogs"
            assert (
                container["LogConfiguration"]["Options"]["awslogs-stream-prefix"] == image.container
            )
        assert task["RequiresCompatibilities"] == ["FARGATE"] and task["NetworkMode"] == "awsvpc"
        assert (task["Cpu"], task["Memory"]) == (
            str(service_settings.cpu),
            str(service_settings.memory),
        )
        assert task["ExecutionRoleArn"] != task["TaskRoleArn"]
        balancer = _services(template)[name].get("LoadBalancers")
        if service_settings.load_balancer:
            (entry,) = balancer
            assert entry["ContainerName"] == service_settings.load_balancer.container
            assert entry["ContainerPort"] == service_settings.ports[entry["ContainerName"]]
        else:
            assert balancer is None


def test_secrets_are_references_and_only_those_can_be_read():
    template = env_template(STRATEGIES, "lin")
    app = {c["Name"]: c for c in _task(template)["ContainerDefinitions"]}["app"]
    secrets = {s["Name"]: s["ValueFrom"] for s in app["Secrets"]}
    assert (
        secrets["API_TOKEN"]
        == "arn:aws:secretsmanager:eu-west-1:111111111111:secret:shop/api-token-AbC123"
    )
    assert (
        secrets["SIGNING_KEY"]
        == "arn:aws:secretsmanager:eu-west-1:111111111111:secret:shop/keys:signing::"
    )
    assert secrets["FEATURE_FLAGS"] == "arn:aws:ssm:eu-west-1:111111111111:parameter/shop/flags"
    assert secrets["DB_PASSWORD"] == {
        "!Sub": "${DatabaseCluster.MasterUserSecret.SecretArn}:password::"
    }
    role = template["Resources"]["TaskExecutionRole"]["Properties"]
    statements = role["Policies"][0]["PolicyDocument"]["Statement"]
    granted = {action: s["Resource"] for s in statements for action in s["Action"]}
    assert granted["ssm:GetParameters"] == [
        "arn:aws:ssm:eu-west-1:111111111111:parameter/shop/flags"
    ]
    read = [s["Resource"] for s in statements if s["Action"] == ["secretsmanager:GetSecretValue"]]
    assert read == [
        [
            "arn:aws:secretsmanager:eu-west-1:111111111111:secret:shop/api-token-AbC123",
            "arn:aws:secretsmanager:eu-west-1:111111111111:secret:shop/keys-??????",
        ],
        [{"!GetAtt": "DatabaseCluster.MasterUserSecret.SecretArn"}],
    ]
    assert granted["ecr:BatchGetImage"] == [
        {
            "!Sub": "arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:"
            "repository/shop/proxy"
        },
        {"!Sub": "arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/shop/app"},
    ]


def test_tasks_wait_for_the_first_delivery():
    template = env_template(EXAMPLE, "prod")
    parameter = template["Parameters"]["ImagesDelivered"]
    assert parameter["Default"] == "false" and parameter["AllowedValues"] == ["false", "true"]
    assert template["Conditions"]["ImagesDelivered"] == {
        "!Equals": [{"!Ref": "ImagesDelivered"}, "true"]
    }
    assert _service(template)["DesiredCount"] == {"!If": ["ImagesDelivered", 2, 0]}


def test_rolling_services_roll_back_on_failure_and_on_their_alarms():
    configuration = _service(env_template(STRATEGIES, "worker"))["DeploymentConfiguration"]
    assert configuration["Strategy"] == "ROLLING"
    assert configuration["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    assert configuration["Alarms"] == {
        "AlarmNames": ["shop-jobs-failing", "shop-queue-age"],
        "Enable": True,
        "Rollback": True,
    }
    stg = _service(env_template(EXAMPLE, "stg"))["DeploymentConfiguration"]
    assert (
        stg["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
        and "Alarms" not in stg
    )


def test_blue_green_wires_two_target_groups_production_and_test_rules():
    template = env_template(STRATEGIES, "bg")
    resources = template["Resources"]
    service = _service(template)
    configuration = service["DeploymentConfiguration"]
    assert configuration["Strategy"] == "BLUE_GREEN" and configuration["BakeTimeInMinutes"] == 30
    # ECS's developer guide: the circuit breaker supports the blue/green deployment type too
    assert configuration["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    assert configuration["Alarms"] == {
        "AlarmNames": [{"!Ref": "ShopAppTarget5xxAlarm"}],
        "Enable": True,
        "Rollback": True,
    }
    assert service["DeploymentController"] == {"Type": "ECS"}
    (balancer,) = service["LoadBalancers"]
    assert balancer["TargetGroupArn"] == {"!Ref": "ShopAppTargetGroup"}
    assert balancer["AdvancedConfiguration"] == {
        "AlternateTargetGroupArn": {"!Ref": "ShopAppAlternateTargetGroup"},
        "ProductionListenerRule": {"!Ref": "ShopAppListenerRule"},
        "TestListenerRule": {"!Ref": "ShopAppTestListenerRule"},
        "RoleArn": {"!GetAtt": "ShopAppInfrastructureRole.Arn"},
    }
    for rule, listener in (
        ("ShopAppListenerRule", "HttpsListener"),
        ("ShopAppTestListenerRule", "TestListener"),
    ):
        properties = resources[rule]["Properties"]
        assert properties["ListenerArn"] == {"!Ref": listener}
        (action,) = properties["Actions"]
        assert action["ForwardConfig"]["TargetGroups"] == [
            {"TargetGroupArn": {"!Ref": "ShopAppTargetGroup"}, "Weight": 1},
            {"TargetGroupArn": {"!Ref": "ShopAppAlternateTargetGroup"}, "Weight": 0},
        ]
        assert properties["Conditions"] == [
            {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/shop/*"]}}
        ]
    assert resources["TestListener"]["Properties"]["Port"] == 8443
    test_ingress = [
        r
        for r in resources["LoadBalancerSecurityGroup"]["Properties"]["SecurityGroupIngress"]
        if r["FromPort"] == 8443
    ]
    assert [r["CidrIp"] for r in test_ingress] == ["198.51.100.0/24", "203.0.113.0/24"]
    role = resources["ShopAppInfrastructureRole"]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "ecs.amazonaws.com"
    }
    granted = {
        a: s["Resource"]
        for s in role["Policies"][0]["PolicyDocument"]["Statement"]
        for a in s["Action"]
    }
    assert granted["elasticloadbalancing:ModifyRule"] == [
        {"!Ref": "ShopAppListenerRule"},
        {"!Ref": "ShopAppTestListenerRule"},
    ]
    assert granted["elasticloadbalancing:RegisterTargets"] == [
        {"!Ref": "ShopAppTargetGroup"},
        {"!Ref": "ShopAppAlternateTargetGroup"},
    ]
    alarm = resources["ShopAppTarget5xxAlarm"]["Properties"]
    watched = [
        m["MetricStat"]["Metric"]["Dimensions"][0]["Value"]
        for m in alarm["Metrics"]
        if "MetricStat" in m
    ]
    assert watched == [
        {"!GetAtt": "ShopAppTargetGroup.TargetGroupFullName"},
        {"!GetAtt": "ShopAppAlternateTargetGroup.TargetGroupFullName"},
    ]
    assert alarm["Threshold"] == 5


def test_linear_and_canary_shift_in_steps():
    linear = _service(env_template(STRATEGIES, "lin"))["DeploymentConfiguration"]
    assert linear["Strategy"] == "LINEAR" and linear["BakeTimeInMinutes"] == 5
    assert linear["LinearConfiguration"] == {"StepPercent": 25, "StepBakeTimeInMinutes": 3}
    assert linear["Alarms"]["AlarmNames"] == ["shop-latency-high"]
    canary = _service(env_template(STRATEGIES, "can"))["DeploymentConfiguration"]
    assert canary["Strategy"] == "CANARY" and "BakeTimeInMinutes" not in canary
    assert canary["CanaryConfiguration"] == {"CanaryPercent": 10, "CanaryBakeTimeInMinutes": 15}
    # no test listener in that account: the production rule alone
    assert (
        "TestListenerRule"
        not in _service(env_template(STRATEGIES, "can"))["LoadBalancers"][0][
            "AdvancedConfiguration"
        ]
    )


def test_catch_all_rule_yields_to_specific_paths():
    assert (
        env_template(EXAMPLE, "stg")["Resources"]["ExampleStgWebListenerRule"]["Properties"][
            "Priority"
        ]
        == 50000
    )
    assert (
        env_template(STRATEGIES, "bg")["Resources"]["ShopAppListenerRule"]["Properties"]["Priority"]
        == 1
    )


@pytest.mark.parametrize(
    ("profile", "account", "engine", "port", "family", "instances", "clients_expected"),
    [
        (EXAMPLE, "stg", "aurora-mysql", 3306, "aurora-mysql8.0", 1, ["web"]),
        (EXAMPLE, "prod", "aurora-mysql", 3306, "aurora-mysql8.0", 2, ["web"]),
        (STRATEGIES, "lin", "aurora-postgresql", 5432, "aurora-postgresql16", 1, ["app"]),
        (
            SERVICES,
            "stg",
            "aurora-postgresql",
            5432,
            "aurora-postgresql16",
            1,
            ["web", "worker", "scheduler"],
        ),
    ],
    ids=["stg", "prod", "postgres", "several-services"],
)
def test_database_is_private_encrypted_managed_and_snapshotted(
    profile, account, engine, port, family, instances, clients_expected
):
    template = env_template(profile, account)
    resources = template["Resources"]
    cluster = resources["DatabaseCluster"]
    assert cluster["DeletionPolicy"] == "Snapshot" and cluster["UpdateReplacePolicy"] == "Snapshot"
    properties = cluster["Properties"]
    assert properties["Engine"] == engine and properties["Port"] == port
    assert properties["ManageMasterUserPassword"] is True and "MasterUserPassword" not in properties
    assert properties["StorageEncrypted"] is True and properties["KmsKeyId"] == {
        "!Ref": "DatabaseKey"
    }
    assert properties["DeletionProtection"] is True
    assert resources["DatabaseParameterGroup"]["Properties"]["Family"] == family
    zones = len(of_type(template, "AWS::EC2::Subnet")) // 2
    assert resources["DatabaseSubnetGroup"]["Properties"]["SubnetIds"] == [
        {"!Ref": f"PrivateSubnet{i}"} for i in range(zones)
    ]
    instance_resources = of_type(template, "AWS::RDS::DBInstance")
    assert len(instance_resources) == instances
    assert not any(i["Properties"]["PubliclyAccessible"] for i in instance_resources.values())
    group = resources["DatabaseSecurityGroup"]["Properties"]
    assert "SecurityGroupIngress" not in group
    ingress = [
        r["Properties"]
        for r in of_type(template, "AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"]["GroupId"] == {"!Ref": "DatabaseSecurityGroup"}
    ]
    ids = [logical_name(name) for name in _services(template)]
    assert ingress == [
        {
            "GroupId": {"!Ref": "DatabaseSecurityGroup"},
            "IpProtocol": "tcp",
            "FromPort": port,
            "ToPort": port,
            "SourceSecurityGroupId": {"!Ref": f"{sid}SecurityGroup"},
            "Description": f"from the {sid} tasks",
        }
        for sid in ids
    ]
    containers = [
        c for name in _services(template) for c in _task_of(template, name)["ContainerDefinitions"]
    ]
    clients = [
        c for c in containers if any(e["Name"] == "DB_HOST" for e in c.get("Environment", []))
    ]
    assert [c["Name"] for c in clients] == clients_expected
    for container in clients:
        environment = {e["Name"]: e["Value"] for e in container["Environment"]}
        assert environment["DB_HOST"] == {"!GetAtt": "DatabaseCluster.Endpoint.Address"}
        assert {s["Name"] for s in container["Secrets"]} >= {"DB_USERNAME", "DB_PASSWORD"}
    assert template["Outputs"]["DatabaseSecretArn"]["Value"] == {
        "!GetAtt": "DatabaseCluster.MasterUserSecret.SecretArn"
    }


@pytest.mark.parametrize(
    ("profile", "account"), environment_accounts(), ids=lambda v: getattr(v, "stem", v)
)
def test_pipeline_finds_the_cluster_and_service_it_deploys_to(profile, account):
    model, _ = settings(profile, account)
    environment = env_template(profile, account)
    pipeline = load_template(render(profile, account))
    cluster = environment["Resources"]["Cluster"]["Properties"]
    assert (
        cluster["ClusterName"]
        == model.pipeline.cluster
        == pipeline["Parameters"]["EcsClusterName"]["Default"]
    )
    assert cluster["ClusterSettings"] == [{"Name": "containerInsights", "Value": "enabled"}]
    # the pipeline's service-name parameters default to exactly the services the environment creates
    named = {
        p["Default"]
        for key, p in pipeline["Parameters"].items()
        if re.fullmatch(r"EcsService\w*Name", key)
    }
    assert named == set(_services(environment)) == set(service_names(model))
    (deploy,) = [
        s
        for s in pipeline["Resources"]["Pipeline"]["Properties"]["Stages"]
        if s["Name"] == "Deploy"
    ]
    # ECS applies each service's own strategy
    assert {a["ActionTypeId"]["Provider"] for a in deploy["Actions"]} == {"ECS"}
    # both stacks refuse any region but the profile's
    (ours,) = environment["Rules"]["ProfileRegion"]["Assertions"]
    (theirs,) = pipeline["Rules"]["ProfileRegion"]["Assertions"]
    assert (
        ours["Assert"]
        == theirs["Assert"]
        == {"!Equals": [{"!Ref": "AWS::Region"}, plan_account_region(profile)]}
    )
    exports = {o["Export"]["Name"] for o in environment["Outputs"].values() if "Export" in o}
    project = re.search(r"^project: (\S+)$", profile.read_text(), re.M).group(1)
    assert {
        f"{project}-{account}-cluster",
        f"{project}-{account}-task-execution-role-arn",
        f"{project}-{account}-task-role-arn",
    } | {f"{project}-{account}-{n}-service" for n in named} <= exports
    # the pipeline passes exactly these two roles to the task definitions it registers
    assert {"TaskExecutionRoleArn", "TaskRoleArn"} <= set(pipeline["Parameters"])
    for name in named:
        task = _task_of(environment, name)
        assert (task["ExecutionRoleArn"], task["TaskRoleArn"]) == (
            environment["Outputs"]["TaskExecutionRoleArn"]["Value"],
            environment["Outputs"]["TaskRoleArn"]["Value"],
        )


def plan_account_region(profile) -> str:
    return loaded(profile)[2].delivery.region


def test_rendering_is_deterministic():
    for profile, account in environment_accounts():
        assert render_env(profile, account) == render_env(profile, account)
