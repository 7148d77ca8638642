"""The account bootstrap: what must exist before the first push and before the pipeline stack.

Per account: one ECR repository per delivered image, and what the account's delivery job signs in
as — for `oidc` accounts CircleCI's identity provider and the deploy role, for the key modes (and
`oidc` accounts without organization/project ids) a managed policy to attach to the IAM user or
role.
"""

from __future__ import annotations

import json
import re

from typing_extensions import assert_never

from ciconf.cloudformation.intrinsics import get_att, policy, ref, skip_checkov, statement, sub
from ciconf.profile.credentials import AttachPolicy, DeployRole
from ciconf.profile.derive import (
    AccountPlan,
    DeliveryPlan,
    mutable_tags,
    release_tag_patterns,
    role_name,
)
from ciconf.profile.models import OidcCredentials
from ciconf.profile.trust import (
    TRUST_POLICY_QUOTA,
    oidc_issuer,
    trust_condition,
    trust_policy_length,
)
from ciconf.yamlkit.emit import Tagged

# What `docker login` (via aws ecr get-login-password) and `docker push` call, as AWS lists it for
# pushing to one repository: https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-push-iam.html
# ecr:DescribeImages: the job looks up a commit's image before it builds (a rerun reuses it), and
# BatchGetImage + PutImage move the deploy tag to that image's manifest.
PUSH_ACTIONS = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:CompleteLayerUpload",
    "ecr:DescribeImages",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
]
# What a promoting account's job reads in the source account: look up the commit's image and copy it
# (docker buildx imagetools create pulls the manifest and its blobs). AWS's cross-account pull needs
# these on both sides: the repository policy here, the identity policy there.
# https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html
PULL_ACTIONS = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:DescribeImages",
    "ecr:GetDownloadUrlForLayer",
]
LOGIN_ACTION = "ecr:GetAuthorizationToken"  # registry-wide: it has no resource-level permission
KEEP_IMAGES = 30  # newest images kept per repository (older commit tags expire)
KEEP_RELEASES = 1000  # newest release images kept per release tag pattern (a bound, not a target)
UNTAGGED_DAYS = 14  # untagged images (no commit tag, no deploy tag) expire after this
RETAIN = {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}


def wants_role(account: AccountPlan) -> bool:
    """True when the bootstrap creates the OIDC deploy role (oidc mode with both ids)."""
    return isinstance(account.parts.bootstrap, DeployRole)


def repository_ids(delivery: DeliveryPlan) -> dict[str, str]:
    """Logical id of each repository's resource: Repository + its name in CamelCase (unique)."""
    ids: dict[str, str] = {}
    for number, image in enumerate(delivery.images, start=1):
        camel = "".join(
            part[:1].upper() + part[1:]
            for part in re.split(r"[^A-Za-z0-9]+", image.repository)
            if part
        )
        logical = f"Repository{camel}"
        ids[image.repository] = logical if logical not in ids.values() else f"{logical}{number}"
    return ids


