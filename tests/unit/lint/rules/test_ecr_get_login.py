"""CC302: `aws ecr get-login`, removed in AWS CLI v2."""

from __future__ import annotations

from ciconf.lint.rules import ecr_get_login
from unit.lint.rules.snippets import findings

# AWS CLI v2 has no `ecr get-login` (the rule module cites the migration notes)

GOOD = """
version: 2.1
jobs:
  a:
    docker: [{image: cimg/base:2024.01}]
    steps:
      - run: aws ecr get-login-password | docker login --username AWS --password-stdin r
"""

BAD = """
version: 2.1
jobs:
  a:
    docker: [{image: cimg/base:2024.01}]
    steps:
      - run: $(aws ecr get-login --no-include-email)
"""


def test_a_good_snippet_has_no_finding():
    assert findings(ecr_get_login, GOOD) == []


def test_a_bad_snippet_is_found_at_its_line_with_the_facts_in_the_message():
    [(rule, line, message)] = findings(ecr_get_login, BAD)
    assert (rule, line) == ("CC302", 6)
    for fact in ["aws ecr get-login", "v2", "get-login-password"]:
        assert fact in message, (fact, message)


def test_the_module_names_its_rule():
    assert ecr_get_login.RULE.id == ecr_get_login.ID == "CC302"
