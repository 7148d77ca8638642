"""Run-time values in build arguments: `{circleci: NAME}` (a CircleCI built-in variable) reaches
docker as its value when the job runs; `$NAME` written literally is refused with the typed form.

CircleCI's built-in variables, and when each is set (CIRCLE_TAG: tag pushes only; CIRCLE_BRANCH:
branch pushes): https://circleci.com/docs/reference/variables/
"""

from __future__ import annotations

import copy
import json

import pytest
import yaml
from conftest import ROOT, run_ciconf
from jobsim import run_job
from unit.profile.test_injection import FULL_PROFILE

from ciconf.circleci.render import render_config
from ciconf.errors import InputError
from ciconf.profile.load import load_profile, validate_document
from ciconf.profile.schema import profile_schema_text
from ciconf.yamlkit.load import Document

SHA = "89abcdef0123456789abcdef0123456789abcdef"


def _profile(build_args: dict) -> dict:
    profile = copy.deepcopy(FULL_PROFILE)
    profile["delivery"]["images"][0]["build_args"] = build_args
    return profile


def _build_argv(profile: dict, tmp_path, variables: dict[str, str]) -> list[str]:
    config = yaml.safe_load(render_config(validate_document(Document("p.yaml", profile)), "p.yaml"))
    calls = run_job(
        config["jobs"]["delivery_stg"],
        tmp_path,
        {"CIRCLE_SHA1": SHA, "AWS_ACCOUNT_ID": "123456789012", **variables},
    )
    return next(call["argv"] for call in calls if call["argv"][:2] == ["docker", "build"])


def _build_args(argv: list[str]) -> list[str]:
    return [argv[i + 1] for i, word in enumerate(argv) if word == "--build-arg"]


def test_circleci_values_reach_docker_as_the_values_of_this_run(tmp_path):
    profile = _profile(
        {
            "BUILD": {"circleci": "CIRCLE_BUILD_NUM"},
            "COMMIT": {"circleci": "CIRCLE_SHA1"},
            "RELEASE": {"circleci": "CIRCLE_TAG"},
        }
    )
    argv = _build_argv(profile, tmp_path, {"CIRCLE_BUILD_NUM": "417", "CIRCLE_TAG": "v2.0.1"})
    assert _build_args(argv) == ["BUILD=417", f"COMMIT={SHA}", "RELEASE=v2.0.1"]


def test_a_tag_only_variable_is_empty_on_a_branch_push_instead_of_stopping_the_job(tmp_path):
    # CIRCLE_TAG is not set on a branch push: the build goes on with an empty value
    profile = _profile({"RELEASE": {"circleci": "CIRCLE_TAG"}})
    argv = _build_argv(profile, tmp_path, {"CIRCLE_BRANCH": "main"})
    assert _build_args(argv) == ["RELEASE="]


def test_an_always_set_variable_that_is_missing_stops_the_job(tmp_path):
    profile = _profile({"BUILD": {"circleci": "CIRCLE_BUILD_NUM"}})
    with pytest.raises(Exception) as stopped:
        _build_argv(profile, tmp_path, {})
    assert "CIRCLE_BUILD_NUM is not set for this job" in stopped.value.stderr  # type: ignore[attr-defined]


def test_an_unknown_circleci_variable_is_refused_at_its_line():
    profile = _profile({"BUILD": {"circleci": "CIRCLE_BUILD_NUMBER"}})
    with pytest.raises(InputError) as refused:
        validate_document(Document("p.yaml", profile))
    assert "build_args" in str(refused.value)
    assert "CIRCLE_BUILD_NUM" in str(refused.value)


@pytest.mark.parametrize(
    ("value", "typed"),
    [
        ("${CIRCLE_SHA1}", "{circleci: CIRCLE_SHA1}"),
        ("build-$CIRCLE_BUILD_NUM", "{circleci: CIRCLE_BUILD_NUM}"),
        ("v${CIRCLE_TAG}", "{circleci: CIRCLE_TAG}"),
        ("${APP_VERSION}", "{from_env: APP_VERSION}"),  # not CircleCI's: a project variable
    ],
)
def test_a_variable_written_in_a_literal_build_arg_is_refused_with_its_typed_form(value, typed):
    with pytest.raises(InputError) as refused:
        validate_document(Document("p.yaml", _profile({"X": value})))
    assert f"did you mean {typed}?" in str(refused.value)
    assert "would reach docker as the text itself" in str(refused.value)


def test_the_schema_lists_the_circleci_variables_an_editor_can_offer():
    text = profile_schema_text()
    assert '"CIRCLE_BUILD_NUM"' in text
    assert '"CIRCLE_TAG"' in text


# --- the example: profiles/examples/run-time-tags.yaml ------------------------------------


def _example_config() -> dict:
    path = "profiles/examples/run-time-tags.yaml"
    return yaml.safe_load(render_config(load_profile(str(ROOT / path)), path))


def _plan(*push: str) -> dict:
    result = run_ciconf(
        "plan", "profiles/examples/run-time-tags.yaml", *push, "--format", "json", cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    (workflow,) = json.loads(result.stdout)["workflows"]
    return {job["name"]: job["runs"] for job in workflow["jobs"]}


def test_example_release_tags_deliver_to_prod_and_main_to_staging():
    assert _plan("--tag", "v1.2.3") == {"test": True, "delivery_stg": False, "delivery_prod": True}
    assert _plan("--branch", "main") == {"test": True, "delivery_stg": True, "delivery_prod": False}
    assert _plan("--tag", "nightly")["delivery_prod"] is False


def test_example_release_build_knows_its_commit_build_number_and_release(tmp_path):
    job = _example_config()["jobs"]["delivery_prod"]
    variables = {
        "CIRCLE_SHA1": SHA,
        "CIRCLE_BUILD_NUM": "88",
        "CIRCLE_TAG": "v1.2.3",
        "CIRCLE_OIDC_TOKEN_V2": "token",
        "AWS_ACCOUNT_ID": "222222222222",
    }
    calls = run_job(job, tmp_path, variables)
    argv = next(call["argv"] for call in calls if call["argv"][:2] == ["docker", "build"])
    assert _build_args(argv) == [
        "BUILD_NUMBER=88",
        f"GIT_COMMIT={SHA}",
        "RAILS_ENV=production",
        "RELEASE=v1.2.3",
    ]
