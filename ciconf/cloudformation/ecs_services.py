"""The ECS cluster and, per service of the pipeline, its task definition, roles, target groups and
service."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ciconf.cloudformation import database as db
from ciconf.cloudformation.intrinsics import (
    ecr_repository,
    get_att,
    policy,
    ref,
    statement,
    sub,
    trust,
)
from ciconf.cloudformation.network import LOG_PREFIX, log_group, private_subnets
from ciconf.profile.derive import AccountPlan, DeliveryPlan, ImagePlan, registry_host
from ciconf.profile.environment import (
    DEFAULT_BAKE_MINUTES,
    SSM_PARAMETER_ARN,
    EcsServiceSettings,
    Environment,
    logical_name,
)
from ciconf.yamlkit.emit import Tagged

DELIVERED = "ImagesDelivered"  # the condition (and parameter) that lifts desired counts above 0
STRATEGIES = {
    "rolling": "ROLLING",
    "blue-green": "BLUE_GREEN",
    "linear": "LINEAR",
    "canary": "CANARY",
}
CATCH_ALL = "/*"
# The deployment circuit breaker (new tasks that never get healthy fail the deployment and roll it
# back) supports the rolling and the blue/green deployment types:
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-failure-detection.html
CIRCUIT_BREAKER = ("rolling", "blue-green")


@dataclass(frozen=True)
class EnvironmentService:
    """One ECS service as the environment stack builds it: its settings and the images it runs."""

    name: str
    settings: EcsServiceSettings
    images: tuple[ImagePlan, ...]
    priority: int  # of its listener rules

    @property
    def id(self) -> str:
        return logical_name(self.name)

    @property
    def blue_green(self) -> bool:
        return self.settings.deployment.strategy != "rolling"

    @property
    def port(self) -> int | None:
        target = self.settings.load_balancer
        return None if target is None else self.settings.ports[target.container]


def environment_services(
    environment: Environment, containers: dict[str, list[str]], images: tuple[ImagePlan, ...]
) -> list[EnvironmentService]:
    """The services in profile order; a catch-all path rule goes after every specific one."""
    by_container = {image.container: image for image in images}
    found = []
    for index, (name, settings) in enumerate(environment.services.items()):
        target = settings.load_balancer
        catch_all = target is not None and CATCH_ALL in target.paths
        priority = 50000 - index if catch_all else index + 1
        own = tuple(by_container[container] for container in containers[name])
        found.append(EnvironmentService(name, settings, own, priority))
    return found


def cluster(name: str) -> dict:
    return {
        "Type": "AWS::ECS::Cluster",
        "Properties": {
            "ClusterName": name,  # the pipeline's cluster name, so its deploy action finds it
            "ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}],
        },
    }


def _ecs_tasks_trust() -> dict:
    return policy(
        {
            "Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}},
        }
    )


def _secret_resource(value_from: str) -> str:
    """The IAM resource of a secret reference: SSM parameters as given, secrets without the JSON key
    part."""
    if re.fullmatch(SSM_PARAMETER_ARN, value_from):
        return value_from
    head = ":".join(value_from.split(":")[:7])  # arn:aws:secretsmanager:region:account:secret:name
    # a name without the random 6-character suffix AWS appends is a partial ARN
    return head if re.search(r"-[A-Za-z0-9]{6}$", head) else head + "-??????"


def execution_role(services: list[EnvironmentService], database: bool) -> dict:
    """What ECS needs to start the tasks: pull their images, write their logs, read their secrets.

    One role for the stack's services, because the pipeline passes one execution role
    (its TaskExecutionRoleArn parameter) to every task definition it registers.
    """
    repositories = dict.fromkeys(
        image.repository for service in services for image in service.images
    )
    statements = [
        statement(["ecr:GetAuthorizationToken"], ["*"]),
        statement(
            ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            [ecr_repository(repository) for repository in repositories],
        ),
        statement(
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [sub(f"${{{service.id}LogGroup.Arn}}") for service in services],
        ),
    ]
    references = {
        arn_
        for service in services
        for names in service.settings.secrets.values()
        for arn_ in names.values()
    }
    parameters = sorted(r for r in references if re.fullmatch(SSM_PARAMETER_ARN, r))
    secrets = sorted({_secret_resource(r) for r in references if r not in parameters})
    if parameters:
        statements.append(statement(["ssm:GetParameters"], parameters))
    if secrets:
        statements.append(statement(["secretsmanager:GetSecretValue"], secrets))
    if database:
        statements += db.secret_access()
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": _ecs_tasks_trust(),
            "Policies": [
                {"PolicyName": "pull-log-and-read-secrets", "PolicyDocument": policy(*statements)}
            ],
        },
    }


def task_role() -> dict:
    # what the application itself may call: nothing until you attach policies (the role is exported)
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {"AssumeRolePolicyDocument": _ecs_tasks_trust()},
    }


def _pairs(values: dict, key: str) -> list[dict]:
    return [{"Name": name, key: values[name]} for name in sorted(values)]


def container(
    service: EnvironmentService,
    image: ImagePlan,
    account: AccountPlan,
    delivery: DeliveryPlan,
    database: db.Wiring | None,
) -> dict:
    settings = service.settings
    name = image.container
    registry = registry_host("${AWS::AccountId}", delivery.region)
    definition: dict = {
        "Name": name,
        # the account's deploy tag: what the delivery job pushed last, so a stack update runs the
        # images the pipeline last deployed (by tag rather than the pipeline's digests)
        "Image": sub(f"{registry}/{image.repository}:{account.deploy_tag}"),
        "Essential": True,
    }
    if name in settings.ports:
        definition["PortMappings"] = [{"ContainerPort": settings.ports[name], "Protocol": "tcp"}]
    environment = dict(settings.environment.get(name, {}))
    secrets = dict(settings.secrets.get(name, {}))
    if database is not None and name in database.containers:
        environment.update(database.environment)
        secrets.update(database.secrets)
    if environment:
        definition["Environment"] = _pairs(environment, "Value")
    if secrets:
        definition["Secrets"] = _pairs(secrets, "ValueFrom")
    definition["LogConfiguration"] = {
        "LogDriver": "awslogs",
        "Options": {
            "awslogs-group": ref(f"{service.id}LogGroup"),
            "awslogs-region": ref("AWS::Region"),
            "awslogs-stream-prefix": name,
        },
    }
    return definition


def task_definition(
    service: EnvironmentService,
    account: AccountPlan,
    delivery: DeliveryPlan,
    database: db.Wiring | None,
) -> dict:
    settings = service.settings
    return {
        "Type": "AWS::ECS::TaskDefinition",
        "Properties": {
            "Family": service.name,
            "Cpu": str(settings.cpu),
            "Memory": str(settings.memory),
            "NetworkMode": "awsvpc",
            "RequiresCompatibilities": ["FARGATE"],
            "RuntimePlatform": {"OperatingSystemFamily": "LINUX", "CpuArchitecture": "X86_64"},
            "ExecutionRoleArn": get_att("TaskExecutionRole.Arn"),
            "TaskRoleArn": get_att("TaskRole.Arn"),
            "ContainerDefinitions": [
                container(service, image, account, delivery, database) for image in service.images
            ],
        },
    }


def _rule(source: str, port: int, why: str) -> dict:
    return {
        "IpProtocol": "tcp",
        "FromPort": port,
        "ToPort": port,
        "SourceSecurityGroupId": ref(source),
        "Description": why,
    }


def security_group(service: EnvironmentService) -> dict:
    return {
        "Type": "AWS::EC2::SecurityGroup",
        "Properties": {
            "GroupDescription": sub(f"${{AWS::StackName}} {service.name} tasks"),
            "VpcId": ref("Vpc"),
            "SecurityGroupEgress": [
                {
                    "CidrIp": "0.0.0.0/0",
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "Description": "HTTPS to AWS APIs (ECR, logs, secrets) and the internet "
                    "through NAT",
                }
            ],
        },
    }


def load_balancer_paths(service: EnvironmentService) -> dict:
    """The ALB may reach this service's traffic port, and nothing else may."""
    port = service.port
    assert port is not None  # only services behind the load balancer get these rules
    ingress = {"GroupId": ref(f"{service.id}SecurityGroup")}
    ingress.update(_rule("LoadBalancerSecurityGroup", port, "from the load balancer"))
    egress = {
        "Type": "AWS::EC2::SecurityGroupEgress",
        "Properties": {
            "GroupId": ref("LoadBalancerSecurityGroup"),
            "IpProtocol": "tcp",
            "FromPort": port,
            "ToPort": port,
            "DestinationSecurityGroupId": ref(f"{service.id}SecurityGroup"),
            "Description": f"to the {service.name} tasks",
        },
    }
    return {
        f"{service.id}FromLoadBalancer": {
            "Type": "AWS::EC2::SecurityGroupIngress",
            "Properties": ingress,
        },
        f"LoadBalancerTo{service.id}": egress,
    }


