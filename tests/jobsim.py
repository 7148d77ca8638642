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
import sys
from dataclasses import dataclass
from pathlib import Path

from aws_forkserver import shared_server

STUB = """import json, os, sys
name = os.path.basename(sys.argv[0])
entry = {"argv": [name, *sys.argv[1:]]}
if name == "docker" and sys.argv[1:2] == ["login"]:
    entry["stdin"] = sys.stdin.read()
if name == "aws" and sys.argv[1:3] == ["ecr", "get-login-password"]:
    print("stub-ecr-password")
# pushed tags, "repository:tag" a line: describe-images finds what this run pushed
tags_file = os.environ["STUB_LOG"] + ".tags"
def option(flag):
    return sys.argv[sys.argv.index(flag) + 1]
def remember(tag):
    with open(tags_file, "a") as tags:
        tags.write(tag + "\\n")
with open(os.environ["STUB_LOG"], "a") as log:
    log.write(json.dumps(entry) + "\\n")
if name == "docker" and sys.argv[1:2] == ["push"]:
    remember(sys.argv[2].split("/", 1)[1])
if name == "docker" and sys.argv[1:4] == ["buildx", "imagetools", "create"]:
    remember(option("--tag").split("/", 1)[1])
if name == "aws" and sys.argv[1:3] == ["ecr", "put-image"]:
    remember(option("--repository-name") + ":" + option("--image-tag"))
if name == "aws" and sys.argv[1:3] == ["ecr", "describe-images"]:
    # an image is there once this run pushed it (or in account STUB_IMAGES_IN: a promotion's
    # source), named STUB_DIGEST; a missing one is reported as the AWS CLI does (exit 254)
    wanted = option("--repository-name") + ":" + option("--image-ids").removeprefix("imageTag=")
    pushed = open(tags_file).read().split() if os.path.exists(tags_file) else []
    digest = os.environ.get("STUB_DIGEST") or "sha256:" + "0" * 64
    if wanted in pushed or option("--registry-id") == os.environ.get("STUB_IMAGES_IN"):
        print(digest)
    else:
        print("An error occurred (ImageNotFoundException) when calling the DescribeImages"
              " operation: stub", file=sys.stderr)
        sys.exit(254)
"""


def install_stubs(directory: Path, names: list[str]) -> Path:
    bin_dir = directory / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name in names:
        path = bin_dir / name
        # this interpreter, -SI: no site (its .pth files cost more than a stub's own work)
        path.write_text(f"#!{sys.executable} -SI\n{STUB}")
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return bin_dir


def run_commands(job: dict) -> list[str]:
    commands = []
    for step in job["steps"]:
        if isinstance(step, dict) and "run" in step:
            run = step["run"]
            commands.append(run if isinstance(run, str) else run["command"])
    return commands


def _environment(job: dict, workdir: Path, bin_dir: Path, extra_env: dict[str, str]) -> dict:
    bash_env = workdir / "bash_env"
    bash_env.write_text("")
    (workdir / "home").mkdir(exist_ok=True)
    return {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(workdir / "home"),
        "STUB_LOG": str(workdir / "calls.jsonl"),
        "BASH_ENV": str(bash_env),
        **{key: str(value) for key, value in job.get("environment", {}).items()},
        **extra_env,
    }


def _calls(workdir: Path) -> list[dict]:
    log = workdir / "calls.jsonl"
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


def run_job(
    job: dict, workdir: Path, extra_env: dict[str, str], stubs=("docker", "aws")
) -> list[dict]:
    """Run every `run` step of `job`; return the stub calls in order. Raises on a failing step."""
    env = _environment(job, workdir, install_stubs(workdir, list(stubs)), extra_env)
    for command in run_commands(job):
        subprocess.run(
            ["/bin/bash", "-eo", "pipefail", "-c", command],
            env=env,
            cwd=workdir,
            check=True,
            capture_output=True,
            text=True,
        )
    return _calls(workdir)


@dataclass
class JobRun:
    """One run of a job: its tool calls, and how its steps ended (CircleCI stops at a failure)."""

    calls: list[dict]
    returncode: int
    stdout: str
    stderr: str

    @property
    def argvs(self) -> list[list[str]]:
        return [call["argv"] for call in self.calls]


def aws_cli() -> Path | None:
    """The AWS CLI of this Python environment (the test extra installs it), if there is one."""
    path = Path(sys.executable).parent / "aws"
    return path if path.exists() else None


def run_against_ecr(job: dict, workdir: Path, extra_env: dict[str, str], ecr_url: str) -> JobRun:
    """Run `job` with the real AWS CLI and the stand-in docker against ECR's stand-in at `ecr_url`.

    `workdir` is one run's machine (fresh for every run, as CircleCI's are); the registry is the
    server's and outlives it. Steps after a failing one do not run.
    """
    cli = aws_cli()
    assert cli is not None, "the AWS CLI is missing: pip install -e '.[test]'"
    bin_dir = workdir / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    docker = bin_dir / "docker"
    docker.write_text(
        # -SI: no site (its .pth files cost more than the stand-in's own work), stdlib only
        f'#!/bin/sh\nexec {sys.executable} -SI {Path(__file__).parent / "docker_standin.py"} "$@"\n'
    )
    docker.chmod(0o755)
    env = _environment(job, workdir, bin_dir, extra_env)
    env.update(
        {
            "AWS_ENDPOINT_URL": ecr_url,
            "ECR_STANDIN_URL": ecr_url,
            "DOCKER_STANDIN_DIR": str(workdir / "docker"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_MAX_ATTEMPTS": "1",
        }
    )
    # the real CLI, forked from a process that has imported it (tests/aws_forkserver.py): a fresh
    # interpreter per call cost ~0.6 s of CPU, dozens of times per run
    shared_server(cli, env).install_client(bin_dir / "aws")
    stdout, stderr = [], []
    for command in run_commands(job):
        step = subprocess.run(
            ["/bin/bash", "-eo", "pipefail", "-c", command],
            env=env,
            cwd=workdir,
            capture_output=True,
            text=True,
        )
        stdout.append(step.stdout)
        stderr.append(step.stderr)
        if step.returncode:
            return JobRun(_calls(workdir), step.returncode, "".join(stdout), "".join(stderr))
    return JobRun(_calls(workdir), 0, "".join(stdout), "".join(stderr))
