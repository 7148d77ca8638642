"""The account bootstrap: what must exist before the first push and before the pipeline stack.

Per account: one ECR repository per delivered image, and what the account's delivery job signs in
as — for `oidc` accounts CircleCI's identity provider and the deploy role, for the key modes (and
`oidc` accounts without organization/project ids) a managed policy to attach to the IAM user or role.
"""

from __future__ import annotations

import json
import re

from ciconf.cloudformation.intrinsics import get_att, policy, ref, skip_checkov, statement, sub
from ciconf.profile.derive import (
    AccountPlan,
    DeliveryPlan,
    account_id_expression,
    oidc_issuer,
    oidc_subject,
    role_account,
    role_name,
)
from ciconf.profile.models import OidcCredentials
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
UNTAGGED_DAYS = 14  # untagged images (no commit tag, no deploy tag) expire after this
RETAIN = {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}


def wants_role(account: AccountPlan) -> bool:
    """True when the bootstrap creates the OIDC deploy role (oidc mode with both ids)."""
    credentials = account.credentials
    return isinstance(credentials, OidcCredentials) and credentials.org_id is not None


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


def lifecycle_policy(deploy_tag: str) -> str:
    """Keep the deployed image, expire untagged images and all but the newest commit images.

    ECR evaluates rules by priority, and an image matched by a higher-priority rule's tag selection
    cannot be expired by a lower-priority rule
    (https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html). Rule 1
    selects the one image carrying the deploy tag and keeps it (count > 1 never holds) however old it
    is; after a failed deployment the image still running is kept by rule 3 while it is recent.
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
        {
            "rulePriority": 3,
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
    literal = account_id_expression(account.credentials)
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


def repository(name: str, deploy_tag: str, targets: tuple[AccountPlan, ...] = ()) -> dict:
    properties: dict = {}
    if targets:
        properties["RepositoryPolicyText"] = pull_policy(targets)
    return {
        "Type": "AWS::ECR::Repository",
        **RETAIN,  # images outlive the stack: deleting or replacing it never deletes them
        "Metadata": skip_checkov(
            (
                "CKV_AWS_51",
                f"Commit tags are immutable; only the deploy tag {deploy_tag} is excluded, because each "
                "delivery moves it to the new commit (IMMUTABLE_WITH_EXCLUSION).",
            )
        ),
        "Properties": {
            "RepositoryName": name,
            "ImageScanningConfiguration": {"ScanOnPush": True},
            "EncryptionConfiguration": {"EncryptionType": "KMS"},  # the account's aws/ecr key
            "ImageTagMutability": "IMMUTABLE_WITH_EXCLUSION",
            "ImageTagMutabilityExclusionFilters": [
                {
                    "ImageTagMutabilityExclusionFilterType": "WILDCARD",
                    "ImageTagMutabilityExclusionFilterValue": deploy_tag,
                }
            ],
            "LifecyclePolicy": {"LifecyclePolicyText": lifecycle_policy(deploy_tag)},
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
    """A promoting account's job may read this commit's images in the source account's repositories."""
    if source is None:
        return []
    arns = [
        sub(
            f"arn:${{AWS::Partition}}:ecr:${{AWS::Region}}:{_account_id(source)}"
            f":repository/{image.repository}"
        )
        for image in delivery.images
    ]
    return [statement(PULL_ACTIONS, arns)]


def delivery_statements(delivery: DeliveryPlan, source: AccountPlan | None) -> list[dict]:
    """Everything the account's delivery job does: push here, and read the source when it promotes."""
    return push_statements(delivery) + promotion_read_statements(delivery, source)


def oidc_provider(credentials: OidcCredentials) -> dict:
    assert credentials.org_id is not None
    # No ThumbprintList: IAM then obtains the provider's certificate thumbprint itself.
    return {
        "Type": "AWS::IAM::OIDCProvider",
        "Properties": {
            "Url": f"https://{oidc_issuer(credentials.org_id)}",
            "ClientIdList": [credentials.org_id],  # CircleCI's audience is the organization id
        },
    }