def target_group(service: EnvironmentService) -> dict:
    target = service.settings.load_balancer
    assert target is not None  # only services behind the load balancer get a target group
    return {
        "Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
        "Properties": {
            "VpcId": ref("Vpc"),
            "TargetType": "ip",
            "Protocol": "HTTP",
            "Port": service.port,
            "HealthCheckProtocol": "HTTP",
            "HealthCheckPath": target.health_check_path,
            "HealthCheckIntervalSeconds": 15,
            "HealthyThresholdCount": 2,
            "UnhealthyThresholdCount": 3,
            "Matcher": {"HttpCode": "200-399"},
            "TargetGroupAttributes": [
                {"Key": "deregistration_delay.timeout_seconds", "Value": "30"}
            ],
        },
    }


def target_groups(service: EnvironmentService) -> list[str]:
    names = [f"{service.id}TargetGroup"]
    if service.blue_green:
        names.append(f"{service.id}AlternateTargetGroup")
    return names


def listener_rule(service: EnvironmentService, listener: str, priority: int) -> dict:
    groups = target_groups(service)
    target = service.settings.load_balancer
    assert target is not None  # only services behind the load balancer get a listener rule
    action: dict[str, Any]
    if service.blue_green:
        # both groups on the rule; ECS moves the weights during a deployment
        action = {
            "Type": "forward",
            "ForwardConfig": {
                "TargetGroups": [
                    {"TargetGroupArn": ref(group), "Weight": weight}
                    for group, weight in zip(groups, (1, 0), strict=True)
                ]
            },
        }
    else:
        action = {"Type": "forward", "TargetGroupArn": ref(groups[0])}
    return {
        "Type": "AWS::ElasticLoadBalancingV2::ListenerRule",
        "Properties": {
            "ListenerArn": ref(listener),
            "Priority": priority,
            "Conditions": [
                {
                    "Field": "path-pattern",
                    "PathPatternConfig": {"Values": list(target.paths)},
                }
            ],
            "Actions": [action],
        },
    }


