"""One command-line front end behaving like black, ruff and pre-commit: --version, -h everywhere,
whole summaries, shell completion, a coloured diff on terminals only, usage errors exit 2.

Everything runs `python -m ciconf` in a subprocess, except the help of every command (ciconf's
answer, not the process's: in-process); assertions are about ciconf, not typer's wording.
"""

from __future__ import annotations

import json
import os
import pty
import re
import shlex
import shutil
import subprocess
import sys

import pytest
from conftest import PROFILES, ROOT, ciconf_in_process, cli_env, run_ciconf

import ciconf
from ciconf import cli

COMMANDS = sorted(
    command.name or command.callback.__name__ for command in cli.app.registered_commands
)
ESC = "\x1b["


@pytest.fixture
def drifted(tmp_path):
    shutil.copy(PROFILES / "ci-cd-example.yaml", tmp_path / "ciconf.yaml")
    assert run_ciconf("render", cwd=tmp_path).returncode == 0
    config = tmp_path / ".circleci" / "config.yml"
    config.write_text(config.read_text().replace("composer test", "composer tests"))
    return tmp_path


def test_the_app_has_the_expected_commands():
    assert {"render", "check", "lint", "schema", "cfn"} <= set(COMMANDS)


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "ciconf"],
        [
            sys.executable,
            "-c",
            "from ciconf.entry import run; run()",
        ],  # the console script's target
    ],
    ids=["python -m ciconf", "console script"],
)
def test_version(command):
    version = ciconf.__version__  # pyproject.toml reads it (tests/acceptance/test_release.py)
    result = subprocess.run(
        [*command, "--version"], env=cli_env(), capture_output=True, text=True, timeout=120
    )
    assert (result.returncode, result.stdout) == (0, f"ciconf {version}\n")


@pytest.mark.parametrize("flag", ["-h", "--help"])
@pytest.mark.parametrize(
    "command", [[]] + [[name] for name in COMMANDS], ids=lambda c: " ".join(c) or "(app)"
)
def test_help_on_the_app_and_every_command(command, flag):
    result = ciconf_in_process(*command, flag)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Usage: ciconf {' '.join(command)}".rstrip())
    assert result.stderr == ""


def test_command_summaries_are_whole_sentences():
    listing = run_ciconf("--help").stdout
    rows = dict(re.findall(r"^  ([a-z]+)\s{2,}(.+)$", listing.split("Commands:")[1], flags=re.M))
    assert sorted(rows) == COMMANDS
    for name, summary in rows.items():
        assert summary.endswith(".") and not summary.endswith("..."), (name, summary)
    declared = {
        info.name or info.callback.__name__: info.short_help  # `import` is a keyword: named apart
        for info in cli.app.registered_commands
    }
    assert rows == {name: declared[name] for name in rows}


def test_lint_keeps_its_options_and_exit_codes(tmp_path):
    rules = run_ciconf("lint", "--list-rules")
    assert rules.returncode == 0 and "CC001" in rules.stdout
    config = tmp_path / "config.yml"
    config.write_text(
        "version: 2.1\njobs:\n  a:\n    docker: [{image: circleci/python:3.8}]\n    "
        "steps: [checkout]\nworkflows:\n  w:\n    jobs: [a, b]\n"
    )
    found = run_ciconf("lint", "--format", "json", config)
    assert found.returncode == 1 and json.loads(found.stdout)
    assert run_ciconf("lint", "--format", "xml", config).returncode == 2
    assert run_ciconf("lint", "--profile", PROFILES / "ci-cd-example.yaml").returncode == 0
    assert run_ciconf("lint", tmp_path / "missing.yml").returncode == 2


