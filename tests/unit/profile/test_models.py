"""The profile's new reach (test jobs, executors, steps, orbs, jobs, triggers, promotion): what it
accepts, and one located message with a suggestion for what it refuses."""

from __future__ import annotations

import pytest
import yaml

from ciconf.circleci.render import render_config
from ciconf.errors import InputError
from ciconf.profile.load import parse_profile

BASE = """\
project: demo
test:
  image: cimg/python:3.12
  command: pytest
delivery:
  region: eu-west-1
  images:
    - repository: demo
accounts:
  - name: stg
    branch: main
    credentials: {mode: context, context: aws-stg}
"""

SMOKE = """\
jobs:
  smoke:
    image: cimg/base:2024.01
    requires: [delivery_stg]
    steps:
      - run: curl -fsS https://demo.example.com/health
"""


def refused(text: str) -> InputError:
    with pytest.raises(InputError) as error:
        parse_profile(text, "p.yaml")
    return error.value


def where(error: InputError) -> str:
    return f"{error.line}:{error.column} {error.field}"


def render(text: str) -> dict:
    return yaml.safe_load(render_config(parse_profile(text, "p.yaml"), "p.yaml"))


# --- refused, at the line to fix
# ----------------------------------------------------------------------


def test_a_machine_image_given_as_a_docker_image_is_an_error_not_a_guess():
    error = refused(BASE.replace("cimg/python:3.12", "ubuntu-2204:current"))
    assert where(error) == "3:10 test.image"
    assert (
        "machine image, not a Docker image" in error.message
        and "machine: {image: ubuntu-2204:current}" in error.message
    )


def test_delivery_executor_image_cannot_be_a_machine_image_either():
    error = refused(
        BASE.replace(
            "  region: eu-west-1\n", "  region: eu-west-1\n  executor_image: ubuntu-2204:current\n"
        )
    )
    assert where(error) == "7:19 delivery.executor_image" and "machine image" in error.message


def test_a_docker_image_given_as_a_machine_is_refused():
    error = refused(
        BASE.replace("  image: cimg/python:3.12\n", "  machine: {image: cimg/python:3.12}\n")
    )
    assert error.field == "test.machine.image" and "not a CircleCI machine image" in error.message


def test_an_unknown_step_kind_gets_a_did_you_mean():
    error = refused(BASE + SMOKE.replace("      - run: curl", "      - rnu: curl"))
    assert where(error) == "18:9 jobs.smoke.steps[0].rnu"
    assert error.suggestion == "run"


def test_a_step_with_two_kinds_is_refused():
    error = refused(
        BASE
        + SMOKE.replace(
            "      - run: curl -fsS https://demo.example.com/health",
            "      - {run: make, checkout: {}}",
        )
    )
    assert error.field == "jobs.smoke.steps[0]" and "exactly one of" in error.message


def test_an_unknown_job_in_requires_is_located_with_a_suggestion():
    error = refused(BASE + SMOKE.replace("[delivery_stg]", "[delivery_stag]"))
    assert where(error) == "16:16 jobs.smoke.requires[0]"
    assert (
        "'delivery_stag', which is not a job" in error.message
        and "did you mean 'delivery_stg'" in error.message
    )


def test_a_requires_cycle_is_an_error_at_one_of_its_edges():
    text = (
        BASE
        + SMOKE
        + "  after:\n    image: cimg/base:2024.01\n    requires: [smoke]\n    steps: [echo]\n"
    )
    error = refused(text.replace("[delivery_stg]", "[after]"))
    assert error.field in ("jobs.smoke.requires[0]", "jobs.after.requires[0]")
    assert "cycle" in error.message and "smoke" in error.message and "after" in error.message


def test_an_account_requiring_a_job_that_requires_its_delivery_is_a_cycle():
    text = BASE.replace("    branch: main\n", "    branch: main\n    requires: [smoke]\n") + SMOKE
    assert "cycle" in refused(text).message


def test_an_undeclared_orb_is_an_error_with_the_declared_one_suggested():
    text = BASE + "orbs:\n  slack: circleci/slack@4.13.3\n" + SMOKE + "      - orb: slak/notify\n"
    error = refused(text)
    assert error.field == "jobs.smoke.steps[1].orb" and "not declared under orbs" in error.message
    assert "'slack/notify'" in error.message


@pytest.mark.parametrize(
    "reference", ["circleci/slack@volatile", "circleci/slack@4", "circleci/slack"]
)
def test_orbs_must_be_pinned_to_an_exact_version(reference):
    error = refused(BASE + f"orbs:\n  slack: {reference}\n")
    assert error.field == "orbs.slack" and "circleci/aws-cli@4.1.3" in error.message


