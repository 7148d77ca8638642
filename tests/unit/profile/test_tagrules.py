"""`delivery.tags`: which tags a profile may ask for, which it is refused (at its line, with the
way out), and that the bootstrap stack and the delivery job take them from the one derived set.

The run-time behaviour (reruns, older commits, tag pushes against ECR's rules) is in
tests/oracles/test_image_tags_harness.py.
"""

from __future__ import annotations

import copy

import pytest
import yaml

from ciconf.circleci.render import render_config
from ciconf.cloudformation import bootstrap
from ciconf.errors import InputError
from ciconf.profile.derive import mutable_tags
from ciconf.profile.derive import plan as derive_plan
from ciconf.profile.load import validate_document
from ciconf.profile.tagrules import (
    build_tags_can_look_like_commit_tags,
    looks_like_build_tag,
    looks_like_commit_tag,
)
from ciconf.yamlkit.load import Document
from unit.profile.test_injection import FULL_PROFILE


def _profile(tags: dict | None = None, **delivery: object) -> dict:
    profile = copy.deepcopy(FULL_PROFILE)
    if tags is not None:
        profile["delivery"]["tags"] = tags
    profile["delivery"].update(delivery)
    return profile


def _refused(profile: dict) -> str:
    with pytest.raises(InputError) as refused:
        validate_document(Document("p.yaml", profile))
    return str(refused.value)


def _valid(profile: dict):
    return validate_document(Document("p.yaml", profile))


# --- the rules ----------------------------------------------------------------------------------


def test_commit_tag_look_alikes():
    assert looks_like_commit_tag("a1b2c3", "", 6)
    assert not looks_like_commit_tag("a1b2c3d", "", 6)
    assert looks_like_commit_tag("git-a1b2c3", "git-", 6)
    assert not looks_like_commit_tag("a1b2c3", "git-", 6)
    assert looks_like_commit_tag("f" * 40, "git-", 6)  # a full-SHA tag, whatever the prefix
    assert not looks_like_commit_tag("latest", "", 6)


def test_build_tag_look_alikes():
    assert looks_like_build_tag("build-12", "build-")
    assert not looks_like_build_tag("build-", "build-")
    assert not looks_like_build_tag("build-1a", "build-")
    assert not looks_like_build_tag("build-\u0661", "build-")  # ASCII digits only
    assert build_tags_can_look_like_commit_tags("git-a", "git-", 6)  # git-a12345
    assert not build_tags_can_look_like_commit_tags("git-x", "git-", 6)
    assert not build_tags_can_look_like_commit_tags("build-", "", 6)
    assert build_tags_can_look_like_commit_tags("git-", "git-", 6)


# --- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("deploy_tag", "typed"),
    [
        ("${CIRCLE_TAG}", "did you mean delivery.tags.release: true?"),
        ("b$CIRCLE_BUILD_NUM", "did you mean delivery.tags.build_number: build-?"),
        ("${CIRCLE_SHA1}", "did you mean delivery.tags.commit_prefix"),
        ("$ENVIRONMENT", "did you mean a fixed tag (delivery.tags.moving)?"),
    ],
)
def test_a_variable_in_a_tag_is_refused_with_the_typed_form(deploy_tag, typed):
    profile = _profile()
    profile["accounts"][0]["deploy_tag"] = deploy_tag
    message = _refused(profile)
    assert "accounts[0].deploy_tag" in message
    assert "would be part of the tag's text" in message and typed in message


def test_a_variable_in_a_moving_tag_is_refused_at_its_item():
    message = _refused(_profile({"moving": ["latest", "${CIRCLE_BRANCH}"]}))
    assert "delivery.tags.moving[1]" in message and "would be part of the tag's text" in message


