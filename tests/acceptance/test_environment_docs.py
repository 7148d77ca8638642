"""docs/environment.md keeps its promises: the seed mapping is complete, the deploy commands fit the
stacks."""

from __future__ import annotations

import re
import shlex

from cfn_helpers import load_template, render
from conftest import PROFILES, ROOT
from environment_helpers import env_template, loaded

from ciconf.cloudformation.environment import stack_name

DOC = (ROOT / "docs" / "environment.md").read_text(encoding="utf-8")
EXAMPLE = PROFILES / "ci-cd-example.yaml"

# Every resource of the seed's scripts/cloudformation.yaml (ci-cd-example), in its order. Kept here
# so the test needs no copy of the seed.
SEED_RESOURCES = [
    "Vpc",
    "VpcFlowlogIam",
    "VpcFlowlog",
    "VpcFlowlogLogGroup",
    "SubnetPublic0",
    "SubnetPublic1",
    "SubnetPublic2",
    "RouteTablePublic0",
    "RouteTablePublic1",
    "RouteTablePublic2",
    "AssignSubnetPublic0ToRouteTablePublic0",
    "AssignSubnetPublic1ToRouteTablePublic1",
    "AssignSubnetPublic2ToRouteTablePublic2",
    "InternetGateway",
    "InternetGatewayAttach",
    "AttachIGWToRouteTablePublic0",
    "AttachIGWToRouteTablePublic1",
    "AttachIGWToRouteTablePublic2",
    "SubnetPrivate0",
    "SubnetPrivate1",
    "SubnetPrivate2",
    "RouteTablePrivate0",
    "RouteTablePrivate1",
    "RouteTablePrivate2",
    "AssignSubnetPrivate0ToRouteTablePrivate0",
    "AssignSubnetPrivate1ToRouteTablePrivate1",
    "AssignSubnetPrivate2ToRouteTablePrivate2",
    "EIPPublic0",
    "NatGatewayPublic0",
    "EIPPublic1",
    "NatGatewayPublic1",
    "EIPPublic2",
    "NatGatewayPublic2",
    "MountNatGatewayToRouteTablePrivate0",
    "MountNatGatewayToRouteTablePrivate1",
    "MountNatGatewayToRouteTablePrivate2",
    "SecurityGroupAlb",
    "SecurityGroupAurora",
    "SecurityGroupEcsApp",
    "MonitoringRole",
    "ClusterParameterGroup",
    "SubnetGroup",
    "AuroraCluster",
    "AuroraInstance0",
    "AuroraInstance1",
    "Acm",
    "Alb",
    "AlbListenerHttp",
    "AlbListenerHttps",
    "EcsCluster",
    "AlbTargetGroup",
    "AlbListener",
    "EcsTaskIam",
    "EcsTaskLogGroup",
    "EcsTaskDefinition",
    "EcsService",
    "CodeBuildLogGroup",
    "CodePipelineArtifactBucket",
    "CodeBuildRole",
    "CodeBuildProject",
    "CodePipelineRole",
    "CodePipeline",
    "CloudWatchEventECRRuleRole",
    "CloudWatchEventECRRule",
]


def _mapping() -> list[tuple[str, str, str]]:
    section = DOC.split("## Mapping of the seed's `cloudformation.yaml`", 1)[1]
    rows = re.findall(r"^\| `([A-Za-z0-9]+)` \|(.*?)\|(.*?)\|$", section, re.M)
    return [(seed, generated.strip(), why.strip()) for seed, generated, why in rows]


def test_seed_list_is_the_whole_template():
    assert len(SEED_RESOURCES) == len(set(SEED_RESOURCES)) == 64


def test_mapping_names_every_seed_resource_once():
    seeds = [seed for seed, _, _ in _mapping()]
    assert seeds == SEED_RESOURCES


