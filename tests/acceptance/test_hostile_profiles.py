"""Broken and hostile profiles: exit 2, one located line on stderr, nothing executed or written.

Every case runs through the real CLI twice, as `render -o EXISTING` and as `check --config
EXISTING`, and the existing config must come out byte-identical with its mtime unchanged.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import run_ciconf

BASE = """\
project: demo
test:
  image: cimg/python:3.12
  command: pytest
"""
DELIVERY = "delivery: {region: eu-west-1, images: [{repository: web}]}\n"
PREVIOUS_CONFIG = b"# the previous config\nversion: 2.1\n"


@dataclass(frozen=True)
class Case:
    content: bytes
    says: str  # a phrase the message must contain
    at: str | None = None  # "line:column" the message must point at
    field: str | None = None


def billion_laughs() -> bytes:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for number in range(1, 10):
        name, previous = chr(ord("a") + number), chr(ord("a") + number - 1)
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 10)}]")
    return ("\n".join(lines) + "\n").encode()


CASES = {
    "empty": Case(b"", "no YAML content"),
    "whitespace-and-comments": Case(b"  \n# nothing but a comment\n\n   \n", "no YAML content"),
    "malformed": Case(b"project: [demo\ntest: {\n", "malformed YAML", "2:5"),
    "root-list": Case(b"- project: demo\n- test: {}\n", "the profile is a list", "1:1"),
    "root-scalar": Case(b"just some words\n", "the profile is a single value", "1:1"),
    "root-null": Case(b"~\n", "the profile is null", "1:1"),
    "tab-indentation": Case(
        b"project: demo\ntest:\n\timage: cimg/python:3.12\n",
        "tab character; YAML indentation must use spaces",
        "3:1",
    ),
    "invalid-utf8": Case(b"project: caf\xe9\n", "invalid UTF-8 (byte 0xe9)", "1:13"),
    "duplicate-key": Case(
        (BASE + "project: other\n").encode(),
        "duplicate key 'project' (first defined at line 1)",
        "5:1",
        "project",
    ),
    "two-documents": Case((BASE + "---\n" + BASE).encode(), "a single YAML document", "5:1"),
    "deep-sequences": Case(
        b"[" * 10_000 + b"]" * 10_000 + b"\n", "nesting is deeper than 64 levels", "1:65"
    ),
    "deep-mappings": Case(
        b"{a: " * 10_000 + b"}" * 10_000 + b"\n", "nesting is deeper than 64 levels"
    ),
    "alias-bomb": Case(
        billion_laughs(), "aliases expand to more than 10,000 values (an alias bomb?)", "4:"
    ),
    # valid YAML under the size limit, but far more than a profile needs: refused before validation
    "a-million-byte-list": Case(
        (BASE + "  artifacts: [" + ",".join(["a"] * 450_000) + "]\n").encode(),
        "the file holds more than 10,000 values",
        "5:",
    ),
    "a-hundred-thousand-keys": Case(
        (BASE + "".join(f"k{number}: 1\n" for number in range(100_000))).encode(),
        "the file holds more than 10,000 values",
    ),
    "self-alias": Case(b"&a [*a]\n", "alias *a is used before its anchor &a", "1:5"),
    "port-as-string": Case(
        (BASE + '  wait_for:\n    - port: "3306"\n').encode(),
        "got a string ('3306'); write the number without quotes",
        "6:13",
        "test.wait_for[0].port",
    ),
    "enabled-as-string": Case(
        (BASE + 'merge_test:\n  enabled: "yes"\n').encode(),
        "got a string ('yes'); write true or false without quotes",
        "6:12",
        "merge_test.enabled",
    ),
    "env-value-unquoted-yes": Case(
        (BASE + "  environment:\n    DEBUG: yes\n").encode(),
        "got a boolean (True); YAML reads yes/no/on/off/true/false as booleans, so quote the value",
        "6:12",
        "test.environment.DEBUG",
    ),
    "typo-in-key": Case(
        b"project: demo\ntest:\n  imgae: cimg/python:3.12\n  command: pytest\n",
        "unknown key 'imgae' (expected one of image, services, environment,",
        "3:3",
        "test.imgae",
    ),
    "bad-mode": Case(
        (
            BASE
            + "delivery:\n  region: eu-west-1\n  images: [{repository: web}]\n"
            + "accounts:\n  - name: prod\n    branch: main\n    credentials:\n"
            + "      mode: odic\n      role_arn: "
            "arn:aws:iam::123456789012:role/deploy\n      context: aws\n"
        ).encode(),
        "unknown mode 'odic' (expected one of env-indirection, context, oidc); did you "
        "mean 'oidc'?",
        "12:13",
        "accounts[0].credentials.mode",
    ),
    "access-key-as-variable-name": Case(
        (
            BASE
            + "delivery:\n  region: eu-west-1\n  images: [{repository: web}]\n"
            + "accounts:\n  - name: prod\n    branch: main\n    credentials:\n"
            + "      mode: env-indirection\n      account_id_var: AWS_PROD_ACCOUNT_ID\n"
            + "      access_key_var: AKIAIOSFODNN7EXAMPLE\n      secret_key_var: AWS_PROD_SECRET\n"
        ).encode(),
        "looks like a literal AWS credential",
        "14:23",
        "accounts[0].credentials.access_key_var",
    ),
    "secret-in-environment": Case(
        (
            BASE + "  environment:\n    AWS_SECRET_ACCESS_KEY: "
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
        ).encode(),
        "looks like a literal AWS credential",
        "6:28",
        "test.environment.AWS_SECRET_ACCESS_KEY",
    ),
    "access-key-quoted-in-command": Case(
        b"project: demo\ntest:\n  image: cimg/python:3.12\n"
        b"  command: export AWS_ACCESS_KEY_ID='AKIAIOSFODNN7EXAMPLE'; pytest\n",
        "looks like a literal AWS credential",
        "4:12",
        "test.command",
    ),
    "access-key-as-a-key": Case(
        (BASE + "  AKIAIOSFODNN7EXAMPLE: x\n").encode(),
        "looks like a literal AWS credential",
        "5:3",
        "test",
    ),
    "context-mode-without-its-context": Case(
        (
            BASE
            + DELIVERY
            + "accounts:\n  - name: stg\n    branch: main\n    credentials: {mode: context}\n"
        ).encode(),
        "missing required key 'context'",
        "9:5",
        "accounts[0].credentials.context",
    ),
    "role-arn-in-context-mode": Case(
        (
            BASE
            + DELIVERY
            + "accounts:\n  - name: stg\n    branch: main\n"
            + "    credentials: {mode: context, context: aws, role_arn: x}\n"
        ).encode(),
        "unknown key 'role_arn' (expected one of mode, context)",
        "9:48",
        "accounts[0].credentials.role_arn",
    ),
    "accounts-without-delivery": Case(
        (
            BASE + "accounts:\n  - {name: stg, branch: main, credentials: {mode: context, "
            "context: aws}}\n"
        ).encode(),
        "accounts need a delivery section",
        "5:1",
        "accounts",
    ),
    "duplicate-account-names": Case(
        (
            BASE
            + DELIVERY
            + "accounts:\n"
            + "  - {name: stg, branch: main, credentials: {mode: context, context: aws}}\n"
            + "  - {name: stg, branch: dev, credentials: {mode: context, context: aws}}\n"
        ).encode(),
        "account names must be unique",
        "6:1",
        "accounts",
    ),
    "port-out-of-range": Case(
        (BASE + "  wait_for: [{port: 70000}]\n").encode(),
        "got a number (70000) (expected less than or equal to 65535)",
        "5:21",
        "test.wait_for[0].port",
    ),
    "no-lockfiles": Case(
        (BASE + "  cache: {lockfiles: [], paths: [vendor]}\n").encode(),
        "got an empty list (expected at least 1 item)",
        "5:11",
        "test.cache.lockfiles",
    ),
    "nul-in-command": Case(
        b'project: demo\ntest:\n  image: cimg/python:3.12\n  command: "pytest\\0 -x"\n',
        "without NUL characters",
        "4:12",
        "test.command",
    ),
    # CircleCI substitutes '<< … >>' before any shell quoting applies (test_injection.py has the
    # matrix)
    "pipeline-value-in-environment": Case(
        (BASE + '  environment:\n    BRANCH: "v-<< pipeline.git.branch >>"\n').encode(),
        "'<<' at character 3: CircleCI reads '<< … >>' as a pipeline value",
        "6:13",
        "test.environment.BRANCH",
    ),
    "heredoc-in-setup": Case(
        (BASE + "  setup:\n    - |\n      cat <<EOF > .env\n      A=1\n      EOF\n").encode(),
        "(expected text without '<<')",
        "6:7",
        "test.setup[0]",
    ),
    "nul-in-build-arg": Case(
        (
            BASE + "delivery:\n  region: eu-west-1\n  images:\n    - repository: web\n      "
            'build_args: {A: "x\\0"}\n'
        ).encode(),
        "without NUL characters",
        "9:23",
        "delivery.images[0].build_args.A",
    ),
}


def python_object_cases(marker: Path) -> dict[str, Case]:
    """Tags that would run code under yaml.unsafe_load; the marker file proves nothing ran."""
    call = f'["touch {marker}"]'
    return {
        "python-object-at-root": Case(
            f"!!python/object/apply:os.system {call}\n".encode(),
            "tag !!python/object/apply:os.system is not allowed",
            "1:1",
        ),
        "python-object-as-value": Case(
            f"project: !!python/object/apply:os.system {call}\n".encode(),
            "tag !!python/object/apply:os.system is not allowed",
            "1:10",
        ),
        "python-object-new-in-list": Case(
            (
                BASE
                + f"  setup:\n    - !!python/object/new:subprocess.check_call [[touch, {marker}]]\n"
            ).encode(),
            "tag !!python/object/new:subprocess.check_call is not allowed",
            "6:7",
        ),
        "python-name": Case(
            b"project: !!python/name:os.system\n",
            "tag !!python/name:os.system is not allowed",
            "1:10",
        ),
    }


def run_on_existing(tmp_path: Path, content: bytes, command: str):
    """Write the profile next to an existing config, run `command` on them; return (result,
    before)."""
    profile = tmp_path / "profile.yaml"
    profile.write_bytes(content)
    existing = tmp_path / "config.yml"
    existing.write_bytes(PREVIOUS_CONFIG)
    os.utime(existing, ns=(1_000_000_000, 1_000_000_000))
    before = snapshot(tmp_path)
    option = "-o" if command == "render" else "--config"
    result = run_ciconf(command, "profile.yaml", option, "config.yml", cwd=tmp_path)
    return result, before


def snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {path.name: (path.read_bytes(), path.stat().st_mtime_ns) for path in directory.iterdir()}


def assert_refused(result, case: Case, profile: str = "profile.yaml") -> None:
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    where = profile + (f":{case.at}" if case.at else ":")
    assert lines[0].startswith(f"ciconf: error: {where}"), lines[0]
    assert case.says in lines[0]
    if case.field:
        assert f": {case.field}: " in lines[0]


@pytest.mark.parametrize("command", ["render", "check"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_profile_is_refused_and_nothing_changes(tmp_path, name, command):
    case = CASES[name]
    result, before = run_on_existing(tmp_path, case.content, command)
    assert_refused(result, case)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("command", ["render", "check"])
@pytest.mark.parametrize(
    "name",
    ["python-object-at-root", "python-object-as-value", "python-object-new-in-list", "python-name"],
)
def test_python_tags_are_refused_and_never_run(tmp_path, name, command):
    marker = tmp_path / "pwned"
    case = python_object_cases(marker)[name]
    result, before = run_on_existing(tmp_path, case.content, command)
    assert_refused(result, case)
    assert not marker.exists()
    assert snapshot(tmp_path) == before


def limit_memory(megabytes: int):
    def apply() -> None:
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


@pytest.mark.parametrize(
    "name",
    [
        "alias-bomb",
        "deep-sequences",
        "deep-mappings",
        "a-million-byte-list",
        "a-hundred-thousand-keys",
    ],
)
def test_bombs_finish_fast_in_bounded_memory(tmp_path, name):
    profile = tmp_path / "profile.yaml"
    profile.write_bytes(CASES[name].content)
    # 10 ** 10 'lol's or 10,000 frames of recursion would blow far past 1 GiB of address space;
    # run_ciconf's 120 s timeout guards a hang (speed is measured in benchmarks/bench.py)
    result = run_ciconf("check", "profile.yaml", cwd=tmp_path, preexec_fn=limit_memory(1024))
    assert_refused(result, CASES[name])


@pytest.mark.parametrize("command", ["render", "check"])
def test_huge_file_is_refused_before_parsing(tmp_path, command):
    # A sparse 30 MB file: no disk is used, and reading it whole would show in the memory limit.
    profile = tmp_path / "profile.yaml"
    with open(profile, "wb") as handle:
        handle.write(BASE.encode() + b"  description: '")
        handle.truncate(30 * 1024 * 1024)
    existing = tmp_path / "config.yml"
    existing.write_bytes(PREVIOUS_CONFIG)
    before = snapshot_meta(tmp_path)
    option = "-o" if command == "render" else "--config"
    result = run_ciconf(
        command, "profile.yaml", option, "config.yml", cwd=tmp_path, preexec_fn=limit_memory(1024)
    )
    assert_refused(result, Case(b"", "file is 30.0 MiB; the limit is 1 MiB"))
    assert snapshot_meta(tmp_path) == before


def snapshot_meta(directory: Path) -> dict[str, tuple[int, int]]:
    return {
        path.name: (path.stat().st_size, path.stat().st_mtime_ns) for path in directory.iterdir()
    }


def test_missing_profile_is_one_line(tmp_path):
    result = run_ciconf("check", "nope.yaml", cwd=tmp_path)
    assert_refused(result, Case(b"", "no such file"), profile="nope.yaml")


def test_profile_that_is_a_directory_is_one_line(tmp_path):
    (tmp_path / "profile.yaml").mkdir()
    result = run_ciconf("check", "profile.yaml", cwd=tmp_path)
    assert_refused(result, Case(b"", "is a directory"))


def test_newline_in_the_profile_name_stays_inside_the_header_comment(tmp_path):
    name = "evil\nversion: 9\n#.yaml"
    (tmp_path / name).write_text(BASE)
    result = run_ciconf("render", name, "-o", "config.yml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "config.yml").read_text()
    header = text.split("version: 2.1", 1)[0]
    assert all(line.startswith("# ") for line in header.splitlines() if line)
    assert "evil\\nversion: 9\\n#.yaml" in header
    assert run_ciconf("check", name, "--config", "config.yml", cwd=tmp_path).returncode == 0


def test_newline_in_a_bad_profile_name_keeps_the_error_on_one_line(tmp_path):
    name = "bad\nname.yaml"
    (tmp_path / name).write_text("project: [\n")
    result = run_ciconf("check", name, cwd=tmp_path)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("ciconf: error: bad\\nname.yaml:")


@pytest.mark.parametrize(
    "name", ["a-hundred-thousand-keys", "alias-bomb", "typo-in-key", "invalid-utf8", "empty"]
)
def test_cfn_refuses_bad_profiles_the_same_way(tmp_path, name):
    case = CASES[name]
    (tmp_path / "profile.yaml").write_bytes(case.content)
    result = run_ciconf("cfn", "profile.yaml", "--account", "stg", "-o", "stack.yaml", cwd=tmp_path)
    assert_refused(result, case)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["profile.yaml"]
