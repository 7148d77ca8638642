"""The committed profile JSON Schema accepts every valid profile and, where the grammar is a regular
expression, refuses what ciconf refuses, so an editor flags it before ciconf runs."""

from __future__ import annotations

import copy
import json

import pytest
import yaml
from conftest import ROOT, every_valid_profile
from jsonschema import Draft202012Validator

SCHEMA = json.loads((ROOT / "schema" / "profile.schema.json").read_text(encoding="utf-8"))
VALIDATOR = Draft202012Validator(SCHEMA)
EXAMPLE = yaml.safe_load(
    (ROOT / "profiles" / "examples" / "tag-release-promotion.yaml").read_text()
)


@pytest.mark.parametrize("profile", every_valid_profile(), ids=lambda p: p.name)
def test_every_valid_profile_matches_the_schema(profile):
    data = yaml.safe_load(profile.read_text(encoding="utf-8"))
    assert [error.message for error in VALIDATOR.iter_errors(data)] == []


@pytest.mark.parametrize(
    ("change", "value"),
    [
        (("accounts", 1, "tags", 0), "v*"),
        (("accounts", 0, "branches", 1), "release/*"),
        (("orbs",), {"slack": "circleci/slack@volatile"}),
        (("test", "machine"), {"image": "cimg/base:2024.01"}),
        (("test", "steps"), {"before_test": [{"rnu": "make"}]}),
        (("jobs",), {"Smoke Test": {"image": "cimg/base:2024.01", "steps": ["make"]}}),
        (
            ("tests",),
            {
                "unit": {
                    "image": "cimg/base:2024.01",
                    "command": "make",
                    "split": {"glob": ["/abs/*.py"]},
                }
            },
        ),
    ],
)
def test_the_schema_refuses_what_the_grammar_refuses(change, value):
    data = copy.deepcopy(EXAMPLE)
    node = data
    for part in change[:-1]:
        node = node.setdefault(part, {}) if isinstance(part, str) else node[part]
    node[change[-1]] = value
    assert list(VALIDATOR.iter_errors(data)), f"the schema accepts {change} = {value!r}"


def test_steps_may_be_plain_strings_or_one_kind_mappings():
    data = copy.deepcopy(EXAMPLE)
    data["test"]["steps"] = {
        "before_test": [
            "make lint",
            {"run": "make"},
            {"run": {"command": "make", "when": "always"}},
        ]
    }
    assert list(VALIDATOR.iter_errors(data)) == []
