"""Command-line habits of ruff and black (issue 21 §3): the profile found from a subfolder,
-q/--quiet, one spelling per concept with the old ones kept for existing hooks."""

from __future__ import annotations

import shutil

import pytest
from conftest import PROFILES, run_ciconf


@pytest.fixture
def repo(tmp_path):
    (tmp_path / ".git").mkdir()  # the search for ciconf.yaml stops at the repository's root
    shutil.copy(PROFILES / "ci-cd-example.yaml", tmp_path / "ciconf.yaml")
    (tmp_path / "src" / "app").mkdir(parents=True)
    return tmp_path


def test_render_and_check_find_the_profile_from_a_subfolder(repo):
    done = run_ciconf("render", cwd=repo / "src" / "app")
    assert done.returncode == 0, done.stderr
    assert (repo / ".circleci" / "config.yml").is_file()  # beside the profile, not in src/app
    assert not (repo / "src" / "app" / ".circleci").exists()
    assert (repo / "cloudformation" / "ci-cd-example-stg-bootstrap.yaml").is_file()
    check = run_ciconf("check", cwd=repo / "src")
    assert check.returncode == 0 and "in sync with ciconf.yaml" in check.stderr
    plan = run_ciconf("plan", "--branch", "develop", cwd=repo / "src" / "app")
    assert plan.returncode == 0 and "workflow ci-cd-example: runs" in plan.stdout


def test_the_search_stops_at_the_repository_root(tmp_path):
    shutil.copy(PROFILES / "ci-cd-example.yaml", tmp_path / "ciconf.yaml")  # outside the repo
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    done = run_ciconf("check", cwd=tmp_path / "repo")
    assert done.returncode == 2 and "ciconf.yaml: no such file" in done.stderr


@pytest.mark.parametrize("flag", ["-q", "--quiet"])
def test_quiet_prints_only_problems(repo, flag):
    written = run_ciconf("render", flag, cwd=repo)
    assert (written.returncode, written.stderr) == (0, "")
    in_sync = run_ciconf("check", flag, cwd=repo)
    assert (in_sync.returncode, in_sync.stderr, in_sync.stdout) == (0, "", "")
    config = repo / ".circleci" / "config.yml"
    config.write_text(config.read_text().replace("composer test", "composer tests"))
    drift = run_ciconf("check", flag, "--color", "never", cwd=repo)
    assert drift.returncode == 1 and "has drifted" in drift.stderr and "+" in drift.stdout


def test_check_takes_renders_spelling_and_the_old_one(repo):
    assert run_ciconf("render", "-o", "ci/out.yml", cwd=repo).returncode == 0
    for spelling in ("-o", "--output", "--config"):
        done = run_ciconf("check", spelling, "ci/out.yml", cwd=repo)
        assert done.returncode == 0, (spelling, done.stderr)


def test_cfn_all_writes_into_stacks_dir_like_render_and_check(repo):
    for spelling in ("--stacks-dir", "--dir"):
        done = run_ciconf("cfn", "--all", spelling, f"out{spelling}", cwd=repo)
        assert done.returncode == 0, done.stderr
        assert (repo / f"out{spelling}" / "ci-cd-example-prod-bootstrap.yaml").is_file()
