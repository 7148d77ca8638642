"""CC101: a workflow job requires a job that is not in that workflow."""

from __future__ import annotations

from ciconf.lint.rules import requires_unknown_job
from unit.lint.rules.snippets import findings

# https://circleci.com/docs/reference/configuration-reference/

GOOD = """
version: 2.1
workflows:
  main:
    jobs:
      - test
      - deploy:
          requires: [test]
"""

BAD = """
version: 2.1
workflows:
  main:
    jobs:
      - test
      - deploy:
          requires: [tset]
"""


def test_a_good_snippet_has_no_finding():
    assert findings(requires_unknown_job, GOOD) == []


def test_a_bad_snippet_is_found_at_its_line_with_the_facts_in_the_message():
    [(rule, line, message)] = findings(requires_unknown_job, BAD)
    assert (rule, line) == ("CC101", 7)
    for fact in ["'deploy'", "'tset'", "'main'", "did you mean 'test'"]:
        assert fact in message, (fact, message)


def test_the_module_names_its_rule():
    assert requires_unknown_job.RULE.id == requires_unknown_job.ID == "CC101"
