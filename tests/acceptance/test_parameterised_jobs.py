"""Parameterised custom jobs: `job_parameters:` declares typed parameters (as a command's), and
`invocations:` runs the job several times in the workflow, each under its own `name:` with its
own arguments. ciconf writes CircleCI's form: the job's `parameters:` and one workflow entry per
run, the arguments beside `name:` and `requires:` (https://circleci.com/docs/reusing-config/ ,
"Authoring parameterized jobs"; the `name` key lets a job be invoked several times).
"""

from __future__ import annotations

import pytest
import yaml
from conftest import ROOT, planned_runs

from ciconf.circleci.render import render_config
from ciconf.errors import InputError
from ciconf.lint.schema import circleci_validator
from ciconf.profile.load import parse_profile

EXAMPLE = ROOT / "profiles" / "examples" / "parameterised-jobs.yaml"

BASE = """\
project: docs
test: {image: cimg/python:3.12, command: make test}
jobs:
  publish:
    image: cimg/base:2024.01
    job_parameters:
      env: {type: enum, enum: [staging, production]}
      retries: {type: integer, default: 2}
      bucket: {type: string, default: docs}
    environment:
      TARGET: << parameters.env >>
    steps:
      - run: ./publish << parameters.env >> << parameters.retries >>
    requires: [test]
"""
RUNS = """\
    invocations:
      - name: publish-staging
        parameters: {env: staging}
      - name: publish-production
        parameters: {env: production, retries: 5}
        requires: [publish-staging]
"""


def rendered(text: str) -> dict:
    return yaml.safe_load(render_config(parse_profile(text, "p.yaml"), "p.yaml"))


def refused(text: str) -> str:
    with pytest.raises(InputError) as error:
        parse_profile(text, "p.yaml")
    return str(error.value)


def entries(data: dict) -> list:
    return next(iter(data["workflows"].values()))["jobs"]


def test_the_job_declares_its_parameters_and_each_run_is_a_named_entry_with_its_arguments():
    data = rendered(BASE + RUNS)
    assert data["jobs"]["publish"]["parameters"] == {
        "env": {"type": "enum", "enum": ["staging", "production"]},
        "retries": {"type": "integer", "default": 2},
        "bucket": {"type": "string", "default": "docs"},
    }
    assert data["jobs"]["publish"]["steps"] == [
        {"run": "./publish << parameters.env >> << parameters.retries >>"}
    ]
    assert entries(data)[1:] == [
        {"publish": {"name": "publish-staging", "requires": ["test"], "env": "staging"}},
        {
            "publish": {
                "name": "publish-production",
                "requires": ["test", "publish-staging"],
                "env": "production",
                "retries": 5,
            }
        },
    ]
    errors = list(circleci_validator().iter_errors(data))
    assert errors == [], [error.message for error in errors]


def test_without_invocations_a_job_whose_parameters_have_defaults_runs_once_under_its_name():
    data = rendered(
        BASE.replace("enum: [staging, production]}", "enum: [staging], default: staging}")
    )
    assert entries(data)[1:] == [{"publish": {"requires": ["test"]}}]
    assert data["jobs"]["publish"]["parameters"]["env"]["default"] == "staging"


def test_a_parameter_without_default_needs_invocations():
    message = refused(BASE)
    assert message.startswith("p.yaml:6:5: jobs.publish.job_parameters: "), message
    assert "'publish' needs parameter 'env' (it has no default)" in message


def test_other_jobs_require_a_run_by_its_name_and_not_the_job_s():
    notify = "  notify:\n    image: cimg/base:2024.01\n    steps: [run: echo done]\n"
    data = rendered(BASE + RUNS + notify + "    requires: [publish-production]\n")
    assert {"notify": {"requires": ["publish-production"]}} in entries(data)
    message = refused(BASE + RUNS + notify + "    requires: [publish]\n")
    assert message.startswith("p.yaml:24:16: jobs.notify.requires[0]: "), message
    assert "requires 'publish', which runs only as its invocations: require one of " in message
    assert message.endswith("publish-staging, publish-production"), message


