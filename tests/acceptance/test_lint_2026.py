"""Lint on the syntax CircleCI accepts in 2026 (issue 17 §1): job groups, the newer keys the
vendored schema knows or lags on, and the rules CC002, CC304, CC305 and CC306."""

from __future__ import annotations

import json
import textwrap

from conftest import run_ciconf


def lint(tmp_path, text: str, *args: str):
    path = tmp_path / "config.yml"
    path.write_text(textwrap.dedent(text))
    return run_ciconf("lint", "--format", "json", *args, path, cwd=tmp_path)


def found(tmp_path, text: str) -> list[tuple[int, int, str, str]]:
    done = lint(tmp_path, text)
    assert done.returncode in (0, 1), done.stderr
    return [(f["line"], f["column"], f["rule"], f["message"]) for f in json.loads(done.stdout)]


JOBS = """\
version: 2.1
jobs:
  build: {docker: [{image: cimg/base:current}], steps: [checkout]}
  test: {docker: [{image: cimg/base:current}], steps: [checkout]}
  publish: {docker: [{image: cimg/base:current}], steps: [checkout]}
  gate: {type: no-op}
"""


# Job groups: https://circleci.com/docs/reference/configuration-reference/#job-groups and
# https://circleci.com/changelog/job-groups-serialize-multiple-jobs-as-one-unit/ ("a named set of
# jobs that run as one unit ... under a new top-level job-groups key ... with or without
# serial-group").
def test_a_workflow_runs_a_job_group_with_requires_into_and_out_of_it_and_a_serial_group(
    tmp_path,
):
    config = JOBS + textwrap.dedent("""\
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
                  serial-group: << pipeline.project.slug >>/release
                  requires: [build]
              - gate:
                  requires: [release-group]
        """)
    assert found(tmp_path, config) == []  # was CC102 "runs job 'release-group', ... not defined"


def test_the_jobs_of_a_job_group_are_checked_like_a_workflows(tmp_path):
    config = JOBS + textwrap.dedent("""\
        job-groups:
          release-group:
            jobs:
              - test
              - pubish
              - publish:
                  requires: [tset]
        workflows:
          main:
            jobs: [release-group, release-grop]
        """)
    assert found(tmp_path, config) == [
        (
            11,
            9,
            "CC102",
            "job group 'release-group' runs job 'pubish', which is not defined under jobs; "
            "did you mean 'publish'?",
        ),
        (
            13,
            22,
            "CC101",
            "job 'publish' requires 'tset', which is not a job of job group 'release-group'; "
            "did you mean 'test'?",
        ),
        (
            16,
            27,
            "CC102",
            "workflow 'main' runs job 'release-grop', which is not defined under jobs; "
            "did you mean 'release-group'?",
        ),
    ]


def test_a_cycle_inside_a_job_group_is_found(tmp_path):
    config = JOBS + textwrap.dedent("""\
        job-groups:
          g:
            jobs:
              - test: {requires: [publish]}
              - publish: {requires: [test]}
        workflows:
          main:
            jobs: [g]
        """)
    (finding,) = found(tmp_path, config)
    assert finding[2] == "CC103" and "in job group 'g'" in finding[3]


# The configuration reference as of 2026 (and the vendored schema, which knows these):
# `type: no-op` jobs, `override-with` on an orb job, URL orbs, `max_auto_reruns` on a run step,
# pipeline.event.* / pipeline.trigger.* values. None is an error.
def test_2026_syntax_the_schema_knows_is_clean(tmp_path):
    config = textwrap.dedent("""\
        version: 2.1
        orbs:
          node: circleci/node@7.1
          mine: https://example.com/orbs/mine.yml
        jobs:
          build:
            docker: [{image: cimg/base:current}]
            steps:
              - checkout
              - run:
                  command: echo << pipeline.event.name >> << pipeline.trigger.type >>
                  max_auto_reruns: 2
          gate:
            type: no-op
        workflows:
          main:
            jobs:
              - build:
                  filters: pipeline.event.name == "push"
              - gate: {requires: [build]}
              - node/test:
                  override-with: build
        """)
    assert found(tmp_path, config) == []


