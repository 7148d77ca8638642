"""Command-line habits of ruff and black (issue 21 §3): the profile found from a subfolder,
-q/--quiet, one spelling per concept with the old ones kept for existing hooks.

ciconf's answers are asked in-process (conftest.ciconf_in_process); standard input is a process's,
so those tests run `python -m ciconf`."""

from __future__ import annotations

import shutil

import pytest
from conftest import PROFILES, ciconf_in_process, run_ciconf


@pytest.fixture
def repo(tmp_path):
    (tmp_path / ".git").mkdir()  # the search for ciconf.yaml stops at the repository's root
    shutil.copy(PROFILES / "ci-cd-example.yaml", tmp_path / "ciconf.yaml")
    (tmp_path / "src" / "app").mkdir(parents=True)
    return tmp_path


def test_render_and_check_find_the_profile_from_a_subfolder(repo):
    done = ciconf_in_process("render", cwd=repo / "src" / "app")
    assert done.returncode == 0, done.stderr
    assert (repo / ".circleci" / "config.yml").is_file()  # beside the profile, not in src/app
    assert not (repo / "src" / "app" / ".circleci").exists()
    assert (repo / "cloudformation" / "ci-cd-example-stg-bootstrap.yaml").is_file()
    check = ciconf_in_process("check", cwd=repo / "src")
    assert check.returncode == 0 and "in sync with ciconf.yaml" in check.stderr
    plan = ciconf_in_process("plan", "--branch", "develop", cwd=repo / "src" / "app")
    assert plan.returncode == 0 and "workflow ci-cd-example: runs" in plan.stdout


def test_the_search_stops_at_the_repository_root(tmp_path):
    shutil.copy(PROFILES / "ci-cd-example.yaml", tmp_path / "ciconf.yaml")  # outside the repo
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    done = ciconf_in_process("check", cwd=tmp_path / "repo")
    assert done.returncode == 2 and "ciconf.yaml: no such file" in done.stderr


@pytest.mark.parametrize("flag", ["-q", "--quiet"])
def test_quiet_prints_only_problems(repo, flag):
    written = ciconf_in_process("render", flag, cwd=repo)
    assert (written.returncode, written.stderr) == (0, "")
    in_sync = ciconf_in_process("check", flag, cwd=repo)
    assert (in_sync.returncode, in_sync.stderr, in_sync.stdout) == (0, "", "")
    config = repo / ".circleci" / "config.yml"
    config.write_text(config.read_text().replace("composer test", "composer tests"))
    drift = ciconf_in_process("check", flag, "--color", "never", cwd=repo)
    assert drift.returncode == 1 and "has drifted" in drift.stderr and "+" in drift.stdout


def test_check_takes_renders_spelling_and_the_old_one(repo):
    assert ciconf_in_process("render", "-o", "ci/out.yml", cwd=repo).returncode == 0
    for spelling in ("-o", "--output", "--config"):
        done = ciconf_in_process("check", spelling, "ci/out.yml", cwd=repo)
        assert done.returncode == 0, (spelling, done.stderr)


def test_cfn_all_writes_into_stacks_dir_like_render_and_check(repo):
    for spelling in ("--stacks-dir", "--dir"):
        done = ciconf_in_process("cfn", "--all", spelling, f"out{spelling}", cwd=repo)
        assert done.returncode == 0, done.stderr
        assert (repo / f"out{spelling}" / "ci-cd-example-prod-bootstrap.yaml").is_file()


def test_the_header_names_the_stacks_dir_it_was_rendered_with(repo):
    assert ciconf_in_process("render", "--stacks-dir", "infra/cfn", cwd=repo).returncode == 0
    header = (repo / ".circleci" / "config.yml").read_text().splitlines()[1]
    assert header.endswith("regenerate with `ciconf render ciconf.yaml --stacks-dir infra/cfn`.")
    assert ciconf_in_process("check", "--stacks-dir", "infra/cfn", cwd=repo).returncode == 0
    assert (
        ciconf_in_process("render", cwd=repo).returncode == 0
    )  # the default folder: no option named
    header = (repo / ".circleci" / "config.yml").read_text().splitlines()[1]
    assert header.endswith("regenerate with `ciconf render ciconf.yaml`.")


def test_check_reports_stacks_of_a_removed_account_and_render_prunes_them(repo):
    assert ciconf_in_process("render", cwd=repo).returncode == 0
    assert ciconf_in_process("check", cwd=repo).returncode == 0  # warms the digest cache too
    profile = repo / "ciconf.yaml"
    text = profile.read_text()
    profile.write_text(text[: text.index("  - name: prod\n")].rstrip() + "\n")  # prod removed
    assert ciconf_in_process("render", cwd=repo).returncode == 0
    stale = sorted(p.name for p in (repo / "cloudformation").glob("*prod*"))
    assert stale  # left on disk by the render, which names them
    for command in (["check"], ["check"]):  # the second answer comes from the digest cache
        done = ciconf_in_process(*command, cwd=repo)
        assert done.returncode == 1, done.stderr
        for name in stale:
            assert (
                f"ciconf: cloudformation/{name} was generated from ciconf.yaml, which no longer "
                "produces it; run `ciconf render ciconf.yaml --prune` to remove it"
            ) in done.stderr
    other = repo / "cloudformation" / "other-prod-bootstrap.yaml"  # another profile's stack
    other.write_text("# Generated by ciconf from other.yaml for account prod (stack x).\n")
    pruned = ciconf_in_process("render", "--prune", cwd=repo)
    assert pruned.returncode == 0 and "removed cloudformation/" in pruned.stderr
    assert sorted(p.name for p in (repo / "cloudformation").glob("*prod*")) == [other.name]
    assert ciconf_in_process("check", cwd=repo).returncode == 0


STDIN_CONFIG = """\
version: 2.1
jobs:
  build:
    docker: [{image: cimg/base:stable}]
    steps: [checkout]
workflows:
  main:
    jobs:
      - build
      - deploy:
          requires: [build]
"""


def test_lint_reads_standard_input_as_a_circleci_config(tmp_path):
    done = run_ciconf("lint", "-", cwd=tmp_path, input=STDIN_CONFIG)
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith("-:") and "deploy" in done.stdout


def test_plan_reads_standard_input_with_config_dash(tmp_path):
    done = run_ciconf("plan", "--config", "-", "--branch", "main", cwd=tmp_path, input=STDIN_CONFIG)
    assert done.returncode == 0, done.stderr
    assert "workflow main: runs" in done.stdout and "build" in done.stdout
