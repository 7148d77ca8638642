"""`ciconf lint`: every rule on its own fixture, output formats, exit codes, file kinds."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import FIXTURES, ROOT, all_profiles, ciconf_in_process, cli_env, run_ciconf

LINT = FIXTURES / "lint"


def lint(*args: str, cwd=LINT) -> subprocess.CompletedProcess:
    """`ciconf lint ARGS`, asked in-process: the findings and the exit code are the point."""
    return ciconf_in_process("lint", *args, cwd=cwd)


def rules_in(stdout: str) -> list[str]:
    return [line.split(": ", 1)[1].split()[0] for line in stdout.splitlines()]


def test_clean_config_with_matrix_names_approval_orb_jobs_and_status_requires_has_no_findings():
    result = lint("clean.yml")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_every_profile_and_the_config_it_renders_are_clean(tmp_path):
    configs = []
    for profile in all_profiles():
        rendered = ciconf_in_process("render", profile, "--stdout", cwd=ROOT)
        assert rendered.returncode == 0, rendered.stderr
        configs.append(tmp_path / f"{profile.stem}.config.yml")
        configs[-1].write_text(rendered.stdout)
    result = lint(".circleci/config.yml", *all_profiles(), *configs, cwd=ROOT)
    assert (result.returncode, result.stdout) == (0, ""), result.stderr


def test_workflow_rules_unknown_requires_undefined_job_and_cycle():
    result = lint("workflow_defects.yml")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "workflow_defects.yml:19:22: CC101 job 'build' requires 'tset', which is not a "
        "job of workflow 'main'; did you mean 'test'?",
        "workflow_defects.yml:22:9: CC102 workflow 'main' runs job 'deploy', which is not "
        "defined under jobs",
        "workflow_defects.yml:26:22: CC103 requires form a cycle in workflow 'loop': "
        "build -> test -> build",
    ]


def test_orb_references_need_their_orb_declared():
    result = lint("orbs.yml")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "orbs.yml:8:15: CC104 'node/default' comes from orb 'node', which is not declared "
        "under orbs",
        "orbs.yml:13:9: CC104 'slack/notify' comes from orb 'slack', which is not "
        "declared under orbs",
        "orbs.yml:21:9: CC104 'aws-ecs/deploy_service_update' comes from orb 'aws-ecs', "
        "which is not declared under orbs; did you mean 'aws-ecr'?",
    ]


def test_yaml_rules_duplicates_alias_before_anchor_and_typed_environment_values():
    result = lint("yaml_defects.yml")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert rules_in(result.stdout) == [
        "CC203",
        "CC203",
        "CC203",
        "CC203",
        "CC201",
        "CC203",
        "CC202",
        "CC203",
        "CC203",
    ]
    assert lines[0] == (
        "yaml_defects.yml:8:39: CC203 MYSQL_ALLOW_EMPTY_PASSWORD: yes is read as the "
        "boolean true, so the "
        "variable is set to 'true'; quote it: MYSQL_ALLOW_EMPTY_PASSWORD: 'yes'"
    )
    assert "FILE_MODE: 0755 is read as the number 493" in lines[1]
    assert "SCALE: 1e3 is read as a number by YAML 1.2 parsers (1000.0)" in lines[2]
    assert "VERSION: 1.10 is read as the number 1.1" in lines[3]
    assert lines[4] == (
        "yaml_defects.yml:14:7: CC201 duplicate key 'DEBUG' (first at line 13); only one "
        "of them takes effect"
    )
    assert lines[6].startswith(
        "yaml_defects.yml:16:9: CC202 alias *checkout_step is used before its anchor"
    )
    assert "VERBOSE: no is read as the boolean false" in lines[7]  # a run step's environment
    # written in an anchor outside any environment, merged into one: reported where it is written
    assert lines[8].startswith(
        "yaml_defects.yml:32:20: CC203 FORCE_RELEASE: ON is read as the boolean true"
    )


def test_duplicate_merge_keys_get_their_own_advice(tmp_path):
    config = tmp_path / "config.yml"
    config.write_text("version: 2.1\na: &a {X: '1'}\nb: &b {Y: '2'}\nc:\n  <<: *a\n  <<: *b\n")
    result = run_ciconf("lint", config)
    assert (
        "6:3: CC201 duplicate merge key '<<' (first at line 5); merge several with `<<: [*a, *b]`"
        in result.stdout
    )


def test_alias_before_anchor_is_a_finding_for_lint_but_still_an_error_for_render(tmp_path):
    profile = tmp_path / "ciconf.yaml"
    profile.write_text("project: *name\nname: &name demo\n")
    linted = run_ciconf("lint", profile)
    assert linted.returncode == 1
    assert "1:10: CC202 alias *name is used before its anchor &name" in linted.stdout
    rendered = run_ciconf("render", profile, "--stdout")
    assert rendered.returncode == 2
    assert "alias *name is used before its anchor &name" in rendered.stderr
    assert "Traceback" not in rendered.stderr


def test_legacy_image_ecr_get_login_and_retired_remote_docker():
    result = lint("legacy.yml")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 3  # circleci/circleci-cli, the comment and get-login-password are fine
    assert lines[0].startswith(
        "legacy.yml:6:16: CC301 circleci/python:3 is a legacy CircleCI image"
    )
    assert lines[0].endswith("use cimg/python")
    assert lines[1].startswith(
        "legacy.yml:11:20: CC303 remote Docker version 20.10.18 is deprecated"
    )
    assert lines[2].startswith(
        "legacy.yml:17:15: CC302 `aws ecr get-login` was removed in AWS CLI v2"
    )


def test_schema_findings_point_at_the_offending_key():
    result = lint("schema_defects.yml", "version2.yml")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "schema_defects.yml:9:9: CC001 jobs.build.steps[1].attach_workspace: Additional "
        "properties are not allowed ('if' was unexpected)",
        "version2.yml:1:1: CC001 version: 2 is not one of ['2.1', 2.1]",
    ]


def test_profiles_are_recognised_by_folder_name_and_flag(tmp_path):
    result = lint("profiles/bad.yaml", "demo.ciconf.yaml")
    assert result.returncode == 1
    assert result.stdout.startswith(
        "profiles/bad.yaml:4:3: CP001 test.comand: unknown key 'comand'"
    )
    assert result.stdout.endswith("; did you mean 'command'?\n")
    assert len(result.stdout.splitlines()) == 1  # demo.ciconf.yaml is a valid profile
    elsewhere = tmp_path / "service.yml"
    shutil.copy(LINT / "profiles" / "bad.yaml", elsewhere)
    as_config = run_ciconf("lint", elsewhere)
    assert "CP001" not in as_config.stdout and "CC001" in as_config.stdout
    as_profile = run_ciconf("lint", "--profile", elsewhere)
    assert rules_in(as_profile.stdout) == ["CP001"]


def test_json_format_lists_objects_sorted_like_the_text():
    text = lint("workflow_defects.yml", "legacy.yml")
    result = lint("--format", "json", "workflow_defects.yml", "legacy.yml")
    assert result.returncode == 1
    findings = json.loads(result.stdout)
    assert [set(item) for item in findings] == [{"path", "line", "column", "rule", "message"}] * 6
    assert [
        f"{f['path']}:{f['line']}:{f['column']}: {f['rule']} {f['message']}" for f in findings
    ] == (text.stdout.splitlines())


@pytest.mark.parametrize(
    "name, message",
    [
        ("missing.yml", "missing.yml: no such file"),
        ("broken.yml", "broken.yml:3:1: malformed YAML"),
        ("not_mapping.yml", "not_mapping.yml:1:1: the file is not a YAML mapping"),
    ],
)
def test_unreadable_files_exit_2_with_one_located_message(name, message):
    result = lint("clean.yml", name)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"ciconf: error: {message}")
    assert "Traceback" not in result.stderr


def test_not_utf8_and_bad_usage_exit_2(tmp_path):
    latin = tmp_path / "config.yml"
    latin.write_bytes(b"version: 2.1\n# caf\xe9\n")
    result = run_ciconf("lint", latin)
    assert result.returncode == 2 and "invalid UTF-8" in result.stderr
    usage = lint("--format", "xml", "clean.yml")
    assert usage.returncode == 2 and "invalid choice: 'xml'" in usage.stderr


def test_lint_never_writes(tmp_path):
    target = tmp_path / "config.yml"
    shutil.copy(LINT / "yaml_defects.yml", target)
    before = target.read_bytes(), target.stat().st_mtime_ns
    assert run_ciconf("lint", target).returncode == 1
    assert (target.read_bytes(), target.stat().st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.yml"]


def test_list_rules_names_every_rule_once_with_its_summary():
    result = lint("--list-rules")
    assert result.returncode == 0
    ids = [line.split()[0] for line in result.stdout.splitlines()]
    assert ids == sorted(set(ids))
    assert ids == [
        "CC001",
        "CC002",
        "CC101",
        "CC102",
        "CC103",
        "CC104",
        "CC105",
        "CC106",
        "CC201",
        "CC202",
        "CC203",
        "CC301",
        "CC302",
        "CC303",
        "CC304",
        "CC305",
        "CC306",
        "CC307",
        "CP001",
    ]
    assert all(len(line.split(None, 2)) == 3 for line in result.stdout.splitlines())


def test_default_path_is_the_circleci_config(tmp_path):
    (tmp_path / ".circleci").mkdir()
    shutil.copy(LINT / "workflow_defects.yml", tmp_path / ".circleci" / "config.yml")
    result = run_ciconf("lint", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith(".circleci/config.yml:19:22: CC101")


def test_check_does_not_import_lint_or_jsonschema():
    probe = (
        "import sys\nfrom ciconf.cli import main\n"
        "main(['check', 'profiles/ciconf.yaml', '--config', '.circleci/config.yml'])\n"
        "print(sorted(m for m in sys.modules if m.startswith(('jsonschema', 'ciconf.lint'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT), "CICONF_CACHE_DIR": os.environ["CICONF_CACHE_DIR"]},
    )
    assert result.stdout.strip() == "[]", result.stderr


def test_lint_does_not_import_typer_or_pydantic_for_configs():
    probe = (
        "import sys\nsys.argv = ['ciconf', 'lint', '.circleci/config.yml']\n"
        "from ciconf.entry import run\n"
        "try:\n    run()\nexcept SystemExit as done:\n    code = done.code\n"
        "print(code, sorted({m.split('.')[0] for m in sys.modules} & {'typer', "
        "'pydantic', 'check_jsonschema'}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT), "CICONF_CACHE_DIR": os.environ["CICONF_CACHE_DIR"]},
    )
    assert result.stdout.strip() == "0 []", result.stderr


def test_too_big_file_exits_2(tmp_path):
    big = tmp_path / "config.yml"
    big.write_text("version: 2.1\n" + "# padding\n" * 250_000)
    result = run_ciconf("lint", big)
    assert result.returncode == 2
    assert "the limit is 2 MiB" in result.stderr


def test_schema_validator_is_built_once_for_many_files():
    from ciconf.lint.runner import lint_paths
    from ciconf.lint.schema import circleci_validator, quick_checker

    circleci_validator.cache_clear()
    quick_checker.cache_clear()
    names = ("clean.yml", "legacy.yml", "version2.yml", "orbs.yml") * 2
    report = lint_paths([str(LINT / name) for name in names])
    assert {finding.rule for finding in report.findings} >= {"CC001", "CC104", "CC301"}
    checker = quick_checker.cache_info()
    assert checker.misses == 1 and checker.hits >= 7  # every file is checked quickly first
    validator = circleci_validator.cache_info()
    assert (
        validator.misses == 1 and validator.hits >= 1
    )  # built once, when a file has schema errors


def test_a_schema_valid_config_is_linted_without_jsonschema():
    """jsonschema (some 0.1 s to import and build) is needed only to word schema errors."""
    script = (
        "import sys; from ciconf.lint.runner import lint_paths; "
        f"lint_paths([{str(LINT / 'clean.yml')!r}]); print('jsonschema' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=cli_env(), cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
