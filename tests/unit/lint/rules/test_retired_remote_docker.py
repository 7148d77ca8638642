"""CC303: `setup_remote_docker` pinned to a retired Docker version."""

from __future__ import annotations

from ciconf.lint.rules import retired_remote_docker
from unit.lint.rules.snippets import findings

# the supported and retired Docker tags are listed in the rule module (retired_remote_docker.py)

GOOD = """
version: 2.1
jobs:
  a:
    docker: [{image: cimg/base:2024.01}]
    steps:
      - setup_remote_docker:
          version: default
"""

BAD = """
version: 2.1
jobs:
  a:
    docker: [{image: cimg/base:2024.01}]
    steps:
      - setup_remote_docker:
          version: 19.03.13
"""


def test_a_good_snippet_has_no_finding():
    assert findings(retired_remote_docker, GOOD) == []


def test_a_bad_snippet_is_found_at_its_line_with_the_facts_in_the_message():
    [(rule, line, message)] = findings(retired_remote_docker, BAD)
    assert (rule, line) == ("CC303", 7)
    for fact in ["19.03.13", "deprecated", "default"]:
        assert fact in message, (fact, message)


def test_the_module_names_its_rule():
    assert retired_remote_docker.RULE.id == retired_remote_docker.ID == "CC303"
