"""The shell ciconf generates is clean (shellcheck) and its credentials steps do what they say."""

from __future__ import annotations

import copy
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, every_valid_profile
from jobsim import run_job
from unit.profile.test_injection import FULL_PROFILE

from ciconf.circleci.render import render_config
from ciconf.errors import InputError
from ciconf.profile.grammar import PARAMETER_REFERENCE
from ciconf.profile.load import load_profile, validate_document
from ciconf.yamlkit.load import Document

# Checks beyond shellcheck's defaults that the commands ciconf writes itself also satisfy; commands
# written in the profile (install, setup, command) are held to the defaults only.
STRICT_CHECKS = (
    "require-variable-braces,quote-safe-variables,avoid-nullary-conditions,"
    "require-double-brackets,deprecate-which,check-set-e-suppressed"
)
PROFILE_WRITTEN_STEPS = {"Install dependencies", "Initialize", "Test"}
SHA = "89abcdef0123456789abcdef0123456789abcdef"


def rendered(profile: Path) -> dict:
    path = str(profile.relative_to(ROOT))
    return yaml.safe_load(render_config(load_profile(path), path))


def run_steps(config: dict) -> list[tuple[str, str]]:
    """(name, command) of every `run` step, both `run: "..."` and `run: {command: ...}`."""
    found = []
    stack = [config]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "run" and isinstance(value, str):
                    found.append(("", value))
                elif key == "run" and isinstance(value, dict):
                    found.append((value.get("name", ""), value["command"]))
                else:
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)
    return found


def write_scripts(directory: Path, steps: list[tuple[str, str]], prefix: str) -> list[Path]:
    scripts = []
    for number, (_, command) in enumerate(steps):
        script = directory / f"{prefix}-{number:03}.sh"
        script.write_text("#!/bin/bash\n" + command + ("" if command.endswith("\n") else "\n"))
        scripts.append(script)
    return scripts


def unique_scripts(
    directory: Path, steps: dict[str, list[tuple[str, str]]]
) -> dict[Path, list[str]]:
    """One script per distinct command (most commands recur in many profiles and jobs, and
    shellcheck's findings depend only on the text), each with the places that use it."""
    places: dict[str, list[str]] = {}
    for profile, profile_steps in steps.items():
        for number, (name, command) in enumerate(profile_steps):
            places.setdefault(command, []).append(f"{profile} step {number} {name!r}")
    scripts = write_scripts(directory, [("", command) for command in places], "command")
    return dict(zip(scripts, places.values(), strict=True))


def assert_shellcheck_clean(scripts: dict[Path, list[str]], *options: str) -> None:
    """shellcheck over every script in one process; a finding names its script, and the failure
    message says which profile steps that script is."""
    result = shellcheck(list(scripts), *options)
    named = [
        f"{script.name}: {', '.join(uses)}"
        for script, uses in scripts.items()
        if script.name in result.stdout
    ]
    report = "\n".join([result.stdout, result.stderr, "where:", *named])
    assert result.returncode == 0 and result.stdout == "", report


