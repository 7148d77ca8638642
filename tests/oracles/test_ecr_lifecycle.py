"""The bootstrap's lifecycle policy, run: which images ECR expires after many deliveries.

A release (a git tag the account delivers on, written as an image tag with `delivery.tags.release`)
must outlive the KEEP_IMAGES newest commits: it is what production promotes from or rolls back to.
The policy is evaluated by tests/oracles/ecr_lifecycle.py, ECR's documented evaluation rules.
"""

from __future__ import annotations

import copy
import json
import re

import pytest

from ciconf.cloudformation.bootstrap import KEEP_IMAGES, UNTAGGED_DAYS, build_bootstrap
from ciconf.profile.derive import plan as derive_plan
from ciconf.profile.derive import promotion_targets, release_tag_patterns
from ciconf.profile.load import validate_document
from ciconf.yamlkit.load import Document
from oracles.ecr_lifecycle import DAY, Image, expired, pattern_matches

NOW = 1_000 * DAY
RELEASE_FILTER = r"/^v\d+\.\d+\.\d+$/"
PROFILE = {
    "project": "shop",
    "test": {"image": "cimg/python:3.12", "command": "pytest"},
    "delivery": {
        "region": "eu-west-1",
        "images": [{"repository": "shop/web"}],
        "tags": {"release": True},
    },
    "accounts": [
        {
            "name": "prod",
            "branches": ["main"],
            "tags": [RELEASE_FILTER],
            "credentials": {"mode": "context", "context": "shop-prod"},
        }
    ],
}


def _policy(profile: dict) -> str:
    plan = derive_plan(validate_document(Document("shop.yaml", profile)))
    assert plan.delivery is not None
    account = plan.account("prod")
    template = build_bootstrap(
        plan.project, plan.delivery, account, promotion_targets(plan.accounts, "prod")
    )
    (repository,) = [
        body for body in template["Resources"].values() if body["Type"] == "AWS::ECR::Repository"
    ]
    return repository["Properties"]["LifecyclePolicy"]["LifecyclePolicyText"]


def _sha(number: int) -> str:
    return f"{number:040x}"


def _history(commits: int, releases: dict[int, str]) -> list[Image]:
    """One image per commit, a day apart, the newest carrying the deploy tag; `releases`: commit
    number -> the git tag delivered for it; two untagged leftovers of failed pushes."""
    images = []
    for number in range(commits):
        tags = {_sha(number), _sha(number)[:7]}
        if number in releases:
            tags.add(releases[number])
        if number == commits - 1:
            tags.add("prod")
        images.append(
            Image(f"sha256:{number:064x}", frozenset(tags), NOW - (commits - number) * DAY)
        )
    images += [
        Image("sha256:" + "e" * 64, frozenset(), NOW - (UNTAGGED_DAYS + 1) * DAY),
        Image("sha256:" + "f" * 64, frozenset(), NOW - DAY),
    ]
    return images


def test_the_evaluator_gives_the_documented_answer_for_two_overlapping_rules():
    # https://docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_examples.html
    # ("Filtering on multiple rules"): only image A expires; B is kept by rule 1's selection
    policy = {
        "rules": [
            {
                "rulePriority": priority,
                "selection": {
                    "tagStatus": "tagged",
                    "tagPatternList": [pattern],
                    "countType": "imageCountMoreThan",
                    "countNumber": 1,
                },
                "action": {"type": "expire"},
            }
            for priority, pattern in ((1, "prod*"), (2, "beta*"))
        ]
    }
    images = [
        Image("A", frozenset({"beta-1", "prod-1"}), NOW - 10 * DAY),
        Image("B", frozenset({"beta-2", "prod-2"}), NOW - 9 * DAY),
        Image("C", frozenset({"beta-3"}), NOW - 8 * DAY),
    ]
    assert expired(json.dumps(policy), images, NOW) == {"A"}


def test_releases_outlive_many_newer_commits_and_a_second_evaluation_expires_nothing_more():
    releases = {3: "v1.0.0", 20: "v1.1.0"}
    images = _history(100, releases)
    policy = _policy(PROFILE)
    gone = expired(policy, images, NOW)

    by_digest = {image.digest: image for image in images}
    kept = [image for image in images if image.digest not in gone]
    assert {tag for image in kept for tag in image.tags} >= {"v1.0.0", "v1.1.0", "prod"}
    # every other image: kept while among the KEEP_IMAGES newest, expired after
    newest = sorted(images, key=lambda image: image.pushed_at, reverse=True)[:KEEP_IMAGES]
    for image in images:
        released = image.tags & set(releases.values())
        recent = image in newest
        if image.tags and not released:
            assert (image.digest in gone) == (not recent and "prod" not in image.tags), image
    assert "sha256:" + "e" * 64 in gone and "sha256:" + "f" * 64 not in gone  # untagged
    assert len(gone) == len(images) - len(kept) > 0 and all(d in by_digest for d in gone)

    # ECR evaluates again every day: what is left is stable
    assert expired(policy, kept, NOW + DAY // 2) == set()


def test_without_release_tags_the_same_history_loses_its_old_releases():
    # the counter-proof: the rule that keeps releases is what keeps them
    profile = copy.deepcopy(PROFILE)
    profile["delivery"]["tags"]["release"] = False
    images = _history(100, {3: "v1.0.0"})
    gone = expired(_policy(profile), images, NOW)
    (release,) = [image for image in images if "v1.0.0" in image.tags]
    assert release.digest in gone


@pytest.mark.parametrize(
    ("tag_filter", "patterns", "accepted"),
    [
        (RELEASE_FILTER, ("v*.*.*",), ["v1.0.0", "v10.20.30"]),
        ("stable", ("stable",), ["stable"]),
        (r"/^rc-(alpha|beta)$/", ("rc-*",), ["rc-beta"]),  # a group: wider, as the trust's glob
        (r"/^v1\..*|^v2\..*/", ("v1.*", "v2.*"), ["v1.0", "v2.3"]),  # one rule per alternative
        (r"/^r\d-\d-\d-\d-\d-\d$/", ("r*-*-*-*",), ["r1-2-3-4-5-6"]),  # at most 4 wildcards
        ("/.*/", (), []),  # every tag: a pattern would hold every commit tag too
    ],
)
def test_release_patterns_hold_every_tag_the_filter_delivers(tag_filter, patterns, accepted):
    profile = copy.deepcopy(PROFILE)
    profile["accounts"][0]["tags"] = [tag_filter]
    plan = derive_plan(validate_document(Document("shop.yaml", profile)))
    assert plan.delivery is not None
    found = release_tag_patterns(plan.delivery, plan.account("prod"))
    assert found == patterns
    for pattern in found:
        assert pattern.count("*") <= 4 and not pattern.startswith("*")
        assert not pattern_matches(pattern, _sha(7)) and not pattern_matches(pattern, "prod")
    for tag in accepted:
        if tag_filter.startswith("/"):
            assert re.fullmatch(tag_filter[1:-1], tag)  # the filter delivers this tag
        assert any(pattern_matches(pattern, tag) for pattern in found), (tag, found)


def test_no_release_rule_without_release_tags_or_without_tag_pushes():
    for change in ("release", "tags"):
        profile = copy.deepcopy(PROFILE)
        if change == "release":
            profile["delivery"]["tags"]["release"] = False
        else:
            del profile["accounts"][0]["tags"]
        plan = derive_plan(validate_document(Document("shop.yaml", profile)))
        assert plan.delivery is not None
        assert release_tag_patterns(plan.delivery, plan.account("prod")) == ()
