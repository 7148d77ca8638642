"""`lint --select/--ignore` (codes or prefixes, as ruff takes them) and the inline
`# ciconf: ignore[CODE]` comment, which silences the named rules on its line only."""

from __future__ import annotations

from conftest import run_ciconf

CONFIG = """\
version: 2.1
jobs:
  b:
    docker: [{image: circleci/python:3.8}]
    steps: [checkout]
workflows:
  w:
    jobs: [b, c]
"""
INLINE = CONFIG.replace(
    "    jobs: [b, c]\n",
    "    jobs: [b, c]  # ciconf: ignore[CC102] c is added by a setup workflow\n",
)


def rules(stdout: str) -> list[str]:
    return sorted({line.split()[1] for line in stdout.splitlines() if line})


def lint(tmp_path, text, *options):
    (tmp_path / "config.yml").write_text(text)
    return run_ciconf("lint", *options, "config.yml", cwd=tmp_path)


def test_every_rule_runs_by_default(tmp_path):
    done = lint(tmp_path, CONFIG)
    assert done.returncode == 1 and rules(done.stdout) == ["CC102", "CC301"]


def test_select_and_ignore_take_codes_and_prefixes(tmp_path):
    assert rules(lint(tmp_path, CONFIG, "--select", "CC1").stdout) == ["CC102"]
    assert rules(lint(tmp_path, CONFIG, "--ignore", "CC102").stdout) == ["CC301"]
    both = lint(tmp_path, CONFIG, "--select", "CC1,CC301", "--ignore", "CC10")
    assert rules(both.stdout) == ["CC301"]
    clean = lint(tmp_path, CONFIG, "--ignore", "cc102, CC3")
    assert (clean.returncode, clean.stdout) == (0, "")


def test_an_unknown_code_is_a_usage_error(tmp_path):
    done = lint(tmp_path, CONFIG, "--ignore", "CC999")
    assert done.returncode == 2 and "--ignore: no rule has the code 'CC999'" in done.stderr


def test_an_inline_comment_silences_its_rule_on_its_line_only(tmp_path):
    done = lint(tmp_path, INLINE)
    assert done.returncode == 1 and rules(done.stdout) == ["CC301"]
    other_line = CONFIG.replace("steps: [checkout]", "steps: [checkout]  # ciconf: ignore[CC102]")
    assert rules(lint(tmp_path, other_line).stdout) == ["CC102", "CC301"]
