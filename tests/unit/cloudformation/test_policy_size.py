"""IAM's, ECR's and KMS's policy size quotas, checked before a stack is written.

IAM: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html (managed policy
6,144 characters, a role's inline policies 10,240 in aggregate, trust policy at most 4,096; "IAM
does not count white space"). ECR: https://docs.aws.amazon.com/AmazonECR/latest/APIReference/
API_SetRepositoryPolicy.html (policyText at most 10240). KMS key policy: "up to 32 kilobytes
(32,768 bytes)", https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html.
"""

from __future__ import annotations

import pytest

from ciconf.cloudformation import policy_size
from ciconf.cloudformation.intrinsics import policy, statement, sub

OVERHEAD = policy_size.iam_chars(policy(statement(["ecr:PutImage"], [])))


def _document(chars: int) -> dict:
    """A policy of exactly `chars` characters as IAM counts them (one resource string)."""
    filler = chars - OVERHEAD - 2  # the resource's two quotes
    return policy(statement(["ecr:PutImage"], ["a" * filler]))


def _template(kind: str, properties: dict) -> dict:
    return {"Resources": {"Thing": {"Type": kind, "Properties": properties}}}


def test_the_document_helper_measures_exactly():
    assert policy_size.iam_chars(_document(6_144)) == 6_144


def test_managed_policy_at_6144_passes_6145_is_named():
    at = _template("AWS::IAM::ManagedPolicy", {"PolicyDocument": _document(6_144)})
    over = _template("AWS::IAM::ManagedPolicy", {"PolicyDocument": _document(6_145)})
    assert policy_size.breaches(at) == []
    assert policy_size.breaches(over) == [
        "managed policy Thing (IAM, whitespace not counted) of 6,145 characters (at most 6,144)"
    ]


def test_whitespace_is_not_counted():
    spaced = policy(statement(["ecr:PutImage"], ["a b  c"]))
    assert policy_size.iam_chars(spaced) == policy_size.iam_chars(
        policy(statement(["ecr:PutImage"], ["abc"]))
    )


@pytest.mark.parametrize("split", [1, 2, 5])
def test_role_inline_policies_count_in_aggregate(split):
    each = 10_240 // split
    policies = [{"PolicyName": f"p{n}", "PolicyDocument": _document(each)} for n in range(split)]
    at = _template("AWS::IAM::Role", {"Policies": policies})
    assert policy_size.breaches(at) == []
    policies[0] = {"PolicyName": "p0", "PolicyDocument": _document(each + 1)}
    (found,) = policy_size.breaches(_template("AWS::IAM::Role", {"Policies": policies}))
    assert "Thing's inline policies" in found and "of 10,241 characters (at most 10,240)" in found


def test_trust_policy_over_4096_is_named():
    role = _template("AWS::IAM::Role", {"AssumeRolePolicyDocument": _document(4_097)})
    (found,) = policy_size.breaches(role)
    assert "Thing's trust policy" in found and "4,097 characters (at most 4,096)" in found


def test_ecr_repository_policy_counts_its_json_text():
    at = _template("AWS::ECR::Repository", {"RepositoryPolicyText": _document(10_240)})
    over = _template("AWS::ECR::Repository", {"RepositoryPolicyText": _document(10_241)})
    assert policy_size.breaches(at) == []
    assert policy_size.breaches(over) == [
        "repository policy of Thing (ECR) of 10,241 characters (at most 10,240)"
    ]


def test_ecr_lifecycle_policy_over_30720_characters_is_named():
    # https://docs.aws.amazon.com/AmazonECR/latest/userguide/service-quotas.html
    def lifecycle(chars: int) -> dict:
        return {"LifecyclePolicy": {"LifecyclePolicyText": "x" * chars}}

    at = _template("AWS::ECR::Repository", lifecycle(30_720))
    over = _template("AWS::ECR::Repository", lifecycle(30_721))
    assert policy_size.breaches(at) == []
    assert policy_size.breaches(over) == [
        "lifecycle policy of Thing (ECR) of 30,721 characters (at most 30,720)"
    ]


def test_kms_key_policy_over_32768_bytes_is_named():
    over = _template("AWS::KMS::Key", {"KeyPolicy": _document(32_769)})
    assert policy_size.breaches(over) == [
        "key policy of Thing (KMS) of 32,769 bytes (at most 32,768)"
    ]


def test_pseudo_parameters_count_at_their_longest_value():
    arn = sub("arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/x")
    longest = "arn:aws-iso-b:ecr:ap-southeast-2:000000000000:repository/x"
    assert policy_size.iam_chars(policy(statement(["a"], [arn]))) == policy_size.iam_chars(
        policy(statement(["a"], [longest]))
    )
