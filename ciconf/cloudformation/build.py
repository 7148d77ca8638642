"""The CodeBuild step: turns the ECR source artifact into the deploy action's input files."""

from __future__ import annotations

from ciconf.cloudformation.intrinsics import (
    ecr_repository,
    ecs_service,
    get_att,
    policy,
    ref,
    skip_checkov,
    statement,
    sub,
    trust,
)
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
    if pipeline.blue_green is not None:
        commands = script.blue_green_script(delivery, appspec(pipeline.blue_green))
        files = [script.TASK_DEFINITION_TEMPLATE, script.APPSPEC]
    else:
        commands = script.rolling_script(delivery)
        files = [script.IMAGE_DEFINITIONS]
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
    environment: dict = {
        "Type": "LINUX_CONTAINER",
        "ComputeType": "BUILD_GENERAL1_SMALL",
        "Image": BUILD_IMAGE,
    }
    if pipeline.blue_green is not None:
        environment["EnvironmentVariables"] = [
            {"Name": script.CLUSTER_VAR, "Type": "PLAINTEXT", "Value": ref("EcsClusterName")},
            {"Name": script.SERVICE_VAR, "Type": "PLAINTEXT", "Value": ref("EcsServiceName")},
        ]
    return {
        "Type": "AWS::CodeBuild::Project",
        "Properties": {
            "Description": sub("Writes the deploy files for ${AWS::StackName}"),
            "ServiceRole": get_att("BuildRole.Arn"),
            "EncryptionKey": get_att("ArtifactKey.Arn"),
            "Artifacts": {"Type": "CODEPIPELINE"},
            "Source": {"Type": "CODEPIPELINE", "BuildSpec": buildspec(delivery, pipeline)},
            "Environment": environment,
            "LogsConfig": {
                "CloudWatchLogs": {"Status": "ENABLED", "GroupName": ref("BuildLogGroup")},
                "S3Logs": {"Status": "DISABLED"},
            },
            "TimeoutInMinutes": 10,
            "QueuedTimeoutInMinutes": 60,
        },
    }


def build_role(delivery: DeliveryPlan, pipeline: Pipeline) -> dict:
    statements = [
        statement(["logs:CreateLogStream", "logs:PutLogEvents"], [get_att("BuildLogGroup.Arn")]),
        *artifact_access(),
    ]
    if delivery.siblings:  # the source's commit tag, then each sibling at that tag
        repositories = [ecr_repository(image.repository) for image in delivery.images]
        statements.append(statement(["ecr:DescribeImages"], repositories))
    role: dict = {"Type": "AWS::IAM::Role"}
    if pipeline.blue_green is not None:
        statements.append(statement(["ecs:DescribeServices"], [ecs_service()]))
        statements.append(statement(["ecs:DescribeTaskDefinition"], ["*"]))
        role["Metadata"] = skip_checkov(
            ("CKV_AWS_111", "ecs:DescribeTaskDefinition supports no resource-level permissions."),
        )
    role["Properties"] = {
        "AssumeRolePolicyDocument": trust("codebuild.amazonaws.com"),
        "Policies": [{"PolicyName": "deploy-files", "PolicyDocument": policy(*statements)}],
    }
    return role