@pytest.mark.parametrize(
    ("tags", "says"),
    [
        ("[v*]", "is a glob"),
        ("['/v(/']", "not a valid regular expression"),
        ("['/" + "a" * 300 + "/']", "at most 200"),
    ],
)
def test_tag_filters_are_tags_or_valid_patterns(tags, says):
    error = refused(BASE.replace("    branch: main\n", f"    tags: {tags}\n"))
    assert error.field == "accounts[0].tags[0]" and says in error.message


def test_a_branch_glob_is_refused_with_the_pattern_form_suggested():
    error = refused(BASE.replace("    branch: main\n", "    branches: [release/*]\n"))
    assert error.field == "accounts[0].branches[0]" and "/^release\\/.*/" in error.message


def test_an_account_needs_a_trigger():
    error = refused(BASE.replace("    branch: main\n", ""))
    assert error.field == "accounts[0]" and "branch, branches or tags" in error.message


def test_test_and_tests_are_exclusive_and_one_is_needed():
    assert (
        "not both"
        in refused(BASE + "tests:\n  unit: {image: cimg/base:2024.01, command: make}\n").message
    )
    # without accounts: a delivery-only service (accounts, no tests) is valid
    without_tests = BASE.replace("test:\n  image: cimg/python:3.12\n  command: pytest\n", "")
    error = refused(without_tests.split("accounts:")[0])
    assert "missing required key 'test'" in error.message


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        ("  split: {glob: [tests/*.py]}\n  test_results: out\n", "parallelism to 2 or more"),
        ("  parallelism: 4\n  split: {glob: [tests/*.py]}\n", "needs test_results"),
        ("  branches: [main]\n", "gates_delivery: false"),
        ("  image: cimg/python:<< parameters.py >>\n", "declares no 'py'"),
        (
            "  cache: {lockfiles: [a.lock], paths: [x]}\n  caches: [{lockfiles: [b.lock], "
            "paths: [y]}]\n",
            "not both",
        ),
        ("  machine: {image: ubuntu-2204:current}\n", "not both"),
    ],
)
def test_test_job_rules(extra, says):
    text = BASE.replace("  image: cimg/python:3.12\n", "") if "image:" in extra else BASE
    text = text.replace("  command: pytest\n", "  command: pytest\n" + extra)
    if "machine" in extra:
        text = BASE.replace("  command: pytest\n", "  command: pytest\n" + extra)
    error = refused(text)
    assert error.field == "test" and says in error.message, str(error)


def test_job_names_share_one_namespace():
    error = refused(
        BASE + SMOKE.replace("  smoke:", "  delivery_stg:").replace("[delivery_stg]", "[test]")
    )
    assert error.field == "jobs.delivery_stg" and "already used" in error.message


def test_promotion_needs_a_known_building_account_whose_id_is_known():
    two = (
        BASE + "  - name: prod\n    tags: [v1.0.0]\n    promote_from: stgg\n    credentials: "
        "{mode: context, context: aws-prod}\n"
    )
    error = refused(two)
    assert error.field == "accounts[1].promote_from" and error.message.endswith(
        "did you mean 'stg'?"
    )
    error = refused(two.replace("stgg", "stg"))
    assert "inside a CircleCI context" in error.message


# --- accepted, rendered as CircleCI expects
# ---------------------------------------------------------


def test_old_profiles_keep_meaning_what_they_meant():
    data = render(BASE)
    assert data["jobs"]["test"]["docker"] == [{"image": "cimg/python:3.12"}]
    assert data["workflows"]["demo"]["jobs"][0] == "test"


def test_bare_checkout_is_the_checkout_step_and_other_strings_are_commands():
    data = render(
        BASE
        + SMOKE.replace(
            "      - run: curl", "      - checkout\n      - add_ssh_keys\n      - run: curl"
        )
    )
    steps = data["jobs"]["smoke"]["steps"]
    assert steps[:2] == ["checkout", "add_ssh_keys"] and steps[2] == {
        "run": "curl -fsS https://demo.example.com/health"
    }