def infrastructure_role(service: EnvironmentService, test_listener: bool) -> dict:
    """What ECS needs to shift traffic during a blue/green deployment of this service.

    AWS's AmazonECSInfrastructureRolePolicyForLoadBalancers, narrowed to this service's target
    groups, listeners and rules.
    """
    listeners = [ref("HttpsListener")] + ([ref("TestListener")] if test_listener else [])
    rules = [ref(f"{service.id}ListenerRule")] + (
        [ref(f"{service.id}TestListenerRule")] if test_listener else []
    )
    statements = [
        statement(
            [
                "elasticloadbalancing:DescribeListeners",
                "elasticloadbalancing:DescribeRules",
                "elasticloadbalancing:DescribeTargetGroups",
                "elasticloadbalancing:DescribeTargetHealth",
            ],
            ["*"],
        ),
        statement(
            ["elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:RegisterTargets"],
            [ref(group) for group in target_groups(service)],
        ),
        statement(["elasticloadbalancing:ModifyListener"], listeners),
        statement(["elasticloadbalancing:ModifyRule"], rules),
    ]
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            # AWS's documented trust for the ECS infrastructure role (no source conditions)
            "AssumeRolePolicyDocument": trust("ecs.amazonaws.com"),
            "Policies": [
                {"PolicyName": "blue-green-traffic", "PolicyDocument": policy(*statements)}
            ],
        },
    }


