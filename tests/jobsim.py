"""Run a rendered CircleCI job's `run` steps in bash, as CircleCI would, with stub tools on PATH.

Each step runs as `/bin/bash -eo pipefail -c COMMAND` with the job's environment (values taken
literally, as CircleCI does) and BASH_ENV pointing at a file that bash sources before each step.
Stub programs append their argv (and stdin, for `docker login`) to a JSON-lines log.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

STUB = """#!/usr/bin/env python3
import json, os, sys
name = os.path.basename(sys.argv[0])
entry = {"argv": [name, *sys.argv[1:]]}
if name == "docker" and sys.argv[1:2] == ["login"]:
    entry["stdin"] = sys.stdin.read()
if name == "aws" and sys.argv[1:3] == ["ecr", "get-login-password"]:
    print("stub-ecr-password")
if name == "aws" and sys.argv[1:3] == ["ecr", "describe-images"]:
    # STUB_DIGEST unset: the image is missing, as the AWS CLI reports it (exit 254)
    if not os.environ.get("STUB_DIGEST"):
        sys.exit(254)
    print(os.environ["STUB_DIGEST"])
with open(os.environ["STUB_LOG"], "a") as log:
    log.write(json.dumps(entry) + "\\n")
"""


def install_stubs(directory: Path, names: list[str]) -> Path:
    bin_dir = directory / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name in names:
        path = bin_dir / name
        path.write_text(STUB)
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return bin_dir


def run_commands(job: dict) -> list[str]:
    commands = []
    for step in job["steps"]:
        if isinstance(step, dict) and "run" in step:
            run = step["run"]
            commands.append(run if isinstance(run, str) else run["command"])
    return commands


def run_job(
    job: dict, workdir: Path, extra_env: dict[str, str], stubs=("docker", "aws")
) -> list[dict]:
    """Run every `run` step of `job`; return the stub calls in order. Raises on a failing step."""
    bin_dir = install_stubs(workdir, list(stubs))
    log = workdir / "calls.jsonl"
    bash_env = workdir / "bash_env"
    bash_env.write_text("")
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(workdir / "home"),
        "STUB_LOG": str(log),
        "BASH_ENV": str(bash_env),
        **{key: str(value) for key, value in job.get("environment", {}).items()},
        **extra_env,
    }
    (workdir / "home").mkdir(exist_ok=True)
    for command in run_commands(job):
        subprocess.run(
            ["/bin/bash", "-eo", "pipefail", "-c", command],
            env=env,
            cwd=workdir,
            check=True,
            capture_output=True,
            text=True,
        )
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]
