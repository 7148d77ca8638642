"""CC103: workflow jobs that require each other in a circle."""

from __future__ import annotations

from ciconf.lint.rules import requires_cycle
from unit.lint.rules.snippets import findings

GOOD = """
version: 2.1
workflows:
  main:
    jobs:
      - a
      - b:
          requires: [a]
"""

BAD = """
version: 2.1
workflows:
  main:
    jobs:
      - a:
          requires: [b]
      - b:
          requires: [a]
"""


def test_a_good_snippet_has_no_finding():
    assert findings(requires_cycle, GOOD) == []


def test_a_bad_snippet_is_found_at_its_line_with_the_facts_in_the_message():
    [(rule, line, message)] = findings(requires_cycle, BAD)
    assert (rule, line) == ("CC103", 6)
    for fact in ["cycle", "'main'", "a -> b -> a"]:
        assert fact in message, (fact, message)


def test_the_module_names_its_rule():
    assert requires_cycle.RULE.id == requires_cycle.ID == "CC103"