def target_5xx_alarm(service: EnvironmentService, threshold: int) -> dict:
    """5xx answers of this service's tasks (both target groups for blue/green), per minute."""
    metrics = []
    for index, group in enumerate(target_groups(service)):
        metrics.append(
            {
                "Id": f"m{index}",
                "ReturnData": False,
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/ApplicationELB",
                        "MetricName": "HTTPCode_Target_5XX_Count",
                        "Dimensions": [
                            {
                                "Name": "TargetGroup",
                                "Value": get_att(f"{group}.TargetGroupFullName"),
                            },
                            {
                                "Name": "LoadBalancer",
                                "Value": get_att("LoadBalancer.LoadBalancerFullName"),
                            },
                        ],
                    },
                    "Period": 60,
                    "Stat": "Sum",
                },
            }
        )
    total = " + ".join(f"FILL(m{i}, 0)" for i in range(len(metrics)))
    metrics.append({"Id": "errors", "Expression": total, "Label": "target 5xx", "ReturnData": True})
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": f"{service.name}: target 5xx responses; rolls back an ECS "
            "deployment in progress",
            "Metrics": metrics,
            "EvaluationPeriods": 1,
            "Threshold": threshold,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
        },
    }


def _deployment(service: EnvironmentService) -> dict:
    settings = service.settings.deployment
    configuration: dict = {
        "Strategy": STRATEGIES[settings.strategy],
        "MinimumHealthyPercent": 100,
        "MaximumPercent": 200,
    }
    if settings.strategy in CIRCUIT_BREAKER:
        configuration["DeploymentCircuitBreaker"] = {"Enable": True, "Rollback": True}
    if settings.bake_minutes is not None:
        configuration["BakeTimeInMinutes"] = settings.bake_minutes
    elif settings.strategy == "blue-green":  # required with BLUE_GREEN
        configuration["BakeTimeInMinutes"] = DEFAULT_BAKE_MINUTES
    if settings.strategy == "linear":
        linear = {
            "StepPercent": settings.step_percent,
            "StepBakeTimeInMinutes": settings.step_bake_minutes,
        }
        configuration["LinearConfiguration"] = {k: v for k, v in linear.items() if v is not None}
    if settings.strategy == "canary":
        canary = {
            "CanaryPercent": settings.canary_percent,
            "CanaryBakeTimeInMinutes": settings.canary_bake_minutes,
        }
        configuration["CanaryConfiguration"] = {k: v for k, v in canary.items() if v is not None}
    alarms: list = list(settings.alarms)
    if settings.target_5xx_alarm is not None:
        alarms.append(ref(f"{service.id}Target5xxAlarm"))
    if alarms:
        configuration["Alarms"] = {"AlarmNames": alarms, "Enable": True, "Rollback": True}
    return configuration


