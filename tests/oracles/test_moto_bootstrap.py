"""Each account's bootstrap stack, deployed into moto's CloudFormation, then read back with boto3.

moto (in-process, offline) creates the ECR repositories, the IAM role or managed policy from the
template. Two gaps of moto 5.2 are handled openly:
- it has no AWS::IAM::OIDCProvider, so that one resource is left out of the deployed copy (the role
  names the provider ARN directly) and is checked by tests/acceptance/test_bootstrap.py instead;
- its CloudFormation ignores the repository's LifecyclePolicy property, so the test applies the
  template's policy text with put_lifecycle_policy (moto validates it) and reads it back;
- its CloudFormation keeps ImageScanningConfiguration and EncryptionConfiguration in the template's
  casing, which boto3 cannot parse, so those two are read from moto's backend.
"""

from __future__ import annotations

import ast
import json
import os

import pytest

boto3 = pytest.importorskip("boto3")
moto = pytest.importorskip("moto")

from cfn_helpers import (  # noqa: E402
    delivery_accounts,
    load_template,
    long_form,
    pushed_by,
    render,
    rendered_config,
)
from moto.ecr.models import ecr_backends  # noqa: E402

from ciconf.profile.derive import plan as derive_plan  # noqa: E402
from ciconf.profile.derive import release_tag_patterns, role_account  # noqa: E402
from ciconf.profile.load import load_profile  # noqa: E402
from ciconf.profile.models import OidcCredentials  # noqa: E402

DIGEST_A = "sha256:" + "a" * 64


def _deployable(text: str) -> tuple[str, dict]:
    """The template moto can create: without the OIDC provider, whose ARN the trust then names."""
    template = load_template(text)
    resources = template["Resources"]
    provider = resources.pop("CircleCiOidcProvider", None)
    if provider is not None:
        url = provider["Properties"]["Url"].removeprefix("https://")
        statement = resources["DeployRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][
            0
        ]
        assert statement["Principal"] == {"Federated": {"!Ref": "CircleCiOidcProvider"}}
        statement["Principal"]["Federated"] = {
            "!Sub": f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:oidc-provider/{url}"
        }
    return json.dumps(long_form(template)), template


def _manifest(layer: str) -> str:
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 1,
                "digest": "sha256:" + layer * 64,
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": 1,
                    "digest": "sha256:" + layer * 64,
                }
            ],
        }
    )


