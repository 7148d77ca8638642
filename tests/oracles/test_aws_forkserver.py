"""The harness's fork-server `aws` (tests/aws_forkserver.py) is the real AWS CLI, byte for byte.

Each command runs twice in bash, as a job step runs it: once with the fork server's client as
`aws`, once with the venv's own `aws` executable on PATH (what the harness used before), both
against the ECR stand-in; exit status, stdout and stderr must be identical.
Exit statuses are AWS CLI v1's (https://docs.aws.amazon.com/cli/v1/userguide/cli-usage-returncodes.html):
2 a command that does not parse (argparse's exit), 255 any other error: an unknown option, a
parameter value out of the model's range and a service's error too (v2 says 252 and 254 for
those; the test extra installs v1, whose clidriver.py returns 255 for each).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from aws_forkserver import (
    PRELOAD,
    STARTUP_PREFIXES,
    STARTUP_VARIABLES,
    ForkServer,
    running_servers,
    shared_server,
)
from jobsim import aws_cli, run_against_ecr

from oracles.ecr_standin import EcrServer, digest_of

pytestmark = pytest.mark.skipif(aws_cli() is None, reason="the AWS CLI of the test extra")

REGION = "eu-west-1"
STG, PROD = "111122223333", "444455556666"
ALL = [{"Effect": "Allow", "Action": ["ecr:*"], "Resource": ["*"]}]
MANIFEST = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"digest": "sha256:" + "1" * 64},
    }
)


@pytest.fixture(scope="module")
def registry():
    with EcrServer() as server:
        for account in (STG, PROD):
            server.keys[f"key-{account}"] = account
            server.ecr.identity[account] = ALL
        server.ecr.create_repository(STG, REGION, "web")
        server.ecr.call(
            STG,
            REGION,
            "PutImage",
            {"repositoryName": "web", "imageManifest": MANIFEST, "imageTag": "v1"},
        )
        yield server


class Twins:
    """A job machine with two PATHs: the fork server's `aws`, and the real executable's."""

    def __init__(self, tmp_path: Path, registry: EcrServer) -> None:
        cli = aws_cli()
        assert cli is not None
        self.cwd = tmp_path / "work"
        self.cwd.mkdir()
        self.forked, self.real = tmp_path / "forked", tmp_path / "real"
        self.forked.mkdir()
        self.real.mkdir()
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("AWS_", "PYTEST", "CICONF"))
        }
        self.env.update(
            {
                "HOME": str(tmp_path / "home"),
                "AWS_ENDPOINT_URL": registry.url,
                "AWS_EC2_METADATA_DISABLED": "true",
                "AWS_MAX_ATTEMPTS": "1",
                "AWS_DEFAULT_REGION": REGION,
                "AWS_ACCESS_KEY_ID": f"key-{STG}",
                "AWS_SECRET_ACCESS_KEY": "secret",
            }
        )
        shared_server(cli, self.env).install_client(self.forked / "aws")
        (self.real / "aws").symlink_to(cli)

    def run(self, bin_dir: Path, command: str, **env: str) -> tuple[int, bytes, bytes]:
        done = subprocess.run(
            ["/bin/bash", "-eo", "pipefail", "-c", command],
            cwd=self.cwd,
            env={**self.env, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", **env},
            capture_output=True,
            timeout=120,
        )
        return done.returncode, done.stdout, done.stderr

    def same(self, command: str, **env: str) -> tuple[int, str, str]:
        """`command` run both ways; asserts identical results and returns them, as text."""
        forked = self.run(self.forked, command, **env)
        real = self.run(self.real, command, **env)
        assert forked == real, (forked, real)
        status, out, err = forked
        return status, out.decode(errors="surrogateescape"), err.decode(errors="surrogateescape")


@pytest.fixture
def twins(tmp_path, registry):
    return Twins(tmp_path, registry)


def test_json_output_and_a_query_as_text_are_the_real_clis(twins):
    status, out, _ = twins.same("aws ecr describe-images --repository-name web")
    assert status == 0
    (image,) = json.loads(out)["imageDetails"]
    assert image["imageDigest"] == digest_of(MANIFEST) and image["imageTags"] == ["v1"]
    query = "aws ecr describe-images --repository-name web --image-ids imageTag=v1"
    query += " --query 'imageDetails[0].imageDigest' --output text"
    assert twins.same(query) == (0, digest_of(MANIFEST) + "\n", "")


def test_a_service_error_exits_255_with_the_clis_message(twins):
    status, out, err = twins.same(
        "aws ecr describe-images --repository-name web --image-ids imageTag=missing"
    )
    assert (status, out) == (255, "")
    assert "(ImageNotFoundException) when calling the DescribeImages operation" in err


def test_usage_errors_exit_as_the_cli_does(twins):
    status, _, err = twins.same("aws ecr describe-images --repository-name web --bogus")
    assert status == 255 and "Unknown options: --bogus" in err
    status, _, err = twins.same("aws ecr describe-images --repository-name x")
    assert status == 255 and "valid min length: 2" in err  # a parameter's value, not its name
    status, _, err = twins.same("aws ecr no-such-command")
    assert status == 2 and "Invalid choice" in err


def test_get_login_password_piped_into_another_process(twins):
    status, out, _ = twins.same("aws ecr get-login-password | tr -d '\\n' | wc -c")
    assert (status, out.strip()) == (0, str(len(f"token-{STG}")))
    assert twins.same("aws ecr get-login-password | cat") == (0, f"token-{STG}\n", "")


def test_commands_reading_stdin_and_files_relative_to_the_working_directory(twins):
    request = {"repositoryName": "web", "imageIds": [{"imageTag": "v1"}]}
    (twins.cwd / "request.json").write_text(json.dumps(request))
    query = " --query 'imageDetails[0].imageTags[0]' --output text"
    from_stdin = "aws ecr describe-images --cli-input-json file:///dev/stdin" + query
    assert twins.same(from_stdin + " < request.json") == (0, "v1\n", "")
    relative = "aws ecr describe-images --cli-input-json file://request.json" + query
    assert twins.same(relative) == (0, "v1\n", "")


def test_consecutive_calls_see_their_own_credentials_region_and_home(twins, tmp_path):
    login = "aws ecr get-login-password"
    prod = {"AWS_ACCESS_KEY_ID": f"key-{PROD}"}
    assert twins.same(login) == (0, f"token-{STG}\n", "")
    assert twins.same(login, **prod) == (0, f"token-{PROD}\n", "")
    assert twins.same(login) == (0, f"token-{STG}\n", "")
    status, _, err = twins.same(
        "aws ecr describe-images --repository-name web", AWS_DEFAULT_REGION="us-east-1"
    )
    assert status == 255 and "RepositoryNotFoundException" in err
    for home in ("a", "b"):  # ~/.aws/config is the caller's
        twins.same(f"aws configure set region {home}-region-1", HOME=str(tmp_path / home))
    assert twins.same("aws configure get region", HOME=str(tmp_path / "a")) == (
        0,
        "a-region-1\n",
        "",
    )
    assert (tmp_path / "b" / ".aws" / "config").read_text().count("b-region-1") == 1


def test_an_interpreter_setting_unlike_the_servers_runs_the_real_cli(twins):
    """PYTHONIOENCODING is read at interpreter start: the client execs the real `aws` itself."""
    command = "aws ecr describe-images --repository-name web --query 'imageDetails[0].imageTags'"
    status, out, _ = twins.same(command, PYTHONIOENCODING="utf-16")
    assert status == 0 and json.loads(out.encode(errors="surrogateescape").decode("utf-16")) == [
        "v1"
    ]
    server = shared_server(aws_cli(), twins.env)  # type: ignore[arg-type]
    assert server.calls()[-1] == "exec: PYTHONIOENCODING"  # the client ran the executable


def test_a_closed_stdin_and_a_closed_stdout_are_the_callers(twins):
    status, _, err = twins.same("aws ecr describe-images --repository-name web <&-")
    assert status == 0 and err == ""
    status, out, err = twins.same("aws ecr describe-images --repository-name web >&-")
    assert status != 0 and out == "" and err  # the CLI's own complaint about writing


def test_the_harness_jobs_calls_are_forks_not_a_fallback_to_the_executable(tmp_path, registry):
    job = {"steps": [{"run": "aws ecr get-login-password --region eu-west-1 > password"}]}
    credentials = {"AWS_ACCESS_KEY_ID": f"key-{STG}", "AWS_SECRET_ACCESS_KEY": "secret"}
    before = {id(server): len(server.calls()) for server in running_servers()}
    run = run_against_ecr(job, tmp_path, credentials, registry.url)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "password").read_text() == f"token-{STG}\n"
    new = [call for s in running_servers() for call in s.calls()[before.get(id(s), 0) :]]
    assert [call.split()[0] for call in new] == ["fork"]


def test_the_client_fails_loudly_when_the_server_is_gone(tmp_path):
    cli = aws_cli()
    assert cli is not None
    server = ForkServer(cli, {})
    server.install_client(tmp_path / "aws")
    server.stop()
    done = subprocess.run([tmp_path / "aws", "--version"], capture_output=True, text=True)
    assert done.returncode == 255 and done.stdout == ""
    assert "fork server" in done.stderr and "did not run" in done.stderr


# --- what importing in one process fixes: each caller gets its own ------------------------------

SCRIPT = """
import os, sys
home = os.environ["HOME"]
sys.path.insert(0, {tests!r})
import aws_forkserver
for module in aws_forkserver.PRELOAD:
    __import__(module)
