"""CC301: a legacy `circleci/` convenience image."""

from __future__ import annotations

from ciconf.lint.rules import deprecated_image
from unit.lint.rules.snippets import findings

# the legacy images and their cimg/ successors are listed in the rule module (deprecated_image.py)

GOOD = """
version: 2.1
jobs:
  a:
    docker:
      - image: cimg/python:3.12
    steps: [checkout]
"""

BAD = """
version: 2.1
jobs:
  a:
    docker:
      - image: circleci/python:3.8
    steps: [checkout]
"""


def test_a_good_snippet_has_no_finding():
    assert findings(deprecated_image, GOOD) == []


def test_a_bad_snippet_is_found_at_its_line_with_the_facts_in_the_message():
    [(rule, line, message)] = findings(deprecated_image, BAD)
    assert (rule, line) == ("CC301", 5)
    for fact in ["circleci/python:3.8", "2021-12-31", "cimg/python"]:
        assert fact in message, (fact, message)


def test_the_module_names_its_rule():
    assert deprecated_image.RULE.id == deprecated_image.ID == "CC301"
