"""CC307: a machine image pinned to an older dated tag."""

from __future__ import annotations

from ciconf.lint.rules import legacy_machine_image
from unit.lint.rules.snippets import findings

# https://circleci.com/docs/guides/execution-managed/linux-vm-support-policy/

GOOD = """
version: 2.1
jobs:
  a:
    machine:
      image: ubuntu-2204:current
    steps: [checkout]
"""

BAD = """
version: 2.1
jobs:
  a:
    machine:
      image: ubuntu-2004:202107-02
    steps: [checkout]
"""


def test_a_good_snippet_has_no_finding():
    assert findings(legacy_machine_image, GOOD) == []


def test_a_bad_snippet_is_found_at_its_line_with_the_facts_in_the_message():
    [(rule, line, message)] = findings(legacy_machine_image, BAD)
    assert (rule, line) == ("CC307", 5)
    for fact in ["ubuntu-2004:202107-02", "ubuntu-2004:current"]:
        assert fact in message, (fact, message)


def test_the_module_names_its_rule():
    assert legacy_machine_image.RULE.id == legacy_machine_image.ID == "CC307"