def lifecycle_policy(deploy_tag: str, releases: tuple[str, ...] = ()) -> str:
    """Keep the deployed image and the release images, expire untagged images and all but the
    newest commit images.

    ECR evaluates rules by priority, and an image matched by a higher-priority rule's tag selection
    cannot be expired by a lower-priority rule
    (https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html). Rule 1
    selects the one image carrying the deploy tag and keeps it (count > 1 never holds) however old
    it is; after a failed deployment the image still running is kept by the last rule while it is
    recent. With release tags (`releases`: their patterns), one rule each keeps the newest
    KEEP_RELEASES releases, so a release stays there to promote or roll back to after more than
    KEEP_IMAGES newer commits.
    """
    rules = [
        {
            "rulePriority": 1,
            "description": f"Keep the image the pipeline deploys (tag {deploy_tag})",
            "selection": {
                "tagStatus": "tagged",
                "tagPatternList": [deploy_tag],
                "countType": "imageCountMoreThan",
                "countNumber": 1,
            },
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 2,
            "description": f"Expire untagged images after {UNTAGGED_DAYS} days",
            "selection": {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": UNTAGGED_DAYS,
            },
            "action": {"type": "expire"},
        },
        *(
            {
                "rulePriority": priority,
                "description": f"Keep the newest {KEEP_RELEASES} release images (tags {pattern})",
                "selection": {
                    "tagStatus": "tagged",
                    "tagPatternList": [pattern],
                    "countType": "imageCountMoreThan",
                    "countNumber": KEEP_RELEASES,
                },
                "action": {"type": "expire"},
            }
            for priority, pattern in enumerate(releases, start=3)
        ),
        {
            "rulePriority": 3 + len(releases),  # `any` must come last
            "description": f"Keep the newest {KEEP_IMAGES} commit images",
            "selection": {
                "tagStatus": "any",
                "countType": "imageCountMoreThan",
                "countNumber": KEEP_IMAGES,
            },
            "action": {"type": "expire"},
        },
    ]
    return json.dumps({"rules": rules}, indent=2, sort_keys=True)


def account_parameter(account: AccountPlan) -> str:
    """Template parameter holding an account id the profile names only as a project variable."""
    return "".join(part.capitalize() for part in account.name.split("_")) + "AccountId"


def _account_id(account: AccountPlan) -> str:
    """The account id inside !Sub: the literal from its role ARN, else its template parameter."""
    literal = account.parts.account_id
    if literal is not None and not literal.startswith("$"):
        return literal
    return f"${{{account_parameter(account)}}}"


def pull_policy(targets: tuple[AccountPlan, ...]) -> dict:
    """Repository policy: the delivery job of each account that promotes from here may pull."""
    statements = []
    for target in targets:
        body = statement(
            PULL_ACTIONS,
            [],
            Sid=f"PromoteTo{account_parameter(target).removesuffix('AccountId')}",
            Principal={"AWS": sub(f"arn:${{AWS::Partition}}:iam::{_account_id(target)}:root")},
        )
        del body["Resource"]  # a repository policy applies to its own repository
        if isinstance(target.credentials, OidcCredentials):
            # the account trusts its own IAM for everyone else; here only its delivery role may pull
            body["Condition"] = {"ArnEquals": {"aws:PrincipalArn": target.credentials.role_arn}}
        statements.append(body)
    return policy(*statements)


def _mutability_note(moving: tuple[str, ...]) -> str:
    deploy_tag = moving[-1]
    if len(moving) == 1:
        return (
            f"Commit tags are immutable; only the deploy tag {deploy_tag} is excluded, because"
            " each delivery moves it to the new commit (IMMUTABLE_WITH_EXCLUSION)."
        )
    return (
        f"Commit tags are immutable; only the tags each delivery moves to the new commit"
        f" ({', '.join(moving)}; {deploy_tag} is the deploy tag) are excluded"
        " (IMMUTABLE_WITH_EXCLUSION)."
    )


def repository(
    name: str,
    moving: tuple[str, ...],
    targets: tuple[AccountPlan, ...] = (),
    releases: tuple[str, ...] = (),
) -> dict:
    """An ECR repository whose tags are immutable except `moving` (the deploy tag last); its
    lifecycle keeps the images whose tags match `releases`."""
    deploy_tag = moving[-1]
    properties: dict = {}
    if targets:
        properties["RepositoryPolicyText"] = pull_policy(targets)
    return {
        "Type": "AWS::ECR::Repository",
        **RETAIN,  # images outlive the stack: deleting or replacing it never deletes them
        "Metadata": skip_checkov(("CKV_AWS_51", _mutability_note(moving))),
        "Properties": {
            "RepositoryName": name,
            "ImageScanningConfiguration": {"ScanOnPush": True},
            "EncryptionConfiguration": {"EncryptionType": "KMS"},  # the account's aws/ecr key
            "ImageTagMutability": "IMMUTABLE_WITH_EXCLUSION",
            # exact tag values (the tag grammar has no '*'): every tag a delivery moves, no other
            "ImageTagMutabilityExclusionFilters": [
                {
                    "ImageTagMutabilityExclusionFilterType": "WILDCARD",
                    "ImageTagMutabilityExclusionFilterValue": tag,
                }
                for tag in moving
            ],
            "LifecyclePolicy": {"LifecyclePolicyText": lifecycle_policy(deploy_tag, releases)},
            **properties,
        },
    }


