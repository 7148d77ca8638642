"""The quick schema pre-check (ciconf.lint.fastschema) never changes what CC001 reports.

Quick answers "valid?" for a node and lets jsonschema walk only the rest; so wherever it gives
an answer, the answer must be jsonschema's own. Checked against a jsonschema validator built
without it, on the lint fixtures and on random documents made of CircleCI's own keys.
"""

from __future__ import annotations

import functools
import json

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ciconf.lint import schema as lint_schema
from ciconf.lint.schema import circleci_validator, json_compatible, quick, schema_path
from ciconf.yamlkit.load import load_text
from tests.conftest import FIXTURES


@functools.cache
def plain_validator():
    """The CC001 validator as it was: regress patterns, jsonschema for everything else."""
    from jsonschema.validators import extend, validator_for

    document = json.loads(schema_path().read_text(encoding="utf-8"))
    return extend(
        validator_for(document),
        validators={
            "pattern": lint_schema._pattern,
            "patternProperties": lint_schema._pattern_properties,
        },
    )(document)


def errors(validator, data) -> list[tuple[tuple, str]]:
    return sorted(
        (tuple(map(str, error.absolute_path)), error.message)
        for error in validator.iter_errors(data)
    )


def fixture_configs() -> list:
    configs = []
    for path in sorted((FIXTURES / "lint").glob("*.yml")):
        try:
            doc = load_text(
                path.read_text(encoding="utf-8"),
                path.name,
                allow_duplicates=True,
                allow_undefined_aliases=True,
            )
        except Exception:
            continue  # broken.yml: not YAML
        configs.append(json_compatible(doc.data))
    return configs


def test_quick_answers_agree_with_jsonschema_on_the_fixtures():
    checker = quick(circleci_validator())
    for data in fixture_configs():
        answer = checker.valid(checker.root, data)
        assert answer is None or answer == (not errors(plain_validator(), data))
        checker.forget()


def test_cc001_errors_are_the_same_with_and_without_the_quick_check():
    for data in fixture_configs():
        assert errors(circleci_validator(), data) == errors(plain_validator(), data)
        quick(circleci_validator()).forget()


KEYS = st.sampled_from(
    [
        "version",
        "jobs",
        "workflows",
        "build",
        "docker",
        "image",
        "steps",
        "run",
        "command",
        "name",
        "requires",
        "filters",
        "tags",
        "only",
        "branches",
        "environment",
        "executor",
        "executors",
        "machine",
        "checkout",
        "save_cache",
        "key",
        "paths",
        "parameters",
        "type",
        "default",
        "matrix",
        "orbs",
        "when",
        "resource_class",
        "working_directory",
        "setup_remote_docker",
        "persist_to_workspace",
        "root",
        "type",
    ]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([2.1, 1.5, "2.1", "approval", "string", "x", ""]),
    KEYS,
)
DATA = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.fixed_dictionaries(
        {"version": st.sampled_from([2.1, "2.1", 2])}, optional={"jobs": DATA, "workflows": DATA}
    )
)
def test_cc001_errors_are_the_same_on_random_documents(data):
    data = json.loads(json.dumps(data))  # string keys, as json_compatible gives
    assert errors(circleci_validator(), data) == errors(plain_validator(), data)
    checker = quick(circleci_validator())
    answer = checker.valid(checker.root, data)
    assert answer is None or answer == (not errors(plain_validator(), data))
    checker.forget()


def test_a_valid_document_is_decided_without_jsonschema():
    text = (FIXTURES / "lint" / "clean.yml").read_text(encoding="utf-8")
    data = json_compatible(yaml.safe_load(text))
    checker = quick(circleci_validator())
    assert checker.valid(checker.root, data) is True
    checker.forget()