def _load_balancers(service: EnvironmentService, test_listener: bool) -> list[dict]:
    target = service.settings.load_balancer
    if target is None:
        return []
    entry: dict = {
        "ContainerName": target.container,
        "ContainerPort": service.port,
        "TargetGroupArn": ref(f"{service.id}TargetGroup"),
    }
    if service.blue_green:
        advanced = {
            "AlternateTargetGroupArn": ref(f"{service.id}AlternateTargetGroup"),
            "ProductionListenerRule": ref(f"{service.id}ListenerRule"),
            "RoleArn": get_att(f"{service.id}InfrastructureRole.Arn"),
        }
        if test_listener:
            advanced["TestListenerRule"] = ref(f"{service.id}TestListenerRule")
        entry["AdvancedConfiguration"] = advanced
    return [entry]


def ecs_service(service: EnvironmentService, subnets: list, test_listener: bool) -> dict:
    settings = service.settings
    properties: dict = {
        "ServiceName": service.name,  # the pipeline's service name, so its deploy action finds it
        "Cluster": ref("Cluster"),
        "LaunchType": "FARGATE",
        "PlatformVersion": "LATEST",
        "TaskDefinition": ref(f"{service.id}TaskDefinition"),
        # 0 tasks until the first delivery has pushed the images (see the ImagesDelivered parameter)
        "DesiredCount": Tagged("!If", [DELIVERED, settings.desired_count, 0]),
        "DeploymentController": {"Type": "ECS"},
        "DeploymentConfiguration": _deployment(service),
        "NetworkConfiguration": {
            "AwsvpcConfiguration": {
                "AssignPublicIp": "DISABLED",
                "Subnets": subnets,
                "SecurityGroups": [ref(f"{service.id}SecurityGroup")],
            }
        },
        "PropagateTags": "SERVICE",
        "EnableECSManagedTags": True,
    }
    balancers = _load_balancers(service, test_listener)
    resource: dict = {"Type": "AWS::ECS::Service"}
    if balancers:
        properties["LoadBalancers"] = balancers
        properties["HealthCheckGracePeriodSeconds"] = 60
        if not service.blue_green:  # blue/green refers to its rules already
            # a target group must belong to a listener before a service can register tasks in it
            resource["DependsOn"] = [f"{service.id}ListenerRule"]
    resource["Properties"] = properties
    return resource


def resources(
    environment: Environment,
    services: list[EnvironmentService],
    account: AccountPlan,
    delivery: DeliveryPlan,
) -> dict:
    """The cluster, roles and each service's resources; the images are the account's deploy tag
    in the delivery's registry."""
    assert account.pipeline is not None  # an environment deploys what the pipeline delivers
    wiring = db.wiring(environment.database) if environment.database else None
    test = environment.test_listener is not None
    clients = wiring is not None and any(
        image.container in wiring.containers for service in services for image in service.images
    )
    found: dict = {
        "Cluster": cluster(account.pipeline.cluster),
        "TaskExecutionRole": execution_role(services, clients),
        "TaskRole": task_role(),
    }
    for service in services:
        sid = service.id
        found[f"{sid}LogGroup"] = log_group(
            f"{LOG_PREFIX}ecs/{service.name}", environment.log_retention_days
        )
        found[f"{sid}TaskDefinition"] = task_definition(service, account, delivery, wiring)
        found[f"{sid}SecurityGroup"] = security_group(service)
        if service.port is not None:
            found.update(load_balancer_paths(service))
            for group in target_groups(service):
                found[group] = target_group(service)
            found[f"{sid}ListenerRule"] = listener_rule(service, "HttpsListener", service.priority)
            if service.blue_green:
                if test:
                    found[f"{sid}TestListenerRule"] = listener_rule(
                        service, "TestListener", service.priority
                    )
                found[f"{sid}InfrastructureRole"] = infrastructure_role(service, test)
            threshold = service.settings.deployment.target_5xx_alarm
            if threshold is not None:
                found[f"{sid}Target5xxAlarm"] = target_5xx_alarm(service, threshold)
        found[f"{sid}Service"] = ecs_service(service, private_subnets(environment.network), test)
    return found
