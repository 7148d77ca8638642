"""The committed JSON Schema and the loader agree: a document one accepts, the other accepts.

Editors validate profiles with schema/profile.schema.json (yaml-language-server modelines); if the
schema accepted what `ciconf` then refuses, the editor would show an invalid profile as valid.
The documents are the reach property test's valid profiles (pipeline parameters, conditional
workflows and schedules included), changed where the two used to disagree:
the project name and the test section (`test` or a non-empty `tests`, not both; neither only in a
delivery-only service, one with accounts).
"""

from __future__ import annotations

import copy
import json

import pytest
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from ciconf.errors import InputError
from ciconf.profile.load import validate_document
from ciconf.yamlkit.load import Document
from unit.profile.test_models_property import profiles

SCHEMA = Draft202012Validator(
    json.loads((ROOT / "schema" / "profile.schema.json").read_text(encoding="utf-8"))
)
PROJECTS = ["p", "pp", "prop", "my-service", "a" * 40, "a" * 41, "Prop", "prop-", "-prop", "9lives"]
TEST_SECTIONS = [
    "as drawn",
    "neither",
    "neither, no accounts",
    "both",
    "empty tests beside test",
    "null test",
]


def loader_accepts(document: dict) -> bool:
    try:
        validate_document(Document("p.yaml", copy.deepcopy(document)))
    except InputError:
        return False
    return True


def schema_accepts(document: dict) -> bool:
    return not any(True for _ in SCHEMA.iter_errors(document))


def changed(document: dict, project: str, section: str) -> dict:
    document = dict(document, project=project)
    job = document.get("test") or next(iter(document["tests"].values()))
    if section.startswith("neither"):
        tests = set(document.pop("tests", {})) | ({"test"} if document.pop("test", None) else set())
        without_tests(document, tests)
        if section == "neither, no accounts":
            document.pop("accounts")
    elif section == "both":
        document.update(test=job, tests={"other": job})
    elif section == "empty tests beside test" and "test" in document:
        document["tests"] = {}
    elif section == "null test" and "tests" in document:
        document["test"] = None
    return document


def without_tests(document: dict, tests: set[str]) -> None:
    """Drop the references to test jobs that are gone, which the loader would refuse for that."""
    holders = list(document.get("jobs", {}).values())
    holders += [step for account in document["accounts"] for step in account.get("approvals", [])]
    for holder in holders:
        if "requires" in holder:
            holder["requires"] = [name for name in holder["requires"] if name not in tests]
    for section in ("workflows", "schedules"):  # issue 19: they list test jobs too
        extra = document.get(section, {})
        for name, workflow in list(extra.items()):
            for key in ("jobs", "only_here"):
                if key in workflow:
                    workflow[key] = [job for job in workflow[key] if job not in tests]
            if not workflow["jobs"]:
                del extra[name]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(profiles(), st.sampled_from(PROJECTS), st.sampled_from(TEST_SECTIONS))
def test_schema_and_loader_accept_the_same_documents(profile, project, section):
    document = changed(profile, project, section)
    assert schema_accepts(document) == loader_accepts(document), (project, section)


def test_the_two_old_disagreements_are_refused_by_both():
    base = {"project": "prop", "test": {"image": "cimg/base:2024.01", "command": "make"}}
    for document in ({"project": "prop"}, dict(base, project="p")):
        assert (schema_accepts(document), loader_accepts(document)) == (False, False), document
    assert (schema_accepts(base), loader_accepts(base)) == (True, True)


def test_a_delivery_only_service_is_accepted_by_both():
    document = {
        "project": "prop",
        "delivery": {"region": "eu-west-1", "images": [{"repository": "prop/api"}]},
        "accounts": [
            {"name": "stg", "branch": "main", "credentials": {"mode": "context", "context": "c"}}
        ],
    }
    assert (schema_accepts(document), loader_accepts(document)) == (True, True)
    document["accounts"] = []
    assert (schema_accepts(document), loader_accepts(document)) == (False, False)


ORB = {"orbs": {"slack": "circleci/slack@4.12.5"}}
STEPS = ["checkout", {"run": "make smoke"}]


@pytest.mark.parametrize(
    ("job", "accepted"),
    [
        ({"orb_job": "slack/notify"}, True),
        ({"orb_job": "slack/notify", "parameters": {"event": "fail"}}, True),
        ({"orb_job": "slack/notify", "steps": STEPS}, False),
        ({"orb_job": "slack/notify", "image": "cimg/base:2024.01"}, False),
        ({"orb_job": "slack/notify", "executor": "slack/default"}, False),
        ({"orb_job": "slack/notify", "job_parameters": {"x": {"type": "string"}}}, False),
        ({"orb_job": "slack/notify", "invocations": [{"name": "a"}]}, False),
        ({"image": "cimg/base:2024.01", "steps": STEPS}, True),
        ({"machine": {"image": "ubuntu-2204:current"}, "steps": STEPS}, True),
        ({"executor": "slack/default", "steps": STEPS}, True),
        ({"executor": "slack/default", "image": "cimg/base:2024.01", "steps": STEPS}, False),
        ({"image": "cimg/base:2024.01"}, False),  # no steps
        ({"image": "cimg/base:2024.01", "steps": []}, False),
        ({"steps": STEPS}, False),  # no executor
        ({"image": "cimg/base:2024.01", "steps": STEPS, "parameters": {"a": 1}}, False),
    ],
)
def test_custom_jobs_steps_or_orb_alike_in_the_schema_and_the_loader(job, accepted):
    # editors refuse what the loader refuses (CustomJob._steps_or_orb, _invocable)
    document = {
        "project": "prop",
        "test": {"image": "cimg/base:2024.01", "command": "make"},
        **ORB,
        "jobs": {"smoke": job},
    }
    assert (schema_accepts(document), loader_accepts(document)) == (accepted, accepted), job
