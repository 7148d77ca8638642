"""CC201: a mapping key written twice."""

from __future__ import annotations

from ciconf.lint.rules import duplicate_key
from unit.lint.rules.snippets import findings

GOOD = """
version: 2.1
jobs:
  a:
    docker: [{image: cimg/base:2024.01}]
  b:
    docker: [{image: cimg/base:2024.01}]
"""

BAD = """
version: 2.1
jobs:
  a:
    docker: [{image: cimg/base:2024.01}]
  a:
    docker: [{image: cimg/base:2024.01}]
"""


def test_a_good_snippet_has_no_finding():
    assert findings(duplicate_key, GOOD) == []


def test_a_bad_snippet_is_found_at_its_line_with_the_facts_in_the_message():
    [(rule, line, message)] = findings(duplicate_key, BAD)
    assert (rule, line) == ("CC201", 5)
    for fact in ["'a'", "first at line 3"]:
        assert fact in message, (fact, message)


def test_the_module_names_its_rule():
    assert duplicate_key.RULE.id == duplicate_key.ID == "CC201"
