"""Profile validators are built without pydantic's plugin discovery (a cost on every check)."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import PROFILES, cli_env

from ciconf.profile.plugins import SETTING, plugins_disabled

COUNT_SCANS = """
import importlib.metadata, sys
scans = []
original = importlib.metadata.distributions
importlib.metadata.distributions = lambda *a, **k: scans.append(1) or original(*a, **k)
from ciconf.profile.load import load_profile
profile = load_profile(sys.argv[1])
print(profile.project, len(scans))
"""


def test_loading_a_profile_scans_no_distributions():
    done = subprocess.run(
        [sys.executable, "-c", COUNT_SCANS, str(PROFILES / "ci-cd-example.yaml")],
        env={k: v for k, v in cli_env().items() if k != SETTING},
        capture_output=True,
        text=True,
    )
    assert done.stdout.split() == ["ci-cd-example", "0"], done.stderr


def test_the_setting_is_restored(monkeypatch):
    monkeypatch.delenv(SETTING, raising=False)
    with plugins_disabled():
        assert os.environ[SETTING] == "__all__"
    assert SETTING not in os.environ


def test_a_users_setting_is_kept(monkeypatch):
    monkeypatch.setenv(SETTING, "logfire")
    with plugins_disabled():
        assert os.environ[SETTING] == "logfire"
    assert os.environ[SETTING] == "logfire"
