"""Blue/green deploys through CodeDeploy: application, deployment group, its role, the deploy
action."""

from __future__ import annotations

from ciconf.cloudformation.intrinsics import (
    arn,
    ecs_service,
    get_att,
    pass_task_roles,
    policy,
    ref,
    statement,
    trust,
)
from ciconf.profile.models import BlueGreen
from ciconf.shell import buildspec as script


def listeners(blue_green: BlueGreen) -> list[str]:
    return [
        listener
        for listener in (blue_green.production_listener_arn, blue_green.test_listener_arn)
        if listener
    ]


def _listener_rules(listener_arn: str) -> str:
    # rules live under their listener: ...:listener-rule/app/<lb>/<lb-id>/<listener-id>/<rule-id>
    return listener_arn.replace(":listener/", ":listener-rule/", 1) + "/*"


def application() -> dict:
    return {"Type": "AWS::CodeDeploy::Application", "Properties": {"ComputePlatform": "ECS"}}


def _rollback(blue_green: BlueGreen) -> dict:
    """Roll back on a failed deployment and, when alarms are named, on an alarm that stops it."""
    events = ["DEPLOYMENT_FAILURE"]
    if blue_green.alarms:
        events.append("DEPLOYMENT_STOP_ON_ALARM")
    return {"Enabled": True, "Events": events}


def deployment_group(blue_green: BlueGreen, service_parameter: str) -> dict:
    pair: dict = {
        "TargetGroups": [{"Name": name} for name in blue_green.target_groups],
        "ProdTrafficRoute": {"ListenerArns": [blue_green.production_listener_arn]},
    }
    if blue_green.test_listener_arn:
        pair["TestTrafficRoute"] = {"ListenerArns": [blue_green.test_listener_arn]}
    group: dict = {
        "Type": "AWS::CodeDeploy::DeploymentGroup",
        "Properties": {
            "ApplicationName": ref("DeployApplication"),
            "ServiceRoleArn": get_att("CodeDeployRole.Arn"),
            "DeploymentConfigName": blue_green.deployment_config,
            "DeploymentStyle": {
                "DeploymentType": "BLUE_GREEN",
                "DeploymentOption": "WITH_TRAFFIC_CONTROL",
            },
            "BlueGreenDeploymentConfiguration": {
                "DeploymentReadyOption": {"ActionOnTimeout": "CONTINUE_DEPLOYMENT"},
                "TerminateBlueInstancesOnDeploymentSuccess": {
                    "Action": "TERMINATE",
                    "TerminationWaitTimeInMinutes": blue_green.termination_wait_minutes,
                },
            },
            "AutoRollbackConfiguration": _rollback(blue_green),
            "ECSServices": [
                {"ClusterName": ref("EcsClusterName"), "ServiceName": ref(service_parameter)}
            ],
            "LoadBalancerInfo": {"TargetGroupPairInfoList": [pair]},
        },
    }
    if blue_green.alarms:
        # CodeDeploy polls these alarms during the deployment; one in ALARM stops it (and rolls
        # back)
        group["Properties"]["AlarmConfiguration"] = {
            "Enabled": True,
            "IgnorePollAlarmFailure": False,
            "Alarms": [{"Name": name} for name in blue_green.alarms],
        }
    return group


def codedeploy_role(blue_green: BlueGreen, service_parameter: str) -> dict:
    """What CodeDeploy does during an ECS blue/green deploy.

    AWSCodeDeployRoleForECS narrowed to this service, these listeners and the named alarms; its SNS,
    Lambda hook and S3 permissions are left out because the deployment group uses none of them.
    """
    task_sets = arn("ecs", f"task-set/${{EcsClusterName}}/${{{service_parameter}}}/*")
    routes = listeners(blue_green)
    statements = [
        statement(
            [
                "ecs:CreateTaskSet",
                "ecs:DeleteTaskSet",
                "ecs:DescribeServices",
                "ecs:UpdateServicePrimaryTaskSet",
            ],
            [ecs_service(service_parameter), task_sets],
        ),
        statement(["elasticloadbalancing:ModifyListener"], routes),
        statement(
            ["elasticloadbalancing:ModifyRule"], [_listener_rules(route) for route in routes]
        ),
        statement(
            [
                "elasticloadbalancing:DescribeListeners",
                "elasticloadbalancing:DescribeRules",
                "elasticloadbalancing:DescribeTargetGroups",
            ],
            ["*"],
        ),
        pass_task_roles(),
    ]
    if blue_green.alarms:
        alarms = [arn("cloudwatch", f"alarm:{name}") for name in blue_green.alarms]
        statements.append(statement(["cloudwatch:DescribeAlarms"], alarms))
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": trust("codedeploy.amazonaws.com"),
            "Policies": [{"PolicyName": "ecs-blue-green", "PolicyDocument": policy(*statements)}],
        },
    }


def deploy_action(*, with_source_image: bool) -> dict:
    """CodeDeployToECS: registers taskdef.json and shifts traffic.

    When the pipeline's source image runs in this service, the action fills the taskdef's
    <IMAGE1_NAME> from the ECR source artifact; otherwise taskdef.json pins every image itself.
    """
    configuration = {
        "ApplicationName": ref("DeployApplication"),
        "DeploymentGroupName": ref("DeploymentGroup"),
        "TaskDefinitionTemplateArtifact": "DeployFiles",
        "TaskDefinitionTemplatePath": script.TASK_DEFINITION_TEMPLATE,
        "AppSpecTemplateArtifact": "DeployFiles",
        "AppSpecTemplatePath": script.APPSPEC,
    }
    inputs = [{"Name": "DeployFiles"}]
    if with_source_image:
        configuration["Image1ArtifactName"] = "SourceImage"
        configuration["Image1ContainerName"] = script.SOURCE_PLACEHOLDER
        inputs.append({"Name": "SourceImage"})
    return {
        "Name": "BlueGreen",
        "ActionTypeId": {
            "Category": "Deploy",
            "Owner": "AWS",
            "Provider": "CodeDeployToECS",
            "Version": "1",
        },
        "InputArtifacts": inputs,
        "Configuration": configuration,
        "RunOrder": 1,
    }


def pipeline_permissions(blue_green: BlueGreen) -> list[dict]:
    """What the pipeline role needs for the CodeDeployToECS action."""
    application_arn = arn("codedeploy", "application:${DeployApplication}")
    group_arn = arn("codedeploy", "deploymentgroup:${DeployApplication}/${DeploymentGroup}")
    config_arn = arn("codedeploy", f"deploymentconfig:{blue_green.deployment_config}")
    return [
        statement(
            [
                "codedeploy:GetApplication",
                "codedeploy:GetApplicationRevision",
                "codedeploy:RegisterApplicationRevision",
            ],
            [application_arn],
        ),
        statement(["codedeploy:CreateDeployment", "codedeploy:GetDeployment"], [group_arn]),
        statement(["codedeploy:GetDeploymentConfig"], [config_arn]),
        statement(["ecs:RegisterTaskDefinition"], ["*"]),
        pass_task_roles(),
    ]
