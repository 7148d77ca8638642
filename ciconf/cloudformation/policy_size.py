"""IAM's, ECR's and KMS's policy size quotas, measured on the policies a template declares.

A policy over its quota fails the stack at deploy time (`LimitExceeded`), so `quotas.breaches`
measures them with the other quotas before anything is written. Values:
- IAM (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html): a managed
  policy 6,144 characters, a role's inline policies 10,240 in aggregate, a role trust policy 2,048
  by default and at most 4,096 when raised (the bootstrap's header already warns above 2,048, so
  only 4,096 refuses here); IAM does not count whitespace.
- ECR (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_SetRepositoryPolicy.html):
  the repository policy text at most 10,240 characters; a lifecycle policy at most 30,720
  (https://docs.aws.amazon.com/AmazonECR/latest/userguide/service-quotas.html, not adjustable).
- KMS (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html): a key policy
  at most 32,768 bytes.

The policy is measured as the JSON CloudFormation sends, with `!Sub`'s pseudo parameters
replaced by their longest values (so the measure is never short of what AWS counts) and other
intrinsics written out as their text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ciconf.yamlkit.emit import Tagged

MANAGED_CHARS = 6_144
ROLE_INLINE_CHARS = 10_240
TRUST_CHARS = 4_096
ECR_POLICY_CHARS = 10_240
ECR_LIFECYCLE_CHARS = 30_720
KMS_POLICY_BYTES = 32_768
# The longest value each pseudo parameter takes (partition aws-iso-b, region ap-southeast-2 ...).
PSEUDO = {
    "${AWS::Partition}": "aws-iso-b",
    "${AWS::AccountId}": "0" * 12,
    "${AWS::Region}": "ap-southeast-2",
}


def _repository_arns(template: dict) -> dict[str, str]:
    """`!GetAtt Id.Arn` of each named ECR repository, as the ARN it resolves to (longest)."""
    longest = "arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}"
    for pseudo, value in PSEUDO.items():
        longest = longest.replace(pseudo, value)
    return {
        f"{name}.Arn": f"{longest}:repository/{resource['Properties']['RepositoryName']}"
        for name, resource in (template.get("Resources") or {}).items()
        if resource.get("Type") == "AWS::ECR::Repository"
        and isinstance((resource.get("Properties") or {}).get("RepositoryName"), str)
    }


def _plain(value: Any, arns: dict[str, str]) -> Any:
    """The JSON value of a template fragment, intrinsics as their (substituted) text."""
    if isinstance(value, Tagged) and value.tag == "!GetAtt" and value.value in arns:
        return arns[value.value]
    if isinstance(value, Tagged):
        text = value.value
        if not isinstance(text, str):
            text = json.dumps(_plain(text, arns))
        for name, longest in PSEUDO.items():
            text = text.replace(name, longest)
        return text
    if isinstance(value, dict):
        return {key: _plain(item, arns) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item, arns) for item in value]
    return value


def _json(document: Any, arns: dict[str, str]) -> str:
    return json.dumps(_plain(document, arns), separators=(",", ":"), ensure_ascii=False)


def iam_chars(document: Any, arns: dict[str, str] | None = None) -> int:
    """The characters IAM counts: the policy's JSON without whitespace."""
    return sum(1 for char in _json(document, arns or {}) if not char.isspace())


Measure = tuple[str, int, int, str]  # what, its size, its quota, their unit


def _role(name: str, properties: dict, arns: dict[str, str]) -> Iterator[Measure]:
    policies = properties.get("Policies") or []
    inline = sum(iam_chars(policy.get("PolicyDocument"), arns) for policy in policies)
    if inline:
        what = f"{name}'s inline policies (IAM, per role, whitespace not counted)"
        yield what, inline, ROLE_INLINE_CHARS, "characters"
    trust = properties.get("AssumeRolePolicyDocument")
    if trust is not None:
        yield (
            f"{name}'s trust policy (IAM, raised quota)",
            iam_chars(trust, arns),
            TRUST_CHARS,
            "characters",
        )


def _measures(name: str, resource: dict, arns: dict[str, str]) -> Iterator[Measure]:
    kind, properties = resource.get("Type"), resource.get("Properties") or {}
    if kind == "AWS::IAM::Role":
        yield from _role(name, properties, arns)
    elif kind == "AWS::IAM::ManagedPolicy":
        size = iam_chars(properties.get("PolicyDocument"), arns)
        yield (
            f"managed policy {name} (IAM, whitespace not counted)",
            size,
            MANAGED_CHARS,
            "characters",
        )
    elif kind == "AWS::ECR::Repository":
        if "RepositoryPolicyText" in properties:
            size = len(_json(properties["RepositoryPolicyText"], arns))
            yield f"repository policy of {name} (ECR)", size, ECR_POLICY_CHARS, "characters"
        # already JSON text: its characters as sent (a rule per release tag filter grows it)
        lifecycle = (properties.get("LifecyclePolicy") or {}).get("LifecyclePolicyText")
        if isinstance(lifecycle, str):
            what = f"lifecycle policy of {name} (ECR)"
            yield what, len(lifecycle), ECR_LIFECYCLE_CHARS, "characters"
    elif kind == "AWS::KMS::Key" and "KeyPolicy" in properties:
        size = len(_json(properties["KeyPolicy"], arns).encode("utf-8"))
        yield f"key policy of {name} (KMS)", size, KMS_POLICY_BYTES, "bytes"


def breaches(template: dict) -> list[str]:
    """Each policy of `template` over its quota, as `what of N characters (at most M)`."""
    arns = _repository_arns(template)
    return [
        f"{what} of {size:,} {unit} (at most {limit:,})"
        for name, resource in (template.get("Resources") or {}).items()
        for what, size, limit, unit in _measures(name, resource, arns)
        if size > limit
    ]
