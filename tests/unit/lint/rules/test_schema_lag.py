"""CC002: syntax CircleCI configs use that the vendored schema does not know yet.

CC001 runs first and leaves the keys it skipped for CC002 (rules run in id order), so both run
on the snippet's one context, as the runner runs them.
"""

from __future__ import annotations

from ciconf.lint.rules import schema, schema_lag
from unit.lint.rules.snippets import findings

# filters.pull_requests: used by real configs, absent from check-jsonschema's vendored schema
GOOD = """
version: 2.1
workflows:
  main:
    jobs:
      - build:
          filters:
            branches: {only: main}
"""

BAD = """
version: 2.1
workflows:
  main:
    jobs:
      - build:
          filters:
            pull_requests: {only: main}
"""


def test_a_good_snippet_has_no_finding():
    assert findings(schema_lag, GOOD, before=(schema,)) == []


def test_a_lagging_key_is_cc002_not_cc001():
    [(rule, line, message)] = findings(schema_lag, BAD, before=(schema,))
    assert (rule, line) == ("CC002", 7)
    assert "workflows.main.jobs[0].build.filters.pull_requests" in message
    assert "not checked" in message
    assert findings(schema, BAD) == []  # CC001 leaves it to CC002


def test_the_module_names_its_rule():
    assert schema_lag.RULE.id == schema_lag.ID == "CC002"
