"""The CodePipeline itself, its role, and the EventBridge rule that starts it."""

from __future__ import annotations

from typing import Any

from ciconf.cloudformation import bluegreen
from ciconf.cloudformation.intrinsics import (
    arn,
    ecr_repository,
    ecs_cluster,
    ecs_service,
    get_att,
    pass_task_roles,
    policy,
    ref,
    statement,
    trust,
)
from ciconf.cloudformation.intrinsics import (
    pipeline as pipeline_arn,
)
from ciconf.cloudformation.services import all_services, rolling_services, traffic_service
from ciconf.cloudformation.storage import artifact_access
from ciconf.profile.derive import AccountPlan, DeliveryPlan, ServicePlan
from ciconf.profile.models import Pipeline


def _action(name: str, category: str, provider: str, configuration: dict, **extra: Any) -> dict:
    action: dict[str, Any] = {
        "Name": name,
        "ActionTypeId": {
            "Category": category,
            "Owner": "AWS",
            "Provider": provider,
            "Version": "1",
        },
    }
    if configuration:
        action["Configuration"] = configuration
    action.update(extra)
    action["RunOrder"] = 1
    return action


def _rolling_deploy(service: ServicePlan, single: bool) -> dict:
    return _action(
        "Rolling" if single else f"Rolling-{service.name}",
        "Deploy",
        "ECS",
        {
            "ClusterName": ref("EcsClusterName"),
            "ServiceName": ref(service.parameter),
            "FileName": service.definitions_file,
        },
        InputArtifacts=[{"Name": "DeployFiles"}],
    )


def deploy_actions(delivery: DeliveryPlan, pipeline: Pipeline) -> list[dict]:
    """One action per service, all in the one Deploy stage (they run side by side)."""
    actions = []
    traffic = traffic_service(delivery, pipeline)
    if traffic is not None:
        actions.append(bluegreen.deploy_action(with_source_image=delivery.source in traffic.images))
    rolling = rolling_services(delivery, pipeline)
    single = len(all_services(delivery, pipeline)) == 1
    actions += [_rolling_deploy(service, single) for service in rolling]
    return actions


def stages(delivery: DeliveryPlan, account: AccountPlan, pipeline: Pipeline) -> list[dict]:
    source = _action(
        "Image",
        "Source",
        "ECR",
        {"RepositoryName": delivery.source.repository, "ImageTag": account.deploy_tag},
        OutputArtifacts=[{"Name": "SourceImage"}],
    )
    build = _action(
        "DeployFiles",
        "Build",
        "CodeBuild",
        {"ProjectName": ref("BuildProject")},
        InputArtifacts=[{"Name": "SourceImage"}],
        OutputArtifacts=[{"Name": "DeployFiles"}],
    )
    result = [{"Name": "Source", "Actions": [source]}, {"Name": "Build", "Actions": [build]}]
    if pipeline.approval:
        result.append(
            {"Name": "Approve", "Actions": [_action("Approve", "Approval", "Manual", {})]}
        )
    result.append({"Name": "Deploy", "Actions": deploy_actions(delivery, pipeline)})
    return result


def pipeline_resource(delivery: DeliveryPlan, account: AccountPlan, pipeline: Pipeline) -> dict:
    return {
        "Type": "AWS::CodePipeline::Pipeline",
        "Properties": {
            "PipelineType": "V2",
            "ExecutionMode": "SUPERSEDED",  # a newer image replaces one still waiting
            "RoleArn": get_att("PipelineRole.Arn"),
            "ArtifactStore": {
                "Type": "S3",
                "Location": ref("ArtifactBucket"),
                "EncryptionKey": {"Id": get_att("ArtifactKey.Arn"), "Type": "KMS"},
            },
            "Stages": stages(delivery, account, pipeline),
        },
    }


def _rolling_permissions(services: tuple[ServicePlan, ...]) -> list[dict]:
    """What the ECS deploy action calls (documented for the ECS standard deploy action)."""
    tasks = arn("ecs", "task/${EcsClusterName}/*")
    return [
        statement(
            ["ecs:DescribeServices", "ecs:UpdateService"],
            [ecs_service(s.parameter) for s in services],
        ),
        statement(["ecs:DescribeTasks"], [tasks]),
        statement(
            ["ecs:ListTasks"], ["*"], Condition={"ArnEquals": {"ecs:cluster": ecs_cluster()}}
        ),
        statement(["ecs:TagResource"], [arn("ecs", "task-definition/*")]),
        statement(["ecs:DescribeTaskDefinition", "ecs:RegisterTaskDefinition"], ["*"]),
        pass_task_roles(),
    ]


def pipeline_role(delivery: DeliveryPlan, pipeline: Pipeline) -> dict:
    statements = [
        *artifact_access(),
        statement(["ecr:DescribeImages"], [ecr_repository(delivery.source.repository)]),
        statement(
            ["codebuild:BatchGetBuilds", "codebuild:StartBuild"], [get_att("BuildProject.Arn")]
        ),
    ]
    if pipeline.blue_green is not None:
        statements += bluegreen.pipeline_permissions(pipeline.blue_green)
    rolling = rolling_services(delivery, pipeline)
    if rolling:
        statements += _rolling_permissions(rolling)
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": trust("codepipeline.amazonaws.com"),
            "Policies": [{"PolicyName": "pipeline", "PolicyDocument": policy(*statements)}],
        },
    }


def push_rule(delivery: DeliveryPlan, account: AccountPlan) -> dict:
    """Start the pipeline when the delivery job pushes the source image's deploy tag.

    This rule is the pipeline's only trigger. The ECR source action has no polling setting and no
    change detection of its own outside the console (the console creates this same rule for you),
    and V2 pipeline Triggers apply only to CodeStar connection sources, so no second start.
    """
    return {
        "Type": "AWS::Events::Rule",
        "Properties": {
            "Description": "Start the pipeline when "
            f"{delivery.source.repository}:{account.deploy_tag} "
            "is pushed",
            "EventPattern": {
                "source": ["aws.ecr"],
                "detail-type": ["ECR Image Action"],
                "detail": {
                    "action-type": ["PUSH"],
                    "result": ["SUCCESS"],
                    "repository-name": [delivery.source.repository],
                    "image-tag": [account.deploy_tag],
                },
            },
            "State": "ENABLED",
            "Targets": [
                {"Id": "pipeline", "Arn": pipeline_arn(), "RoleArn": get_att("PushRuleRole.Arn")}
            ],
        },
    }


def push_rule_role() -> dict:
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": trust("events.amazonaws.com"),
            "Policies": [
                {
                    "PolicyName": "start-pipeline",
                    "PolicyDocument": policy(
                        statement(["codepipeline:StartPipelineExecution"], [pipeline_arn()])
                    ),
                }
            ],
        },
    }
