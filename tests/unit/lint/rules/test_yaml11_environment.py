"""CC203: an unquoted environment value that YAML types."""

from __future__ import annotations

from ciconf.lint.rules import yaml11_environment
from unit.lint.rules.snippets import findings

# https://yaml.org/type/bool.html

GOOD = """
version: 2.1
jobs:
  a:
    docker: [{image: cimg/base:2024.01}]
    environment:
      DEBUG: "yes"
    steps: [checkout]
"""

BAD = """
version: 2.1
jobs:
  a:
    docker: [{image: cimg/base:2024.01}]
    environment:
      DEBUG: yes
    steps: [checkout]
"""


def test_a_good_snippet_has_no_finding():
    assert findings(yaml11_environment, GOOD) == []


def test_a_bad_snippet_is_found_at_its_line_with_the_facts_in_the_message():
    [(rule, line, message)] = findings(yaml11_environment, BAD)
    assert (rule, line) == ("CC203", 6)
    for fact in ["DEBUG: yes", "boolean true", "DEBUG: 'yes'"]:
        assert fact in message, (fact, message)


def test_the_module_names_its_rule():
    assert yaml11_environment.RULE.id == yaml11_environment.ID == "CC203"
