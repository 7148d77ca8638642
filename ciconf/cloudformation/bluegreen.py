"""Blue/green deploys through CodeDeploy: application, deployment group, its role, the deploy action."""

from __future__ import annotations

from ciconf.cloudformation.intrinsics import (
    arn,
    ecs_service,
    get_att,
    pass_task_roles,
    policy,
    ref,
    skip_checkov,
    statement,
    sub,
    trust,
)
from ciconf.profile.models import BlueGreen
from ciconf.shell import buildspec as script


def listeners(blue_green: BlueGreen) -> list[str]:
    return [listener for listener in (blue_green.production_listener_arn, blue_green.test_listener_arn) if listener]


def _listener_rules(listener_arn: str) -> str:
    # rules live under their listener: ...:listener-rule/app/<lb>/<lb-id>/<listener-id>/<rule-id>
    return listener_arn.replace(":listener/", ":listener-rule/", 1) + "/*"


def application() -> dict:
    return {"Type": "AWS::CodeDeploy::Application", "Properties": {"ComputePlatform": "ECS"}}


def deployment_group(blue_green: BlueGreen) -> dict:
    pair: dict = {
        "TargetGroups": [{"Name": name} for name in blue_green.target_groups],
        "ProdTrafficRoute": {"ListenerArns": [blue_green.production_listener_arn]},
    }
    if blue_green.test_listener_arn:
        pair["TestTrafficRoute"] = {"ListenerArns": [blue_green.test_listener_arn]}
    return {
        "Type": "AWS::CodeDeploy::DeploymentGroup",
        "Properties": {
            "ApplicationName": ref("DeployApplication"),
            "ServiceRoleArn": get_att("CodeDeployRole.Arn"),
            "DeploymentConfigName": blue_green.deployment_config,
            "DeploymentStyle": {"DeploymentType": "BLUE_GREEN", "DeploymentOption": "WITH_TRAFFIC_CONTROL"},
            "BlueGreenDeploymentConfiguration": {
                "DeploymentReadyOption": {"ActionOnTimeout": "CONTINUE_DEPLOYMENT"},
                "TerminateBlueInstancesOnDeploymentSuccess": {
                    "Action": "TERMINATE",
                    "TerminationWaitTimeInMinutes": blue_green.termination_wait_minutes,
                },
            },
            "AutoRollbackConfiguration": {"Enabled": True, "Events": ["DEPLOYMENT_FAILURE"]},
            "ECSServices": [{"ClusterName": ref("EcsClusterName"), "ServiceName": ref("EcsServiceName")}],
            "LoadBalancerInfo": {"TargetGroupPairInfoList": [pair]},
        },
    }


def codedeploy_role(blue_green: BlueGreen) -> dict:
    """What CodeDeploy does during an ECS blue/green deploy.

    AWSCodeDeployRoleForECS narrowed to this service and these listeners; its CloudWatch alarm, SNS,
    Lambda hook and S3 permissions are left out because the deployment group uses none of them.
    """
    task_sets = sub(
        "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:task-set/${EcsClusterName}/${EcsServiceName}/*"
    )
    routes = listeners(blue_green)
    statements = [
        statement(
            ["ecs:CreateTaskSet", "ecs:DeleteTaskSet", "ecs:DescribeServices", "ecs:UpdateServicePrimaryTaskSet"],
            [ecs_service(), task_sets],
        ),
        statement(["elasticloadbalancing:ModifyListener"], routes),
        statement(["elasticloadbalancing:ModifyRule"], [_listener_rules(route) for route in routes]),
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
    return {
        "Type": "AWS::IAM::Role",
        "Metadata": skip_checkov(
            ("CKV_AWS_111", "elasticloadbalancing:Describe* calls support no resource-level permissions."),
        ),
        "Properties": {
            "AssumeRolePolicyDocument": trust("codedeploy.amazonaws.com"),
            "Policies": [{"PolicyName": "ecs-blue-green", "PolicyDocument": policy(*statements)}],
        },
    }


def deploy_action() -> dict:
    """CodeDeployToECS: registers taskdef.json (with the source image) and shifts traffic."""
    return {
        "Name": "BlueGreen",
        "ActionTypeId": {"Category": "Deploy", "Owner": "AWS", "Provider": "CodeDeployToECS", "Version": "1"},
        "InputArtifacts": [{"Name": "DeployFiles"}, {"Name": "SourceImage"}],
        "Configuration": {
            "ApplicationName": ref("DeployApplication"),
            "DeploymentGroupName": ref("DeploymentGroup"),
            "TaskDefinitionTemplateArtifact": "DeployFiles",
            "TaskDefinitionTemplatePath": script.TASK_DEFINITION_TEMPLATE,
            "AppSpecTemplateArtifact": "DeployFiles",
            "AppSpecTemplatePath": script.APPSPEC,
            "Image1ArtifactName": "SourceImage",
            "Image1ContainerName": script.SOURCE_PLACEHOLDER,
        },
        "RunOrder": 1,
    }


def pipeline_permissions(blue_green: BlueGreen) -> list[dict]:
    """What the pipeline role needs for the CodeDeployToECS action."""
    application_arn = arn("codedeploy", "application:${DeployApplication}")
    group_arn = arn("codedeploy", "deploymentgroup:${DeployApplication}/${DeploymentGroup}")
    config_arn = arn("codedeploy", f"deploymentconfig:{blue_green.deployment_config}")
    return [
        statement(["codedeploy:GetApplication", "codedeploy:GetApplicationRevision",
                   "codedeploy:RegisterApplicationRevision"], [application_arn]),
        statement(["codedeploy:CreateDeployment", "codedeploy:GetDeployment"], [group_arn]),
        statement(["codedeploy:GetDeploymentConfig"], [config_arn]),
        statement(["ecs:RegisterTaskDefinition"], ["*"]),
        pass_task_roles(),
    ]
