"""The account bootstrap stack read back from its YAML: repositories, OIDC provider and role,
policy."""

from __future__ import annotations

import json

import pytest
from cfn_helpers import delivery_accounts, load_template, render
from conftest import PROFILES, run_ciconf

ORG = "3f9c1a52-7d4e-4b8a-9e21-6c0d5b7a8f13"
ORDERS_PROJECT = "b7e2d4c1-0a9f-4e3b-8c56-2d1f7a9e4b60"
USER_ID = "????????-????-????-????-????????????"  # a UUID's 36 characters
# DescribeImages: the job looks a commit's image up before it builds (a rerun reuses it)
PUSH_ACTIONS = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:CompleteLayerUpload",
    "ecr:DescribeImages",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
]


def _bootstrap(profile: str, account: str) -> dict:
    return load_template(render(PROFILES / profile, account, "bootstrap"))


def _repositories(template: dict) -> dict[str, dict]:
    return {
        r["Properties"]["RepositoryName"]: r
        for r in template["Resources"].values()
        if r["Type"] == "AWS::ECR::Repository"
    }


@pytest.mark.parametrize(
    ("profile", "account"), delivery_accounts(), ids=lambda v: getattr(v, "stem", v)
)
def test_repositories_keep_images_scan_encrypt_and_pin_commit_tags(profile, account):
    template = load_template(render(profile, account, "bootstrap"))
    deploy_tag = {"stg": "stg", "prod": "prod"}[account]
    for repository in _repositories(template).values():
        # never deleted with the stack, nor replaced into an empty repository
        assert repository["DeletionPolicy"] == repository["UpdateReplacePolicy"] == "Retain"
        properties = repository["Properties"]
        assert properties["ImageScanningConfiguration"] == {"ScanOnPush": True}
        assert properties["EncryptionConfiguration"] == {"EncryptionType": "KMS"}
        # every tag is immutable but the deploy tag, which each delivery moves to the new commit
        assert properties["ImageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"
        assert properties["ImageTagMutabilityExclusionFilters"] == [
            {
                "ImageTagMutabilityExclusionFilterType": "WILDCARD",
                "ImageTagMutabilityExclusionFilterValue": deploy_tag,
            }
        ]
        rules = json.loads(properties["LifecyclePolicy"]["LifecyclePolicyText"])["rules"]
        # ECR: an image matched by a higher-priority rule is never expired by a lower one
        # (https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html), so rule 1
        # keeps the one image carrying the deploy tag whatever its age
        assert [r["rulePriority"] for r in rules] == [1, 2, 3]
        keep = rules[0]["selection"]
        assert keep == {
            "tagStatus": "tagged",
            "tagPatternList": [deploy_tag],
            "countType": "imageCountMoreThan",
            "countNumber": 1,
        }
        assert rules[1]["selection"]["tagStatus"] == "untagged"
        assert rules[2]["selection"]["tagStatus"] == "any"  # must be the last rule
        assert rules[2]["selection"]["countType"] == "imageCountMoreThan"
        assert {r["action"]["type"] for r in rules} == {"expire"}


def test_oidc_account_gets_provider_and_a_role_locked_to_project_and_branch():
    template = _bootstrap("bluegreen-example.yaml", "prod")
    resources = template["Resources"]
    provider = resources["CircleCiOidcProvider"]
    assert provider["Type"] == "AWS::IAM::OIDCProvider"
    # https://circleci.com/docs/openid-connect-tokens/: issuer oidc.circleci.com/org/<org id>,
    # audience the organization id
    assert provider["Properties"] == {
        "Url": f"https://oidc.circleci.com/org/{ORG}",
        "ClientIdList": [ORG],
    }
    role = resources["DeployRole"]["Properties"]
    assert role["RoleName"] == "circleci-orders-delivery" and role["Path"] == "/"
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Federated": {"!Ref": "CircleCiOidcProvider"}}
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    issuer = f"oidc.circleci.com/org/{ORG}"
    # CIRCLE_OIDC_TOKEN_V2's sub:
    # org/<org>/project/<project>/user/<user>/vcs-origin/<origin>/vcs-ref/<ref>
    # (https://circleci.com/docs/openid-connect-tokens/); no `*` before the ref, so a branch name
    # cannot forge the ref: the user id is 36 `?`, the origin is the profile's vcs_origin
    assert trust["Condition"] == {
        "StringEquals": {f"{issuer}:aud": ORG},
        "StringLike": {
            f"{issuer}:sub": f"org/{ORG}/project/{ORDERS_PROJECT}/user/{USER_ID}"
            "/vcs-origin/github.com/acme/orders-api/vcs-ref/refs/heads/main"
        },
    }
    (inline,) = role["Policies"]
    login, push = inline["PolicyDocument"]["Statement"]
    assert login == {"Effect": "Allow", "Action": ["ecr:GetAuthorizationToken"], "Resource": ["*"]}
    assert push["Action"] == PUSH_ACTIONS
    assert push["Resource"] == [
        {"!GetAtt": "RepositoryOrdersLogRouter.Arn"},
        {"!GetAtt": "RepositoryOrdersApi.Arn"},
    ]
    assert "DeliveryPolicy" not in resources
    assert template["Outputs"]["DeployRoleArn"]["Value"] == {"!GetAtt": "DeployRole.Arn"}
    (account_rule,) = template["Rules"]["RoleAccount"]["Assertions"]
    assert account_rule["Assert"] == {"!Equals": [{"!Ref": "AWS::AccountId"}, "222222222222"]}


def test_existing_provider_role_path_and_any_branch(tmp_path):
    text = (PROFILES / "services-example.yaml").read_text()
    template = _bootstrap("services-example.yaml", "prod")
    resources = template["Resources"]
    assert "CircleCiOidcProvider" not in resources  # create_provider: false
    role = resources["DeployRole"]["Properties"]
    assert (role["Path"], role["RoleName"]) == ("/delivery/", "circleci-shop")
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {
        "Federated": {
            "!Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:"
            f"oidc-provider/oidc.circleci.com/org/{ORG}"
        }
    }
    header = render(PROFILES / "services-example.yaml", "prod", "bootstrap").splitlines()[2:4]
    assert header == [
        "# The deploy role trusts more than the filters: any vcs-origin of the project, a fork's"
        " too (set credentials.vcs_origin).",
        f"# Uses the account's existing OIDC provider for oidc.circleci.com/org/{ORG}.",
    ]
    # without vcs_origin, a subject naming a second ref (a forged branch name) is refused
    assert trust["Condition"]["StringNotLike"] == {
        f"oidc.circleci.com/org/{ORG}:sub": "*/vcs-ref/*/vcs-ref/*"
    }

    profile = tmp_path / "shop.yaml"
    profile.write_text(text.replace("      create_provider: false", "      branch_only: false"))
    trust = load_template(render(profile, "prod", "bootstrap"))["Resources"]["DeployRole"][
        "Properties"
    ]["AssumeRolePolicyDocument"]["Statement"][0]
    project = "5c2e8f70-1b3d-4a6e-9f08-7d4c2b1a0e95"
    assert trust["Condition"]["StringLike"] == {
        f"oidc.circleci.com/org/{ORG}:sub": f"org/{ORG}/project/{project}/user/*"
    }


def test_key_mode_account_gets_a_managed_policy_to_attach():
    template = _bootstrap("services-example.yaml", "stg")
    resources = template["Resources"]
    assert "DeployRole" not in resources and "CircleCiOidcProvider" not in resources
    policy = resources["DeliveryPolicy"]
    assert policy["Type"] == "AWS::IAM::ManagedPolicy"
    login, push = policy["Properties"]["PolicyDocument"]["Statement"]
    assert login["Action"] == ["ecr:GetAuthorizationToken"] and push["Action"] == PUSH_ACTIONS
    assert len(push["Resource"]) == 4
    assert template["Outputs"]["DeliveryPolicyArn"] == {
        "Description": "Attach to the delivery job's IAM user or role",
        "Value": {"!Ref": "DeliveryPolicy"},
    }
    assert (
        "RoleAccount" not in template["Rules"]
    )  # the account id lives in CircleCI, not the profile
    for name in ("shop/nginx", "shop/worker", "shop/scheduler", "shop/web"):
        logical = "RepositoryShop" + name.split("/")[1].capitalize()
        assert template["Outputs"][f"{logical}Uri"]["Value"] == {
            "!GetAtt": f"{logical}.RepositoryUri"
        }


def test_oidc_account_without_ids_says_how_to_get_its_role(tmp_path):
    # profiles written before org_id/project_id existed keep working: the role stays theirs
    text = (PROFILES / "bluegreen-example.yaml").read_text()
    lines = [
        line
        for line in text.splitlines(keepends=True)
        if "org_id:" not in line and "project_id:" not in line
    ]
    profile = tmp_path / "orders.yaml"
    profile.write_text("".join(lines))
    text = render(profile, "prod", "bootstrap")
    assert text.splitlines()[2:4] == [
        "# No OIDC role: add credentials.org_id and credentials.project_id to the profile "
        "to create",
        "# it here; until then attach DeliveryPolicy to "
        "arn:aws:iam::222222222222:role/circleci-orders-delivery.",
    ]
    resources = load_template(text)["Resources"]
    assert "DeployRole" not in resources and "CircleCiOidcProvider" not in resources
    assert resources["DeliveryPolicy"]["Type"] == "AWS::IAM::ManagedPolicy"


def test_repository_ids_stay_unique(tmp_path):
    text = (PROFILES / "services-example.yaml").read_text()
    text = text.replace("repository: shop/worker", "repository: shop-nginx")
    profile = tmp_path / "p.yaml"
    profile.write_text(text)
    template = load_template(render(profile, "stg", "bootstrap"))
    ids = [k for k, r in template["Resources"].items() if r["Type"] == "AWS::ECR::Repository"]
    assert ids == [
        "RepositoryShopNginx",
        "RepositoryShopNginx2",
        "RepositoryShopScheduler",
        "RepositoryShopWeb",
    ]


def test_bootstrap_is_written_next_to_the_pipeline(tmp_path):
    (tmp_path / "ciconf.yaml").write_text((PROFILES / "services-example.yaml").read_text())
    done = run_ciconf("cfn", "--all", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "cloudformation").iterdir()) == [
        "shop-prod-bootstrap.yaml",
        "shop-prod-pipeline.yaml",
        "shop-stg-bootstrap.yaml",
        "shop-stg-pipeline.yaml",
    ]
