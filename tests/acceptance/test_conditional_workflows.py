"""Pipeline parameters and conditional workflows (issue 19): typed `parameters:`, `workflows:` of
the profile's jobs that run only `when`/`unless` a condition, and `only_here` jobs the push
workflow leaves out; rendered as CircleCI writes them and planned as CircleCI runs them."""

from __future__ import annotations

import json
import textwrap

import pytest
import yaml
from conftest import ROOT, ciconf_in_process, run_ciconf

from ciconf.circleci.render import render_config
from ciconf.errors import InputError
from ciconf.profile.load import parse_profile

EXAMPLE = ROOT / "profiles" / "examples" / "conditional-workflows.yaml"


def planned(*run: str) -> dict[str, tuple]:
    """Each workflow of the example's plan (asked in-process): whether it runs and which of its
    jobs run."""
    done = ciconf_in_process("plan", EXAMPLE, *run, "--format", "json", cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return {
        flow["name"]: (flow["runs"], sorted(job["name"] for job in flow["jobs"] if job["runs"]))
        for flow in json.loads(done.stdout)["workflows"]
    }


# Pipeline parameters take their declared default unless the run sets them, and a push cannot
# set them (only the API, the web app's Trigger Pipeline button or a schedule):
# https://circleci.com/docs/pipeline-variables/#pipeline-parameters ; a workflow with `when`
# runs only when its logic statement holds:
# https://circleci.com/docs/reference/configuration-reference/#logic-statements


def test_a_push_runs_the_push_workflow_and_no_browser_suite():
    assert planned("--branch", "main") == {
        "billing-api": (True, ["delivery_prod", "unit"]),
        "browser-smoke": (False, []),
        "browser-full": (False, []),
    }


def test_a_tag_push_runs_nothing():
    # no job has a tags filter: https://circleci.com/docs/guides/orchestrate/workflows/#executing-workflows-for-a-git-tag
    plan = planned("--tag", "v1.0.0")
    assert all(jobs == [] for _, jobs in plan.values())


def test_an_api_trigger_with_the_parameters_runs_the_suite_asked_for():
    plan = planned(
        "--branch",
        "feature/x",
        "--api",
        "--param",
        "run_browser_tests=true",
        "--param",
        "suite=full",
    )
    assert plan == {
        "billing-api": (True, ["unit"]),  # delivery_prod is for main only
        "browser-smoke": (False, []),
        "browser-full": (True, ["browser_full", "unit"]),
    }
    smoke = planned("--branch", "feature/x", "--api", "--param", "run_browser_tests=true")
    assert smoke["browser-smoke"] == (True, ["browser_smoke", "unit"])  # suite's default
    assert smoke["browser-full"] == (False, [])


def test_the_browser_workflows_never_run_for_dependabot_branches():
    plan = planned(
        "--branch", "dependabot/bundler/rails-8", "--api", "--param", "run_browser_tests=true"
    )
    assert plan["browser-smoke"] == (False, [])


def test_an_enum_parameter_refuses_a_value_it_does_not_list():
    done = run_ciconf(
        "plan", EXAMPLE, "--branch", "main", "--api", "--param", "suite=everything", cwd=ROOT
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr


def rendered(text: str) -> dict:
    return yaml.safe_load(render_config(parse_profile(textwrap.dedent(text), "p.yaml"), "p.yaml"))


def test_the_example_renders_typed_parameters_and_its_conditions_as_written():
    data = yaml.safe_load(EXAMPLE.with_suffix(".yaml").read_text())
    config = rendered(EXAMPLE.read_text())
    assert config["parameters"] == {
        "run_browser_tests": {
            "type": "boolean",
            "description": "Run a browser suite",
            "default": False,
        },
        "suite": {
            "type": "enum",
            "description": "Which browser suite",
            "enum": ["smoke", "full"],
            "default": "smoke",
        },
    }
    assert list(config["workflows"]) == ["billing-api", "browser-smoke", "browser-full"]
    for name in ("browser-smoke", "browser-full"):
        assert config["workflows"][name]["when"] == data["workflows"][name]["when"]
    push = [
        next(iter(job)) if isinstance(job, dict) else job
        for job in config["workflows"]["billing-api"]["jobs"]
    ]
    assert push == ["unit", "delivery_prod"]  # browser_* are only_here


BASE = """\
project: shop
parameters:
  deploy_docs: {type: boolean, default: false}
tests:
  unit: {image: cimg/base:2024.01, command: make test}
  docs: {image: cimg/base:2024.01, command: make docs, gates_delivery: false, merge_test: false}
workflows:
  docs:
    jobs: [docs]
    when: << pipeline.parameters.deploy_docs >>
"""


def test_a_profile_without_the_new_fields_renders_no_parameters_and_one_workflow():
    text = (
        BASE.split("parameters:", maxsplit=1)[0]
        + "test: {image: cimg/base:2024.01, command: make}\n"
    )
    config = rendered(text)
    assert "parameters" not in config
    assert list(config["workflows"]) == ["shop"]
    assert "when" not in config["workflows"]["shop"]


def test_a_workflow_job_runs_without_its_push_filters():
    # the workflow's condition decides when it runs; a branch filter would silently narrow it
    text = BASE.replace("merge_test: false}", "merge_test: false, branches: [main]}")
    config = rendered(text)
    assert config["workflows"]["docs"] == {
        "when": "<< pipeline.parameters.deploy_docs >>",
        "jobs": ["docs"],
    }
    push = {
        next(iter(job)): job for job in config["workflows"]["shop"]["jobs"] if isinstance(job, dict)
    }
    assert push["docs"]["docs"]["filters"] == {"branches": {"only": ["main"]}}


def test_unless_and_custom_jobs_with_their_hold_and_context():
    text = BASE.replace(
        "workflows:",
        textwrap.dedent("""\
            jobs:
              publish:
                image: cimg/base:2024.01
                steps: [checkout, make publish]
                requires: [docs]
                context: [docs-site]
                approval: true
            workflows:"""),
    ).replace("jobs: [docs]", "jobs: [docs, publish]\n    only_here: [publish]")
    text = text.replace("when: << pipeline", "unless: << pipeline")
    config = rendered(text)
    assert config["workflows"]["docs"] == {
        "unless": "<< pipeline.parameters.deploy_docs >>",
        "jobs": [
            "docs",
            {"hold_publish": {"type": "approval", "requires": ["docs"]}},
            {"publish": {"requires": ["hold_publish"], "context": ["docs-site"]}},
        ],
    }
    names = [
        next(iter(job)) if isinstance(job, dict) else job
        for job in config["workflows"]["shop"]["jobs"]
    ]
    assert "publish" not in names and "hold_publish" not in names


def refused(text: str) -> str:
    with pytest.raises(InputError) as error:
        parse_profile(textwrap.dedent(text), "p.yaml")
    return str(error.value)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "when: << pipeline.parameters.deploy_docs >>",
            "when: << pipeline.parameters.deploy_doc >>",
            "p.yaml:10:11: workflows.docs.when: << pipeline.parameters.deploy_doc >> is not "
            "declared under parameters; did you mean '<< pipeline.parameters.deploy_docs >>'?",
        ),
        (
            "when: << pipeline.parameters.deploy_docs >>",
            "when: {and: [true, {equal: [main, << pipeline.parameters.branch >>]}]}",
            "workflows.docs.when.and[1].equal[1]: << pipeline.parameters.branch >> is not declared",
        ),
        (
            "when: << pipeline.parameters.deploy_docs >>",
            "when: {equal: [main, << pipeline.git.brnch >>]}",
            "'pipeline.git.brnch' is not a pipeline value ciconf knows; did you mean "
            "'pipeline.git.branch'?",
        ),
        (
            "when: << pipeline.parameters.deploy_docs >>",
            "when: {equel: [main, << pipeline.git.branch >>]}",
            "a condition is a value or a mapping with exactly one of and, or, not, equal, "
            "matches; did you mean 'equal'?",
        ),
        (
            "when: << pipeline.parameters.deploy_docs >>",
            "when: {matches: {pattern: 'feature/(', value: << pipeline.git.branch >>}}",
            "workflows.docs.when.matches.pattern: 'feature/(' is not a valid regular expression",
        ),
        (
            "when: << pipeline.parameters.deploy_docs >>",
            "when: 'x << pipeline.git.branch >>'",
            "a pipeline value is the whole value",
        ),
        (
            "    when: << pipeline.parameters.deploy_docs >>",
            "    when: << pipeline.parameters.deploy_docs >>\n    unless: true",
            "give when or unless",
        ),
        (
            "when: << pipeline.parameters.deploy_docs >>",
            "when: [main]",
            "workflows.docs.when: got list; a condition is a value (text, a number, true/false) "
            "or a mapping",
        ),
        (
            "{type: boolean, default: false}",
            "{type: boolean, default: 'no'}",
            "p.yaml:3:41: parameters.deploy_docs.default: the default of a boolean parameter is "
            "true or false",
        ),
        ("{type: boolean, default: false}", "{type: integer, default: true}", "an integer"),
        (
            "{type: boolean, default: false}",
            "{type: enum, enum: [stg, prod], default: prd}",
            "default 'prd' is not one of enum; did you mean 'prod'?",
        ),
        ("{type: boolean, default: false}", "{type: enum, default: a}", "enum lists the values"),
        ("jobs: [docs]", "jobs: [dcos]", "workflows.docs.jobs[0]: 'dcos': it is not a test job"),
        ("jobs: [docs]", "jobs: [docs, docs]", "'docs' is listed twice"),
        ("  docs:\n    jobs", "  shop:\n    jobs", "workflow name 'shop' is already used"),
        (
            "jobs: [docs]",
            "jobs: [docs]\n    only_here: [unit]",
            "workflows.docs.only_here[0]: 'unit' is not one of this workflow's jobs",
        ),
    ],
)
def test_bad_parameters_and_workflows_are_refused_at_their_line(old, new, expected):
    assert old in BASE
    assert expected in refused(BASE.replace(old, new))


