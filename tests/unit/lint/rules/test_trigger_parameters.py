"""CC304: a `pipeline.trigger_parameters.circleci.*` value (end of life)."""

from __future__ import annotations

from ciconf.lint.rules import trigger_parameters
from unit.lint.rules.snippets import findings

# https://circleci.com/changelog/eol-notice-for-some-pipeline-values-starting-with-pipeline/

GOOD = """
version: 2.1
jobs:
  a:
    docker: [{image: cimg/base:2024.01}]
    steps:
      - run: echo << pipeline.event.name >>
"""

BAD = """
version: 2.1
jobs:
  a:
    docker: [{image: cimg/base:2024.01}]
    steps:
      - run: echo << pipeline.trigger_parameters.circleci.event_type >>
"""


def test_a_good_snippet_has_no_finding():
    assert findings(trigger_parameters, GOOD) == []


def test_a_bad_snippet_is_found_at_its_line_with_the_facts_in_the_message():
    [(rule, line, message)] = findings(trigger_parameters, BAD)
    assert (rule, line) == ("CC304", 6)
    for fact in [
        "pipeline.trigger_parameters.circleci.event_type",
        "2026-08-01",
        "pipeline.event.name",
    ]:
        assert fact in message, (fact, message)


def test_the_module_names_its_rule():
    assert trigger_parameters.RULE.id == trigger_parameters.ID == "CC304"
