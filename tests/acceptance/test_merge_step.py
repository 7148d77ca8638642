"""merge_test's merge step works where the seed's `git merge develop` failed on CircleCI."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import ROOT
from jobsim import run_job

from ciconf.circleci.render import render_config
from ciconf.profile.load import load_profile

CLEAN_GIT = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0"}


@pytest.fixture(scope="module")
def merge_command() -> str:
    path = str(ROOT / "profiles" / "ci-cd-example.yaml")
    job = yaml.safe_load(render_config(load_profile(path), path))["jobs"]["merge_test"]
    (step,) = [
        s["run"]
        for s in job["steps"]
        if isinstance(s, dict) and "run" in s and "Merge" in s["run"]["name"]
    ]
    return step["command"]


def git(cwd: Path, *args: str, env: dict | None = None) -> str:
    result = subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    )
    return result.stdout.strip()


def identity_env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(CLEAN_GIT, HOME=str(home))
    env.update(
        GIT_AUTHOR_NAME="dev",
        GIT_AUTHOR_EMAIL="dev@example.invalid",
        GIT_COMMITTER_NAME="dev",
        GIT_COMMITTER_EMAIL="dev@example.invalid",
    )
    return env


def make_origin(tmp_path: Path, develop_content: str) -> Path:
    """A bare origin with master, develop (one change) and feature (another change)."""
    env = identity_env(tmp_path / "author-home")
    (tmp_path / "author-home").mkdir()
    seed = tmp_path / "seed"
    seed.mkdir()
    git(seed, "init", "-q", "-b", "master", env=env)
    (seed / "app.txt").write_text("base\n")
    git(seed, "add", ".", env=env)
    git(seed, "commit", "-qm", "base", env=env)
    git(seed, "checkout", "-qb", "develop", env=env)
    (seed / "app.txt").write_text(develop_content)
    (seed / "develop.txt").write_text("from develop\n")
    git(seed, "add", ".", env=env)
    git(seed, "commit", "-qm", "develop work", env=env)
    git(seed, "checkout", "-q", "master", env=env)
    git(seed, "checkout", "-qb", "feature", env=env)
    (seed / "feature.txt").write_text("feature\n")
    (seed / "app.txt").write_text("feature edit\n" if develop_content != "base\n" else "base\n")
    git(seed, "add", ".", env=env)
    git(seed, "commit", "-qm", "feature work", env=env)
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(seed), str(origin), env=env)
    return origin


def circleci_checkout(tmp_path: Path, origin: Path) -> tuple[Path, dict]:
    """Like CircleCI's checkout: only the built branch is fetched, and git has no identity."""
    home = tmp_path / "ci-home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(CLEAN_GIT, HOME=str(home), CIRCLE_BRANCH="feature")
    work = tmp_path / "project"
    work.mkdir()
    git(work, "init", "-q", env=env)
    git(work, "remote", "add", "origin", str(origin), env=env)
    git(work, "fetch", "-q", "origin", "refs/heads/feature:refs/remotes/origin/feature", env=env)
    git(work, "checkout", "-qB", "feature", "origin/feature", env=env)
    return work, env


def test_merges_origin_develop_without_a_local_branch_or_identity(tmp_path, merge_command):
    work, env = circleci_checkout(tmp_path, make_origin(tmp_path, "base\n"))
    with pytest.raises(subprocess.CalledProcessError):
        git(work, "merge", "--no-edit", "develop", env=env)  # the seed's command fails here
    result = subprocess.run(
        ["/bin/bash", "-eo", "pipefail", "-c", merge_command],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert (work / "develop.txt").read_text() == "from develop\n"
    assert len(git(work, "log", "-1", "--format=%P", env=env).split()) == 2  # a real merge commit
    assert git(work, "log", "-1", "--format=%ae", env=env) == "merge-test@ciconf.invalid"


def test_conflict_fails_clearly_and_leaves_no_merge_in_progress(tmp_path, merge_command):
    work, env = circleci_checkout(tmp_path, make_origin(tmp_path, "develop edit\n"))
    result = subprocess.run(
        ["/bin/bash", "-eo", "pipefail", "-c", merge_command],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "merge_test: feature conflicts with develop" in result.stderr
    assert not (work / ".git" / "MERGE_HEAD").exists()


def test_merge_step_issues_exactly_fetch_then_merge(tmp_path):
    path = str(ROOT / "profiles" / "ci-cd-example.yaml")
    job = yaml.safe_load(render_config(load_profile(path), path))["jobs"]["merge_test"]
    merge_only = {
        "steps": [
            s
            for s in job["steps"]
            if isinstance(s, dict) and "Merge" in s.get("run", {}).get("name", "")
        ]
    }
    calls = [call["argv"] for call in run_job(merge_only, tmp_path, {}, stubs=("git",))]
    assert calls == [
        ["git", "fetch", "--no-tags", "origin", "+refs/heads/develop:refs/remotes/origin/develop"],
        [
            "git",
            "-c",
            "user.name=ciconf merge test",
            "-c",
            "user.email=merge-test@ciconf.invalid",
            "merge",
            "--no-edit",
            "origin/develop",
        ],
    ]
