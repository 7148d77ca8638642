"""`ciconf check` covers every generated file: the CircleCI config and each account's stacks.

Issue 11: a profile whose region moved from us-east-1 to us-west-2 was committed with both hooks
passing while the committed stacks still said us-east-1. Now a stale stack is drift (exit 1, a
diff naming it), and one `ciconf render` rewrites every file at once. (ciconf is asked in-process,
conftest.ciconf_in_process: its answers, with the same on-disk digest cache, are the point.)
"""

from __future__ import annotations

from cfn_helpers import region_drift_scenario
from conftest import ciconf_in_process


def _committed(workdir, paths):
    return {path: (workdir / path).read_bytes() for path in paths}


def test_a_stale_stack_is_drift_and_render_fixes_every_file(tmp_path):
    _, stale, old, new = region_drift_scenario(tmp_path)
    # the config is rendered for the new region too, so only the stacks are stale
    config = ciconf_in_process("render", "ciconf.yaml", "--stdout", cwd=tmp_path)
    assert config.returncode == 0
    (tmp_path / ".circleci").mkdir()
    (tmp_path / ".circleci" / "config.yml").write_text(config.stdout)
    before = _committed(tmp_path, [*stale, ".circleci/config.yml"])

    check = ciconf_in_process("check", "ciconf.yaml", cwd=tmp_path)
    assert check.returncode == 1, check.stderr
    for path in stale:
        assert (
            f"ciconf: {path} has drifted from ciconf.yaml; run `ciconf render ciconf.yaml`"
            in check.stderr
        )
        assert f"--- {path} (committed)" in check.stdout
    assert ".circleci/config.yml has drifted" not in check.stderr
    diff = check.stdout.splitlines()
    assert any(line.startswith("-") and old in line for line in diff)
    assert any(line.startswith("+") and new in line for line in diff)
    assert _committed(tmp_path, [*stale, ".circleci/config.yml"]) == before  # check never writes

    render = ciconf_in_process("render", "ciconf.yaml", "--exit-nonzero-on-change", cwd=tmp_path)
    assert render.returncode == 1  # it rewrote files
    for path in stale:
        assert f"ciconf: wrote {path}" in render.stderr
        assert new in (tmp_path / path).read_text() and old not in (tmp_path / path).read_text()
    again = ciconf_in_process("check", "ciconf.yaml", cwd=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"and {len(stale)} CloudFormation stacks are in sync" in again.stderr
    assert any(path.endswith("-environment.yaml") for path in stale)  # the environment stacks too


def test_a_missing_stack_is_drift_and_the_cache_never_hides_it(tmp_path):
    _, stale, _, _ = region_drift_scenario(tmp_path)
    assert ciconf_in_process("render", "ciconf.yaml", cwd=tmp_path).returncode == 0
    assert (
        ciconf_in_process("check", "ciconf.yaml", cwd=tmp_path).returncode == 0
    )  # fills the cache
    (tmp_path / stale[0]).unlink()
    check = ciconf_in_process("check", "ciconf.yaml", cwd=tmp_path)
    assert check.returncode == 1
    assert f"ciconf: {stale[0]} does not exist; run `ciconf render ciconf.yaml`" in check.stderr


def test_a_hand_edited_stack_is_drift_even_with_a_warm_cache(tmp_path):
    _, stale, _, _ = region_drift_scenario(tmp_path)
    assert ciconf_in_process("render", "ciconf.yaml", cwd=tmp_path).returncode == 0
    assert ciconf_in_process("check", "ciconf.yaml", cwd=tmp_path).returncode == 0
    stack = tmp_path / stale[-1]
    stack.write_text(stack.read_text() + "# edited by hand\n")
    check = ciconf_in_process("check", "ciconf.yaml", cwd=tmp_path)
    assert check.returncode == 1
    assert f"{stale[-1]} has drifted" in check.stderr


def test_another_stacks_dir_is_named_in_the_fix(tmp_path):
    region_drift_scenario(tmp_path)
    check = ciconf_in_process("check", "ciconf.yaml", "--stacks-dir", "infra", cwd=tmp_path)
    assert check.returncode == 1
    assert (
        "ciconf: infra/ci-cd-example-stg-bootstrap.yaml does not exist; run `ciconf "
        "render ciconf.yaml --stacks-dir infra`" in check.stderr
    )
    assert (
        ciconf_in_process("render", "ciconf.yaml", "--stacks-dir", "infra", cwd=tmp_path).returncode
        == 0
    )
    assert (
        ciconf_in_process("check", "ciconf.yaml", "--stacks-dir", "infra", cwd=tmp_path).returncode
        == 0
    )


def test_a_profile_without_accounts_generates_only_the_config(tmp_path):
    (tmp_path / "ciconf.yaml").write_text(
        "project: demo\ntest:\n  image: cimg/python:3.12\n  command: make\n"
    )
    assert ciconf_in_process("render", cwd=tmp_path).returncode == 0
    assert not (tmp_path / "cloudformation").exists()
    check = ciconf_in_process("check", cwd=tmp_path)
    assert check.returncode == 0
    assert "ciconf: .circleci/config.yml is in sync with ciconf.yaml" in check.stderr
