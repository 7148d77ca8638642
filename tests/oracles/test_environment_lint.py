"""Every environment stack passes cfn-lint and checkov; each checkov skip is needed and
explained."""

from __future__ import annotations

import json
import shutil
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


# checkov starts in ~5 s and then takes well under a second per stack: it runs once, over the
# stacks as generated and the same stacks without their skips, each set in a folder of its own
WITH_SKIPS, WITHOUT_SKIPS = "with-skips", "without-skips"


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


def _checks(reports: list[dict], kind: str, folder: str) -> list[tuple[str, str, str]]:
    """(check id, resource, file name) of the `kind` checks (failed_checks, ...) of one folder."""
    found = []
    for report in reports:
        for check in report["results"][kind]:
            parent, name = Path(check["file_path"]).parts[-2:]
            assert parent in (WITH_SKIPS, WITHOUT_SKIPS), check["file_path"]
            if parent == folder:
                found.append((check["check_id"], check["resource"], name))
    return found


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
    shutil.copytree(stacks, tmp_path / WITH_SKIPS)
    (tmp_path / WITHOUT_SKIPS).mkdir()
    for path in stacks.glob("*.yaml"):
        (tmp_path / WITHOUT_SKIPS / path.name).write_text(_without_metadata(path.read_text()))
    reports = _checkov(tmp_path)
    failed = _checks(reports, "failed_checks", WITH_SKIPS)
    assert not failed, failed
    assert len(_checks(reports, "passed_checks", WITH_SKIPS)) > 100
    assert sum(r["summary"]["parsing_errors"] for r in reports) == 0
    skipped = set(_checks(reports, "skipped_checks", WITH_SKIPS))
    assert skipped
    # the same stacks without their skips fail exactly the skipped checks: no skip hides nothing
    now_failing = set(_checks(reports, "failed_checks", WITHOUT_SKIPS))
    assert now_failing == skipped
    assert _checks(reports, "skipped_checks", WITHOUT_SKIPS) == []


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