def test_a_key_the_vendored_schema_lags_on_is_cc002_not_a_cc001_error(tmp_path):
    config = JOBS + textwrap.dedent("""\
        workflows:
          main:
            jobs:
              - build:
                  filters:
                    pull_requests: {only: true}
              - test:
                  filters:
                    pull_requests: {only: true}
                    brnches: {only: main}
        """)
    assert found(tmp_path, config) == [
        (
            12,
            13,
            "CC002",
            "workflows.main.jobs[0].build.filters.pull_requests: not in CircleCI's schema as "
            "vendored by check-jsonschema, which lags CircleCI's syntax here; not checked (the "
            "config is not known to be invalid)",
        ),
        (
            14,
            11,
            "CC001",
            "workflows.main.jobs[1].test.filters: Additional properties are not allowed "
            "('brnches', 'pull_requests' were unexpected)",
        ),
    ]


# https://circleci.com/changelog/eol-notice-for-some-pipeline-values-starting-with-pipeline/ :
# pipeline.trigger_parameters.circleci.* and .github_app.* are discontinued from 2026-08-01,
# each with a named replacement.
def test_trigger_parameters_past_end_of_life_are_flagged_with_their_replacement(tmp_path):
    config = textwrap.dedent("""\
        version: 2.1
        jobs:
          build:
            docker: [{image: cimg/base:current}]
            steps:
              - run: echo << pipeline.trigger_parameters.github_app.ref >>
              - run: echo << pipeline.trigger_parameters.webhook.body >>
        workflows:
          main:
            jobs:
              - build:
                  filters: pipeline.trigger_parameters.circleci.event_type == "push"
        """)
    assert found(tmp_path, config) == [
        (
            6,
            14,
            "CC304",
            "pipeline.trigger_parameters.github_app.ref reached end of life on 2026-08-01 "
            "(CircleCI no longer guarantees it is set); use pipeline.event.github.ref (pull "
            "requests: pipeline.event.github.pull_request.head.ref)",
        ),
        (
            12,
            20,
            "CC304",
            "pipeline.trigger_parameters.circleci.event_type reached end of life on 2026-08-01 "
            "(CircleCI no longer guarantees it is set); use pipeline.event.name",
        ),
    ]


# CircleCI's schema (orbs): "`namespace/orb-name@volatile` - most recent release".
def test_an_orb_pinned_to_volatile_is_flagged(tmp_path):
    config = textwrap.dedent("""\
        version: 2.1
        orbs:
          node: circleci/node@volatile
          aws: circleci/aws-cli@5.1
        workflows:
          main:
            jobs: [node/test]
        """)
    assert found(tmp_path, config) == [
        (
            3,
            3,
            "CC305",
            "orb 'node' is pinned to 'circleci/node@volatile', the latest release whatever its "
            "major version; pin a version ('circleci/node@X', @X.Y or @X.Y.Z)",
        )
    ]


# https://circleci.com/docs/reference/configuration-reference/#deploy-deprecated
def test_the_deprecated_deploy_step_is_flagged_wherever_steps_are(tmp_path):
    config = textwrap.dedent("""\
        version: 2.1
        commands:
          ship:
            steps:
              - deploy: {command: ./ship.sh}
        jobs:
          build:
            docker: [{image: cimg/base:current}]
            steps:
              - checkout
              - when:
                  condition: true
                  steps:
                    - deploy:
                        command: ./deploy.sh
              - run: {name: deploy, command: echo deploy}
        workflows:
          main:
            jobs: [build]
        """)
    assert [(line, column, rule) for line, column, rule, _ in found(tmp_path, config)] == [
        (5, 9, "CC306"),
        (14, 15, "CC306"),
    ]


def test_version_2_is_still_cc001(tmp_path):
    config = (
        "version: 2\njobs:\n  build: {docker: [{image: cimg/base:current}], steps: [checkout]}\n"
    )
    (finding,) = found(tmp_path, config)
    assert finding[2] == "CC001" and "version" in finding[3]


def test_requiring_a_job_inside_a_group_is_not_flagged(tmp_path):
    # not documented either way: CC101 stays quiet rather than guess
    config = JOBS + textwrap.dedent("""\
        job-groups:
          release-group:
            jobs: [test, publish]
        workflows:
          main:
            jobs:
              - release-group
              - gate: {requires: [publish]}
              - build: {requires: [pubish]}
        """)
    assert [(rule, message) for _, _, rule, message in found(tmp_path, config)] == [
        (
            "CC101",
            "job 'build' requires 'pubish', which is not a job of workflow 'main'",
        )
    ]
