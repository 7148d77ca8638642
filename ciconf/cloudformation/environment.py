"""Assemble an account's environment stack (VPC, ALB, ECS cluster and services, database) and write
it.

The pipeline stack of the same account deploys into what this stack creates: the cluster and
service names are the pipeline's own, and the outputs are exported under stable names
(`<project>-<account>-cluster` ...) for anything else that wants them.
"""

from __future__ import annotations

from typing import Any

from ciconf.circleci.render import display_path
from ciconf.cloudformation import alb, ecs_services, network, quotas
from ciconf.cloudformation import database as db
from ciconf.cloudformation.ecs_services import DELIVERED, EnvironmentService
from ciconf.cloudformation.intrinsics import get_att, ref
from ciconf.cloudformation.render import DEFAULT_DIR
from ciconf.errors import InputError
from ciconf.profile.derive import AccountPlan, Plan
from ciconf.profile.environment import Environment, problems, service_containers
from ciconf.yamlkit.emit import Tagged
from ciconf.yamlkit.load import Document

TEMPLATE_VERSION = "2010-09-09"
CERTIFICATE_PATTERN = r"arn:aws(?:-[a-z]+)*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]{36}"


def stack_name(project: str, account: str) -> str:
    return f"{project}-{account.replace('_', '-')}-environment"


def export_prefix(project: str, account: str) -> str:
    # export names allow letters, digits, '-' and ':'; account names may hold '_'
    return f"{project}-{account.replace('_', '-')}"


def default_output(project: str, account: AccountPlan) -> str:
    return f"{DEFAULT_DIR}/{stack_name(project, account.name)}.yaml"


def _parameters(environment: Environment) -> dict:
    certificate: dict = {
        "Type": "String",
        "AllowedPattern": CERTIFICATE_PATTERN,
        "Description": "ACM certificate of the HTTPS listener (in this region; DNS-validated "
        "beforehand)",
    }
    if environment.certificate_arn:
        certificate["Default"] = environment.certificate_arn
    return {
        "CertificateArn": certificate,
        DELIVERED: {
            "Type": "String",
            "AllowedValues": ["false", "true"],
            "Default": "false",
            "Description": "true once the delivery job has pushed this account's deploy tag of "
            "every image; until then each service runs 0 tasks (there is nothing to pull)",
        },
    }


def _region_rule(region: str) -> dict:
    # the images are pushed to this region's registry and the pipeline runs here
    return {
        "ProfileRegion": {
            "Assertions": [
                {
                    "Assert": Tagged("!Equals", [ref("AWS::Region"), region]),
                    "AssertDescription": f"Deploy this stack in {region}, the profile's delivery "
                    "region.",
                }
            ]
        }
    }


def _output(description: str, value: Any, export: str | None = None) -> dict:
    found = {"Description": description, "Value": value}
    if export is not None:
        found["Export"] = {"Name": export}
    return found


def _outputs(prefix: str, environment: Environment, services: list[EnvironmentService]) -> dict:
    outputs = {
        "ClusterName": _output(
            "ECS cluster (the pipeline's EcsClusterName)", ref("Cluster"), f"{prefix}-cluster"
        ),
        "VpcId": _output("The VPC", ref("Vpc"), f"{prefix}-vpc"),
        "PrivateSubnetIds": _output(
            "Private subnets (tasks, database)",
            Tagged("!Join", [",", network.private_subnets(environment.network)]),
            f"{prefix}-private-subnets",
        ),
        "LoadBalancerDnsName": alb.dns_output(),
        "HttpsListenerArn": _output(
            "HTTPS listener", ref("HttpsListener"), f"{prefix}-https-listener"
        ),
        "TaskExecutionRoleArn": _output(
            "Execution role of the services' tasks (the pipeline's TaskExecutionRoleArn)",
            get_att("TaskExecutionRole.Arn"),
            f"{prefix}-task-execution-role-arn",
        ),
        "TaskRoleArn": _output(
            "Task role: attach the application's own permissions here (the pipeline's TaskRoleArn)",
            get_att("TaskRole.Arn"),
            f"{prefix}-task-role-arn",
        ),
    }
    for service in services:
        sid, name = service.id, service.name.replace("_", "-")
        outputs[f"{sid}ServiceName"] = _output(
            f"ECS service {service.name} (the pipeline's EcsServiceName)",
            get_att(f"{sid}Service.Name"),
            f"{prefix}-{name}-service",
        )
    if environment.database is not None:
        outputs["DatabaseEndpoint"] = _output(
            "Database writer endpoint",
            get_att("DatabaseCluster.Endpoint.Address"),
            f"{prefix}-database-endpoint",
        )
        outputs["DatabaseSecretArn"] = _output(
            "Secret holding the database master user and password (managed by RDS)",
            get_att("DatabaseCluster.MasterUserSecret.SecretArn"),
            f"{prefix}-database-secret-arn",
        )
    return outputs