@pytest.mark.parametrize(
    ("tags", "where", "why"),
    [
        ({"commit_prefix": "abc"}, "delivery.tags.commit_prefix", "all hex digits"),
        ({"commit_prefix": "git."}, "delivery.tags.commit_prefix", "expected a tag prefix"),
        ({"commit_prefix": "-git"}, "delivery.tags.commit_prefix", "expected a tag prefix"),
        ({"build_number": "bad/"}, "delivery.tags.build_number", "expected a tag prefix"),
        (
            {"commit_prefix": "git-", "build_number": "git-"},
            "delivery.tags.build_number",
            "could look like commit tags",
        ),
        ({"moving": ["a1b2c3"]}, "delivery.tags.moving[0]", "looks like a commit tag"),
        (
            {"commit_prefix": "git-", "moving": ["git-a1b2c3"]},
            "delivery.tags.moving[0]",
            "looks like a commit tag",
        ),
        (
            {"build_number": "b-", "moving": ["latest", "b-7"]},
            "delivery.tags.moving[1]",
            "looks like a build-number tag",
        ),
        ({"moving": ["latest", "latest"]}, "delivery.tags", "each moving tag once"),
        ({"moving": ["a", "b", "c", "d", "e"]}, "delivery.tags.moving", "at most 4"),
        ({"release": "yes"}, "delivery.tags.release", ""),
    ],
)
def test_tags_that_could_be_taken_for_another_kind_are_refused(tags, where, why):
    message = _refused(_profile(tags))
    assert where in message and why in message


def test_a_deploy_tag_that_is_a_moving_tag_or_looks_like_a_build_tag_is_refused():
    profile = _profile({"moving": ["dev"]})
    assert "is one of delivery.tags.moving" in _refused(profile)
    profile = _profile({"build_number": "dev"})
    profile["accounts"][0]["deploy_tag"] = "dev42"
    assert "looks like a build-number tag" in _refused(profile)
    profile = _profile({"commit_prefix": "dev-"})
    profile["accounts"][0]["deploy_tag"] = "dev-abcdef"
    assert "looks like a commit tag" in _refused(profile)


# --- one derived set, both sides ------------------------------------------------------------------


TAGS = {"commit_prefix": "git-", "moving": ["latest", "edge"], "build_number": "ci-"}


def test_the_bootstrap_exclusions_are_the_tags_the_delivery_job_moves():
    profile = _valid(_profile(TAGS))
    plan = derive_plan(profile)
    assert plan.delivery is not None
    config = yaml.safe_load(render_config(profile, "p.yaml"))
    for account in plan.accounts:
        moving = mutable_tags(plan.delivery, account)
        assert moving == ("latest", "edge", account.deploy_tag)
        template = bootstrap.build_bootstrap(plan.project, plan.delivery, account)
        repositories = [
            r for r in template["Resources"].values() if r["Type"] == "AWS::ECR::Repository"
        ]
        assert repositories
        for resource in repositories:
            filters = resource["Properties"]["ImageTagMutabilityExclusionFilters"]
            assert [f["ImageTagMutabilityExclusionFilterValue"] for f in filters] == list(moving)
        job = config["jobs"][account.job]
        assert job["environment"]["DEPLOY_TAG"] == account.deploy_tag
    steps = [s for s in config["jobs"]["delivery_dev"]["steps"] if isinstance(s, dict)]
    (deploy,) = [s["run"]["command"] for s in steps if s.get("run", {}).get("name") == "Deploy tag"]
    assert "for tag in 'latest' 'edge' \"${DEPLOY_TAG}\"; do" in deploy
    assert 'once_tags+=("ci-${CIRCLE_BUILD_NUM?' in deploy
    assert "CIRCLE_TAG" not in deploy  # release tags were not asked for
    image = next(s["run"]["command"] for s in steps if s["run"]["name"] == "team/api image")
    assert 'IMAGE_TAG="git-${CIRCLE_SHA1:0:6}"' in image


def test_without_tags_the_stacks_and_config_are_what_they_were():
    plain, empty = _valid(_profile()), _valid(_profile({}))
    assert render_config(plain, "p.yaml") == render_config(empty, "p.yaml")
    config = render_config(plain, "p.yaml")
    assert "once_tags" not in config and "for tag in" not in config
    plan = derive_plan(plain)
    assert plan.delivery is not None
    for account in plan.accounts:
        assert mutable_tags(plan.delivery, account) == (account.deploy_tag,)


def test_the_full_length_commit_tag_with_a_prefix_is_a_tag_of_its_own():
    plan = derive_plan(_valid(_profile({"commit_prefix": "sha-"}, commit_tag_length=40)))
    assert plan.delivery is not None and plan.delivery.has_short_tag
    assert plan.delivery.commit_tag_pattern == "^sha-[0-9a-f]{40}$"
    plan = derive_plan(_valid(_profile(commit_tag_length=40)))
    assert plan.delivery is not None and not plan.delivery.has_short_tag