@pytest.mark.parametrize(
    ("profile", "account"), delivery_accounts(), ids=lambda v: getattr(v, "stem", v)
)
def test_bootstrap_creates_what_the_delivery_job_pushes_to(profile, account, monkeypatch):
    plan = derive_plan(load_profile(str(profile)))
    chosen = plan.account(account)
    region = plan.delivery.region
    credentials = chosen.credentials
    account_id = (
        role_account(credentials.role_arn)
        if isinstance(credentials, OidcCredentials)
        else "123456789012"
    )
    monkeypatch.setenv(
        "MOTO_ACCOUNT_ID", account_id
    )  # the stack's RoleAccount rule names this account
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)

    regions, pushed = pushed_by(rendered_config(profile)["jobs"][f"delivery_{account}"])
    assert regions == {region} and pushed
    body, template = _deployable(render(profile, account, "bootstrap"))

    with moto.mock_aws():
        cfn = boto3.client("cloudformation", region_name=region)
        stack = f"{plan.project}-{account}-bootstrap"
        cfn.create_stack(StackName=stack, TemplateBody=body, Capabilities=["CAPABILITY_NAMED_IAM"])
        (described,) = cfn.describe_stacks(StackName=stack)["Stacks"]
        assert described["StackStatus"] == "CREATE_COMPLETE"
        outputs = {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]}

        ecr = boto3.client("ecr", region_name=region)
        repositories = {r["repositoryName"]: r for r in ecr.describe_repositories()["repositories"]}
        assert sorted(repositories) == sorted(pushed)  # exactly the repositories the job pushes to
        for name in pushed:
            repository = repositories[name]
            # moto's CloudFormation stores these two as the template spells them (ScanOnPush, not
            # scanOnPush), which boto3's parser then drops: read them from moto's backend instead
            stored = ecr_backends[account_id][region].repositories[name]
            assert stored.image_scanning_configuration == {"ScanOnPush": True}
            assert stored.encryption_configuration == {"EncryptionType": "KMS"}
            assert repository["imageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"
            assert repository["imageTagMutabilityExclusionFilters"] == [
                {"filterType": "WILDCARD", "filter": chosen.deploy_tag}
            ]
            assert repository["repositoryUri"] in outputs.values()
            assert (
                repository["repositoryUri"] == f"{account_id}.dkr.ecr.{region}.amazonaws.com/{name}"
            )

        # what the tag settings mean for a delivery: the commit tag cannot move, the deploy tag can
        first = pushed[0]

        def digest_of(tag: str) -> str:
            return ecr.describe_images(repositoryName=first, imageIds=[{"imageTag": tag}])[
                "imageDetails"
            ][0]["imageDigest"]

        ecr.put_image(repositoryName=first, imageManifest=_manifest("1"), imageTag="c0ffee")
        ecr.put_image(
            repositoryName=first, imageManifest=_manifest("1"), imageTag=chosen.deploy_tag
        )
        old = digest_of("c0ffee")
        # real ECR answers ImageTagAlreadyExistsException, moto ImageAlreadyExistsException
        refused = (
            ecr.exceptions.ImageTagAlreadyExistsException,
            ecr.exceptions.ImageAlreadyExistsException,
        )
        with pytest.raises(refused):
            ecr.put_image(repositoryName=first, imageManifest=_manifest("2"), imageTag="c0ffee")
        ecr.put_image(repositoryName=first, imageManifest=_manifest("2"), imageTag="0ddba11")
        ecr.put_image(
            repositoryName=first, imageManifest=_manifest("2"), imageTag=chosen.deploy_tag
        )
        assert digest_of("c0ffee") == old != digest_of(chosen.deploy_tag) == digest_of("0ddba11")

        # lifecycle: moto's CloudFormation skips LifecyclePolicy, so apply the template's text
        logical = next(
            k
            for k, r in template["Resources"].items()
            if r["Type"] == "AWS::ECR::Repository" and r["Properties"]["RepositoryName"] == first
        )
        text = template["Resources"][logical]["Properties"]["LifecyclePolicy"][
            "LifecyclePolicyText"
        ]
        ecr.put_lifecycle_policy(repositoryName=first, lifecyclePolicyText=text)
        rules = json.loads(ecr.get_lifecycle_policy(repositoryName=first)["lifecyclePolicyText"])[
            "rules"
        ]
        releases = release_tag_patterns(chosen.delivery or plan.delivery, chosen)
        assert [r["selection"]["tagStatus"] for r in rules] == [
            "tagged",
            "untagged",
            *["tagged"] * len(releases),
            "any",
        ]
        assert rules[0]["selection"]["tagPatternList"] == [chosen.deploy_tag]
        assert [r["selection"]["tagPatternList"] for r in rules[2:-1]] == [[p] for p in releases]

        iam = boto3.client("iam", region_name=region)
        if "DeployRole" in template["Resources"]:
            name = credentials.role_arn.rsplit("/", 1)[1]
            role = iam.get_role(RoleName=name)["Role"]
            assert role["Arn"] == credentials.role_arn == outputs["DeployRoleArn"]
            (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
            assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
            issuer = f"oidc.circleci.com/org/{credentials.org_id}"
            assert (
                trust["Principal"]["Federated"]
                == f"arn:aws:iam::{account_id}:oidc-provider/{issuer}"
            )
            assert trust["Condition"]["StringEquals"] == {f"{issuer}:aud": credentials.org_id}
            (policy_name,) = iam.list_role_policies(RoleName=name)["PolicyNames"]
            document = iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
        else:
            arn = outputs["DeliveryPolicyArn"]
            version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
            document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"][
                "Document"
            ]
        if isinstance(document, str):  # moto keeps a CloudFormation inline policy as str(dict)
            document = (
                json.loads(document) if document.startswith('{"') else ast.literal_eval(document)
            )
        login, push = document["Statement"]
        assert login["Action"] == ["ecr:GetAuthorizationToken"] and login["Resource"] == ["*"]
        assert sorted(push["Resource"]) == sorted(
            repositories[name]["repositoryArn"] for name in pushed
        )
    assert os.environ["MOTO_ACCOUNT_ID"] == account_id
