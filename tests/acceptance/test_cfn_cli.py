"""`ciconf cfn`: choosing accounts, writing files, and the located messages for bad input."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import PROFILES, ROOT, run_ciconf

EXAMPLE = (PROFILES / "ci-cd-example.yaml").read_text()
BLUE_GREEN = (PROFILES / "bluegreen-example.yaml").read_text()


def _profile(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "ciconf.yaml"
    path.write_text(text)
    return path


def _fails(tmp_path: Path, *args: str) -> str:
    done = run_ciconf("cfn", *args, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "cloudformation").exists()
    return done.stderr.strip()


def test_account_writes_default_path(tmp_path):
    _profile(tmp_path, EXAMPLE)
    done = run_ciconf("cfn", "--account", "prod", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "cloudformation" / "ci-cd-example-prod-pipeline.yaml").read_text()
    assert "regenerate with `ciconf cfn ciconf.yaml --account prod`" in text
    assert "Provider: Manual" in text  # prod asks for an approval


def test_output_path_is_named_in_the_header(tmp_path):
    _profile(tmp_path, EXAMPLE)
    done = run_ciconf(
        "cfn", "ciconf.yaml", "--account", "stg", "-o", "stacks/stg.yaml", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "stacks" / "stg.yaml").read_text()
    assert "`ciconf cfn ciconf.yaml --account stg -o stacks/stg.yaml`" in text
    assert "Provider: Manual" not in text


def test_unknown_account_suggests_the_closest(tmp_path):
    _profile(tmp_path, EXAMPLE)
    message = _fails(tmp_path, "--account", "prd")
    assert message == (
        "ciconf: error: ciconf.yaml: --account: no account named 'prd' (expected one of "
        "stg, prod); did you mean 'prod'?"
    )


def test_account_without_pipeline_is_located(tmp_path):
    text = EXAMPLE.replace(
        "    pipeline:\n      cluster: example-stg\n      service: example-stg-web\n", ""
    )
    _profile(tmp_path, text)
    message = _fails(tmp_path, "--account", "stg")
    line = text.splitlines().index("  - name: stg") + 1
    assert message.startswith(
        f"ciconf: error: ciconf.yaml:{line}:5: accounts[0].pipeline: account 'stg' has no pipeline"
    )


def _without_stg_pipeline_and_environment(text: str) -> str:
    """The example with stg's pipeline and environment sections cut out (an environment needs a
    pipeline)."""
    start = text.index("    pipeline:\n      cluster: example-stg\n")
    return text[:start] + text[text.index("  - name: prod\n") :]


def test_all_skips_accounts_without_pipeline(tmp_path):
    _profile(tmp_path, _without_stg_pipeline_and_environment(EXAMPLE))
    done = run_ciconf("cfn", "--all", "--dir", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "ci-cd-example-prod-bootstrap.yaml",
        "ci-cd-example-prod-environment.yaml",
        "ci-cd-example-prod-pipeline.yaml",
        "ci-cd-example-stg-bootstrap.yaml",
    ]
    assert (
        "account stg has no pipeline section; no pipeline stack was written for it" in done.stderr
    )


def test_environment_of_one_account_and_an_account_without_one(tmp_path):
    _profile(tmp_path, EXAMPLE)
    done = run_ciconf("cfn", "--account", "prod", "--stack", "environment", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "cloudformation" / "ci-cd-example-prod-environment.yaml").read_text()
    assert "Type: AWS::ECS::Cluster" in text and "Type: AWS::EC2::VPC" in text
    _profile(tmp_path, _without_stg_pipeline_and_environment(EXAMPLE))
    refused = run_ciconf(
        "cfn", "--account", "stg", "--stack", "environment", "--stdout", cwd=tmp_path
    )
    assert refused.returncode == 2 and refused.stdout == ""
    assert "accounts: account 'stg' has no environment section" in refused.stderr


def test_bootstrap_of_one_account(tmp_path):
    _profile(tmp_path, EXAMPLE)
    done = run_ciconf("cfn", "--account", "stg", "--stack", "bootstrap", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "cloudformation" / "ci-cd-example-stg-bootstrap.yaml").read_text()
    assert "regenerate with `ciconf cfn ciconf.yaml --account stg --stack bootstrap`" in text
    assert "Type: AWS::ECR::Repository" in text
    # an account without a pipeline section still gets its repositories
    _profile(tmp_path, _without_stg_pipeline_and_environment(EXAMPLE))
    done = run_ciconf("cfn", "--account", "stg", "--stack", "bootstrap", "--stdout", cwd=tmp_path)
    assert done.returncode == 0 and "RepositoryWeb:" in done.stdout, done.stderr


SERVICES = (PROFILES / "services-example.yaml").read_text()


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "{name: shop-worker, containers: [worker]}",
            "{name: shop-worker, containers: [wroker]}",
            "accounts[0].pipeline.services[1].containers[0]: 'wroker' is not the "
            "container of any delivered image "
            "(expected one of nginx, worker, scheduler, web); did you mean 'worker'?",
        ),
        (
            "        - {name: shop-scheduler, containers: [scheduler]}\n      build",
            "      build",
            "accounts[0].pipeline.services: container 'scheduler' runs in none of the services",
        ),
        (
            "{name: shop-worker, containers: [worker]}",
            "{name: shop-worker, containers: [worker, web]}",
            "container 'web' is listed in two services",
        ),
        (
            "{name: shop-worker, containers: [worker]}",
            "{name: shop_web, containers: [worker]}",
            "service names must differ in more than '-' and '_'",
        ),
        (
            "      cluster: shop-stg\n",
            "      cluster: shop-stg\n      service: shop\n",
            "either service (one service) or services (several)",
        ),
        (
            "      log_retention_days: 14\n",
            "      log_retention_days: 15\n",
            "not a CloudWatch Logs retention",
        ),
        (
            "      build_timeout_minutes: 15\n",
            "      build_timeout_minutes: 1\n",
            "accounts[0].pipeline.build_timeout_minutes",
        ),
        (
            "        alarms: [shop-prod-web-5xx]",
            "        alarms: [shop-prod-web-5xx, shop-prod-web-5xx]",
            "alarms lists an alarm twice",
        ),
        (
            "      create_provider: false",
            "      create_provider: false\n      branch_only: maybe",
            "accounts[1].credentials.branch_only",
        ),
        (
            "      project_id: 5c2e8f70-1b3d-4a6e-9f08-7d4c2b1a0e95\n",
            "",
            "org_id and project_id go together",
        ),
        (
            "      org_id: 3f9c1a52-7d4e-4b8a-9e21-6c0d5b7a8f13",
            "      org_id: my-org",
            "accounts[1].credentials.org_id: expected a CircleCI id, a lowercase UUID",
        ),
    ],
)
def test_bad_service_and_bootstrap_settings(tmp_path, old, new, expected):
    assert old in SERVICES
    _profile(tmp_path, SERVICES.replace(old, new))
    message = _fails(tmp_path, "--all")
    assert expected in message
    assert message.startswith("ciconf: error: ciconf.yaml:")


@pytest.mark.parametrize(
    "args",
    [
        (),
        ("--account", "stg", "--all"),
        ("--all", "-o", "x.yaml"),
        ("--account", "stg", "--dir", "d"),
        ("--account", "stg", "-o", "x.yaml", "--stdout"),
        ("--all", "--stack", "bootstrap"),
        ("--account", "stg", "--stack", "network"),
    ],
)
def test_conflicting_options_exit_2(tmp_path, args):
    _profile(tmp_path, EXAMPLE)
    assert _fails(tmp_path, *args).startswith("ciconf: error: ")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "      strategy: blue-green\n",
            "      strategy: bluegreen\n",
            "did you mean 'blue-green'?",
        ),
        (
            "        container: api\n",
            "        container: web\n",
            "accounts[1].pipeline.blue_green.container: 'web' is not one of the images' containers "
            "(log_router, api)",
        ),
        ("        container: api\n", "        container: apy\n", "did you mean 'api'?"),
        (
            "target_groups: [orders-api-blue, orders-api-green]",
            "target_groups: [orders-api-blue]",
            "accounts[1].pipeline.blue_green.target_groups",
        ),
        (
            "target_groups: [orders-api-blue, orders-api-green]",
            "target_groups: [tg, tg]",
            "two different target groups",
        ),
        (
            "listener/app/orders-prod/4f1a2b3c4d5e6f70/9a8b7c6d5e4f3a21",
            "loadbalancer/app/orders-prod",
            "expected a load balancer listener ARN",
        ),
        ("        port: 8080\n", "        port: 80800\n", "accounts[1].pipeline.blue_green.port"),
        (
            "      strategy: blue-green\n",
            "      strategy: rolling\n",
            "blue_green settings are only used with strategy: blue-green",
        ),
        (
            "        termination_wait_minutes: 60\n",
            "        termination_wait_minute: 60\n",
            "did you mean 'termination_wait_minutes'?",
        ),
    ],
)
def test_bad_blue_green_settings(tmp_path, old, new, expected):
    assert old in BLUE_GREEN
    _profile(tmp_path, BLUE_GREEN.replace(old, new))
    message = _fails(tmp_path, "--account", "prod")
    assert expected in message
    assert message.startswith("ciconf: error: ciconf.yaml:")


def test_blue_green_without_its_section(tmp_path):
    start = BLUE_GREEN.index("      blue_green:\n")
    _profile(tmp_path, BLUE_GREEN[:start])
    assert "strategy blue-green needs a blue_green section" in _fails(tmp_path, "--account", "prod")


def test_pipeline_sections_leave_the_circleci_config_unchanged(tmp_path):
    # the pipeline section is for `ciconf cfn` only: dropping it leaves the CircleCI config as is
    checked = 0
    for profile in sorted(PROFILES.glob("*.yaml")):
        text = profile.read_text()
        if "\n    pipeline:\n" not in text:
            continue
        stripped = re.sub(r"\n    pipeline:\n(?:      .*\n)+", "\n", text)
        assert "pipeline:" not in stripped.replace("pipeline_source", "")
        copy = tmp_path / profile.name
        copy.write_text(stripped)
        with_pipeline = run_ciconf("render", profile, "--stdout", cwd=ROOT).stdout
        without = run_ciconf("render", copy, "--stdout", cwd=ROOT).stdout
        header_lines = 2
        assert (
            with_pipeline.split("\n", header_lines)[header_lines]
            == without.split("\n", header_lines)[header_lines]
        )
        checked += 1
    assert checked >= 2


def test_traffic_container_error_points_at_its_line(tmp_path):
    text = BLUE_GREEN.replace("        container: api\n", "        container: apy\n")
    _profile(tmp_path, text)
    line = text.splitlines().index("        container: apy") + 1
    assert _fails(tmp_path, "--account", "prod").startswith(
        # errors about a value point at the value itself ('apy'), not at its key
        f"ciconf: error: ciconf.yaml:{line}:20: accounts[1].pipeline.blue_green.container: "
    )
    # the profile is wrong for every command, not only for cfn
    assert run_ciconf("render", "--stdout", cwd=tmp_path).returncode == 2