def _containers(plan: Plan) -> list[str]:
    assert plan.delivery is not None  # accounts require a delivery section
    return [image.container for image in plan.delivery.images]


def environment_stack(plan: Plan, account: AccountPlan, environment: Environment) -> dict:
    """The template as data; `environment` must have passed `check_account` (names exist)."""
    delivery = account.delivery  # the account's own repositories
    if delivery is None or account.pipeline is None:
        raise ValueError(
            f"account {account.name} needs delivery and pipeline sections for an environment"
        )
    containers = service_containers(account, _containers(plan))
    services = ecs_services.environment_services(environment, containers, delivery.images)
    resources = network.resources(environment.network, environment.log_retention_days)
    resources.update(alb.resources(environment))
    resources.update(ecs_services.resources(environment, services, account, delivery))
    if environment.database is not None:
        clients = [(service.id, f"{service.id}SecurityGroup") for service in services]
        resources.update(db.resources(environment.database, environment.network, clients))
    names = ", ".join(service.name for service in services)
    return {
        "AWSTemplateFormatVersion": TEMPLATE_VERSION,
        "Description": (
            f"{plan.project} ({account.name}): VPC over "
            f"{environment.network.availability_zones} zones, "
            f"HTTPS load balancer, ECS Fargate cluster {account.pipeline.cluster} with {names}"
            + (f", {environment.database.engine}" if environment.database else "")
        ),
        "Parameters": _parameters(environment),
        "Conditions": {DELIVERED: Tagged("!Equals", [ref(DELIVERED), "true"])},
        "Rules": _region_rule(delivery.region),
        "Resources": resources,
        "Outputs": _outputs(export_prefix(plan.project, account.name), environment, services),
    }


# --- choosing accounts, checking names, writing -------------------------------------------------


def check_account(doc: Document, plan: Plan, index: int, account: AccountPlan) -> None:
    """Raise a located InputError when the environment names a service or container that does not
    exist."""
    found = problems(account, _containers(plan))
    if not found:
        return
    first = found[0]
    path = ("accounts", index, *first.path)
    mark = doc.mark_for(path)
    raise InputError(
        doc.source,
        first.message,
        line=mark.line if mark else None,
        column=mark.column if mark else None,
        field=f"accounts[{index}]." + ".".join(str(part) for part in first.path),
        expected=first.expected,
        suggestion=first.suggestion,
        more=len(found) - 1,
    )


def environment_targets(
    doc: Document, plan: Plan, directory: str = DEFAULT_DIR
) -> list[tuple[AccountPlan, Environment, str]]:
    """(account, environment, file) for every account with an environment section, checked."""
    chosen = []
    for index, account in enumerate(plan.accounts):
        if account.environment is None:
            continue
        check_account(doc, plan, index, account)
        path = f"{directory.rstrip('/')}/{stack_name(plan.project, account.name)}.yaml"
        chosen.append((account, account.environment, path))
    return chosen


def header(profile_path: str, account: AccountPlan, project: str) -> list[str]:
    return [
        f"Generated by ciconf from {display_path(profile_path)} for account {account.name}"
        f" (stack {stack_name(project, account.name)}).",
        "Do not edit by hand: change the profile and regenerate with `ciconf cfn "
        f"{display_path(profile_path)} --all`.",
    ]


def render_environment(
    plan: Plan,
    account: AccountPlan,
    environment: Environment,
    profile_path: str,
    doc: Document | None = None,
) -> str:
    """The stack's YAML; over a CloudFormation quota, an InputError (located with `doc`)."""
    template = environment_stack(plan, account, environment)
    grows_with = ("accounts", plan.accounts.index(account), "environment")
    return quotas.written(
        template,
        header(profile_path, account, plan.project),
        stack_name(plan.project, account.name),
        quotas.Origin(profile_path, doc, grows_with),
    )


def environment_stacks_for(
    doc: Document, plan: Plan, directory: str = DEFAULT_DIR
) -> list[tuple[str, str]]:
    """(file, text) of every account's environment stack, like the pipeline side's stacks list.

    Pure (reads and writes nothing), for `ciconf cfn --all` to write and `ciconf check` to compare.
    Bad input raises one located InputError.
    """
    return [
        (path, render_environment(plan, account, environment, doc.source, doc))
        for account, environment, path in environment_targets(doc, plan, directory)
    ]