def test_mapped_resources_exist_in_the_generated_stacks():
    stg = env_template(EXAMPLE, "stg")["Resources"]
    prod = env_template(EXAMPLE, "prod")["Resources"]
    pipeline = load_template(render(EXAMPLE, "stg"))["Resources"]
    for seed, generated, why in _mapping():
        named = re.findall(r"`([A-Za-z0-9]+)`", generated)
        if not named:
            assert generated == "—" and "not generated" in why, seed
            continue
        (resource,) = named
        assert resource in stg or resource in pipeline, (seed, resource)
        for other in re.findall(r"`([A-Z][A-Za-z0-9]+)`", why):
            known = stg | prod | pipeline | env_template(EXAMPLE, "stg")["Parameters"]
            assert other in known or other in ("AppKey", "DbPass"), (
                seed,
                other,
            )  # the seed's parameters


def _commands() -> list[list[str]]:
    blocks, current = [], None
    for line in DOC.splitlines():
        if line.strip().startswith("```"):
            if current is None:
                current = [] if line.strip() == "```" else ["(not a shell block)"]
            else:
                blocks.append("\n".join(current))
                current = None
        elif current is not None:
            current.append(line)
    joined = [
        " ".join(line.strip().rstrip("\\") for line in block.splitlines()) for block in blocks
    ]
    # a value read from an export, $(aws cloudformation list-exports ... Name=='X' ...), becomes one
    # word
    exported = re.compile(r"\$\(aws cloudformation list-exports [^)]*?Name=='([^']+)'[^)]*\)")
    return [
        shlex.split(exported.sub(r"$(export:\1)", command))
        for command in joined
        if command.startswith("aws cloudformation deploy")
    ]


def _options(words: list[str]) -> dict:
    found, key = {}, None
    for word in words[3:]:
        if word.startswith("--"):
            key = word
            found[key] = []
        else:
            found[key].append(word)
    return found


def test_deploy_commands_fit_the_generated_stacks():
    _, _, plan = loaded(EXAMPLE)
    stg = plan.account("stg")
    environment = env_template(EXAMPLE, "stg")
    pipeline = load_template(render(EXAMPLE, "stg"))
    bootstrap = load_template(render(EXAMPLE, "stg", "bootstrap"))
    bootstrap_name = f"{plan.project}-stg-bootstrap"
    commands = [_options(words) for words in _commands()]
    # in deploy order: bootstrap, environment, pipeline, environment again
    assert [c["--stack-name"] for c in commands] == [
        [bootstrap_name],
        [stack_name(plan.project, "stg")],
        [stg.stack_name],
        [stack_name(plan.project, "stg")],
    ]
    templates = {
        bootstrap_name: bootstrap,
        stack_name(plan.project, "stg"): environment,
        stg.stack_name: pipeline,
    }
    for step, command in enumerate(commands):
        (name,) = command["--stack-name"]
        assert command["--region"] == [plan.delivery.region]
        # named IAM resources need CAPABILITY_NAMED_IAM; the others are fine with CAPABILITY_IAM
        named_iam = any(
            r["Type"].startswith("AWS::IAM::") and "RoleName" in r.get("Properties", {})
            for r in templates[name]["Resources"].values()
        )
        assert command["--capabilities"] in (["CAPABILITY_IAM"], ["CAPABILITY_NAMED_IAM"])
        assert not named_iam or command["--capabilities"] == ["CAPABILITY_NAMED_IAM"]
        (path,) = command["--template-file"]
        assert path == f"cloudformation/{name}.yaml"
        parameters = dict(item.split("=", 1) for item in command.get("--parameter-overrides", []))
        declared = templates[name].get("Parameters", {})
        assert set(parameters) <= set(declared), parameters
        if (
            step < 3
        ):  # a stack's creation gives every parameter without a default (the update keeps them)
            assert {k for k, v in declared.items() if "Default" not in v} <= set(parameters), (
                name,
                parameters,
            )
        for key, value in parameters.items():
            pattern = declared[key].get("AllowedPattern")
            if pattern and not value.startswith("$("):
                assert re.fullmatch(pattern, value), (key, value)
    # the pipeline takes its roles from the environment's exports, by their exact names
    exports = {o["Export"]["Name"] for o in environment["Outputs"].values() if "Export" in o}
    named = re.findall(r"Exports\[\?Name=='([^']+)'\]", DOC)
    assert named and set(named) <= exports
    assert commands[3]["--parameter-overrides"] == ["ImagesDelivered=true"]
