"""CC001: the config does not match CircleCI's official schema."""

from __future__ import annotations

from ciconf.lint.rules import schema
from unit.lint.rules.snippets import findings

GOOD = """
version: 2.1
jobs:
  a:
    docker: [{image: cimg/base:2024.01}]
    steps: [checkout]
"""

BAD = """
version: 2.1
jobs:
  a:
    dockr: [{image: cimg/base:2024.01}]
    steps: [checkout]
"""


def test_a_good_snippet_has_no_finding():
    assert findings(schema, GOOD) == []


def test_a_bad_snippet_is_found_at_its_line_with_the_facts_in_the_message():
    [(rule, line, message)] = findings(schema, BAD)
    assert (rule, line) == ("CC001", 3)
    for fact in ["jobs.a", "dockr"]:
        assert fact in message, (fact, message)


def test_the_module_names_its_rule():
    assert schema.RULE.id == schema.ID == "CC001"
