"""The hooks in .pre-commit-hooks.yaml, run by the real pre-commit in a throwaway repository.

pre-commit installs a `language: python` hook by pip-installing this project into a fresh
virtualenv, which would download ciconf's dependencies. To run offline, the hook's virtualenv is
shown the packages of the interpreter running the tests, where the test dependencies are installed
already: pre-commit builds hook environments from the *base* interpreter, so when the tests run in a
virtualenv (as CI's always do) its site-packages go on PYTHONPATH, and otherwise the base
interpreter's own site-packages are shared (VIRTUALENV_SYSTEM_SITE_PACKAGES). pip may not reach an
index (PIP_NO_INDEX) nor build in isolation (PIP_NO_BUILD_ISOLATION=0 uses the installed
setuptools). The hooks themselves are unchanged.

The hook repository is a copy of this checkout's working tree committed into a new git
repository, so uncommitted changes to the hooks are what gets tested.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.conftest import ROOT

PROFILE = """\
project: demo
test:
  image: cimg/python:3.12
  command: python -m pytest
"""


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def new_repo(path: Path) -> Path:
    path.mkdir(parents=True)
    git(path, "init", "-q")
    git(path, "config", "user.name", "ciconf tests")
    git(path, "config", "user.email", "tests@example.invalid")
    git(path, "config", "commit.gpgsign", "false")
    return path


def commit_all(repo: Path) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "snapshot")
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory) -> tuple[Path, str]:
    """This project's working tree as a git repository pre-commit can install from."""
    repo = new_repo(tmp_path_factory.mktemp("hooks") / "ciconf")
    shutil.copytree(ROOT / "ciconf", repo / "ciconf", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", ".pre-commit-hooks.yaml", "README.md", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, repo / name)
    return repo, commit_all(repo)


@pytest.fixture(scope="module")
def offline_env(tmp_path_factory) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PIP_", "PRE_COMMIT", "VIRTUALENV_"))
    }
    env.update(
        PRE_COMMIT_HOME=str(tmp_path_factory.mktemp("pre-commit-home")),
        VIRTUALENV_SYSTEM_SITE_PACKAGES="1",
        PIP_NO_INDEX="1",
        PIP_NO_BUILD_ISOLATION="0",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    # the hook must run the ciconf that pre-commit installed, so this checkout is not on the path;
    # an editable install's finder is a .pth file, which PYTHONPATH folders never process
    env["PYTHONPATH"] = os.pathsep.join(
        [build_packaging(tmp_path_factory.mktemp("packaging")), *installed_packages()]
    )
    return env


def build_packaging(folder: Path) -> str:
    """A folder holding only setuptools' own copy of `packaging`, to go before the test packages.

    checkov pins packaging<24, and setuptools reads the SPDX `license` with packaging.licenses
    (24.2+). A real hook install builds in isolation, with setuptools' own packaging; this build
    shares the test packages, so it is given that same packaging first.
    """
    import setuptools

    vendored = Path(setuptools.__file__).parent / "_vendor" / "packaging"
    (folder / "packaging").symlink_to(vendored, target_is_directory=True)
    return str(folder)


def installed_packages() -> list[str]:
    """The site-packages folders of a virtualenv running the tests (none for a base interpreter)."""
    if sys.prefix == sys.base_prefix:
        return []
    paths = sysconfig.get_paths()
    return list(dict.fromkeys([paths["purelib"], paths["platlib"]]))


@pytest.fixture
def service(tmp_path, hook_repo) -> Path:
    """A service repository with a profile, its rendered config and a pre-commit config."""
    hooks = "  - id: ciconf-check\n  - id: ciconf-render\n  - id: ciconf-lint\n"
    return committed_service(tmp_path / "service", hook_repo, "ciconf.yaml", hooks)


def committed_service(where: Path, hook_repo: tuple[Path, str], profile: str, hooks: str) -> Path:
    """A git repository with PROFILE at `profile`, what it renders, and these hooks, committed."""
    repo = new_repo(where)
    (repo / profile).parent.mkdir(parents=True, exist_ok=True)
    (repo / profile).write_text(PROFILE)
    path, rev = hook_repo
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {path}\n  rev: {rev}\n  hooks:\n{hooks}"
    )
    subprocess.run(
        [sys.executable, "-m", "ciconf", "render", profile],
        cwd=repo,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
        capture_output=True,
    )
    commit_all(repo)
    return repo


def pre_commit(
    repo: Path, env: dict[str, str], hook: str, all_files: bool = True
) -> subprocess.CompletedProcess:
    """`pre-commit run HOOK` over every file, or (`all_files=False`) over the staged ones only."""
    scope = ["--all-files"] if all_files else []
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", hook, *scope, "--color", "never"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_check_and_render_hooks_pass_in_sync_and_fail_on_drift(service, offline_env):
    for hook in ("ciconf-check", "ciconf-render", "ciconf-lint"):
        result = pre_commit(service, offline_env, hook)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Passed" in result.stdout

    profile = service / "ciconf.yaml"
    profile.write_text(PROFILE.replace("cimg/python:3.12", "cimg/python:3.13"))

    check = pre_commit(service, offline_env, "ciconf-check")
    assert check.returncode == 1
    assert "Failed" in check.stdout
    assert "-      - image: cimg/python:3.12" in check.stdout
    assert "+      - image: cimg/python:3.13" in check.stdout
    assert (
        "cimg/python:3.12" in (service / ".circleci/config.yml").read_text()
    )  # check never writes

    render = pre_commit(service, offline_env, "ciconf-render")
    assert render.returncode == 1
    assert "files were modified by this hook" in render.stdout
    assert "cimg/python:3.13" in (service / ".circleci/config.yml").read_text()

    again = pre_commit(service, offline_env, "ciconf-render")
    assert again.returncode == 0, again.stdout
    assert pre_commit(service, offline_env, "ciconf-check").returncode == 0


def test_lint_hook_reports_findings_in_a_hand_edited_config(service, offline_env):
    config = service / ".circleci/config.yml"
    config.write_text(
        config.read_text().replace("      - test\n", "      - test:\n          requires: [build]\n")
    )
    result = pre_commit(service, offline_env, "ciconf-lint")
    assert result.returncode == 1
    assert (
        "CC101 job 'test' requires 'build', which is not a job of workflow 'demo'" in result.stdout
    )


def test_check_runs_for_a_profile_of_any_name_and_tells_how_to_regenerate(
    tmp_path, hook_repo, offline_env
):
    """`args: [ci/notes.yaml]` once matched no `files` pattern: "(no files to check) Skipped"."""
    hooks = "  - id: ciconf-check\n    args: [ci/notes.yaml]\n"
    repo = committed_service(tmp_path / "notes", hook_repo, "ci/notes.yaml", hooks)
    (repo / "ci/notes.yaml").write_text(PROFILE.replace("cimg/python:3.12", "cimg/python:3.13"))
    git(repo, "add", "ci/notes.yaml")
    staged_only = pre_commit(repo, offline_env, "ciconf-check", all_files=False)
    assert staged_only.returncode == 1, staged_only.stdout
    assert "Skipped" not in staged_only.stdout
    assert "+      - image: cimg/python:3.13" in staged_only.stdout
    assert "`pre-commit run ciconf-render --all-files`" in staged_only.stdout