def provider_arn(credentials: OidcCredentials) -> Tagged:
    assert credentials.org_id is not None
    if credentials.create_provider:
        return ref("CircleCiOidcProvider")
    return sub(
        f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:oidc-provider/{oidc_issuer(credentials.org_id)}"
    )


def role_trust(account: AccountPlan) -> dict:
    """Only CircleCI tokens of this organization and project (and branch) may assume the role."""
    credentials = account.credentials
    assert (
        isinstance(credentials, OidcCredentials) and credentials.org_id and credentials.project_id
    )
    issuer = oidc_issuer(credentials.org_id)
    branch = account.branch if credentials.branch_only else None
    return policy(
        {
            "Effect": "Allow",
            "Principal": {"Federated": provider_arn(credentials)},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {f"{issuer}:aud": credentials.org_id},
                "StringLike": {
                    f"{issuer}:sub": oidc_subject(
                        credentials.org_id, credentials.project_id, branch
                    )
                },
            },
        }
    )


def deploy_role(
    delivery: DeliveryPlan, account: AccountPlan, source: AccountPlan | None = None
) -> dict:
    credentials = account.credentials
    assert isinstance(credentials, OidcCredentials)
    path, name = role_name(credentials.role_arn)
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "RoleName": name,  # the profile's role_arn, which the delivery job assumes
            "Path": path,
            "Description": f"CircleCI delivery job of {account.name}: pushes the images to ECR",
            "MaxSessionDuration": 3600,
            "AssumeRolePolicyDocument": role_trust(account),
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
            "Description": f"Attach to the IAM user (or role) of {account.name}'s CircleCI delivery job",
            "PolicyDocument": policy(*delivery_statements(delivery, source)),
        },
    }


def _rules(delivery: DeliveryPlan, account: AccountPlan) -> dict:
    rules = {
        "ProfileRegion": {
            "Assertions": [
                {
                    "Assert": Tagged("!Equals", [ref("AWS::Region"), delivery.region]),
                    "AssertDescription": f"Deploy this stack in {delivery.region}, where the delivery job pushes.",
                }
            ]
        }
    }
    if isinstance(account.credentials, OidcCredentials):
        owner = role_account(account.credentials.role_arn)
        rules["RoleAccount"] = {
            "Assertions": [
                {
                    "Assert": Tagged("!Equals", [ref("AWS::AccountId"), owner]),
                    "AssertDescription": f"Deploy this stack in account {owner}, the account of the profile's role_arn.",
                }
            ]
        }
    return rules


def _outputs(delivery: DeliveryPlan, account: AccountPlan) -> dict:
    outputs = {}
    for image, logical in zip(delivery.images, repository_ids(delivery).values()):
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
    """`targets` promote from this account (they may pull here); `source` is where it promotes from."""
    ids = repository_ids(delivery)
    resources: dict = {
        ids[image.repository]: repository(image.repository, account.deploy_tag, targets)
        for image in delivery.images
    }
    credentials = account.credentials
    if wants_role(account):
        assert isinstance(credentials, OidcCredentials)
        if credentials.create_provider:
            resources["CircleCiOidcProvider"] = oidc_provider(credentials)
        resources["DeployRole"] = deploy_role(delivery, account, source)
    else:
        resources["DeliveryPolicy"] = delivery_policy(delivery, account, source)
    parameters = _parameters([*targets, *([source] if source else [])])
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"{project} ({account.name}): ECR repositories and the CircleCI delivery job's access",
        **({"Parameters": parameters} if parameters else {}),
        "Rules": _rules(delivery, account),
        "Resources": resources,
        "Outputs": _outputs(delivery, account),
    }


def notes(account: AccountPlan) -> list[str]:
    """Header lines that tell the reader what this stack leaves to them."""
    credentials = account.credentials
    if isinstance(credentials, OidcCredentials):
        if credentials.org_id is None:
            return [
                "No OIDC role: add credentials.org_id and credentials.project_id to the profile to create",
                f"it here; until then attach DeliveryPolicy to {credentials.role_arn}.",
            ]
        if not credentials.create_provider:
            return [
                f"Uses the account's existing OIDC provider for {oidc_issuer(credentials.org_id)}."
            ]
        return []
    return ["Attach the DeliveryPolicy output to the IAM user whose keys the delivery job uses."]
