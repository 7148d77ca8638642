"""CC305: an orb pinned to `@volatile`."""

from __future__ import annotations

from ciconf.lint.rules import volatile_orb
from unit.lint.rules.snippets import findings

# @volatile: "the most recent release" (CircleCI schema, orbs), as the rule module quotes

GOOD = """
version: 2.1
orbs:
  node: circleci/node@5.1.2
"""

BAD = """
version: 2.1
orbs:
  node: circleci/node@volatile
"""


def test_a_good_snippet_has_no_finding():
    assert findings(volatile_orb, GOOD) == []


def test_a_bad_snippet_is_found_at_its_line_with_the_facts_in_the_message():
    [(rule, line, message)] = findings(volatile_orb, BAD)
    assert (rule, line) == ("CC305", 3)
    for fact in ["'node'", "circleci/node@volatile", "circleci/node@X"]:
        assert fact in message, (fact, message)


def test_the_module_names_its_rule():
    assert volatile_orb.RULE.id == volatile_orb.ID == "CC305"
