"""The CodeBuild step: turns the ECR source artifact into the deploy action's input files."""

from __future__ import annotations

from ciconf.cloudformation.intrinsics import (
    ecr_repository,
    ecs_service,
    get_att,
    policy,
    ref,
    statement,
    sub,
    trust,
)
from ciconf.cloudformation.services import all_services, rolling_services, traffic_service
from ciconf.cloudformation.storage import artifact_access
from ciconf.profile.derive import DeliveryPlan
from ciconf.profile.models import BlueGreen, Pipeline
from ciconf.shell import buildspec as script
from ciconf.yamlkit.emit import dump

# Curated image (Amazon Linux 2023 base despite its name) shipping AWS CLI v2, bash and jq;
# the seed's aws/codebuild/docker:17.09.0 is retired.
BUILD_IMAGE = "aws/codebuild/amazonlinux2-x86_64-standard:5.0"
TASK_DEFINITION_PLACEHOLDER = "<TASK_DEFINITION>"  # CodeDeployToECS puts the registered ARN here


def appspec(blue_green: BlueGreen) -> str:
    return dump(
        {
            "version": 0.0,
            "Resources": [
                {
                    "TargetService": {
                        "Type": "AWS::ECS::Service",
                        "Properties": {
                            "TaskDefinition": TASK_DEFINITION_PLACEHOLDER,
                            "LoadBalancerInfo": {
                                "ContainerName": blue_green.container,
                                "ContainerPort": blue_green.port,
                            },
                        },
                    }
                }
            ],
        },
        spacing=(),
    )


def buildspec(delivery: DeliveryPlan, pipeline: Pipeline) -> str:
    services = all_services(delivery, pipeline)
    traffic = traffic_service(delivery, pipeline)
    if traffic is not None:
        assert pipeline.blue_green is not None
        commands = script.blue_green_script(
            delivery, services, traffic, appspec(pipeline.blue_green)
        )
        files = [script.TASK_DEFINITION_TEMPLATE, script.APPSPEC]
    else:
        commands = script.rolling_script(delivery, services)
        files = []
    files += [service.definitions_file for service in rolling_services(delivery, pipeline)]
    return dump(
        {
            "version": 0.2,
            "env": {"shell": "bash"},
            "phases": {"build": {"commands": [commands]}},
            "artifacts": {"files": files},
        },
        spacing=(),
    )


def build_project(delivery: DeliveryPlan, pipeline: Pipeline) -> dict:
    variables = [{"Name": script.CLUSTER_VAR, "Type": "PLAINTEXT", "Value": ref("EcsClusterName")}]
    variables += [
        {"Name": service.env_var, "Type": "PLAINTEXT", "Value": ref(service.parameter)}
        for service in all_services(delivery, pipeline)
    ]
    return {
        "Type": "AWS::CodeBuild::Project",
        "Properties": {
            "Description": sub("Writes the deploy files for ${AWS::StackName}"),
            "ServiceRole": get_att("BuildRole.Arn"),
            "EncryptionKey": get_att("ArtifactKey.Arn"),
            "Artifacts": {"Type": "CODEPIPELINE"},
            "Source": {"Type": "CODEPIPELINE", "BuildSpec": buildspec(delivery, pipeline)},
            "Environment": {
                "Type": "LINUX_CONTAINER",
                "ComputeType": "BUILD_GENERAL1_SMALL",
                "Image": BUILD_IMAGE,
                "EnvironmentVariables": variables,
            },
            "LogsConfig": {
                "CloudWatchLogs": {"Status": "ENABLED", "GroupName": ref("BuildLogGroup")},
                "S3Logs": {"Status": "DISABLED"},
            },
            "TimeoutInMinutes": pipeline.build_timeout_minutes,
            "QueuedTimeoutInMinutes": 60,
        },
    }


def build_role(delivery: DeliveryPlan, pipeline: Pipeline) -> dict:
    services = all_services(delivery, pipeline)
    statements = [
        statement(["logs:CreateLogStream", "logs:PutLogEvents"], [get_att("BuildLogGroup.Arn")]),
        *artifact_access(),
    ]
    if delivery.siblings:  # the source's commit tag, then each sibling at that tag
        repositories = [ecr_repository(image.repository) for image in delivery.images]
        statements.append(statement(["ecr:DescribeImages"], repositories))
    # every service's current task definition: its containers are checked before the deploy
    statements.append(
        statement(["ecs:DescribeServices"], [ecs_service(s.parameter) for s in services])
    )
    statements.append(statement(["ecs:DescribeTaskDefinition"], ["*"]))
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": trust("codebuild.amazonaws.com"),
            "Policies": [{"PolicyName": "deploy-files", "PolicyDocument": policy(*statements)}],
        },
    }
