"""Assemble one account's pipeline stack from the profile's plan."""

from __future__ import annotations

from ciconf.cloudformation import bluegreen, codebuild, pipeline, storage
from ciconf.cloudformation.intrinsics import ref
from ciconf.cloudformation.services import all_services, traffic_service
from ciconf.profile.derive import AccountPlan, DeliveryPlan
from ciconf.profile.grammar import ECS_NAME_PATTERN, ROLE_ARN_PATTERN
from ciconf.profile.models import Pipeline
from ciconf.yamlkit.emit import Tagged

TEMPLATE_VERSION = "2010-09-09"


def _parameters(delivery: DeliveryPlan, settings: Pipeline) -> dict:
    def name(description: str, default: str) -> dict:
        return {
            "Type": "String",
            "Default": default,
            "AllowedPattern": ECS_NAME_PATTERN,
            "Description": description,
        }

    def role(description: str) -> dict:
        return {"Type": "String", "AllowedPattern": ROLE_ARN_PATTERN, "Description": description}

    parameters = {"EcsClusterName": name("ECS cluster running the services", settings.cluster)}
    for service in all_services(delivery, settings):
        containers = ", ".join(image.container for image in service.images)
        parameters[service.parameter] = name(
            f"ECS service the pipeline deploys (containers {containers})", service.name
        )
    parameters["TaskExecutionRoleArn"] = role(
        "The task definitions' execution role (the deploy passes it to ECS)"
    )
    parameters["TaskRoleArn"] = role(
        "The task definitions' task role (repeat the execution role if there is none)"
    )
    return parameters


def _region_rule(region: str) -> dict:
    # The delivery job pushes to this region's registry; a stack elsewhere would never start.
    return {
        "ProfileRegion": {
            "Assertions": [
                {
                    "Assert": Tagged("!Equals", [ref("AWS::Region"), region]),
                    "AssertDescription": f"Deploy this stack in {region}, where the delivery job "
                    "pushes the images.",
                }
            ]
        }
    }


def _resources(delivery: DeliveryPlan, account: AccountPlan, settings: Pipeline) -> dict:
    resources = {
        "ArtifactKey": storage.artifact_key(),
        "ArtifactBucket": storage.artifact_bucket(),
        "ArtifactBucketPolicy": storage.artifact_bucket_policy(),
        "BuildLogGroup": storage.build_log_group(settings.log_retention_days),
        "BuildRole": codebuild.build_role(delivery, settings),
        "BuildProject": codebuild.build_project(delivery, settings),
    }
    traffic = traffic_service(delivery, settings)
    if settings.blue_green is not None and traffic is not None:
        resources["CodeDeployRole"] = bluegreen.codedeploy_role(
            settings.blue_green, traffic.parameter
        )
        resources["DeployApplication"] = bluegreen.application()
        resources["DeploymentGroup"] = bluegreen.deployment_group(
            settings.blue_green, traffic.parameter
        )
    resources["PipelineRole"] = pipeline.pipeline_role(delivery, settings)
    resources["Pipeline"] = pipeline.pipeline_resource(delivery, account, settings)
    resources["PushRuleRole"] = pipeline.push_rule_role()
    resources["PushRule"] = pipeline.push_rule(delivery, account)
    return resources


def _outputs(settings: Pipeline) -> dict:
    outputs = {
        "PipelineName": {"Description": "The pipeline", "Value": ref("Pipeline")},
        "ArtifactBucketName": {
            "Description": "Pipeline artifacts (expire after a month)",
            "Value": ref("ArtifactBucket"),
        },
        "BuildLogGroupName": {"Description": "CodeBuild logs", "Value": ref("BuildLogGroup")},
    }
    if settings.blue_green is not None:
        outputs["DeploymentGroupName"] = {
            "Description": "CodeDeploy deployment group",
            "Value": ref("DeploymentGroup"),
        }
    return outputs


def build_template(project: str, delivery: DeliveryPlan, account: AccountPlan) -> dict:
    settings = account.pipeline
    if settings is None:
        raise ValueError(f"account {account.name} has no pipeline section")
    strategy = "CodeDeploy blue/green" if settings.blue_green is not None else "ECS rolling update"
    return {
        "AWSTemplateFormatVersion": TEMPLATE_VERSION,
        "Description": (
            f"{project} ({account.name}): ECR {delivery.source.repository}:{account.deploy_tag} "
            f"-> CodeBuild -> {strategy}"
        ),
        "Parameters": _parameters(delivery, settings),
        "Rules": _region_rule(delivery.region),
        "Resources": _resources(delivery, account, settings),
        "Outputs": _outputs(settings),
    }
