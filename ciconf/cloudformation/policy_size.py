"""IAM's, ECR's and KMS's policy size quotas, measured on the policies a template declares.

A policy over its quota fails the stack at deploy time (`LimitExceeded`), so `quotas.breaches`
measures them with the other quotas before anything is written. Values:
- IAM (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html): a managed
  policy 6,144 characters, a role's inline policies 10,240 in aggregate, a role trust policy 2,048
  by default and at most 4,096 when raised (the bootstrap's header already warns above 2,048, so
  only 4,096 refuses here); IAM does not count whitespace.
- ECR (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_SetRepositoryPolicy.html):
  the repository policy text at most 10,240 characters.
- KMS (https://docs.aws.amazon.com/kms/latest/developerguide/resource-limits.html): a key policy
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


_ARNS: dict[str, str] = {}  # set by `breaches` for the template being measured


def _plain(value: Any) -> Any:
    """The JSON value of a template fragment, intrinsics as their (substituted) text."""
    if isinstance(value, Tagged) and value.tag == "!GetAtt" and value.value in _ARNS:
        return _ARNS[value.value]
    if isinstance(value, Tagged):
        text = value.value if isinstance(value.value, str) else json.dumps(_plain(value.value))
        for name, longest in PSEUDO.items():
            text = text.replace(name, longest)
        return text
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _json(document: Any) -> str:
    return json.dumps(_plain(document), separators=(",", ":"), ensure_ascii=False)


def iam_chars(document: Any) -> int:
    """The characters IAM counts: the policy's JSON without whitespace."""
    return sum(1 for char in _json(document) if not char.isspace())


def _role(name: str, properties: dict) -> Iterator[tuple[str, int, int]]:
    inline = sum(iam_chars(p.get("PolicyDocument")) for p in properties.get("Policies") or [])
    if inline:
        yield (
            f"{name}'s inline policies (IAM, per role, whitespace not counted)",
            inline,
            (ROLE_INLINE_CHARS),
        )
    trust = properties.get("AssumeRolePolicyDocument")
    if trust is not None:
        yield f"{name}'s trust policy (IAM, raised quota)", iam_chars(trust), TRUST_CHARS


def _measures(name: str, resource: dict) -> Iterator[tuple[str, int, int]]:
    kind, properties = resource.get("Type"), resource.get("Properties") or {}
    if kind == "AWS::IAM::Role":
        yield from _role(name, properties)
    elif kind == "AWS::IAM::ManagedPolicy":
        document = properties.get("PolicyDocument")
        yield (
            f"managed policy {name} (IAM, whitespace not counted)",
            iam_chars(document),
            (MANAGED_CHARS),
        )
    elif kind == "AWS::ECR::Repository" and "RepositoryPolicyText" in properties:
        text = _json(properties["RepositoryPolicyText"])
        yield f"repository policy of {name} (ECR)", len(text), ECR_POLICY_CHARS
    elif kind == "AWS::KMS::Key" and "KeyPolicy" in properties:
        size = len(_json(properties["KeyPolicy"]).encode("utf-8"))
        yield f"key policy of {name} (KMS, bytes)", size, KMS_POLICY_BYTES


def breaches(template: dict) -> list[str]:
    """Each policy of `template` over its quota, as `what of N characters (at most M)`."""
    found = []
    _ARNS.clear()
    _ARNS.update(_repository_arns(template))
    for name, resource in (template.get("Resources") or {}).items():
        for what, size, limit in _measures(name, resource):
            if size > limit:
                found.append(f"{what} of {size:,} characters (at most {limit:,})")
    return found
