"""The README's promises: its first two commands, CI running the same tests, its profile example."""

from __future__ import annotations

import re

from conftest import ROOT, run_ciconf

README = (ROOT / "README.md").read_text(encoding="utf-8")


def shell_blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", README, flags=re.S)


def test_first_command_installs_and_renders_the_example():
    first = shell_blocks()[0].strip()
    assert first.startswith("python3 -m pip install -e .")
    assert first.endswith("ciconf render profiles/ci-cd-example.yaml --stdout")


def test_ci_runs_the_readmes_test_command_in_a_fresh_venv():
    readme_command = shell_blocks()[1].strip()
    install, test_command = readme_command.split(" && ")
    assert install == "python3 -m pip install -e '.[test]'"
    assert test_command.startswith("python3 -m pytest")
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    # CI runs the README's command verbatim, inside a virtualenv it made itself this run
    assert readme_command in ci_lines
    venv_line = next(i for i, line in enumerate(ci_lines) if line.startswith("python3 -m venv "))
    activate = next(
        i
        for i, line in enumerate(ci_lines)
        if line.startswith("source ") and "bin/activate" in line
    )
    assert venv_line < activate < ci_lines.index(readme_command)
    # ... and the README's first command too, before it, with nothing in between that upgrades pip
    first = shell_blocks()[0].strip()
    assert activate < ci_lines.index(first) < ci_lines.index(readme_command)
    assert not [line for line in ci_lines if "pip install" in line and "--upgrade" in line]


def test_profile_example_in_readme_renders(tmp_path):
    (example,) = [
        b
        for b in re.findall(r"```yaml\n(.*?)```", README, flags=re.S)
        if "project:" in b
        and "ciconf import" not in b  # the import's before/after is checked apart
    ]
    (tmp_path / "ciconf.yaml").write_text(example)
    result = run_ciconf("render", "--stdout", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "hold_prod:" in result.stdout and "delivery_stg:" in result.stdout


def test_error_example_in_readme_is_what_ciconf_prints(tmp_path):
    (tmp_path / "ciconf.yaml").write_text(
        "project: demo\ntest:\n  imgae: cimg/base:2024.01\n  command: make\n"
    )
    printed = run_ciconf("check", cwd=tmp_path).stderr.strip()
    shown = next(line for line in README.splitlines() if line.startswith("ciconf: error:"))
    head, tail = shown.split("…")[0], shown.split("…")[-1]
    assert printed.startswith(head) and printed.endswith(tail)
