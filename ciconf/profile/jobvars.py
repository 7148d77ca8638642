"""Environment variables ciconf itself writes into a delivery job (its `environment:` and steps).

A profile's project-variable names must differ from these: a job whose environment sets
AWS_ACCOUNT_ID to "$AWS_ACCOUNT_ID" has shadowed the project variable and can never resolve it.
"""

from __future__ import annotations

ACCOUNT_ID_VAR = "AWS_ACCOUNT_ID"
ACCESS_KEY_VAR = "AWS_ACCESS_KEY"
SECRET_KEY_VAR = "AWS_SECRET_KEY"
ROLE_ARN_VAR = "AWS_ROLE_ARN"
DEPLOY_TAG_VAR = "DEPLOY_TAG"
IMAGE_TAG_VAR = "IMAGE_TAG"
SOURCE_ACCOUNT_ID_VAR = "SOURCE_ACCOUNT_ID"
OIDC_TOKEN_VAR = "CIRCLE_OIDC_TOKEN_V2"
# exported by the OIDC credentials step for the AWS CLI
WEB_IDENTITY_TOKEN_FILE_VAR = "AWS_WEB_IDENTITY_TOKEN_FILE"
ROLE_SESSION_NAME_VAR = "AWS_ROLE_SESSION_NAME"
# exported by each image's build step when the delivery runs steps between build and push
BUILT_IMAGES_VAR = "BUILT_IMAGES"

WRITTEN_BY_CICONF = (
    ACCOUNT_ID_VAR,
    ACCESS_KEY_VAR,
    SECRET_KEY_VAR,
    ROLE_ARN_VAR,
    DEPLOY_TAG_VAR,
    IMAGE_TAG_VAR,
    SOURCE_ACCOUNT_ID_VAR,
    WEB_IDENTITY_TOKEN_FILE_VAR,
    ROLE_SESSION_NAME_VAR,
    BUILT_IMAGES_VAR,
)
# the AWS CLI's own credential variables: a delivery job gets them from its credentials mode
AWS_CREDENTIAL_VARS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
# words of a name that says it holds a secret (a password, a token), which a profile never holds
SECRET_WORDS = ("SECRET", "PASSWORD", "TOKEN", "PRIVATE_KEY", "CREDENTIAL")


def check_project_variable(name: str) -> str:
    """A project variable the job environment names; refused when ciconf writes that variable."""
    if name in WRITTEN_BY_CICONF:
        example = (
            name.replace("AWS_", "AWS_PROD_", 1) if name.startswith("AWS_") else f"PROD_{name}"
        )
        raise ValueError(
            f"{name} is a variable ciconf writes into the delivery job itself, so the job would "
            "read ciconf's value instead of your project variable; name the project variable "
            f"differently, e.g. {example} (ciconf writes {', '.join(WRITTEN_BY_CICONF)})"
        )
    return name


def check_delivery_variable(name: str) -> str:
    """A name of delivery.environment: a plain setting, never a credential or ciconf's own."""
    if name in (*AWS_CREDENTIAL_VARS, ACCESS_KEY_VAR, SECRET_KEY_VAR):
        raise ValueError(
            f"{name} is an AWS credential; a profile holds no credentials: give the account "
            "credentials (a context, oidc, or env-indirection project variables) instead"
        )
    if any(word in name.upper() for word in SECRET_WORDS):
        raise ValueError(
            f"{name} names a secret; a profile holds no secrets: store it in a CircleCI context "
            "or project variable, which the job reads as it is"
        )
    if name.startswith("CIRCLE_"):
        raise ValueError(f"{name} is set by CircleCI itself; choose another name")
    if name in WRITTEN_BY_CICONF:
        raise ValueError(
            f"{name} is a variable ciconf writes into the delivery job itself; choose another "
            f"name (ciconf writes {', '.join(WRITTEN_BY_CICONF)})"
        )
    return name
