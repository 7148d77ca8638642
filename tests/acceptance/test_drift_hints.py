"""What `check` tells a user whose generated config drifted: how to regenerate with or without an
installed ciconf, and, for a hand edit, that it will be lost and which profile key to change."""

from __future__ import annotations

import shutil

import pytest
from conftest import PROFILES, run_ciconf

PRE_COMMIT = "(with the pre-commit hooks only: `pre-commit run ciconf-render --all-files`)"


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("CICONF_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("CICONF_NO_CACHE", raising=False)
    work = tmp_path / "service"
    work.mkdir()
    shutil.copy(PROFILES / "ci-cd-example.yaml", work / "ciconf.yaml")
    assert run_ciconf("render", cwd=work).returncode == 0
    return work


def check(work) -> str:
    done = run_ciconf("check", "--color", "never", cwd=work)
    assert done.returncode == 1
    return done.stderr


def test_a_profile_edit_names_both_ways_to_regenerate(project):
    profile = project / "ciconf.yaml"
    profile.write_text(profile.read_text().replace("composer test", "composer test:all"))
    said = check(project)
    assert (
        "ciconf: .circleci/config.yml has drifted from ciconf.yaml; "
        f"run `ciconf render ciconf.yaml` {PRE_COMMIT}" in said
    )
    assert "change `test.command` in ciconf.yaml instead" in said


@pytest.mark.parametrize(
    "old, new, key",
    [
        ("composer test\n", "composer test --filter=Unit\n", "`test.command`"),
        ("      - image: cimg/mysql:8.0", "      - image: cimg/mysql:8.4", "`test`"),
        ("      DEPLOY_TAG: stg", "      DEPLOY_TAG: staging", "`accounts[name: stg]`"),
    ],
)
def test_a_hand_edit_is_lost_and_the_profile_key_is_named(project, old, new, key):
    config = project / ".circleci/config.yml"
    text = config.read_text()
    assert old in text
    config.write_text(text.replace(old, new, 1))
    said = check(project)
    assert (
        "ciconf: .circleci/config.yml has drifted from ciconf.yaml; "
        f"run `ciconf render ciconf.yaml` {PRE_COMMIT}\n"
        "ciconf: if you edited .circleci/config.yml by hand, the edit will be lost at the next "
        f"render: change {key} in ciconf.yaml instead\n"
    ) in said


def test_a_hand_edited_stack_names_its_account(project):
    stack = project / "cloudformation/ci-cd-example-prod-pipeline.yaml"
    stack.write_text(stack.read_text().replace("Resources:", "Resources:\n  # mine", 1))
    said = check(project)
    assert (
        "if you edited cloudformation/ci-cd-example-prod-pipeline.yaml by hand, the edit will be "
        "lost at the next render: change `accounts[name: prod].pipeline` in ciconf.yaml instead"
    ) in said