from botocore.utils import JSONFileCache
derived = aws_forkserver.home_derived(home)
os.environ["HOME"] = "/elsewhere/"
aws_forkserver._rehome(derived)
print(JSONFileCache.CACHE_DIR)
print(sorted(f"{{getattr(h, '__name__', h)}}.{{a}}" for h, a, _ in derived))
"""


def test_strings_derived_from_home_at_import_follow_the_callers_home(tmp_path):
    tests = str(Path(__file__).resolve().parent.parent)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(tests=tests)],
        env={**os.environ, "HOME": str(tmp_path / "server-home")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    cache_dir, derived = done.stdout.splitlines()
    assert cache_dir == "/elsewhere/.aws/boto/cache"
    assert "JSONFileCache.CACHE_DIR" in derived and "CACHE_DIR" in derived  # awscli's assumerole


SCAN = """
import ast, os, sys
sys.path.insert(0, {tests!r})
import aws_forkserver
for module in aws_forkserver.PRELOAD:
    __import__(module)

def reads(tree):
    # environment reads outside function bodies: run once, at import
    stack = [node for node in tree.body]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") in ("getenv", "get"):
            owner = ast.unparse(node.func.value)
            if owner in ("os.environ", "os", "environ") and node.args:
                yield ast.unparse(node.args[0])
        if isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            yield ast.unparse(node.slice)
        if isinstance(node, ast.Compare) and "os.environ" in ast.unparse(node):
            yield ast.unparse(node.left)
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "expanduser":
            yield "'HOME'"
        stack.extend(ast.iter_child_nodes(node))

found = set()
for name, module in list(sys.modules.items()):
    path = getattr(module, "__file__", None) or ""
    if "site-packages" in path and path.endswith(".py"):
        for read in reads(ast.parse(open(path, encoding="utf-8").read())):
            found.add((read, name))
for read, name in sorted(found):
    print(read, name)
"""


def test_every_environment_read_at_import_is_one_the_server_handles():
    """A new awscli/botocore that reads a variable at import must be added to STARTUP_VARIABLES."""
    tests = str(Path(__file__).resolve().parent.parent)
    done = subprocess.run(
        [sys.executable, "-c", SCAN.format(tests=tests)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    reads = [line.split(" ", 1) for line in done.stdout.splitlines()]
    assert ["'HOME'", "botocore.utils"] in reads  # the scan sees what it is for
    handled = {"'HOME'"} | {repr(name) for name in STARTUP_VARIABLES}
    unhandled = [
        (read, module)
        for read, module in reads
        if read not in handled and not read.strip("'").startswith(STARTUP_PREFIXES)
    ]
    assert unhandled == [], f"read at import by {PRELOAD}'s modules, not handled: {unhandled}"
