"""ECR's lifecycle policy evaluation, as its documentation states it, to run a generated policy.

The rules (https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html,
"Lifecycle policy evaluation rules", and
https://docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_parameters.html):
- rules apply in rulePriority order, lowest first; an image is expired by one rule or none;
- an image that matches the tagging requirements of a rule cannot be expired by a rule with a lower
  priority; rules never mark images marked by higher-priority rules, but still identify (count)
  them as if they had not been expired;
- `tagged` with `tagPatternList`: an image is selected when every pattern matches one of its tags
  (`*` is the only wildcard); `untagged`: images without tags; `any`: every image;
- `imageCountMoreThan`: the selected images sorted youngest first by push time, all past the count
  expire; `sinceImagePushed` (days): those pushed longer ago than the count expire.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

DAY = 86_400


@dataclass(frozen=True)
class Image:
    digest: str
    tags: frozenset[str]
    pushed_at: int  # seconds


def pattern_matches(pattern: str, tag: str) -> bool:
    """`*` matches any run of characters; every other character itself."""
    first, *middle, last = pattern.split("*") if "*" in pattern else (pattern, None)
    if last is None:
        return tag == pattern
    if not tag.startswith(first) or not tag[len(first) :].endswith(last):
        return False
    position, end = len(first), len(tag) - len(last)
    for piece in middle:
        found = tag.find(piece, position, end)
        if found < 0:
            return False
        position = found + len(piece)
    return position <= end


def _selects(selection: dict, image: Image) -> bool:
    status = selection["tagStatus"]
    if status == "any":
        return True
    if status == "untagged":
        return not image.tags
    patterns = selection.get("tagPatternList")
    if patterns is not None:
        return bool(image.tags) and all(
            any(pattern_matches(pattern, tag) for tag in image.tags) for pattern in patterns
        )
    prefixes = selection["tagPrefixList"]
    return all(any(tag.startswith(prefix) for tag in image.tags) for prefix in prefixes)


def _past_count(selection: dict, selected: list[Image], now: int) -> list[Image]:
    if selection["countType"] == "imageCountMoreThan":
        youngest_first = sorted(selected, key=lambda image: image.pushed_at, reverse=True)
        return youngest_first[selection["countNumber"] :]
    assert selection["countType"] == "sinceImagePushed" and selection["countUnit"] == "days"
    return [image for image in selected if now - image.pushed_at > selection["countNumber"] * DAY]


def expired(policy_text: str, images: list[Image], now: int) -> set[str]:
    """The digests the policy expires from `images` at time `now`."""
    rules = sorted(json.loads(policy_text)["rules"], key=lambda rule: rule["rulePriority"])
    assert rules[-1]["selection"]["tagStatus"] == "any" or all(
        rule["selection"]["tagStatus"] != "any" for rule in rules
    ), "a rule selecting any must come last"
    protected: set[str] = set()  # matched the tagging requirements of a higher-priority rule
    marked: set[str] = set()
    for rule in rules:
        assert rule["action"] == {"type": "expire"}
        selection = rule["selection"]
        selected = [image for image in images if _selects(selection, image)]
        for image in _past_count(selection, selected, now):
            if image.digest not in protected and image.digest not in marked:
                marked.add(image.digest)
        protected |= {image.digest for image in selected}
    return marked
