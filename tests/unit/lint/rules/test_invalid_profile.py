"""CP001: a ciconf profile that does not validate, with the loader's located message."""

from __future__ import annotations

from ciconf.lint.rule import PROFILE
from ciconf.lint.rules import invalid_profile
from unit.lint.rules.snippets import findings

GOOD = """
project: demo
test:
  image: cimg/python:3.11
  command: python -m pytest
"""

BAD = """
project: x
test:
  image: cimg/python:3.11
  command: python -m pytest
"""


def test_a_good_snippet_has_no_finding():
    assert findings(invalid_profile, GOOD, "ciconf.yaml") == []


def test_a_bad_profile_is_found_at_the_field_with_what_was_expected():
    [(rule, line, message)] = findings(invalid_profile, BAD, "ciconf.yaml")
    assert (rule, line) == ("CP001", 1)
    assert message.startswith("project: ")
    assert "expected a lowercase project name" in message
    assert "'x'" in message


def test_the_rule_applies_to_profiles_only():
    assert invalid_profile.RULE.id == invalid_profile.ID == "CP001"
    assert invalid_profile.RULE.applies_to == frozenset({PROFILE})
