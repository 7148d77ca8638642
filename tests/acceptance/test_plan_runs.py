"""`ciconf plan` on 2026 syntax and kinds of run (issue 17 §1 and §4): job groups, version 2
configs, three-valued logic over the values a run leaves open, scheduled pipelines and API
triggers."""

from __future__ import annotations

import json
import textwrap

import pytest
from conftest import run_ciconf

from ciconf.errors import InputError
from ciconf.plan.run import PlanRequest, build_plan


def plan(tmp_path, text: str, branch="main", tag=None, params=(), schedule=None, api=False):
    path = tmp_path / "config.yml"
    path.write_text(textwrap.dedent(text))
    return build_plan(PlanRequest(None, str(path), branch, tag, params, schedule=schedule, api=api))


def workflows(tmp_path, text: str, **kwargs) -> dict[str, tuple]:
    found = plan(tmp_path, text, **kwargs).as_json()["workflows"]
    return {flow["name"]: (flow["runs"], flow["reason"]) for flow in found}


def jobs(tmp_path, text: str, **kwargs) -> list[tuple]:
    (flow,) = plan(tmp_path, text, **kwargs).as_json()["workflows"]
    return [(job["name"], job["runs"], job["stage"], job["requires"]) for job in flow["jobs"]]


HEAD = """\
version: 2.1
jobs:
  build: {docker: [{image: cimg/base:current}], steps: [checkout]}
  test: {docker: [{image: cimg/base:current}], steps: [checkout]}
  publish: {docker: [{image: cimg/base:current}], steps: [checkout]}
  nightly: {docker: [{image: cimg/base:current}], steps: [checkout]}
"""

# --- §4: what a push decides -------------------------------------------------------------------
# https://circleci.com/docs/pipeline-variables/ : pipeline.trigger_source is "the source that
# triggers the pipeline, current values are webhook, api, scheduled_pipeline";
# pipeline.schedule.name is "the name of the schedule if it is a scheduled pipeline. Value will
# be empty string if the pipeline is triggered by other sources". A push is neither an API call
# nor a schedule.

CONDITIONS = (
    HEAD
    + """\
workflows:
  not-scheduled:
    when:
      not:
        equal: [scheduled_pipeline, << pipeline.trigger_source >>]
    jobs: [build]
  webhook-only:
    when:
      equal: [webhook, << pipeline.trigger_source >>]
    jobs: [build]
  nightly:
    when:
      and:
        - equal: [scheduled_pipeline, << pipeline.trigger_source >>]
        - equal: [nightly, << pipeline.schedule.name >>]
    jobs: [nightly]
  scheduled-any:
    when:
      equal: [scheduled_pipeline, << pipeline.trigger_source >>]
    jobs: [nightly]
  legacy:
    triggers:
      - schedule: {cron: "0 0 * * *", filters: {branches: {only: main}}}
    jobs: [nightly]
"""
)


def test_a_push_is_never_a_scheduled_pipeline_whatever_its_integration(tmp_path):
    result = workflows(tmp_path, CONDITIONS)
    assert result["not-scheduled"] == (True, None)  # issue 17 §4: was "undecided"
    assert result["scheduled-any"] == (
        False,
        "workflow when: condition is false (on a push, pipeline.trigger_source: any value but "
        "'api', 'scheduled_pipeline')",
    )
    assert result["nightly"] == (False, "workflow when: condition is false")


def test_a_value_the_push_leaves_open_stays_undecided_and_says_why(tmp_path):
    assert workflows(tmp_path, CONDITIONS)["webhook-only"] == (
        None,
        "workflow when depends on pipeline.trigger_source (on a push, pipeline.trigger_source: "
        "any value but 'api', 'scheduled_pipeline')",
    )
    given = workflows(tmp_path, CONDITIONS, params=["pipeline.trigger_source=webhook"])
    assert given["webhook-only"] == (True, None)


@pytest.mark.parametrize(
    ("condition", "runs"),
    [
        # a pattern or a prefix says nothing about "any other value": undecided, never guessed
        ("matches: {pattern: '^sched.*$', value: << pipeline.trigger_source >>}", None),
        # in a longer text the other value is not compared as a whole: undecided
        ("equal: [x-webhook, x-<< pipeline.trigger_source >>]", None),
        # a parameter default is a value the statement is not written with: still undecided
        ("equal: [<< pipeline.parameters.source >>, << pipeline.trigger_source >>]", None),
        ("equal: [<< pipeline.parameters.never >>, << pipeline.trigger_source >>]", False),
        ("or: [{equal: [api, << pipeline.trigger_source >>]}, {equal: [1, 1]}]", True),
        ("not: {equal: [api, << pipeline.trigger_source >>]}", True),
        ("<< pipeline.trigger_source >>", None),  # truthy unless it is "" (not ruled out)
    ],
)
def test_three_valued_logic_over_the_set_never_gives_a_wrong_answer(tmp_path, condition, runs):
    config = HEAD + textwrap.dedent(f"""\
        parameters:
          source: {{type: string, default: webhook}}
          never: {{type: string, default: api}}
        workflows:
          w:
            when:
              {condition}
            jobs: [build]
        """)
    assert workflows(tmp_path, config)["w"][0] is runs


