"""Short-form intrinsic functions and the ARNs the template builds from them."""

from __future__ import annotations

from typing import Any

from ciconf.yamlkit.emit import Tagged

POLICY_VERSION = "2012-10-17"
HERE = "${AWS::Partition}:{service}:${AWS::Region}:${AWS::AccountId}"


def sub(text: str) -> Tagged:
    return Tagged("!Sub", text)


def ref(name: str) -> Tagged:
    return Tagged("!Ref", name)


def get_att(name: str) -> Tagged:
    return Tagged("!GetAtt", name)


def arn(service: str, resource: str) -> Tagged:
    """An ARN in this stack's partition, region and account; `resource` may use ${...} too."""
    return sub(f"arn:{HERE.replace('{service}', service)}:{resource}")


def ecr_repository(repository: str) -> Tagged:
    return arn("ecr", f"repository/{repository}")


def ecs_service(parameter: str = "EcsServiceName") -> Tagged:
    """An ECS service of the stack's cluster, named by the template parameter `parameter`."""
    return arn("ecs", f"service/${{EcsClusterName}}/${{{parameter}}}")


def ecs_cluster() -> Tagged:
    return arn("ecs", "cluster/${EcsClusterName}")


def pipeline() -> Tagged:
    return arn("codepipeline", "${Pipeline}")


def statement(actions: list[str], resources: list, **extra: Any) -> dict:
    body: dict = {"Effect": "Allow", "Action": sorted(actions), "Resource": resources}
    body.update(extra)
    return body


def account_administers_key() -> dict:
    """AWS's default key-policy statement: the account administers the key through IAM (without it
    the key becomes unmanageable); services get their own, narrower statements next to it."""
    return {
        "Sid": "AccountAdministersThroughIam",
        "Effect": "Allow",
        "Principal": {"AWS": sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")},
        "Action": "kms:*",
        "Resource": "*",
    }


def policy(*statements: dict) -> dict:
    return {"Version": POLICY_VERSION, "Statement": list(statements)}


def skip_checkov(*checks: tuple[str, str]) -> dict:
    """Resource Metadata telling checkov which checks do not apply here, and why."""
    return {"checkov": {"skip": [{"id": check, "comment": reason} for check, reason in checks]}}


def trust(service: str) -> dict:
    """Assume-role policy for one AWS service principal."""
    return policy(
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    )


def pass_task_roles() -> dict:
    """iam:PassRole for the service's task roles, and only towards ECS tasks."""
    return statement(
        ["iam:PassRole"],
        [ref("TaskExecutionRoleArn"), ref("TaskRoleArn")],
        Condition={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
    )
