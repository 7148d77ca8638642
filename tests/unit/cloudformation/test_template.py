"""What the stacks contain: the pieces issue 3 and 6 ask for, read back from the YAML."""

from __future__ import annotations

import yaml
from cfn_helpers import load_template, pipeline_accounts, render
from conftest import PROFILES


def _stack(profile: str, account: str) -> dict:
    return load_template(render(PROFILES / profile, account))


def _stage(template: dict, name: str) -> dict:
    (stage,) = [
        s for s in template["Resources"]["Pipeline"]["Properties"]["Stages"] if s["Name"] == name
    ]
    (action,) = stage["Actions"]
    return action


def test_artifact_bucket_is_private_encrypted_versioned_and_tls_only():
    resources = _stack("ci-cd-example.yaml", "stg")["Resources"]
    bucket = resources["ArtifactBucket"]["Properties"]
    (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    assert bucket["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    (lifecycle,) = bucket["LifecycleConfiguration"]["Rules"]
    assert (
        lifecycle["ExpirationInDays"] > 0
        and lifecycle["NoncurrentVersionExpiration"]["NoncurrentDays"] > 0
    )
    (deny,) = resources["ArtifactBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {
        "Bool": {"aws:SecureTransport": "false"}
    }
    assert resources["ArtifactKey"]["Properties"]["EnableKeyRotation"] is True


def test_rolling_stack_deploys_image_definitions_after_an_optional_approval():
    stg, prod = _stack("ci-cd-example.yaml", "stg"), _stack("ci-cd-example.yaml", "prod")
    for template in (stg, prod):
        deploy = _stage(template, "Deploy")
        assert deploy["ActionTypeId"]["Provider"] == "ECS"
        assert deploy["Configuration"] == {
            "ClusterName": {"!Ref": "EcsClusterName"},
            "ServiceName": {"!Ref": "EcsServiceName"},
            "FileName": "imagedefinitions.json",
        }
        assert template["Resources"]["Pipeline"]["Properties"]["PipelineType"] == "V2"
        project = template["Resources"]["BuildProject"]["Properties"]
        assert project["Environment"]["Image"] == "aws/codebuild/amazonlinux2-x86_64-standard:5.0"
        assert project["LogsConfig"]["CloudWatchLogs"]["GroupName"] == {"!Ref": "BuildLogGroup"}
        assert template["Resources"]["BuildLogGroup"]["Properties"]["RetentionInDays"] > 0
    assert [s["Name"] for s in stg["Resources"]["Pipeline"]["Properties"]["Stages"]] == [
        "Source",
        "Build",
        "Deploy",
    ]
    assert _stage(prod, "Approve")["ActionTypeId"]["Provider"] == "Manual"
    assert stg["Parameters"]["EcsClusterName"]["Default"] == "example-stg"
    assert prod["Parameters"]["EcsServiceName"]["Default"] == "example-prod-web"


def test_blue_green_stack_deploys_through_codedeploy():
    template = _stack("bluegreen-example.yaml", "prod")
    resources = template["Resources"]
    deploy = _stage(template, "Deploy")
    assert deploy["ActionTypeId"]["Provider"] == "CodeDeployToECS"
    assert deploy["Configuration"] == {
        "ApplicationName": {"!Ref": "DeployApplication"},
        "DeploymentGroupName": {"!Ref": "DeploymentGroup"},
        "TaskDefinitionTemplateArtifact": "DeployFiles",
        "TaskDefinitionTemplatePath": "taskdef.json",
        "AppSpecTemplateArtifact": "DeployFiles",
        "AppSpecTemplatePath": "appspec.yaml",
        "Image1ArtifactName": "SourceImage",
        "Image1ContainerName": "IMAGE1_NAME",
    }
    assert {a["Name"] for a in deploy["InputArtifacts"]} == {"DeployFiles", "SourceImage"}
    assert resources["DeployApplication"]["Properties"] == {"ComputePlatform": "ECS"}
    group = resources["DeploymentGroup"]["Properties"]
    assert group["DeploymentStyle"] == {
        "DeploymentType": "BLUE_GREEN",
        "DeploymentOption": "WITH_TRAFFIC_CONTROL",
    }
    # the profile names two alarms: either in ALARM stops the deployment, which then rolls back
    assert group["AutoRollbackConfiguration"] == {
        "Enabled": True,
        "Events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"],
    }
    assert group["AlarmConfiguration"] == {
        "Enabled": True,
        "IgnorePollAlarmFailure": False,
        "Alarms": [{"Name": "orders-api-prod-5xx"}, {"Name": "orders-api-prod-p99-latency"}],
    }
    (describe,) = [
        s
        for s in resources["CodeDeployRole"]["Properties"]["Policies"][0]["PolicyDocument"][
            "Statement"
        ]
        if s["Action"] == ["cloudwatch:DescribeAlarms"]
    ]
    assert describe["Resource"] == [
        {
            "!Sub": "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:"
            "alarm:orders-api-prod-5xx"
        },
        {
            "!Sub": "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:"
            "alarm:orders-api-prod-p99-latency"
        },
    ]
    assert group["DeploymentConfigName"] == "CodeDeployDefault.ECSCanary10Percent5Minutes"
    terminate = group["BlueGreenDeploymentConfiguration"][
        "TerminateBlueInstancesOnDeploymentSuccess"
    ]
    assert terminate == {"Action": "TERMINATE", "TerminationWaitTimeInMinutes": 60}
    (pair,) = group["LoadBalancerInfo"]["TargetGroupPairInfoList"]
    assert pair["TargetGroups"] == [{"Name": "orders-api-blue"}, {"Name": "orders-api-green"}]
    assert pair["ProdTrafficRoute"]["ListenerArns"][0].endswith("/9a8b7c6d5e4f3a21")
    assert pair["TestTrafficRoute"]["ListenerArns"][0].endswith("/1b2c3d4e5f607182")
    assert group["ECSServices"] == [
        {"ClusterName": {"!Ref": "EcsClusterName"}, "ServiceName": {"!Ref": "EcsServiceName"}}
    ]
    trust = resources["CodeDeployRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Principal"] == {"Service": "codedeploy.amazonaws.com"}
    files = resources["BuildProject"]["Properties"]["Source"]["BuildSpec"]
    assert (
        "- taskdef.json" in files
        and "- appspec.yaml" in files
        and "imagedefinitions.json" not in files
    )


def test_blue_green_profile_keeps_rolling_for_its_other_account():
    template = _stack("bluegreen-example.yaml", "stg")
    assert _stage(template, "Deploy")["ActionTypeId"]["Provider"] == "ECS"
    assert "DeploymentGroup" not in template["Resources"]


def test_blue_green_without_alarms_rolls_back_on_failure_only(tmp_path):
    text = (PROFILES / "bluegreen-example.yaml").read_text()
    start = text.index("        alarms:")
    profile = tmp_path / "orders.yaml"
    profile.write_text(text[:start] + text[text.index("\n", start) + 1 :])
    resources = load_template(render(profile, "prod"))["Resources"]
    group = resources["DeploymentGroup"]["Properties"]
    assert group["AutoRollbackConfiguration"] == {"Enabled": True, "Events": ["DEPLOYMENT_FAILURE"]}
    assert "AlarmConfiguration" not in group
    policy = str(resources["CodeDeployRole"]["Properties"]["Policies"])
    assert "cloudwatch" not in policy


def test_key_bucket_and_log_group_state_their_deletion_policies():
    for profile, account in pipeline_accounts():
        resources = load_template(render(profile, account))["Resources"]
        for name, policy in (
            ("ArtifactKey", "Retain"),
            ("ArtifactBucket", "Retain"),
            ("BuildLogGroup", "Delete"),
        ):
            assert resources[name]["DeletionPolicy"] == policy, (profile.name, name)
            assert resources[name]["UpdateReplacePolicy"] == policy, (profile.name, name)


def test_build_timeout_and_log_retention_come_from_the_profile():
    defaults = load_template(render(PROFILES / "ci-cd-example.yaml", "stg"))["Resources"]
    assert defaults["BuildProject"]["Properties"]["TimeoutInMinutes"] == 10
    assert defaults["BuildLogGroup"]["Properties"]["RetentionInDays"] == 30
    shop = load_template(render(PROFILES / "services-example.yaml", "stg"))["Resources"]
    assert shop["BuildProject"]["Properties"]["TimeoutInMinutes"] == 15
    assert shop["BuildLogGroup"]["Properties"]["RetentionInDays"] == 14


def test_several_services_get_one_deploy_action_each_in_one_stage():
    template = _stack("services-example.yaml", "stg")
    (deploy,) = [
        s
        for s in template["Resources"]["Pipeline"]["Properties"]["Stages"]
        if s["Name"] == "Deploy"
    ]
    actions = {a["Name"]: a for a in deploy["Actions"]}
    assert list(actions) == ["Rolling-shop-web", "Rolling-shop-worker", "Rolling-shop-scheduler"]
    assert {a["RunOrder"] for a in actions.values()} == {1}  # side by side
    assert actions["Rolling-shop-worker"]["Configuration"] == {
        "ClusterName": {"!Ref": "EcsClusterName"},
        "ServiceName": {"!Ref": "EcsServiceShopWorkerName"},
        "FileName": "imagedefinitions-shop-worker.json",
    }
    parameters = template["Parameters"]
    assert parameters["EcsServiceShopWebName"]["Default"] == "shop-web"
    assert "nginx, web" in parameters["EcsServiceShopWebName"]["Description"]
    spec = yaml.safe_load(
        template["Resources"]["BuildProject"]["Properties"]["Source"]["BuildSpec"]
    )
    assert spec["artifacts"]["files"] == [
        "imagedefinitions-shop-web.json",
        "imagedefinitions-shop-worker.json",
        "imagedefinitions-shop-scheduler.json",
    ]
    variables = template["Resources"]["BuildProject"]["Properties"]["Environment"][
        "EnvironmentVariables"
    ]
    assert [v["Name"] for v in variables] == [
        "ECS_CLUSTER",
        "ECS_SERVICE_SHOPWEB",
        "ECS_SERVICE_SHOPWORKER",
        "ECS_SERVICE_SHOPSCHEDULER",
    ]
    # the pipeline role updates exactly these services
    statements = template["Resources"]["PipelineRole"]["Properties"]["Policies"][0][
        "PolicyDocument"
    ]["Statement"]
    (update,) = [s for s in statements if "ecs:UpdateService" in s["Action"]]
    assert len(update["Resource"]) == 3


def test_blue_green_service_deploys_beside_rolling_ones():
    template = _stack("services-example.yaml", "prod")
    (deploy,) = [
        s
        for s in template["Resources"]["Pipeline"]["Properties"]["Stages"]
        if s["Name"] == "Deploy"
    ]
    assert [a["Name"] for a in deploy["Actions"]] == [
        "BlueGreen",
        "Rolling-shop-worker",
        "Rolling-shop-scheduler",
    ]
    group = template["Resources"]["DeploymentGroup"]["Properties"]
    assert group["ECSServices"] == [
        {
            "ClusterName": {"!Ref": "EcsClusterName"},
            "ServiceName": {"!Ref": "EcsServiceShopWebName"},
        }
    ]
