"""AWS's name limits are the profile grammar's: the longest names it accepts deploy (cfn-lint finds
nothing in any stack), one character more is refused at its profile line, by `render`/`cfn` and by
`lint --profile` alike.

- IAM role names: 1-64 characters
  (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html); the bootstrap creates
  the role of `role_arn` under that name, which cfn-lint's E3033 checks.
- ECS service names: 255 characters (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/
  API_CreateService.html), but the environment stack derives logical ids (255, CloudFormation's
  quotas: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html)
  and the tasks' security group description "<stack> <service> tasks" (255, EC2's
  CreateSecurityGroup) from it, so ciconf takes 175 (see ciconf/profile/grammar.py).
- ECS cluster and container names keep ECS's 255.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from cfn_helpers import load_template
from conftest import run_ciconf

from ciconf.profile.grammar import ECS_SERVICE_NAME_CHARS, ROLE_NAME_CHARS
from oracles.test_cfn_lint import _tool

PROJECT = "p" + "r" * 38 + "j"  # 40 characters, the longest project name
ACCOUNT = "a" + "c" * 19  # 20, the longest account name
CLUSTER = "C" + "l" * 254  # 255
PROXY = "P" + "x" * 254  # container names, 255
APP = "A" + "p" * 254


def _name(first: str, length: int) -> str:
    return first + "n" * (length - 1)


def _profile(*, role: str, service: str) -> str:
    """Every long name at once: a blue/green service with a test listener, a 5xx alarm and a
    database client, so that the environment stack holds every name derived from the service."""
    return f"""project: {PROJECT}
test:
  image: cimg/python:3.12
  command: pytest
delivery:
  region: eu-west-1
  images:
    - repository: shop/proxy
      container: {PROXY}
    - repository: shop/app
      container: {APP}
accounts:
  - name: {ACCOUNT}
    branch: main
    credentials:
      mode: oidc
      role_arn: arn:aws:iam::333333333333:role/ci/{role}
      org_id: 11111111-2222-3333-4444-555555555555
      project_id: 11111111-2222-3333-4444-555555555556
      context: aws-long
    pipeline: {{cluster: {CLUSTER}, service: {service}}}
    environment:
      test_listener: {{cidrs: [198.51.100.0/24]}}
      services:
        {service}:
          ports: {{{PROXY}: 8080}}
          load_balancer: {{container: {PROXY}, paths: [/shop/*]}}
          deployment: {{strategy: blue-green, target_5xx_alarm: 5}}
      database: {{engine: aurora-postgresql, instances: 1, name: shop, containers: [{APP}]}}
"""


LONGEST_ROLE = _name("R", ROLE_NAME_CHARS)
LONGEST_SERVICE = _name("S", ECS_SERVICE_NAME_CHARS)


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "ciconf.yaml").write_text(text)
    return tmp_path


def test_the_longest_accepted_names_render_stacks_that_lint_clean(tmp_path):
    work = _write(tmp_path, _profile(role=LONGEST_ROLE, service=LONGEST_SERVICE))
    done = run_ciconf("cfn", "ciconf.yaml", "--all", cwd=work)
    assert done.returncode == 0, done.stderr
    stacks = sorted((work / "cloudformation").glob("*.yaml"))
    assert [p.name.rsplit("-", 1)[1] for p in stacks] == [
        "bootstrap.yaml",
        "environment.yaml",
        "pipeline.yaml",
    ]
    bootstrap = load_template(stacks[0].read_text())
    assert bootstrap["Resources"]["DeployRole"]["Properties"]["RoleName"] == LONGEST_ROLE
    environment = stacks[1].read_text()
    assert LONGEST_SERVICE in environment and CLUSTER in environment and PROXY in environment
    # the longest logical id and the security group description, resolved with the stack's name
    template = load_template(environment)
    assert max(map(len, template["Resources"])) <= 255
    descriptions = [
        r["Properties"]["GroupDescription"]["!Sub"].replace(
            "${AWS::StackName}", stacks[1].name.removesuffix(".yaml")
        )
        for r in template["Resources"].values()
        if r["Type"] == "AWS::EC2::SecurityGroup"
    ]
    assert max(map(len, descriptions)) == 255  # exactly at EC2's limit
    linted = subprocess.run(
        [_tool("cfn-lint"), "--format", "parseable", *map(str, stacks)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert linted.returncode == 0 and not linted.stdout.strip(), linted.stdout + linted.stderr


def _refused(tmp_path: Path, text: str, *command: str) -> str:
    work = _write(tmp_path, text)
    done = run_ciconf(*command, cwd=work)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert not (work / "cloudformation").exists() and not (work / ".circleci").exists()
    return done.stderr


@pytest.mark.parametrize(
    "command", [("cfn", "ciconf.yaml", "--all"), ("render", "ciconf.yaml")], ids=["cfn", "render"]
)
def test_a_role_name_of_65_characters_is_refused_at_role_arn(tmp_path, command):
    text = _profile(role=LONGEST_ROLE + "x", service="web")
    stderr = _refused(tmp_path, text, *command)
    line = 1 + text.splitlines().index(
        next(line for line in text.splitlines() if "role_arn:" in line)
    )
    assert re.search(rf"ciconf\.yaml:{line}:\d+: accounts\[0\]\.credentials\.role_arn: ", stderr)
    assert "IAM role names are at most 64 characters" in stderr and "has 65" in stderr


def test_lint_profile_refuses_what_render_refuses(tmp_path):
    work = _write(tmp_path, _profile(role=LONGEST_ROLE + "x", service=LONGEST_SERVICE + "x"))
    done = run_ciconf("lint", "--profile", "ciconf.yaml", cwd=work)
    assert done.returncode != 0
    out = done.stdout + done.stderr
    assert "IAM role names are at most 64 characters" in out
    assert f"up to {ECS_SERVICE_NAME_CHARS}" in out
    accepted = tmp_path / "accepted"
    accepted.mkdir()
    _write(accepted, _profile(role=LONGEST_ROLE, service=LONGEST_SERVICE))
    assert run_ciconf("lint", "--profile", "ciconf.yaml", cwd=accepted).returncode == 0


def test_a_role_arn_ending_in_a_slash_names_no_role(tmp_path):
    stderr = _refused(tmp_path, _profile(role="", service="web"), "cfn", "ciconf.yaml", "--all")
    assert "expected a role name after the last '/'" in stderr


def test_a_service_name_one_over_is_refused_where_it_is_written(tmp_path):
    stderr = _refused(
        tmp_path,
        _profile(role="deploy", service=LONGEST_SERVICE + "x"),
        "cfn",
        "ciconf.yaml",
        "--all",
    )
    assert "accounts[0].pipeline.service: expected an ECS service name" in stderr
    assert f"up to {ECS_SERVICE_NAME_CHARS}" in stderr
    assert "accounts[0].environment.services[" in stderr  # the key there too
