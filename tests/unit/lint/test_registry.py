"""docs/lint.md's rule table and profile-rule list are the registry's (ids, names, summaries).

The docs state no severities: every finding is an error that makes `ciconf lint` exit 1.
"""

from __future__ import annotations

import re
from pathlib import Path

from ciconf.lint.registry import RULES, rules_for
from ciconf.lint.rule import PROFILE

DOC = Path(__file__).resolve().parents[3] / "docs" / "lint.md"
ROW = re.compile(r"\| (C[CP]\d{3}) \| ([a-z0-9-]+) \| (.+) \|")


def table() -> list[tuple[str, str, str]]:
    return [match.groups() for match in map(ROW.fullmatch, DOC.read_text().splitlines()) if match]


def test_the_table_lists_every_rule_in_id_order_with_its_name():
    assert [(rule_id, name) for rule_id, name, _ in table()] == [
        (rule.id, rule.name) for rule in RULES
    ]


def test_the_table_says_what_each_rule_finds_as_its_summary_does():
    # the docs may set code in backticks and add detail after the summary's own words
    for (rule_id, _, finds), rule in zip(table(), RULES, strict=True):
        assert rule.summary.replace("`", "") in finds.replace("`", ""), rule_id


def test_the_rules_for_profiles_are_the_ones_the_docs_name():
    said = re.search(r"Profiles get the YAML rules [^.]*", DOC.read_text())
    assert said is not None
    named = set(re.findall(r"C[CP]\d{3}", said.group()))
    assert {rule.id for rule in rules_for(PROFILE)} == named


def test_rule_ids_are_unique_and_each_module_holds_one():
    assert len({rule.id for rule in RULES}) == len(RULES)
    assert len({rule.name for rule in RULES}) == len(RULES)