def test_every_step_kind_renders_as_the_circleci_step():
    steps = """\
      - run: {command: make, name: Build, working_directory: app, background: true, when: always,
              no_output_timeout: 20m, shell: /bin/bash -eo pipefail, environment: {X: "1"}}
      - save_cache: {key: 'v1-{{ checksum "a.lock" }}', paths: [node_modules]}
      - restore_cache: {keys: ['v1-{{ checksum "a.lock" }}', v1-]}
      - persist_to_workspace: {root: ., paths: [dist/*]}
      - attach_workspace: {at: /tmp/ws}
      - store_artifacts: {path: dist, destination: build}
      - store_test_results: {path: reports}
      - add_ssh_keys: {fingerprints: ["SHA256:0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"]}
      - checkout: {path: src}
      - setup_remote_docker: {docker_layer_caching: true}
"""
    data = render(
        BASE + SMOKE.replace("      - run: curl -fsS https://demo.example.com/health\n", steps)
    )
    assert data["jobs"]["smoke"]["steps"] == [
        {
            "run": {
                "name": "Build",
                "command": "make",
                "working_directory": "app",
                "when": "always",
                "no_output_timeout": "20m",
                "shell": "/bin/bash -eo pipefail",
                "background": True,
                "environment": {"X": "1"},
            }
        },
        {"save_cache": {"key": 'v1-{{ checksum "a.lock" }}', "paths": ["node_modules"]}},
        {"restore_cache": {"keys": ['v1-{{ checksum "a.lock" }}', "v1-"]}},
        {"persist_to_workspace": {"root": ".", "paths": ["dist/*"]}},
        {"attach_workspace": {"at": "/tmp/ws"}},
        {"store_artifacts": {"path": "dist", "destination": "build"}},
        {"store_test_results": {"path": "reports"}},
        {"add_ssh_keys": {"fingerprints": ["SHA256:0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"]}},
        {"checkout": {"path": "src"}},
        {"setup_remote_docker": {"docker_layer_caching": True}},
    ]


def test_hooks_land_at_their_named_points():
    hooks = """\
  install: pip install .
  steps:
    before_install: [echo before_install]
    after_install: [echo after_install]
    before_test: [echo before_test]
    after_test: [echo after_test]
"""
    data = render(BASE.replace("  command: pytest\n", "  command: pytest\n" + hooks))
    runs = [
        s["run"] if isinstance(s["run"], str) else s["run"]["name"]
        for s in data["jobs"]["test"]["steps"][1:]
    ]
    assert runs == [
        "echo before_install",
        "Install dependencies",
        "echo after_install",
        "echo before_test",
        "Test",
        "echo after_test",
    ]


def test_tags_only_account_never_delivers_on_a_branch_and_its_upstream_runs_on_the_tag():
    text = BASE.replace("    branch: main\n", "    tags: ['/^v.*/']\n    approval: true\n")
    data = render(text + "merge_test: {base: main}\n")
    jobs = {
        next(iter(j)) if isinstance(j, dict) else j: (
            j[next(iter(j))] if isinstance(j, dict) else {}
        )
        for j in data["workflows"]["demo"]["jobs"]
    }
    assert jobs["delivery_stg"]["filters"] == {
        "branches": {"ignore": "/.*/"},
        "tags": {"only": ["/^v.*/"]},
    }
    assert jobs["hold_stg"]["filters"] == jobs["delivery_stg"]["filters"]
    assert jobs["test"]["filters"] == {"tags": {"only": ["/^v.*/"]}}
    assert jobs["merge_test"]["filters"]["tags"] == {
        "ignore": "/.*/"
    }  # merge tests never run for tags


def test_a_job_without_triggers_follows_the_tags_of_what_it_requires():
    text = BASE.replace("    branch: main\n", "    branch: main\n    tags: [v1.0.0]\n") + SMOKE
    jobs = render(text)["workflows"]["demo"]["jobs"]
    smoke = next(j["smoke"] for j in jobs if isinstance(j, dict) and "smoke" in j)
    assert smoke["filters"] == {"tags": {"only": ["v1.0.0"]}}


def test_serialize_can_be_turned_off_or_renamed():
    off = render(BASE.replace("    branch: main\n", "    branch: main\n    serialize: false\n"))
    assert "serial-group" not in off["workflows"]["demo"]["jobs"][-1]["delivery_stg"]
    named = render(
        BASE.replace("    branch: main\n", "    branch: main\n    serial_group: org/staging\n")
    )
    assert named["workflows"]["demo"]["jobs"][-1]["delivery_stg"]["serial-group"] == "org/staging"


def test_a_glob_in_branch_points_at_branches_and_tags():
    # the issue's `branch: v*`: a tag release written as a branch
    error = refused(BASE.replace("    branch: main\n", "    branch: v*\n"))
    assert where(error) == "11:13 accounts[0].branch"
    assert "branches: [/^release" in error.message and "tags: [/^v" in error.message