def push_statements(delivery: DeliveryPlan) -> list[dict]:
    """Exactly what the delivery job needs: sign in to the registry, push to these repositories."""
    ids = repository_ids(delivery)
    return [
        statement([LOGIN_ACTION], ["*"]),
        statement(
            PUSH_ACTIONS, [get_att(f"{ids[image.repository]}.Arn") for image in delivery.images]
        ),
    ]


def promotion_read_statements(delivery: DeliveryPlan, source: AccountPlan | None) -> list[dict]:
    """A promoting account's job may read the images in the source account's repositories."""
    if source is None:
        return []
    images = (source.delivery or delivery).images  # the source's own repository names
    arns = [
        sub(
            f"arn:${{AWS::Partition}}:ecr:${{AWS::Region}}:{_account_id(source)}"
            f":repository/{image.repository}"
        )
        for image in images
    ]
    return [statement(PULL_ACTIONS, arns)]


def delivery_statements(delivery: DeliveryPlan, source: AccountPlan | None) -> list[dict]:
    """What the account's delivery job does: push here, read the source when it promotes."""
    return push_statements(delivery) + promotion_read_statements(delivery, source)


def oidc_provider(role: DeployRole) -> dict:
    # No ThumbprintList: IAM then obtains the provider's certificate thumbprint itself.
    return {
        "Type": "AWS::IAM::OIDCProvider",
        "Properties": {
            "Url": f"https://{oidc_issuer(role.org_id)}",
            "ClientIdList": [role.org_id],  # CircleCI's audience is the organization id
        },
    }


def provider_arn(role: DeployRole) -> Tagged:
    if role.create_provider:
        return ref("CircleCiOidcProvider")
    return sub(
        f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:oidc-provider/{oidc_issuer(role.org_id)}"
    )


def role_trust(role: DeployRole) -> dict:
    """Only CircleCI tokens of this organization and project, for the refs that deliver here."""
    return policy(
        {
            "Effect": "Allow",
            "Principal": {"Federated": provider_arn(role)},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": trust_condition(role.org_id, role.trust),
        }
    )


def deploy_role(
    delivery: DeliveryPlan,
    account: AccountPlan,
    role: DeployRole,
    source: AccountPlan | None = None,
) -> dict:
    path, name = role_name(role.role_arn)
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "RoleName": name,  # the profile's role_arn, which the delivery job assumes
            "Path": path,
            "Description": f"CircleCI delivery job of {account.name}: pushes the images to ECR",
            "MaxSessionDuration": 3600,
            "AssumeRolePolicyDocument": role_trust(role),
            "Policies": [
                {
                    "PolicyName": "push-images",
                    "PolicyDocument": policy(*delivery_statements(delivery, source)),
                }
            ],
        },
    }


def delivery_policy(
    delivery: DeliveryPlan, account: AccountPlan, source: AccountPlan | None = None
) -> dict:
    return {
        "Type": "AWS::IAM::ManagedPolicy",
        "Properties": {
            "Description": f"Attach to the IAM user (or role) of {account.name}'s CircleCI "
            "delivery job",
            "PolicyDocument": policy(*delivery_statements(delivery, source)),
        },
    }


