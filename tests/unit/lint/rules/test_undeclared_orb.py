"""CC104: a job from an orb that is not declared under `orbs`."""

from __future__ import annotations

from ciconf.lint.rules import undeclared_orb
from unit.lint.rules.snippets import findings

# https://circleci.com/docs/reference/configuration-reference/

GOOD = """
version: 2.1
orbs:
  node: circleci/node@5.1
workflows:
  main:
    jobs:
      - node/test
"""

BAD = """
version: 2.1
workflows:
  main:
    jobs:
      - node/test
"""


def test_a_good_snippet_has_no_finding():
    assert findings(undeclared_orb, GOOD) == []


def test_a_bad_snippet_is_found_at_its_line_with_the_facts_in_the_message():
    [(rule, line, message)] = findings(undeclared_orb, BAD)
    assert (rule, line) == ("CC104", 5)
    for fact in ["'node/test'", "orb 'node'", "orbs"]:
        assert fact in message, (fact, message)


def test_the_module_names_its_rule():
    assert undeclared_orb.RULE.id == undeclared_orb.ID == "CC104"
