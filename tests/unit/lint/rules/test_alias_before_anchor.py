"""CC202: an alias used before its anchor is defined."""

from __future__ import annotations

from ciconf.lint.rules import alias_before_anchor
from unit.lint.rules.snippets import findings

GOOD = """
defaults: &defaults
  docker: [{image: cimg/base:2024.01}]
jobs:
  a: *defaults
"""

BAD = """
jobs:
  a: *defaults
  b: &defaults
    docker: [{image: cimg/base:2024.01}]
"""


def test_a_good_snippet_has_no_finding():
    assert findings(alias_before_anchor, GOOD) == []


def test_a_bad_snippet_is_found_at_its_line_with_the_facts_in_the_message():
    [(rule, line, message)] = findings(alias_before_anchor, BAD)
    assert (rule, line) == ("CC202", 2)
    for fact in ["*defaults", "&defaults", "before its anchor"]:
        assert fact in message, (fact, message)


def test_the_module_names_its_rule():
    assert alias_before_anchor.RULE.id == alias_before_anchor.ID == "CC202"
