"""The example's stg stack, byte for byte. Update with CICONF_UPDATE_GOLDEN=1 after a deliberate
change."""

from __future__ import annotations

import os

from cfn_helpers import render
from conftest import PROFILES, ROOT, run_ciconf

GOLDEN = ROOT / "tests" / "golden" / "ci-cd-example-stg-pipeline.yaml"


def test_example_stg_stack_matches_golden():
    text = render(PROFILES / "ci-cd-example.yaml", "stg")
    if os.environ.get("CICONF_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(text, encoding="utf-8", newline="\n")
    assert GOLDEN.read_text(encoding="utf-8") == text, (
        "the stg stack changed; if on purpose, rerun with CICONF_UPDATE_GOLDEN=1 and "
        "review the diff"
    )


def test_cli_output_is_byte_identical_across_runs(tmp_path):
    def write_all() -> dict[str, bytes]:
        done = run_ciconf(
            "cfn", "profiles/ci-cd-example.yaml", "--all", "--dir", tmp_path / "out", cwd=ROOT
        )
        assert done.returncode == 0, done.stderr
        return {path.name: path.read_bytes() for path in sorted((tmp_path / "out").iterdir())}

    first = write_all()
    assert sorted(first) == [
        "ci-cd-example-prod-bootstrap.yaml",
        "ci-cd-example-prod-environment.yaml",
        "ci-cd-example-prod-pipeline.yaml",
        "ci-cd-example-stg-bootstrap.yaml",
        "ci-cd-example-stg-environment.yaml",
        "ci-cd-example-stg-pipeline.yaml",
    ]
    for path in (tmp_path / "out").iterdir():
        path.unlink()
    assert write_all() == first
    again = run_ciconf(
        "cfn", "profiles/ci-cd-example.yaml", "--all", "--dir", tmp_path / "out", cwd=ROOT
    )
    assert again.stderr.count("is up to date") == len(first)
    stdout = run_ciconf(
        "cfn", "profiles/ci-cd-example.yaml", "--account", "stg", "--stdout", cwd=ROOT
    )
    assert stdout.stdout == GOLDEN.read_text(encoding="utf-8")
