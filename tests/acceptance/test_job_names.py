"""Job names with capitals (`Build`, `Unit`): CircleCI's config compiler takes
^[A-Za-z][A-Za-z\\s\\d_-]*$ for job names (its own error message quotes the pattern:
https://github.com/SchemaStore/schemastore/issues/3832, https://github.com/glpi-project/glpi/pull/5352)
and tells them apart ignoring case (https://github.com/circleci/circleci-docs/pull/5278); the
lowercase-only rule of https://circleci.com/docs/reusing-config/ is for commands, executors and
parameters. ciconf takes either case and keeps spaces out.
"""

from __future__ import annotations

import pytest
import yaml
from conftest import ROOT, planned_runs

from ciconf.circleci.render import render_config
from ciconf.errors import InputError
from ciconf.lint.schema import circleci_validator
from ciconf.profile.load import parse_profile

EXAMPLE = ROOT / "profiles" / "examples" / "job-names.yaml"


def rendered(text: str) -> dict:
    return yaml.safe_load(render_config(parse_profile(text, "p.yaml"), "p.yaml"))


def two_tests(first: str, second: str, requires: str | None = None) -> str:
    needs = f"    requires: [{requires}]\n" if requires else ""
    return (
        "project: ship\n"
        "tests:\n"
        f"  {first}:\n"
        "    image: cimg/base:2024.01\n"
        "    cache: {lockfiles: [a.lock], paths: [deps]}\n"
        "    command: make lint\n"
        f"  {second}:\n"
        "    image: cimg/go:1.22\n"
        "    command: make test\n" + needs
    )


def test_capitals_reach_the_config_and_every_derived_name_works():
    data = rendered(two_tests("Build", "Unit", "Build") + "merge_test: {base: main}\n")
    assert {"Build", "Unit", "merge_Build", "merge_Unit"} <= set(data["jobs"])
    # anchors are derived in lowercase; the cache key keeps the name as written
    assert {"build_environment", "unit_environment", "build_restore_cache"} <= set(data["anchors"])
    keys = data["anchors"]["build_restore_cache"]["restore_cache"]["keys"]
    assert keys == ['v1-ship-Build-{{ checksum "a.lock" }}', "v1-ship-Build-"]
    errors = list(circleci_validator().iter_errors(data))
    assert errors == [], [error.message for error in errors]


def test_names_that_differ_only_in_case_are_one_job():
    with pytest.raises(InputError) as error:
        parse_profile(two_tests("Unit", "unit"), "p.yaml")
    assert "job name 'unit' is already used (as 'Unit': case does not count)" in str(error.value)


def test_a_name_with_a_space_gets_the_one_word_spelling():
    with pytest.raises(InputError) as error:
        parse_profile(two_tests("Deploy Staging", "unit"), "p.yaml")
    text = str(error.value)
    assert text.startswith("p.yaml:3:3: tests['Deploy Staging']: 'Deploy Staging' has a space"), (
        text
    )
    assert "did you mean 'Deploy_Staging'?" in text


def test_a_reference_in_the_wrong_case_is_refused_with_the_right_one():
    with pytest.raises(InputError) as error:
        parse_profile(two_tests("Lint", "Unit", "lint"), "p.yaml")
    assert "did you mean 'Lint'?" in str(error.value)


@pytest.mark.parametrize("name", ["9lives", "build.image", "_hidden", "b" * 41])
def test_what_circleci_refuses_is_refused(name):
    with pytest.raises(InputError, match="a letter, then letters, digits"):
        parse_profile(two_tests(name, "unit"), "p.yaml")


def test_the_example_plans_its_jobs_by_their_own_names():
    for branch, on_main in (("feature/x", False), ("main", True)):
        assert planned_runs(EXAMPLE, branch) == {
            "Lint": True,
            "Unit": True,
            "merge_Lint": not on_main,
            "merge_Unit": not on_main,
            "hold_prod": on_main,
            "Docs": on_main,
            "delivery_prod": on_main,
        }