def shellcheck(scripts: list[Path], *options: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["shellcheck", "-s", "bash", "-f", "gcc", *options, *map(str, scripts)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def substituted(command: str, values: dict) -> str:
    def value(match: re.Match) -> str:
        given = values[match.group(1)]
        return str(given).lower() if isinstance(given, bool) else str(given)

    return PARAMETER_REFERENCE.sub(value, command)


def invoked_steps(config: dict) -> list[tuple[str, str]]:
    """The run steps of the config's reusable `commands:` as CircleCI runs them: once per
    invocation, each `<< parameters.NAME >>` replaced by the value passed or the default
    (https://circleci.com/docs/reusing-config/#authoring-reusable-commands)."""
    commands = config.pop("commands", {})
    found = []
    stack: list = [config["jobs"], config.get("anchors", {})]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key not in commands:
                    stack.append(value)
                    continue
                declared = commands[key].get("parameters", {})
                values = {name: p.get("default") for name, p in declared.items()}
                values |= value if isinstance(value, dict) else {}
                for name, command in run_steps({"steps": commands[key]["steps"]}):
                    found.append((name, substituted(command, values)))
        elif isinstance(node, list):
            # a command invoked without parameters is a plain string step
            stack.extend({item: {}} if str(item) in commands else item for item in node)
    return found


def job_runs(config: dict) -> list[tuple[str, str]]:
    """The run steps of the config's parameterised jobs as CircleCI runs them: once per workflow
    entry, each `<< parameters.NAME >>` replaced by the argument beside `name:` or the default
    (https://circleci.com/docs/reusing-config/)."""
    jobs = config["jobs"]
    parameterised = {name: jobs.pop(name) for name in list(jobs) if "parameters" in jobs[name]}
    found = []
    for workflow in config.get("workflows", {}).values():
        for entry in workflow["jobs"]:
            name, options = (entry, {}) if isinstance(entry, str) else next(iter(entry.items()))
            job = parameterised.get(name)
            if job is None:
                continue
            values = {key: p.get("default") for key, p in job["parameters"].items()}
            values |= {key: value for key, value in options.items() if key in values}
            for step_name, command in run_steps({"steps": job["steps"]}):
                found.append((step_name, substituted(command, values)))
    return found


@pytest.fixture(scope="module")
def every_step() -> dict[str, list[tuple[str, str]]]:
    steps = {}
    for profile in every_valid_profile():
        config = rendered(profile)
        invoked = invoked_steps(config)  # takes `commands:` out of the config
        invoked += job_runs(config)  # and the parameterised jobs out of its jobs
        steps[profile.name] = run_steps(config) + invoked
    return steps


def profile_written_commands(profile: Path) -> set[str]:
    """The commands of the profile's own custom steps (hooks, delivery steps, custom jobs)."""
    from ciconf.circleci.build import step

    loaded = load_profile(str(profile))
    steps = [s for job in loaded.test_jobs.values() for point in job.steps for s in point[1]]
    steps += [s for job in loaded.jobs.values() for s in job.steps]
    if loaded.delivery is not None:
        steps += [s for point in loaded.delivery.steps for s in point[1]]
    return {name_command[1] for s in steps if s.run for name_command in run_steps({"s": step(s)})}


def test_every_mode_and_option_is_covered(every_step):
    names = {name for steps in every_step.values() for name, _ in steps}
    assert {"AWS credentials", "AWS credentials (OIDC)", "ECR login", "Deploy tag"} <= names
    profiles = [rendered(profile) for profile in every_valid_profile()]
    assert any("merge_test" not in config["jobs"] for config in profiles)
    assert any("--build-arg" in command for steps in every_step.values() for _, command in steps)
    # each run of a parameterised job is checked with its own arguments
    published = {c for _, c in every_step["parameterised-jobs.yaml"] if "publish-docs" in c}
    assert published == {
        "./scripts/publish-docs staging false",
        "./scripts/publish-docs production true",
    }


def test_every_run_command_passes_shellcheck(every_step, tmp_path):
    scripts = unique_scripts(tmp_path, every_step)
    assert len(scripts) > 20
    assert sum(map(len, scripts.values())) == sum(map(len, every_step.values()))
    assert_shellcheck_clean(scripts)


def test_commands_ciconf_writes_pass_the_optional_checks_too(every_step, tmp_path):
    written = {profile.name: profile_written_commands(profile) for profile in every_valid_profile()}
    own = {
        profile: [
            step
            for step in steps
            if step[0] not in PROFILE_WRITTEN_STEPS and step[1] not in written[profile]
        ]
        for profile, steps in every_step.items()
    }
    assert_shellcheck_clean(unique_scripts(tmp_path, own), "-o", STRICT_CHECKS)


def test_shellcheck_does_report_a_bad_script(tmp_path):
    # guards the two tests above against a shellcheck that silently checks nothing
    (script,) = write_scripts(tmp_path, [("", "rm -rf $dir/*\n[ $x = y ]")], "bad")
    result = shellcheck([script])
    assert result.returncode != 0 and "SC2086" in result.stdout


# --- credentials steps run in bash with stub docker/aws ------------------------------------------


def fixture_config(name: str) -> dict:
    return rendered(ROOT / "tests" / "fixtures" / "profiles" / name)


def argvs(calls: list[dict]) -> list[list[str]]:
    return [call["argv"] for call in calls]


def test_context_mode_logs_in_builds_and_tags_with_the_context_variables(tmp_path):
    job = fixture_config("context-approval.yaml")["jobs"]["delivery_prod"]
    context = {
        "AWS_ACCESS_KEY_ID": "ctx-key",
        "AWS_SECRET_ACCESS_KEY": "ctx-secret",
        "AWS_ACCOUNT_ID": "444455556666",
    }
    calls = argvs(run_job(job, tmp_path, {"CIRCLE_SHA1": SHA, **context}))
    registry = "444455556666.dkr.ecr.ap-southeast-2.amazonaws.com"
    tag = SHA[:12]
    assert calls[0] == ["aws", "ecr", "get-login-password", "--region", "ap-southeast-2"]
    assert [argv for argv in calls if argv[0] == "docker"] == [
        ["docker", "login", "--username", "AWS", "--password-stdin", registry],
        ["docker", "build", "-f", "Dockerfile", "-t", f"{registry}/shop:{SHA}", "."],
        ["docker", "push", f"{registry}/shop:{SHA}"],
    ]
    assert [argv[argv.index("--image-tag") + 1] for argv in calls if "put-image" in argv] == [
        tag,
        "production",
    ]
    # the context's keys are used by the AWS CLI from the environment, never written anywhere
    assert not (tmp_path / "home" / ".aws").exists()


def test_context_mode_without_an_account_id_stops_before_docker(tmp_path):
    job = fixture_config("context-approval.yaml")["jobs"]["delivery_stg"]
    with pytest.raises(subprocess.CalledProcessError) as failure:
        run_job(job, tmp_path, {"CIRCLE_SHA1": SHA})
    assert "AWS_ACCOUNT_ID is not set for this job" in failure.value.stderr
    log = tmp_path / "calls.jsonl"
    assert not log.exists() or "docker" not in log.read_text()


SEEN_BY_LATER_STEPS = {
    "run": {
        "name": "what a later step sees",
        "command": 'printf "%s\\n" "${AWS_ROLE_ARN}" "${AWS_WEB_IDENTITY_TOKEN_FILE}" '
        '"${AWS_ROLE_SESSION_NAME}" > seen.txt\n',
    }
}


def test_oidc_mode_writes_the_token_file_and_exports_it_for_later_steps(tmp_path):
    job = fixture_config("oidc-single.yaml")["jobs"]["delivery_prod"]
    job = {**job, "steps": [*job["steps"], SEEN_BY_LATER_STEPS]}
    variables = {
        "CIRCLE_SHA1": SHA,
        "CIRCLE_OIDC_TOKEN_V2": "header.payload.signature",
        "CIRCLE_BUILD_NUM": "42",
    }
    calls = argvs(run_job(job, tmp_path, variables))

    token_file = tmp_path / "home" / ".aws" / "circleci-oidc-token"
    assert token_file.read_text() == "header.payload.signature"  # exactly the token, no newline
    assert (tmp_path / "bash_env").read_text() == (
        f"export AWS_WEB_IDENTITY_TOKEN_FILE={token_file}\nexport "
        "AWS_ROLE_SESSION_NAME=circleci-42\n"
    )
    role, token_path, session = (tmp_path / "seen.txt").read_text().splitlines()
    assert role == "arn:aws:iam::210987654321:role/ci/circleci-deploy"
    assert (token_path, session) == (str(token_file), "circleci-42")

    registry = "210987654321.dkr.ecr.us-east-1.amazonaws.com"
    reference = f"{registry}/platform/api-server:{SHA}"
    assert calls[0] == ["aws", "ecr", "get-login-password", "--region", "us-east-1"]
    docker = [argv for argv in calls if argv[0] == "docker"]
    assert docker[0] == ["docker", "login", "--username", "AWS", "--password-stdin", registry]
    assert docker[1][:2] == ["docker", "build"] and docker[1][-3:] == ["-t", reference, "."]
    assert docker[2:] == [["docker", "push", reference]]
    assert [argv[argv.index("--image-tag") + 1] for argv in calls if "put-image" in argv] == [
        SHA[:6],
        "prod",
    ]


def test_oidc_mode_without_a_token_names_the_missing_context(tmp_path):
    job = fixture_config("oidc-single.yaml")["jobs"]["delivery_prod"]
    with pytest.raises(subprocess.CalledProcessError) as failure:
        run_job(job, tmp_path, {"CIRCLE_SHA1": SHA})
    assert "no OIDC token: attach a context to this job" in failure.value.stderr
    assert not (tmp_path / "calls.jsonl").exists()


def test_build_args_reach_docker_literally(tmp_path):
    job = fixture_config("oidc-single.yaml")["jobs"]["delivery_prod"]
    variables = {"CIRCLE_SHA1": SHA, "CIRCLE_OIDC_TOKEN_V2": "token"}
    build = next(
        argv for argv in argvs(run_job(job, tmp_path, variables)) if argv[:2] == ["docker", "build"]
    )
    assert build[2:6] == [
        "--build-arg",
        "GO_VERSION=1.22",
        "--build-arg",
        'GREETING=say "hi" & $(don\'t) `run` me; ok',
    ]


def test_build_arg_substitutions_stay_text(tmp_path):
    profile = copy.deepcopy(FULL_PROFILE)
    profile["delivery"]["images"][0]["build_args"] = {
        "A": "$(touch made-by-dollar)",
        "B": "`touch made-by-backtick`",
    }
    config = yaml.safe_load(render_config(validate_document(Document("p.yaml", profile)), "p.yaml"))
    calls = argvs(
        run_job(
            config["jobs"]["delivery_stg"],
            tmp_path,
            {"CIRCLE_SHA1": SHA, "AWS_ACCOUNT_ID": "123456789012"},
        )
    )
    build = next(argv for argv in calls if argv[:2] == ["docker", "build"])
    assert build[2:6] == [
        "--build-arg",
        "A=$(touch made-by-dollar)",
        "--build-arg",
        "B=`touch made-by-backtick`",
    ]
    assert not list(tmp_path.rglob("made-by-*"))


def test_build_arg_from_env_reaches_docker_as_the_run_time_value(tmp_path):
    profile = copy.deepcopy(FULL_PROFILE)
    profile["delivery"]["images"][0]["build_args"] = {"GIT_COMMIT": {"from_env": "CIRCLE_SHA1"}}
    config = yaml.safe_load(render_config(validate_document(Document("p.yaml", profile)), "p.yaml"))
    calls = argvs(
        run_job(
            config["jobs"]["delivery_stg"],
            tmp_path,
            {"CIRCLE_SHA1": SHA, "AWS_ACCOUNT_ID": "123456789012"},
        )
    )
    build = next(argv for argv in calls if argv[:2] == ["docker", "build"])
    assert build[2:4] == ["--build-arg", f"GIT_COMMIT={SHA}"]


# CircleCI's own variables get {circleci: NAME} instead (tests/test_run_time_values.py)
@pytest.mark.parametrize("value", ["${APP_VERSION}", "v-$RELEASE_NAME"])
def test_a_variable_in_a_literal_build_arg_is_refused_with_the_typed_form(value):
    profile = copy.deepcopy(FULL_PROFILE)
    profile["delivery"]["images"][0]["build_args"] = {"GIT_COMMIT": value}
    with pytest.raises(InputError) as refused:
        validate_document(Document("p.yaml", profile))
    name = value.split("$")[1].strip("{}")
    assert f"did you mean {{from_env: {name}}}?" in str(refused.value)
