"""Lint must never crash: any YAML mapping gives findings (or one InputError), never a traceback."""

from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ciconf.errors import InputError
from ciconf.lint.findings import Finding
from ciconf.lint.runner import lint_text

# Keys the rules look at, so that random documents reach their code paths.
KEYS = st.sampled_from(
    [
        "version",
        "jobs",
        "workflows",
        "requires",
        "environment",
        "matrix",
        "parameters",
        "name",
        "type",
        "approval",
        "steps",
        "run",
        "command",
        "docker",
        "image",
        "setup_remote_docker",
        "executors",
        "build",
        "test",
        "<<",
        "orb/job",
        "circleci/php:7",
        "aws ecr get-login",
    ]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 10_000),
    st.floats(allow_nan=False),
    KEYS,
    st.text(max_size=12),
)
DATA = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=5)),
    max_leaves=40,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(KEYS, DATA, min_size=1, max_size=6), st.sampled_from(["circleci", "profile"])
)
def test_lint_returns_findings_for_any_mapping(data, kind):
    text = yaml.safe_dump(data, sort_keys=False)
    try:
        findings = lint_text(text, "fuzz.yml", kind)
    except InputError:
        return  # e.g. an empty document; the CLI reports it on one line with exit 2
    assert all(isinstance(finding, Finding) and finding.line >= 1 for finding in findings)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab:-*&<{}[], \n'\"#0yes")), max_size=60))
def test_lint_reports_or_refuses_any_text(text):
    try:
        lint_text(text, "fuzz.yml", "circleci")
    except InputError as error:
        assert str(error).startswith("fuzz.yml")
