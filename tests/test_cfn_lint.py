"""Every generated stack passes cfn-lint and checkov; each tool runs once over all of them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cfn_helpers import load_template, pipeline_accounts, render


@pytest.fixture(scope="module")
def stacks(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("stacks")
    for profile, account in pipeline_accounts():
        (directory / f"{profile.stem}--{account}.yaml").write_text(render(profile, account))
    return directory


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
    done = subprocess.run([_tool("cfn-lint"), "--format", "parseable", *files], capture_output=True, text=True)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


def test_checkov_reports_no_failed_checks(stacks):
    done = subprocess.run(
        [_tool("checkov"), "-d", str(stacks), "--framework", "cloudformation", "--quiet", "--compact", "-o", "json"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    reports = json.loads(done.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed = [
        f"{check['check_id']} {check['resource']} ({check['file_path']})"
        for report in reports
        for check in report.get("results", {}).get("failed_checks", [])
    ]
    assert not failed, failed
    assert sum(report["summary"]["passed"] for report in reports) > 0
    assert sum(report["summary"]["parsing_errors"] for report in reports) == 0


def _statements(resource: dict):
    for item in resource.get("Properties", {}).get("Policies", []):
        yield from item["PolicyDocument"]["Statement"]


def test_roles_use_no_wildcard_actions_and_explain_unscoped_resources():
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
                    skips = resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
                    assert skips and all(skip["comment"].strip() for skip in skips), (profile.name, account, name)


def test_pass_role_only_to_ecs_tasks():
    for profile, account in pipeline_accounts():
        template = load_template(render(profile, account))
        for name, resource in template["Resources"].items():
            for statement in _statements(resource):
                if "iam:PassRole" in statement["Action"]:
                    assert statement["Action"] == ["iam:PassRole"]
                    assert statement["Condition"] == {
                        "StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
                    }
                    assert statement["Resource"] == [{"!Ref": "TaskExecutionRoleArn"}, {"!Ref": "TaskRoleArn"}]