def test_expression_filters_are_decided_over_the_set_too(tmp_path):
    # https://circleci.com/docs/guides/orchestrate/using-branch-filters/ (expression filters)
    config = HEAD + textwrap.dedent("""\
        workflows:
          w:
            jobs:
              - build:
                  filters: pipeline.trigger_source != "scheduled_pipeline"
              - test:
                  filters: pipeline.trigger_source == "api" or pipeline.git.branch == "dev"
              - publish:
                  filters: pipeline.trigger_source == "webhook"
        """)
    assert [(name, runs) for name, runs, _, _ in jobs(tmp_path, config)] == [
        ("build", True),
        ("test", False),
        ("publish", None),
    ]


# --- §4: scheduled pipelines and API triggers ---------------------------------------------------
# Scheduled pipelines: trigger_source is scheduled_pipeline and pipeline.schedule.name the
# schedule's name (pipeline-variables, above); the web app's and the API's triggers are `api`.
# Workflows with `triggers:` run on their own cron only
# (https://circleci.com/docs/workflows/#scheduling-a-workflow).


def test_a_scheduled_pipeline_runs_the_scheduled_workflows(tmp_path):
    result = workflows(tmp_path, CONDITIONS, schedule="nightly")
    assert {name: runs for name, (runs, _) in result.items()} == {
        "not-scheduled": False,
        "webhook-only": False,
        "nightly": True,
        "scheduled-any": True,
        "legacy": False,
    }
    assert (
        result["legacy"][1] == "scheduled workflow (triggers:) does not run on a scheduled pipeline"
    )
    other = workflows(tmp_path, CONDITIONS, schedule="weekly")
    assert (other["nightly"][0], other["scheduled-any"][0]) == (False, True)


def test_an_api_trigger_is_neither_a_schedule_nor_a_webhook(tmp_path):
    result = workflows(tmp_path, CONDITIONS, api=True)
    assert {name: runs for name, (runs, _) in result.items()} == {
        "not-scheduled": True,
        "webhook-only": False,
        "nightly": False,
        "scheduled-any": False,
        "legacy": False,
    }


