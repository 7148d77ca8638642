"""CircleCI's official schema (as vendored by check-jsonschema) accepts every rendered profile."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT, ciconf_in_process, every_valid_profile


def test_check_jsonschema_accepts_every_rendered_profile(tmp_path):
    outputs = []
    for profile in every_valid_profile():
        output = tmp_path / f"{profile.stem}.yml"
        # stacks go to tmp_path too: a render writes them next to the config, never into the
        # checkout
        # (in this process: the test is about the config ciconf writes, not about a process)
        result = ciconf_in_process(
            "render", profile, "-o", output, "--stacks-dir", tmp_path / "stacks", cwd=ROOT
        )
        assert result.returncode == 0, result.stderr
        outputs.append(str(output))
    checked = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.circle-ci",
            *outputs,
        ],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "ok -- validation done" in checked.stdout


def test_the_schema_check_can_fail(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("version: 2.1\njobs:\n  test:\n    steps: checkout-everything\n")
    checked = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.circle-ci",
            str(broken),
        ],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 1
