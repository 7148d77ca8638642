"""Every environment stack passes cfn-lint and checkov; each checkov skip is needed and
explained."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from cfn_helpers import load_template
from environment_helpers import environment_accounts, render_env

from oracles.test_cfn_lint import _tool


@pytest.fixture(scope="module")
def stacks(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("environment-stacks")
    for profile, account in environment_accounts():
        (directory / f"{profile.stem}--{account}.yaml").write_text(render_env(profile, account))
    return directory


def _checkov(directory: Path) -> list[dict]:
    done = subprocess.run(
        [
            _tool("checkov"),
            "-d",
            str(directory),
            "--framework",
            "cloudformation",
            "--compact",
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    reports = json.loads(done.stdout)
    return reports if isinstance(reports, list) else [reports]


def _without_metadata(text: str) -> str:
    """The template with every resource's Metadata block (the checkov skips) cut out."""
    kept, skipping = [], False
    for line in text.splitlines(keepends=True):
        if line == "    Metadata:\n":
            skipping = True
            continue
        if skipping and line.startswith("      "):
            continue
        skipping = False
        kept.append(line)
    return "".join(kept)


def test_cfn_lint_reports_nothing(stacks):
    files = sorted(str(path) for path in stacks.glob("*.yaml"))
    assert len(files) == len(environment_accounts()) >= 6
    done = subprocess.run(
        [_tool("cfn-lint"), "--format", "parseable", *files], capture_output=True, text=True
    )
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


def test_checkov_reports_no_failed_checks_and_every_skip_is_needed(stacks, tmp_path):
    reports = _checkov(stacks)
    failed = [
        f"{c['check_id']} {c['resource']} ({c['file_path']})"
        for r in reports
        for c in r["results"]["failed_checks"]
    ]
    assert not failed, failed
    assert sum(r["summary"]["passed"] for r in reports) > 100
    assert sum(r["summary"]["parsing_errors"] for r in reports) == 0
    skipped = {
        (c["check_id"], c["resource"], c["file_path"])
        for r in reports
        for c in r["results"]["skipped_checks"]
    }
    assert skipped
    # the same stacks without their skips fail exactly the skipped checks: no skip hides nothing
    for path in stacks.glob("*.yaml"):
        (tmp_path / path.name).write_text(_without_metadata(path.read_text()))
    unskipped = _checkov(tmp_path)
    now_failing = {
        (c["check_id"], c["resource"], c["file_path"])
        for r in unskipped
        for c in r["results"]["failed_checks"]
    }
    assert now_failing == skipped


def test_every_skip_gives_a_reason():
    for profile, account in environment_accounts():
        for name, resource in load_template(render_env(profile, account))["Resources"].items():
            for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
                assert len(skip["comment"].split()) >= 8, (profile.name, account, name, skip)


def _statements(resource: dict):
    for item in resource.get("Properties", {}).get("Policies", []):
        yield from item["PolicyDocument"]["Statement"]


# AWS offers no resource-level permission for these; everything else names its resources
UNSCOPED = {
    "ecr:GetAuthorizationToken",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetHealth",
}


def test_roles_name_their_resources_and_use_no_managed_policies():
    for profile, account in environment_accounts():
        for name, resource in load_template(render_env(profile, account))["Resources"].items():
            if resource["Type"] != "AWS::IAM::Role":
                continue
            assert "ManagedPolicyArns" not in resource["Properties"], name
            (trust,) = resource["Properties"]["AssumeRolePolicyDocument"]["Statement"]
            assert trust["Action"] == "sts:AssumeRole" and "*" not in json.dumps(trust["Principal"])
            for statement in _statements(resource):
                assert statement["Effect"] == "Allow"
                assert not any("*" in action for action in statement["Action"]), (name, statement)
                if "*" in statement["Resource"]:
                    assert set(statement["Action"]) <= UNSCOPED, (
                        profile.name,
                        account,
                        name,
                        statement,
                    )
