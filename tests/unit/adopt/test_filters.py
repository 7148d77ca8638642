"""Filters and workflow conditions as the profile writes them: the same refs match.

CircleCI matches branch and tag filters as whole-string regular expressions, `ignore` beating
`only` (https://circleci.com/docs/configuration-reference/#branches), and a workflow's `when`
is a logic statement over pipeline values
(https://circleci.com/docs/configuration-reference/#logic-statements).
"""

from __future__ import annotations

import re

import pytest

from ciconf.adopt import conditions, refs

NAMES = ["main", "master", "develop", "release/1.2", "feature/x", "gh-pages", "hotfix/y", ""]


def circleci_runs(spec: dict, name: str) -> bool:
    def hit(items):
        items = items if isinstance(items, list) else [items]
        return any(re.fullmatch(i[1:-1], name) if refs.is_regex(i) else i == name for i in items)

    if "only" in spec and not hit(spec["only"]):
        return False
    return not ("ignore" in spec and hit(spec["ignore"]))


def profile_runs(items: list[str], name: str) -> bool:
    return not items or any(
        re.fullmatch(i[1:-1], name) if refs.is_regex(i) else i == name for i in items
    )


@pytest.mark.parametrize(
    "spec",
    [
        {"only": ["main", "develop"]},
        {"only": "/release\\/.*/"},
        {"ignore": ["main", "master"]},
        {"ignore": "/feature\\/.*/"},
        {"only": ["/.*/"], "ignore": ["gh-pages"]},
        {"only": ["/^(main|release\\/.*)$/"], "ignore": ["release/1.2"]},
        {"only": ["feature/*"]},  # a literal name with a glob character
    ],
)
def test_a_filter_runs_on_the_same_refs_as_a_profile_list(spec):
    items = refs.as_profile_list(spec)
    assert items is not None
    for name in [*NAMES[:-1], "feature/*"]:
        assert profile_runs(items, name) == circleci_runs(spec, name), (spec, name, items)


def test_filters_that_run_nowhere_or_everywhere():
    assert refs.as_profile_list(None) == []
    assert refs.as_profile_list({"ignore": "/.*/"}) is None
    assert refs.as_profile_list({"only": []}) is None
    assert refs.ignores_every_tag({"ignore": "/.*/"})


BRANCH = "<< pipeline.git.branch >>"


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"equal": [BRANCH, "main"]}, ["main"]),
        ({"equal": ["main", BRANCH]}, ["main"]),
        ({"matches": {"value": BRANCH, "pattern": "^hotfix/.+$"}}, ["/^hotfix/.+$/"]),
        ({"or": [{"equal": [BRANCH, "main"]}, {"equal": [True, False]}]}, ["main"]),
        ({"and": [{"equal": [BRANCH, "main"]}, {"equal": [False, False]}]}, ["main"]),
        ({"and": [{"equal": [BRANCH, "main"]}, {"equal": [True, False]}]}, False),
        ({"equal": ["webhook", "<< pipeline.trigger_source >>"]}, True),
        ({"equal": ["scheduled_pipeline", "<< pipeline.trigger_source >>"]}, False),
        ({"equal": [BRANCH, "<< pipeline.git.tag >>"]}, None),
        (True, True),
        ("", False),
    ],
)
def test_workflow_conditions(condition, expected):
    assert conditions.outcome(condition) == expected


def test_a_negated_branch_condition_and_an_intersection_match_what_they_say():
    (negated,) = conditions.outcome({"not": {"equal": [BRANCH, "main"]}})
    both = refs.intersection(["/release\\/.*/"], ["/(?!(?:release/1\\.2)$).*/"])
    for name in NAMES[:-1]:
        assert profile_runs([negated], name) == (name != "main")
        assert profile_runs([both], name) == (name.startswith("release/") and name != "release/1.2")


def test_a_scheduled_workflow_never_runs_on_a_push():
    assert conditions.workflow_outcome({"triggers": [{"schedule": {}}], "jobs": []}) is False
    unless = {"unless": {"equal": [BRANCH, "main"]}, "jobs": []}
    (pattern,) = conditions.workflow_outcome(unless)
    assert not profile_runs([pattern], "main") and profile_runs([pattern], "develop")
