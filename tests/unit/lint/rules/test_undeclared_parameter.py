"""CC105: `<< parameters.x >>` naming a parameter nobody declared."""

from __future__ import annotations

from ciconf.lint.rules import undeclared_parameter
from unit.lint.rules.snippets import findings

# https://circleci.com/docs/pipeline-variables/

GOOD = """
version: 2.1
jobs:
  a:
    parameters:
      who: {type: string}
    docker: [{image: cimg/base:2024.01}]
    steps:
      - run: echo << parameters.who >> << pipeline.git.branch >>
"""

BAD = """
version: 2.1
jobs:
  a:
    parameters:
      who: {type: string}
    docker: [{image: cimg/base:2024.01}]
    steps:
      - run: echo << parameters.whom >>
"""


def test_a_good_snippet_has_no_finding():
    assert findings(undeclared_parameter, GOOD) == []


def test_a_bad_snippet_is_found_at_its_line_with_the_facts_in_the_message():
    [(rule, line, message)] = findings(undeclared_parameter, BAD)
    assert (rule, line) == ("CC105", 8)
    for fact in ["parameters.whom", "job 'a'", "did you mean 'who'"]:
        assert fact in message, (fact, message)


def test_the_module_names_its_rule():
    assert undeclared_parameter.RULE.id == undeclared_parameter.ID == "CC105"
