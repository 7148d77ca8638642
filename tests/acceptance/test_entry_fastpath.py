"""The fast entry point (ciconf/entry.py) behaves exactly like the typer app (ciconf/cli.py).

Every argument list runs twice, once through each path, in two identical project folders; the exit
code, stdout, stderr and the files left behind must be the same. The fast path's table (entry.SPEC)
is generated from the typer app; a test compares the two and CICONF_UPDATE_GOLDEN=1 rewrites it.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys

import pytest
from conftest import PROFILES, cli_env

from ciconf import cli, entry

BROKEN = "project: demo\ntest:\n  imgae: cimg/base:2024.01\n  command: make\n"

# spellings the fast path takes on
FAST = [
    ["check"],
    ["check", "ciconf.yaml"],
    ["check", "./ciconf.yaml"],
    ["check", "--config", ".circleci/config.yml"],
    ["check", "--config=.circleci/config.yml", "ciconf.yaml"],
    ["check", "ciconf.yaml", "--config", "stale.yml"],
    ["check", "ciconf.yaml", "--config", "missing/config.yml"],
    ["check", "missing.yaml"],
    ["check", "broken.yaml", "--config", "stale.yml"],
    ["check", "folder"],
    ["render"],
    ["render", "--stdout"],
    ["render", "ciconf.yaml", "--stdout"],
    ["render", "ciconf.yaml", "-o", "out/config.yml"],
    ["render", "--output=out.yml", "ciconf.yaml"],
    ["render", "-o", "stale.yml"],
    ["render", "-o", ".circleci/config.yml"],
    ["render", "broken.yaml", "-o", "stale.yml"],
    ["render", "-o", "stale.yml", "--exit-nonzero-on-change"],
    ["render", "--exit-nonzero-on-change"],
    ["check", "--color", "never", "--config", "stale.yml"],
    ["check", "--color=always", "--config", "stale.yml"],
    ["lint"],
    ["lint", ".circleci/config.yml", "stale.yml"],
    ["lint", "--format", "json", "stale.yml"],
    ["lint", "--profile", "ciconf.yaml", "broken.yaml"],
    ["lint", "ciconf.yaml", "missing.yml"],
    ["lint", "--list-rules"],
    ["schema", "-o", "schema.json"],
    ["render", "-o", "x.yml", "--stdout"],  # refused by the action, the same for both
    ["check", "-o", "stale.yml"],  # the spelling render uses; --config stays as an alias
    ["check", "-q"],
    ["render", "--quiet", "-o", "stale.yml"],
    ["plan", "--branch", "develop"],
    ["plan", "ciconf.yaml", "--tag", "v1.0.0", "--format", "json"],
    ["plan", "--config", "stale.yml", "--branch", "main", "--param", "a=b", "--param", "c=d"],
    ["plan", "--branch", "main", "--format", "xml"],  # refused by the action, the same for both
]

# spellings left to typer: usage errors, help, and forms the fast path does not mirror
TYPER = [
    [],
    ["--help"],
    ["-h"],
    ["--version"],
    ["check", "--help"],
    ["check", "-h"],
    ["lint", "-h"],
    ["lint", "--format", "xml"],
    ["lint", "--format"],
    ["check", "--color", "sometimes"],
    ["render", "-h"],
    ["check", "--config"],
    ["check", "--config="],
    ["check", "--config", "--help"],
    ["check", "a.yaml", "b.yaml"],
    ["check", "--config", "a.yml", "--config", "b.yml"],
    ["check", "--nope"],
    ["check", "--", "ciconf.yaml"],
    ["check", ""],
    ["render", "-"],
    ["render", "--stdout", "--stdout"],
    ["render", "--stdout=yes"],
    ["render", "-oout.yml"],
    ["render", "-o=out.yml"],
    ["render", "--out", "x.yml"],
    ["render", "--exit-nonzero-on-change=yes"],
]


def make_project(folder):
    folder.mkdir()
    shutil.copy(PROFILES / "ci-cd-example.yaml", folder / "ciconf.yaml")
    (folder / "broken.yaml").write_text(BROKEN)
    (folder / "stale.yml").write_text("version: 2.1\n")
    (folder / "folder").mkdir()
    return folder


def snapshot(folder):
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def outcome(main, args, folder, monkeypatch, capsys):
    monkeypatch.chdir(folder)
    assert main(["render"]) == 0  # a committed config, as in a real repository
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err, snapshot(folder)


@pytest.mark.parametrize("args", FAST + TYPER, ids=lambda args: " ".join(args) or "(none)")
def test_both_paths_agree(args, tmp_path, monkeypatch, capsys):
    fast = outcome(entry.main, args, make_project(tmp_path / "fast"), monkeypatch, capsys)
    typer = outcome(cli.main, args, make_project(tmp_path / "typer"), monkeypatch, capsys)
    assert fast == typer
    assert fast[0] in (0, 1, 2)


@pytest.mark.parametrize("args", FAST, ids=" ".join)
def test_plain_invocations_take_the_fast_path(args):
    assert entry.parse(args) is not None


@pytest.mark.parametrize("args", TYPER, ids=lambda args: " ".join(args) or "(none)")
def test_everything_else_goes_to_typer(args):
    assert entry.parse(args) is None


def test_shell_completion_requests_go_to_typer(monkeypatch):
    monkeypatch.setenv("_CICONF_COMPLETE", "bash_complete")
    assert entry.parse(["check"]) is None


def test_fast_parse_types_arguments_as_typer_does():
    command, found = entry.parse(["render", "./a//b.yaml", "--output=out.yml"])
    assert command == "render"
    typed = entry.arguments(command, found)
    assert typed["profile"] == cli.Path("a/b.yaml")  # as typer's Path conversion spells it
    assert typed["output"] == cli.Path("out.yml")
    assert typed["stdout"] is False


def test_the_fast_table_is_read_off_the_typer_app():
    """entry.SPEC is generated from cli.py; a changed command regenerates it
    (CICONF_UPDATE_GOLDEN=1)."""
    if os.environ.get("CICONF_UPDATE_GOLDEN"):
        cli.write_spec(entry.__file__)
        importlib.reload(entry)
    assert cli.fast_spec() == entry.SPEC, (
        "run CICONF_UPDATE_GOLDEN=1 pytest tests/acceptance/test_entry_fastpath.py"
    )


def test_fast_commands_have_no_body_of_their_own():
    """What the fast path calls is exactly what the typer command calls."""
    for name, command in entry.SPEC.items():
        assert cli.ACTIONS[name] == command["action"]
        assert entry.action(name) is cli.action(command["action"])


LOADED = """
import sys
from ciconf.entry import main
code = main(sys.argv[1:])
heavy = ("typer", "click", "rich", "jsonschema", "ciconf.cli", "ciconf.lint", "ciconf.cloudformation")
print(code, sorted({name.split(".")[0] if not name.startswith("ciconf") else name
                    for name in sys.modules if name.startswith(heavy)}))
"""  # noqa: E501 - a script run in a subprocess, kept on one line per statement


def test_check_loads_no_cli_framework_schema_validator_or_other_commands(tmp_path):
    project = make_project(tmp_path / "project")
    subprocess.run(
        [sys.executable, "-m", "ciconf", "render"], cwd=project, env=cli_env(), check=True
    )
    for args in (["check"], ["render", "--stdout"]):
        done = subprocess.run(
            [sys.executable, "-c", LOADED, *args],
            cwd=project,
            env=cli_env(),
            capture_output=True,
            text=True,
        )
        assert done.stdout.splitlines()[-1] == "0 []", done.stderr