@pytest.mark.parametrize(
    "args",
    [
        ["--no-such-option"],
        ["no-such-command"],
        ["check", "--nope"],
        ["check", "--color", "sometimes"],
        ["check", "--config"],
        ["render", "a.yaml", "b.yaml"],
        ["lint", "--format"],
        ["schema", "extra"],
        ["cfn", "--account"],
    ],
    ids=" ".join,
)
def test_usage_errors_exit_2(args, tmp_path):
    result = run_ciconf(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_shell_completion_is_available():
    # typer detects the shell from the parent process: run it from bash (`; exit` keeps bash alive)
    script = subprocess.run(
        ["bash", "-c", f"{shlex.quote(sys.executable)} -m ciconf --show-completion; exit $?"],
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert script.returncode == 0 and "_CICONF_COMPLETE" in script.stdout, script.stderr
    env = {
        **cli_env(),
        "_CICONF_COMPLETE": "complete_bash",
        "COMP_WORDS": "ciconf check --co",
        "COMP_CWORD": "2",
    }
    answer = subprocess.run(
        [sys.executable, "-m", "ciconf"], env=env, capture_output=True, text=True, timeout=120
    )
    assert answer.returncode == 0
    assert {"--config", "--color"} <= set(answer.stdout.split())
    assert "--install-completion" in run_ciconf("--help").stdout


# --- the coloured diff
# ------------------------------------------------------------------------------


def check_on_a_terminal(folder, *args, **env_changes) -> tuple[int, str]:
    """`ciconf check ARGS` with its stdout on a pseudo-terminal; (exit code, what it printed)."""
    env = {**cli_env(), **env_changes}
    env = {key: value for key, value in env.items() if value is not None}
    master, slave = pty.openpty()
    child = subprocess.Popen(
        [sys.executable, "-m", "ciconf", "check", *args],
        cwd=folder,
        env=env,
        stdout=slave,
        stderr=subprocess.PIPE,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    return child.wait(timeout=120), b"".join(chunks).decode()


def test_the_diff_is_coloured_on_a_terminal(drifted):
    code, shown = check_on_a_terminal(drifted, NO_COLOR=None, TERM="xterm")
    assert code == 1
    assert f"{ESC}31m-      command: composer tests{ESC}0m" in shown
    assert f"{ESC}32m+      command: composer test{ESC}0m" in shown


@pytest.mark.parametrize("env", [{"NO_COLOR": "1"}, {"TERM": "dumb", "NO_COLOR": None}])
def test_no_color_or_a_dumb_terminal_means_plain_text(drifted, env):
    code, shown = check_on_a_terminal(drifted, **env)
    assert code == 1 and "composer tests" in shown and ESC not in shown


def test_color_never_on_a_terminal_and_always_in_a_pipe(drifted):
    code, shown = check_on_a_terminal(drifted, "--color", "never", NO_COLOR=None, TERM="xterm")
    assert code == 1 and "composer tests" in shown and ESC not in shown
    piped = run_ciconf("check", "--color", "always", cwd=drifted)
    assert piped.returncode == 1 and f"{ESC}31m-" in piped.stdout
    plain = run_ciconf("check", cwd=drifted)
    assert plain.returncode == 1 and ESC not in plain.stdout  # a pipe: auto means no colour


def test_control_characters_of_the_committed_config_are_escaped_in_the_diff(drifted):
    config = drifted / ".circleci" / "config.yml"
    config.write_text(config.read_text() + "# \x1b[2J\x1b]0;owned\x07\r\n")
    result = run_ciconf("check", cwd=drifted)
    assert result.returncode == 1
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout and "\r" not in result.stdout
    assert "-# \\x1b[2J\\x1b]0;owned\\x07\\x0d" in result.stdout


# --- schema -o
# ----------------------------------------------------------------------------------------


def test_schema_output_is_written_atomically_and_matches_the_printed_schema(tmp_path):
    printed = run_ciconf("schema").stdout
    assert printed == (ROOT / "schema" / "profile.schema.json").read_text()
    target = tmp_path / "schema" / "profile.schema.json"
    written = run_ciconf("schema", "-o", target)
    assert written.returncode == 0 and written.stdout == ""
    assert target.read_text() == printed
    assert sorted(p.name for p in target.parent.iterdir()) == ["profile.schema.json"]
    again = run_ciconf("schema", "--output", target)
    assert again.returncode == 0 and "up to date" in again.stderr


# --- the README's "Using ciconf in a service repository"
# ------------------------------------------------


def service_section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("## Using ciconf in a service repository\n", 1)[1].split("\n## ", 1)[0]


def test_no_document_names_a_release_tag_that_does_not_exist():
    tags = subprocess.run(["git", "tag"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    documents = [
        ROOT / "README.md",
        ROOT / ".pre-commit-hooks.yaml",
        *sorted((ROOT / "docs").glob("*.md")),
    ]
    for document in documents:
        for rev in re.findall(
            r"^[#\s]*rev: *(\S+)", document.read_text(encoding="utf-8"), flags=re.M
        ):
            assert rev.startswith("<") or rev in tags, (document.name, rev)
        # ciconf pinned at a version (`rev: v1.2.3`, `git+URL@v1.2.3`); example pushes like
        # `ciconf plan --tag v1.4.0` name a service's tags, not ciconf's
        for tag in re.findall(
            r"(?:\brev: *|@)(v\d+\.\d+\.\d+)\b", document.read_text(encoding="utf-8")
        ):
            assert tag in tags, (document.name, tag)


def test_the_service_repository_hooks_exist_and_the_modeline_file_is_what_schema_writes(tmp_path):
    import yaml

    section = service_section()
    hooks = {hook["id"] for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    (config,) = [
        block
        for block in re.findall(r"```yaml\n(.*?)```", section, flags=re.S)
        if "repos:" in block
    ]
    used = [hook["id"] for repo in yaml.safe_load(config)["repos"] for hook in repo["hooks"]]
    assert used and set(used) <= hooks
    assert "pipx install 'git+" in section and "uv tool install 'git+" in section
    (command,) = re.findall(r"^ciconf schema -o (\S+)$", section, flags=re.M)
    (modeline,) = re.findall(r"^# yaml-language-server: \$schema=(\S+)$", section, flags=re.M)
    assert command == modeline
    assert run_ciconf("schema", "-o", command, cwd=tmp_path).returncode == 0
    (tmp_path / "ciconf.yaml").write_text(
        f"# yaml-language-server: $schema={modeline}\n"
        + (PROFILES / "ci-cd-example.yaml").read_text()
    )
    schema = json.loads((tmp_path / modeline).read_text())
    assert schema["type"] == "object" and "project" in schema["properties"]
    assert run_ciconf("render", "--stdout", cwd=tmp_path).returncode == 0
