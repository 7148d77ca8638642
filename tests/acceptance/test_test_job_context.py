"""A test job's `context`: CircleCI contexts it reads secrets from (a private image's password, a
service token), written on its workflow entry and on its merged run's.

A context is requested on the job's entry in the workflow (`- unit: {context: [name]}`), never in
the job: https://circleci.com/docs/contexts/ ("add the context key to the workflows section").
"""

from __future__ import annotations

import json

import pytest
import yaml

from acceptance.test_adopt_import import imported_repo
from ciconf.circleci.render import render_config
from ciconf.errors import InputError
from ciconf.lint.runner import lint_text
from ciconf.lint.schema import circleci_validator
from ciconf.profile.load import parse_profile

PROFILE = """\
project: ship
tests:
  unit:
    image: cimg/python:3.12
    command: pytest
    context: [org-docker, sonar]
  lint:
    image: cimg/python:3.12
    command: ruff check .
merge_test: {base: develop}
"""


def _entries(text: str) -> tuple[str, dict[str, dict]]:
    config = render_config(parse_profile(text, "p.yaml"), "p.yaml")
    data = yaml.safe_load(config)
    (workflow,) = data["workflows"].values()
    entries = {}
    for entry in workflow["jobs"]:
        name, options = next(iter(entry.items())) if isinstance(entry, dict) else (entry, {})
        entries[name] = options
    return config, entries


def test_the_test_job_and_its_merged_run_request_the_contexts():
    config, entries = _entries(PROFILE)
    assert entries["unit"]["context"] == ["org-docker", "sonar"]
    assert entries["merge_unit"]["context"] == ["org-docker", "sonar"]
    assert "context" not in entries["lint"] and "context" not in entries["merge_lint"]
    data = yaml.safe_load(config)
    assert list(circleci_validator().iter_errors(data)) == []
    assert lint_text(config, "config.yml", "config") == []


def test_without_context_the_config_is_what_it_was():
    without = PROFILE.replace("    context: [org-docker, sonar]\n", "")
    _, entries = _entries(without)
    assert all("context" not in options for options in entries.values())


@pytest.mark.parametrize(
    ("value", "field"),
    [("[has space]", "tests.unit.context[0]"), ("org-docker", "tests.unit.context")],
)
def test_a_bad_context_is_refused_where_it_is_written(value, field):
    text = PROFILE.replace("[org-docker, sonar]", value)
    with pytest.raises(InputError) as raised:
        parse_profile(text, "p.yaml")
    assert raised.value.line == 6 and field in str(raised.value)


CONTEXT_CONFIG = """\
version: 2.1
parameters:
  ctx: {type: string, default: org-docker}
jobs:
  test:
    docker: [{image: cimg/python:3.12}]
    steps: [checkout, {run: pytest}]
workflows:
  main:
    jobs:
      - test: {context: [CONTEXT]}
"""


def test_import_maps_a_test_job_with_a_context(tmp_path):
    done, repo = imported_repo(tmp_path, CONTEXT_CONFIG.replace("CONTEXT", "org-docker"))
    assert done.returncode == 0, done.stderr + done.stdout
    report = json.loads((repo / "report.json").read_text())
    assert report["proof"]["same"], report["proof"]
    profile = yaml.safe_load((repo / "ciconf.yaml").read_text())
    assert profile["test"]["context"] == ["org-docker"]
    assert "jobs" not in profile  # a test job of the profile, not a job kept verbatim


def test_import_refuses_a_context_it_cannot_name_instead_of_dropping_it(tmp_path):
    # a context read from a pipeline parameter is no name a profile can hold: the import stops
    # (exit 2, nothing written) rather than write a job that runs without its secrets
    config = CONTEXT_CONFIG.replace("CONTEXT", "<< pipeline.parameters.ctx >>")
    done, repo = imported_repo(tmp_path, config)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "context" in done.stderr and "pipeline.parameters.ctx" in done.stderr
    assert "Traceback" not in done.stderr
    assert sorted(path.name for path in repo.iterdir()) == [".circleci"]
