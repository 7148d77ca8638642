"""CC102: a workflow runs a job the config does not define."""

from __future__ import annotations

from ciconf.lint.rules import undefined_job
from unit.lint.rules.snippets import findings

# https://circleci.com/docs/reference/configuration-reference/

GOOD = """
version: 2.1
jobs:
  test:
    docker: [{image: cimg/base:2024.01}]
    steps: [checkout]
workflows:
  main:
    jobs:
      - test
      - hold:
          type: approval
"""

BAD = """
version: 2.1
jobs:
  test:
    docker: [{image: cimg/base:2024.01}]
    steps: [checkout]
workflows:
  main:
    jobs:
      - tset
"""


def test_a_good_snippet_has_no_finding():
    assert findings(undefined_job, GOOD) == []


def test_a_bad_snippet_is_found_at_its_line_with_the_facts_in_the_message():
    [(rule, line, message)] = findings(undefined_job, BAD)
    assert (rule, line) == ("CC102", 9)
    for fact in ["'main'", "'tset'", "did you mean 'test'"]:
        assert fact in message, (fact, message)


def test_the_module_names_its_rule():
    assert undefined_job.RULE.id == undefined_job.ID == "CC102"
