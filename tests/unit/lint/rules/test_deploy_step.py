"""CC306: the deprecated `deploy:` step."""

from __future__ import annotations

from ciconf.lint.rules import deploy_step
from unit.lint.rules.snippets import findings

# https://circleci.com/docs/reference/configuration-reference/

GOOD = """
version: 2.1
jobs:
  a:
    docker: [{image: cimg/base:2024.01}]
    steps:
      - checkout
      - run: ./ship
"""

BAD = """
version: 2.1
jobs:
  a:
    docker: [{image: cimg/base:2024.01}]
    steps:
      - checkout
      - deploy:
          command: ./ship
"""


def test_a_good_snippet_has_no_finding():
    assert findings(deploy_step, GOOD) == []


def test_a_bad_snippet_is_found_at_its_line_with_the_facts_in_the_message():
    [(rule, line, message)] = findings(deploy_step, BAD)
    assert (rule, line) == ("CC306", 7)
    for fact in ["deploy", "deprecated", "use run"]:
        assert fact in message, (fact, message)


def test_the_module_names_its_rule():
    assert deploy_step.RULE.id == deploy_step.ID == "CC306"
