"""CC106: a job that runs for tags requires a job that never does."""

from __future__ import annotations

from ciconf.lint.rules import tag_filter_upstream
from unit.lint.rules.snippets import findings

# https://circleci.com/docs/reference/configuration-reference/

GOOD = """
version: 2.1
workflows:
  main:
    jobs:
      - build:
          filters:
            tags: {only: /^v.*/}
      - deploy:
          requires: [build]
          filters:
            tags: {only: /^v.*/}
            branches: {ignore: /.*/}
"""

BAD = """
version: 2.1
workflows:
  main:
    jobs:
      - build
      - deploy:
          requires: [build]
          filters:
            tags: {only: /^v.*/}
            branches: {ignore: /.*/}
"""


def test_a_good_snippet_has_no_finding():
    assert findings(tag_filter_upstream, GOOD) == []


def test_a_bad_snippet_is_found_at_its_line_with_the_facts_in_the_message():
    [(rule, line, message)] = findings(tag_filter_upstream, BAD)
    assert (rule, line) == ("CC106", 7)
    for fact in ["'deploy'", "'build'", "tags filter"]:
        assert fact in message, (fact, message)


def test_the_module_names_its_rule():
    assert tag_filter_upstream.RULE.id == tag_filter_upstream.ID == "CC106"
