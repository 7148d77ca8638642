"""Shared test helpers: run the real CLI in a subprocess against this checkout."""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROFILES = ROOT / "profiles"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def all_profiles() -> list[Path]:
    return sorted(PROFILES.glob("*.yaml"))


def example_profiles() -> list[Path]:
    """profiles/examples/: one profile per capability (test jobs, tags, orbs, machines,
    monorepos)."""
    return sorted((PROFILES / "examples").glob("*.yaml"))


def every_valid_profile() -> list[Path]:
    """The bundled profiles and examples plus test-only ones covering every mode and option."""
    return all_profiles() + example_profiles() + sorted((FIXTURES / "profiles").glob("*.yaml"))


# ciconf's digest cache (ciconf/cache.py) goes to a throwaway folder, never the user's ~/.cache
os.environ.setdefault("CICONF_CACHE_DIR", tempfile.mkdtemp(prefix="ciconf-test-cache-"))
atexit.register(shutil.rmtree, os.environ["CICONF_CACHE_DIR"], True)


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def run_ciconf(*args: str, cwd: Path | str | None = None, **kwargs) -> subprocess.CompletedProcess:
    """`python -m ciconf ARGS` from this checkout, capturing text output."""
    return subprocess.run(
        [sys.executable, "-m", "ciconf", *map(str, args)],
        cwd=cwd,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,
    )


def ciconf_in_process(
    *args: str | os.PathLike, cwd: Path | str | None = None
) -> subprocess.CompletedProcess:
    """What run_ciconf answers, from `ciconf.entry.main(ARGS)` in this process (no interpreter
    start, no imports): for tests about ciconf's answer, not about the process (signals, tty,
    environment, "nothing written" across processes keep run_ciconf)."""
    from ciconf.entry import main

    argv = [os.fspath(arg) for arg in args]
    out, err = io.StringIO(), io.StringIO()
    before = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    finally:
        os.chdir(before)
    return subprocess.CompletedProcess(["ciconf", *argv], code, out.getvalue(), err.getvalue())


def once_per_run(tmp_path_factory, name: str, compute: Callable[[], Any]) -> Any:
    """compute()'s result (JSON data), computed by one pytest-xdist worker and read by the others
    (https://pytest-xdist.readthedocs.io/en/stable/how-to.html#making-session-scoped-fixtures-execute-only-once):
    a module's expensive artifact, which its tests only read, is not built again by every worker
    that runs some of those tests."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return json.loads(json.dumps(compute()))
    shared = tmp_path_factory.getbasetemp().parent  # this run's, common to its workers
    result = shared / f"{name}.json"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not result.exists():
            result.write_text(json.dumps(compute()))
        return json.loads(result.read_text())


@pytest.fixture
def ciconf():
    return run_ciconf


def planned_runs(profile: Path, branch: str) -> dict[str, bool]:
    """`ciconf plan PROFILE --branch BRANCH`: which jobs of the (one) workflow run."""
    # in this process: the answer is what these tests are about
    done = ciconf_in_process("plan", profile, "--branch", branch, "--format", "json", cwd=ROOT)
    assert done.returncode == 0, done.stderr
    (workflow,) = json.loads(done.stdout)["workflows"]
    return {job["name"]: job["runs"] for job in workflow["jobs"]}
