"""Every generated stack passes cfn-lint and checkov; each tool runs once over all of them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cfn_helpers import (
    delivery_accounts,
    load_template,
    long_form,
    pipeline_accounts,
    render,
    stack_profiles,
)
from conftest import once_per_run

from ciconf.profile.derive import plan as derive_plan
from ciconf.profile.load import load_profile_document


def every_stack() -> dict[str, str]:
    """file name -> text of every stack (bootstrap and pipeline) of every bundled profile."""
    from ciconf.cloudformation.render import stacks_for

    out = {}
    for profile in stack_profiles():
        doc, loaded = load_profile_document(str(profile))
        for path, text in stacks_for(doc, derive_plan(loaded), "stacks"):
            out[f"{profile.stem}--{Path(path).name}"] = text
    return out


@pytest.fixture(scope="module")
def stacks(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("stacks")
    for name, text in every_stack().items():
        (directory / name).write_text(text)
    return directory


def test_every_profile_with_delivery_gets_bootstrap_and_pipeline_stacks():
    names = sorted(every_stack())
    assert "ci-cd-example--ci-cd-example-stg-bootstrap.yaml" in names
    assert "services-example--shop-prod-pipeline.yaml" in names
    assert len([n for n in names if n.endswith("-bootstrap.yaml")]) == len(delivery_accounts())
    assert len([n for n in names if n.endswith("-pipeline.yaml")]) == len(pipeline_accounts())


def _tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    assert found, f"{name} is a test dependency"
    return found


def test_profiles_cover_both_strategies():
    strategies = set()
    for profile, account in pipeline_accounts():
        template = load_template(render(profile, account))
        strategies.add("DeploymentGroup" in template["Resources"])
    assert strategies == {True, False}


def test_cfn_lint_reports_nothing(stacks):
    files = sorted(str(path) for path in stacks.glob("*.yaml"))
    assert files
    done = subprocess.run(
        [_tool("cfn-lint"), "--format", "parseable", *files], capture_output=True, text=True
    )
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


# checkov starts in ~5 s and then takes well under a second per stack: it runs once, over the
# stacks as generated and the same stacks with their skips removed, each set in a folder of its own
WITH_SKIPS, WITHOUT_SKIPS = "with-skips", "without-skips"


def _failed_checks(directory: Path) -> list[tuple[Path, str, str]]:
    """(file as checkov names it, resource, check id) of every failed checkov check over
    `directory` and its folders."""
    done = subprocess.run(
        [
            _tool("checkov"),
            "-d",
            str(directory),
            "--framework",
            "cloudformation",
            "--quiet",
            "--compact",
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    reports = json.loads(done.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    assert sum(report.get("summary", {}).get("parsing_errors", 0) for report in reports) == 0
    return [
        (Path(check["file_path"]), check["resource"].split(".", 1)[1], check["check_id"])
        for report in reports
        for check in report.get("results", {}).get("failed_checks", [])
    ]


def _checkov(directory: Path) -> list[tuple[str, str, str]]:
    """(file name, resource, check id) of every failed checkov check over `directory`."""
    return [(path.name, resource, check) for path, resource, check in _failed_checks(directory)]


def _checkov_by_folder(directory: Path) -> dict[str, list[tuple[str, str, str]]]:
    """_checkov's findings over WITH_SKIPS and WITHOUT_SKIPS in `directory`, by folder."""
    failed: dict[str, list[tuple[str, str, str]]] = {WITH_SKIPS: [], WITHOUT_SKIPS: []}
    for path, resource, check in _failed_checks(directory):
        failed[path.parts[-2]].append((path.name, resource, check))
    return failed


def _write_without_skips(directory: Path) -> list[tuple[str, str, dict]]:
    """Every stack with its checkov skips removed, as JSON in `directory`; (file name, resource,
    skip) of each skip removed."""
    directory.mkdir()
    skips = []
    for name, text in every_stack().items():
        template = long_form(load_template(text))
        for logical, resource in template["Resources"].items():
            checks = resource.get("Metadata", {}).pop("checkov", {}).get("skip", [])
            skips += [(name.replace(".yaml", ".json"), logical, check) for check in checks]
            if not resource.get("Metadata", True):
                del resource["Metadata"]
        (directory / name.replace(".yaml", ".json")).write_text(json.dumps(template))
    return skips


@pytest.fixture(scope="module")
def checkov(stacks, tmp_path_factory) -> tuple[dict[str, list[tuple[str, str, str]]], list]:
    """checkov's failures per folder, and the skips removed from the stacks of WITHOUT_SKIPS."""

    def run() -> tuple[dict[str, list[tuple[str, str, str]]], list]:
        root = tmp_path_factory.mktemp("checkov")
        shutil.copytree(stacks, root / WITH_SKIPS)
        skips = _write_without_skips(root / WITHOUT_SKIPS)
        return _checkov_by_folder(root), skips

    failed, skips = once_per_run(tmp_path_factory, "checkov-stacks", run)
    return {folder: [tuple(check) for check in checks] for folder, checks in failed.items()}, skips


def test_checkov_reports_no_failed_checks(checkov):
    failed, _ = checkov
    assert failed[WITH_SKIPS] == []


def test_every_checkov_skip_hides_a_real_failure(checkov):
    # The same stacks with every skip removed: each skipped check must then fail on its resource,
    # or the skip hides nothing and goes.
    found, skips = checkov
    skipped = set()
    for name, logical, check in skips:
        assert len(check["comment"]) > 40, (name, logical, check)  # a reason, not a shrug
        skipped.add((name, logical, check["id"]))
    assert len(skipped) > 10
    failed = set(found[WITHOUT_SKIPS])
    assert skipped - failed == set(), "these skips hide no failure"
    # nothing else fails once the skips are gone
    assert {(check, resource) for _, resource, check in failed} <= {(c, r) for _, r, c in skipped}


def _statements(resource: dict):
    for item in resource.get("Properties", {}).get("Policies", []):
        yield from item["PolicyDocument"]["Statement"]


# Actions with no resource-level permission (the IAM Service Authorization Reference lists no
# resource type for them), so Resource "*" is the only possible scope.
UNSCOPABLE = {
    "ecr:GetAuthorizationToken",
    "ecs:DescribeTaskDefinition",
    "ecs:RegisterTaskDefinition",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTargetGroups",
}


def test_roles_use_no_wildcard_actions_and_scope_every_other_resource():
    for profile, account in pipeline_accounts():
        template = load_template(render(profile, account))
        for name, resource in template["Resources"].items():
            if resource["Type"] != "AWS::IAM::Role":
                continue
            assert "ManagedPolicyArns" not in resource["Properties"], name
            for statement in _statements(resource):
                assert statement["Effect"] == "Allow"
                assert not any("*" in action for action in statement["Action"]), (name, statement)
                if "*" in statement["Resource"] and "Condition" not in statement:
                    assert set(statement["Action"]) <= UNSCOPABLE, (
                        profile.name,
                        account,
                        name,
                        statement,
                    )


def test_pass_role_only_to_ecs_tasks():
    for profile, account in pipeline_accounts():
        template = load_template(render(profile, account))
        for resource in template["Resources"].values():
            for statement in _statements(resource):
                if "iam:PassRole" in statement["Action"]:
                    assert statement["Action"] == ["iam:PassRole"]
                    assert statement["Condition"] == {
                        "StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
                    }
                    assert statement["Resource"] == [
                        {"!Ref": "TaskExecutionRoleArn"},
                        {"!Ref": "TaskRoleArn"},
                    ]