def test_a_workflow_must_list_what_its_jobs_require():
    text = BASE.replace("merge_test: false}", "merge_test: false, requires: [unit]}")
    assert (
        "workflows.docs.jobs[0]: 'docs' requires 'unit', which this workflow does not run; "
        "list 'unit' too" in refused(text)
    )


def test_deliveries_stay_in_the_push_workflow():
    text = BASE + textwrap.dedent("""\
        delivery: {region: eu-west-1, images: [{repository: shop/api}]}
        accounts:
          - {name: prod, branch: main, credentials: {mode: context, context: shop-prod}}
        """)
    assert rendered(text)["workflows"]["shop"]["jobs"][-1]["delivery_prod"]["requires"] == ["unit"]
    message = refused(text.replace("jobs: [docs]", "jobs: [docs, delivery_prod]"))
    assert "'delivery_prod': deliveries and approvals run in the push workflow only" in message


def test_a_job_the_push_workflow_still_needs_cannot_be_left_out_of_it():
    text = BASE.replace(
        "jobs: [docs]", "jobs: [unit, docs]\n    only_here: [unit]"
    ) + textwrap.dedent("""\
        delivery: {region: eu-west-1, images: [{repository: shop/api}]}
        accounts:
          - {name: prod, branch: main, credentials: {mode: context, context: shop-prod}}
        """)
    message = refused(text)
    assert (
        "workflows.docs.only_here[0]: 'unit' runs only in its own workflow, but "
        "'delivery_prod' of the push workflow requires it; set its gates_delivery: false"
    ) in message


def test_the_push_workflow_keeps_a_job():
    text = BASE.replace("  unit: {image: cimg/base:2024.01, command: make test}\n", "").replace(
        "jobs: [docs]", "jobs: [docs]\n    only_here: [docs]"
    )
    assert "the push workflow would have no job left" in refused(text)


def test_bad_input_is_one_message_and_exit_2(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(BASE.replace("deploy_docs >>", "deploy_dcs >>"))
    done = run_ciconf("render", path, "--stdout", cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "p.yaml:10:11:" in done.stderr and "did you mean" in done.stderr


@pytest.mark.parametrize("literal", ["main\\u202e", "a\\nb", "x" * 201])
def test_a_condition_literal_is_one_printable_line(literal):
    # a bidi control or a line break would make the rendered condition read differently
    text = BASE.replace(
        "when: << pipeline.parameters.deploy_docs >>",
        f'when: {{equal: ["{literal}", << pipeline.git.branch >>]}}',
    )
    assert "expected one line of at most 200 printable characters" in refused(text)