def test_schedule_and_api_on_the_command_line(tmp_path):
    config = tmp_path / "config.yml"
    config.write_text(CONDITIONS)
    done = run_ciconf("plan", "--config", config, "--branch", "main", "--schedule", "nightly")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("plan for scheduled pipeline 'nightly' on branch main: ")
    assert "workflow nightly: runs" in done.stdout
    done = run_ciconf("plan", "--config", config, "--branch", "dev", "--api", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["workflows"][0]["runs"] is True
    both = run_ciconf("plan", "--config", config, "--branch", "m", "--api", "--schedule", "n")
    assert both.returncode == 2
    assert (
        both.stderr.strip() == "ciconf: error: ciconf plan: give --schedule NAME or --api, not both"
    )
    empty = run_ciconf("plan", "--config", config, "--branch", "m", "--schedule", "")
    assert empty.returncode == 2 and "Traceback" not in empty.stderr


# --- §1: job groups ----------------------------------------------------------------------------
# https://circleci.com/docs/reference/configuration-reference/#job-groups : "named collections of
# jobs with internal dependency relationships that can be referenced as a single unit in
# workflows"; https://circleci.com/changelog/job-groups-serialize-multiple-jobs-as-one-unit/

GROUPS = (
    HEAD
    + """\
job-groups:
  release-group:
    jobs:
      - test
      - publish:
          requires: [test]
workflows:
  main:
    jobs:
      - build
      - release-group:
          serial-group: deploys
          requires: [build]
          filters: {branches: {only: main}}
      - nightly:
          requires: [release-group]
"""
)


def test_a_job_group_is_expanded_into_its_jobs_in_requires_order(tmp_path):
    assert jobs(tmp_path, GROUPS) == [
        ("build", True, 0, []),
        ("test", True, 1, ["build"]),  # the group's requires go to its first jobs
        ("publish", True, 2, ["test"]),
        ("nightly", True, 3, ["test", "publish"]),  # requiring the group: every job of it
    ]
    found = plan(tmp_path, GROUPS).as_json()["workflows"][0]["jobs"]
    assert [job.get("job_group") for job in found] == [None, "release-group", "release-group", None]


def test_a_job_groups_filters_apply_to_each_of_its_jobs(tmp_path):
    found = plan(tmp_path, GROUPS, branch="dev").as_json()["workflows"][0]["jobs"]
    assert [(job["name"], job["runs"], job["reason"]) for job in found] == [
        ("build", True, None),
        ("test", False, "job group release-group: branches.only ('main') does not match 'dev'"),
        ("publish", False, "job group release-group: branches.only ('main') does not match 'dev'"),
        (
            "nightly",
            False,
            "upstream test does not run (job group release-group: branches.only ('main') does "
            "not match 'dev')",
        ),
    ]


def test_a_job_group_inside_itself_is_bad_input(tmp_path):
    config = HEAD + textwrap.dedent("""\
        job-groups:
          loop:
            jobs: [build, loop]
        workflows:
          main:
            jobs: [loop]
        """)
    with pytest.raises(InputError, match="job group 'loop' contains itself"):
        plan(tmp_path, config)


def test_the_text_plan_names_the_group(tmp_path):
    config = tmp_path / "config.yml"
    config.write_text(GROUPS)
    done = run_ciconf("plan", "--config", config, "--branch", "main")
    assert done.returncode == 0, done.stderr
    assert "publish  runs  [in job group release-group; after test]" in done.stdout


# --- §1: version 2 ------------------------------------------------------------------------------
# https://discuss.circleci.com/t/breaking-change-sunsetting-configuration-version-2-0/5460


VERSION_2 = """\
version: 2
jobs:
  build: {docker: [{image: cimg/base:current}], steps: [checkout]}
  deploy: {docker: [{image: cimg/base:current}], steps: [checkout]}
workflows:
  version: 2
  one:
    jobs: [build, {deploy: {requires: [build], filters: {branches: {only: main}}}}]
  two:
    jobs: [build]
"""


def test_a_version_2_config_is_flagged_on_every_workflow_and_still_planned(tmp_path):
    found = plan(tmp_path, VERSION_2).as_json()["workflows"]
    note = (
        "version: 2 -- CircleCI no longer compiles version 2 configs (it requires version: 2.1); "
        "shown is what this config would run if it were compiled"
    )
    assert [(flow["name"], flow["runs"], flow["notes"]) for flow in found] == [
        ("one", True, [note]),
        ("two", True, [note]),
    ]
    assert [(job["name"], job["runs"]) for job in found[0]["jobs"]] == [
        ("build", True),
        ("deploy", True),
    ]
    without = plan(tmp_path, "version: 2\njobs:\n  build: {steps: [checkout]}\n")
    assert without.as_json()["workflows"][0]["notes"] == [note]
    assert "notes" not in plan(tmp_path, GROUPS).as_json()["workflows"][0]  # 2.1: no note


def test_a_job_group_with_a_tags_filter_runs_its_jobs_for_a_tag(tmp_path):
    # the group's filters are the filters of its jobs that have none of their own
    config = HEAD + textwrap.dedent("""\
        job-groups:
          release:
            jobs:
              - test
              - publish:
                  requires: [test]
                  filters: {tags: {only: /^v2.*/}}
        workflows:
          main:
            jobs:
              - release:
                  filters: {tags: {only: /^v.*/}, branches: {ignore: /.*/}}
        """)
    assert [
        (name, runs) for name, runs, _, _ in jobs(tmp_path, config, branch=None, tag="v1.0")
    ] == [
        ("test", True),
        ("publish", False),
    ]
    assert [runs for _, runs, _, _ in jobs(tmp_path, config, branch="main")] == [False, False]


def test_a_push_is_never_a_schedule_or_api_trigger_type(tmp_path):
    # https://circleci.com/changelog/expanded-pipeline-values-support (pipeline.trigger.type)
    config = HEAD + textwrap.dedent("""\
        workflows:
          w:
            jobs:
              - build:
                  filters: pipeline.trigger.type != "schedule" and pipeline.trigger.type != "api"
        """)
    assert [runs for _, runs, _, _ in jobs(tmp_path, config)] == [True]
    assert [runs for _, runs, _, _ in jobs(tmp_path, config, schedule="n")] == [None]


def test_groups_listing_groups_twice_are_capped_not_expanded_exponentially(tmp_path):
    groups = "".join(
        f"  g{level}:\n    jobs: [{{g{level + 1}: {{name: a{level}}}}}, g{level + 1}]\n"
        for level in range(18)
    )
    config = HEAD + "job-groups:\n" + groups + "  g18:\n    jobs: [build]\n"
    config += "workflows:\n  main:\n    jobs: [g0]\n"
    with pytest.raises(InputError, match=r"ciconf plans at most 5000 \(cap MAX_JOBS\)"):
        plan(tmp_path, config)
