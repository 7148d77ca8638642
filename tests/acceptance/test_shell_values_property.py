"""Property tests: whatever text lands in a profile field is refused, or is provably inert where it
lands.

- Fields that reach a command accept only text with no shell meaning at all (no quoting needed), so
  random text near a valid value is either refused with a one-line error or made of inert
  characters.
- Build-arg and environment values are free text: they must arrive unchanged, in docker's argv (run
  for real in bash with a stub docker) and in the environment CircleCI reads from the YAML.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from jobsim import run_job
from unit.profile.test_injection import (
    FULL_PROFILE,
    KEY_FIELDS,
    VALUE_FIELDS,
    dotted,
    with_key,
    with_value,
)

from ciconf.circleci.render import render_config
from ciconf.errors import InputError
from ciconf.profile.load import validate_document
from ciconf.yamlkit.load import Document

# Characters with no meaning to bash in any position of a word (a leading '-' is checked apart).
SHELL_INERT = re.compile(r"[A-Za-z0-9_./@+:=,~-]+")
ANY_CHARACTER = st.characters(exclude_categories=["Cs"])
SHELL_SPECIALS = st.sampled_from(list(" \n\"'`$\\;&|<>(*?#~-\x00\u00a0"))
SHA = "0123456789abcdef0123456789abcdef01234567"


def value_at(path: tuple) -> str:
    node = FULL_PROFILE
    for part in path:
        node = node[part]
    return node


@st.composite
def near_valid(draw, valid: str) -> str:
    """A valid value with a few characters inserted or replaced: where grammar bugs hide."""
    text = valid
    for _ in range(draw(st.integers(1, 3))):
        char = draw(st.one_of(SHELL_SPECIALS, SHELL_SPECIALS, ANY_CHARACTER))
        index = draw(st.one_of(st.just(0), st.integers(0, len(text)), st.just(len(text))))
        replace = draw(st.booleans()) and index < len(text)
        text = text[:index] + char + text[index + (1 if replace else 0) :]
    return text


def validated(profile: dict):
    return validate_document(Document("profile.yaml", profile))


@pytest.mark.parametrize("path", VALUE_FIELDS + KEY_FIELDS, ids=dotted)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_text_in_a_shell_reaching_field_is_refused_or_inert(path, data):
    is_key = path in KEY_FIELDS
    seed = "PYTHON_VERSION" if is_key else value_at(path)
    value = data.draw(
        st.one_of(near_valid(seed), st.text(ANY_CHARACTER, min_size=1, max_size=30)), label="value"
    )
    profile = with_key(path, value) if is_key else with_value(path, value)
    try:
        parsed = validated(profile)
    except InputError as error:
        message = str(error)
        assert "\r" not in message
        for line in message.split(
            "\n"
        ):  # one located line per problem, nothing the value could forge
            assert line.startswith("profile.yaml:") and (
                dotted(path) in line or "profile.yaml:" in line
            )
        assert len(message.split("\n")) == len(error.problems)
        return
    event("accepted")  # --hypothesis-show-statistics: a good share of near-valid values pass
    assert SHELL_INERT.fullmatch(value) and not value.startswith("-"), (
        f"{dotted(path)} accepted {value!r}"
    )
    config = yaml.safe_load(render_config(parsed, "profile.yaml"))
    assert config["version"] == 2.1


def free_text() -> st.SearchStrategy[str]:
    return st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=40)


def assert_refused_template(profile: dict) -> None:
    with pytest.raises(InputError) as caught:
        validated(profile)
    assert all("'<<' at character" in line for line in str(caught.value).splitlines())


def build_step(config: dict, repository: str) -> dict:
    job = config["jobs"]["delivery_stg"]
    return next(
        s
        for s in job["steps"]
        if isinstance(s, dict) and s.get("run", {}).get("name") == f"{repository} image"
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    value=st.one_of(
        free_text(),
        st.sampled_from(
            [
                "$(touch pwned)",
                "`touch pwned`",
                "'; touch pwned; '",
                "x\ny\n",
                "\\",
                "<< pipeline.git.branch >>",
            ]
        ),
    )
)
def test_build_arg_values_reach_docker_unchanged_and_run_nothing(value):
    profile = with_value(("delivery", "images", 0, "build_args", "LABEL"), value)
    if "<<" in value:  # CircleCI's pipeline-value syntax: refused (test_injection.py)
        assert_refused_template(profile)
        return
    try:
        parsed = validated(profile)
    except InputError as error:
        assume("literal AWS credential" not in str(error))  # random text can look like a secret key
        # a $NAME reference in a literal build argument is refused: {from_env: NAME} is its form
        assume("did you mean {from_env:" not in str(error))
        raise
    config = yaml.safe_load(render_config(parsed, "profile.yaml"))
    job = {
        "environment": {"AWS_ACCOUNT_ID": "123456789012"},
        "steps": [build_step(config, "team/api")],
    }
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        calls = run_job(job, work, {"CIRCLE_SHA1": SHA})
        assert not (work / "pwned").exists()
    build = next(call["argv"] for call in calls if call["argv"][:2] == ["docker", "build"])
    assert build[2:6] == ["--build-arg", "LABEL=" + value, "--build-arg", "PYTHON_VERSION=3.12"]


@settings(max_examples=100, deadline=None)
@given(value=st.one_of(free_text(), st.builds(lambda a, b: f"{a}<<{b}", free_text(), free_text())))
def test_environment_values_reach_circleci_unchanged(value):
    profile = with_value(("test", "environment", "APP_ENV"), value)
    profile["test"]["services"][0]["environment"]["POSTGRES_USER"] = value
    if "<<" in value:
        assert_refused_template(profile)
        return
    try:
        parsed = validated(profile)
    except InputError as error:
        assume("literal AWS credential" not in str(error))
        raise
    config = yaml.safe_load(render_config(parsed, "profile.yaml"))
    environment = config["jobs"]["test"]
    assert environment["environment"]["APP_ENV"] == value
    assert environment["docker"][1]["environment"]["POSTGRES_USER"] == value
