"""ECS native blue/green services always get a bake time, and the circuit breaker where ECS has it.

- `bakeTimeInMinutes`: "You must provide this parameter when you use the BLUE_GREEN deployment
  strategy" (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html).
- The deployment circuit breaker and CloudWatch alarms "only support rolling update deployment and
  blue/green deployment types"
  (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-failure-detection.html).
"""

from __future__ import annotations

from pathlib import Path

import yaml
from conftest import FIXTURES
from environment_helpers import env_template, of_type

from ciconf.profile.environment import DEFAULT_BAKE_MINUTES

STRATEGIES = FIXTURES / "profiles" / "environment-strategies.yaml"


def _without_bake_time(tmp_path: Path) -> Path:
    """The strategies fixture with no `bake_minutes` anywhere."""
    profile = yaml.safe_load(STRATEGIES.read_text())
    for account in profile["accounts"]:
        for service in account.get("environment", {}).get("services", {}).values():
            service.get("deployment", {}).pop("bake_minutes", None)
    out = tmp_path / "strategies.yaml"
    out.write_text(yaml.safe_dump(profile, sort_keys=False))
    return out


def _deployments(profile: Path) -> dict[str, dict]:
    """strategy -> DeploymentConfiguration of every ECS service of every account."""
    loaded = yaml.safe_load(profile.read_text())
    found = {}
    for account in loaded["accounts"]:
        if "environment" not in account:
            continue
        template = env_template(profile, account["name"])
        for service in of_type(template, "AWS::ECS::Service").values():
            configuration = service["Properties"]["DeploymentConfiguration"]
            found[configuration["Strategy"]] = configuration
    return found


def test_blue_green_without_bake_minutes_gets_the_default(tmp_path):
    deployments = _deployments(_without_bake_time(tmp_path))
    assert {"ROLLING", "BLUE_GREEN", "LINEAR", "CANARY"} <= set(deployments)
    assert deployments["BLUE_GREEN"]["BakeTimeInMinutes"] == DEFAULT_BAKE_MINUTES


def test_blue_green_keeps_the_profiles_bake_minutes():
    assert _deployments(STRATEGIES)["BLUE_GREEN"]["BakeTimeInMinutes"] == 30


def test_circuit_breaker_rolls_back_rolling_and_blue_green(tmp_path):
    deployments = _deployments(_without_bake_time(tmp_path))
    for strategy in ("ROLLING", "BLUE_GREEN"):
        assert deployments[strategy]["DeploymentCircuitBreaker"] == {
            "Enable": True,
            "Rollback": True,
        }, strategy
    # alarms roll back blue/green too (the fixture's 5xx alarm)
    alarms = deployments["BLUE_GREEN"]["Alarms"]
    assert alarms["Enable"] is True and alarms["Rollback"] is True and alarms["AlarmNames"]