def _rules(delivery: DeliveryPlan, account: AccountPlan) -> dict:
    rules = {
        "ProfileRegion": {
            "Assertions": [
                {
                    "Assert": Tagged("!Equals", [ref("AWS::Region"), delivery.region]),
                    "AssertDescription": f"Deploy this stack in {delivery.region}, where the "
                    "delivery job pushes.",
                }
            ]
        }
    }
    owner = account.parts.role_account
    if owner is not None:
        rules["RoleAccount"] = {
            "Assertions": [
                {
                    "Assert": Tagged("!Equals", [ref("AWS::AccountId"), owner]),
                    "AssertDescription": f"Deploy this stack in account {owner}, the account of "
                    "the profile's role_arn.",
                }
            ]
        }
    return rules


def _outputs(delivery: DeliveryPlan, account: AccountPlan) -> dict:
    outputs = {}
    # images sharing a repository share its resource: the ids may be fewer than the images
    for image, logical in zip(delivery.images, repository_ids(delivery).values(), strict=False):
        outputs[f"{logical}Uri"] = {
            "Description": f"docker push target of {image.repository}",
            "Value": get_att(f"{logical}.RepositoryUri"),
        }
    if wants_role(account):
        outputs["DeployRoleArn"] = {
            "Description": "credentials.role_arn of the profile",
            "Value": get_att("DeployRole.Arn"),
        }
    else:
        outputs["DeliveryPolicyArn"] = {
            "Description": "Attach to the delivery job's IAM user or role",
            "Value": ref("DeliveryPolicy"),
        }
    return outputs


def _parameters(accounts: list[AccountPlan]) -> dict:
    """An account id parameter for each account the profile names only by a project variable."""
    return {
        account_parameter(account): {
            "Type": "String",
            "AllowedPattern": "[0-9]{12}",
            "Description": f"Account id of {account.name} (its delivery job copies images across)",
        }
        for account in accounts
        if _account_id(account).startswith("${")
    }


def build_bootstrap(
    project: str,
    delivery: DeliveryPlan,
    account: AccountPlan,
    targets: tuple[AccountPlan, ...] = (),
    source: AccountPlan | None = None,
) -> dict:
    """`targets` promote from this account (they pull here); `source`: where it promotes from."""
    ids = repository_ids(delivery)
    # the same for every repository of the account: derived once
    moving, releases = mutable_tags(delivery, account), release_tag_patterns(delivery, account)
    resources: dict = {
        ids[image.repository]: repository(image.repository, moving, targets, releases)
        for image in delivery.images
    }
    role = account.parts.bootstrap
    if isinstance(role, DeployRole):
        if role.create_provider:
            resources["CircleCiOidcProvider"] = oidc_provider(role)
        resources["DeployRole"] = deploy_role(delivery, account, role, source)
    else:
        resources["DeliveryPolicy"] = delivery_policy(delivery, account, source)
    parameters = _parameters([*targets, *([source] if source else [])])
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"{project} ({account.name}): ECR repositories and the CircleCI delivery "
        "job's access",
        **({"Parameters": parameters} if parameters else {}),
        "Rules": _rules(delivery, account),
        "Resources": resources,
        "Outputs": _outputs(delivery, account),
    }


def notes(account: AccountPlan) -> list[str]:
    """Header lines that tell the reader what this stack leaves to them, and where its trust is
    wider than the refs that deliver to the account."""
    bootstrap = account.parts.bootstrap
    match bootstrap:
        case AttachPolicy():
            return list(bootstrap.notes)
        case DeployRole():
            lines = [
                f"The deploy role trusts more than the filters: {why}."
                for why in bootstrap.trust.wider
            ]
            length = trust_policy_length(bootstrap.org_id, bootstrap.trust)
            if length > TRUST_POLICY_QUOTA:
                lines.append(
                    f"The trust policy has {length} characters, over IAM's default quota of "
                    f"{TRUST_POLICY_QUOTA}: raise 'Role trust policy length' before deploying."
                )
            if not bootstrap.create_provider:
                issuer = oidc_issuer(bootstrap.org_id)
                lines.append(f"Uses the account's existing OIDC provider for {issuer}.")
            return lines
        case _:
            assert_never(bootstrap)