@pytest.mark.parametrize(
    ("run", "says"),
    [
        (
            "{name: publish-staging, parameters: {env: stage}}",
            "expected one of staging, production",
        ),
        (
            "{name: publish-staging, parameters: {env: staging, retries: '3'}}",
            "expected a whole number",
        ),
        (
            "{name: publish-staging, parameters: {env: staging, retry: 3}}",
            "did you mean 'retries'?",
        ),
        (
            "{name: publish-staging, parameters: {env: staging, bucket: 'x; curl y | sh'}}",
            "no spaces, quotes or $",
        ),
        ("{name: publish-staging}", "'publish' needs parameter 'env' (it has no default)"),
    ],
)
def test_an_invocation_that_does_not_fit_the_declaration_is_refused_at_its_line(run, says):
    message = refused(BASE + f"    invocations:\n      - {run}\n")
    assert message.startswith("p.yaml:16:"), message
    assert "jobs.publish.invocations[0]" in message and says in message, message


def test_an_undeclared_parameter_in_the_job_is_refused_with_the_declared_one():
    message = refused(
        (BASE + RUNS).replace("./publish << parameters.env >>", "./publish << parameters.evn >>")
    )
    assert message.startswith("p.yaml:13:14: jobs.publish.steps[0].run: "), message
    assert "<< parameters.evn >> is not a parameter of this job" in message
    assert "did you mean 'env'?" in message


def test_an_undeclared_parameter_in_the_environment_is_refused_too():
    message = refused(
        (BASE + RUNS).replace("TARGET: << parameters.env >>", "TARGET: << parameters.en >>")
    )
    assert "p.yaml:11:" in message and "<< parameters.en >>" in message, message
    assert "did you mean 'env'?" in message


def test_a_job_without_job_parameters_still_refuses_parameter_references():
    text = "project: p\ntest: {image: cimg/base:2024.01, command: make}\njobs:\n  x:\n"
    text += "    image: cimg/base:2024.01\n    steps: ['echo << parameters.env >>']\n"
    assert "CircleCI reads '<< … >>' as a pipeline value" in refused(text)


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (
            ("name: publish-production", "name: publish-staging"),
            "job name 'publish-staging' is already used",
        ),
        (("name: publish-production", "name: test"), "job name 'test' is already used"),
        (
            ("      bucket:", "      requires:"),
            "job parameter 'requires' is a key of the workflow entry",
        ),
    ],
)
def test_run_names_share_the_job_namespace_and_parameter_names_avoid_entry_keys(change, says):
    assert says in refused((BASE + RUNS).replace(*change))


def test_an_orb_job_takes_its_orb_s_parameters_and_no_invocations():
    text = "project: p\norbs: {slack: circleci/slack@4.13.3}\ntest: {image: cimg/base:2024.01, "
    text += "command: make}\njobs:\n  tell:\n    orb_job: slack/notify\n"
    text += "    invocations: [{name: tell-a}]\n"
    assert "an orb job takes its orb's parameters under parameters" in refused(text)


def test_an_extra_workflow_listing_the_job_runs_each_invocation():
    text = BASE + RUNS + "workflows:\n  docs-only:\n    when: << pipeline.parameters.docs >>\n"
    text += "    jobs: [test, publish]\nparameters:\n  docs: {type: boolean, default: false}\n"
    names = [
        next(iter(e.values()))["name"]
        for e in rendered(text)["workflows"]["docs-only"]["jobs"]
        if isinstance(e, dict) and "publish" in e
    ]
    assert names == ["publish-staging", "publish-production"]


def test_plan_shows_each_run_of_the_example_on_main_and_none_elsewhere():
    assert planned_runs(EXAMPLE, "main") == {
        "test": True,
        "deploy-docs-staging": True,
        "deploy-docs-production": True,
    }
    assert planned_runs(EXAMPLE, "feature/x") == {
        "test": True,
        "deploy-docs-staging": False,
        "deploy-docs-production": False,
    }


def test_an_approval_holds_each_run_on_its_own():
    text = BASE.replace("    requires: [test]\n", "    requires: [test]\n    approval: true\n")
    jobs = entries(rendered(text + RUNS))[1:]
    assert jobs[0] == {"hold_publish-staging": {"type": "approval", "requires": ["test"]}}
    assert jobs[1]["publish"]["requires"] == ["hold_publish-staging"]
    assert jobs[2]["hold_publish-production"]["requires"] == ["test", "publish-staging"]
