"""Each credentials mode in one place: what it puts into the delivery job and into the bootstrap.

`credential_parts` dispatches on the mode with `match` and `assert_never`, and every mode builds one
`CredentialParts` with every field: a new mode that is not handled here, or a mode that forgets a
part (its job environment, setup step, contexts, account id or bootstrap trust), fails type checking
instead of rendering a delivery job without credentials.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from typing_extensions import assert_never

from ciconf.profile.jobvars import ACCESS_KEY_VAR, ACCOUNT_ID_VAR, ROLE_ARN_VAR, SECRET_KEY_VAR
from ciconf.profile.models import ContextCredentials, Credentials, EnvIndirection, OidcCredentials
from ciconf.profile.refs import Refs
from ciconf.profile.trust import OidcTrust

# The credentials step the delivery job runs before the ECR login (ciconf/shell writes it).
SetupStep = Literal["env-indirection", "oidc"]


@dataclass(frozen=True)
class DeployRole:
    """The bootstrap creates the OIDC deploy role (and CircleCI's provider unless it exists)."""

    role_arn: str
    org_id: str
    create_provider: bool
    trust: OidcTrust


@dataclass(frozen=True)
class AttachPolicy:
    """The bootstrap writes a managed policy; `notes` tell the reader what to attach it to."""

    notes: tuple[str, ...]


Bootstrap = DeployRole | AttachPolicy


@dataclass(frozen=True)
class CredentialParts:
    environment: tuple[tuple[str, str], ...]  # what the delivery job's `environment:` sets
    setup: SetupStep | None  # None: the context already holds AWS_* variables
    contexts: tuple[str, ...]  # CircleCI contexts of the delivery job
    account_id: str | None  # a literal, $VAR naming a project variable, or None (in the context)
    role_account: str | None  # the account the profile's role lives in (the bootstrap checks it)
    bootstrap: Bootstrap


def role_account(role_arn: str) -> str:
    return role_arn.split(":")[4]


KEYS_NOTE = "Attach the DeliveryPolicy output to the IAM user whose keys the delivery job uses."


def _env_indirection(credentials: EnvIndirection) -> CredentialParts:
    return CredentialParts(
        environment=(
            (ACCOUNT_ID_VAR, f"${credentials.account_id_var}"),
            (ACCESS_KEY_VAR, f"${credentials.access_key_var}"),
            (SECRET_KEY_VAR, f"${credentials.secret_key_var}"),
        ),
        setup="env-indirection",
        contexts=(),
        account_id=f"${credentials.account_id_var}",
        role_account=None,
        bootstrap=AttachPolicy((KEYS_NOTE,)),
    )


def _context(credentials: ContextCredentials) -> CredentialParts:
    return CredentialParts(
        environment=(),
        setup=None,
        contexts=(credentials.context,),
        account_id=None,  # only known inside the context
        role_account=None,
        bootstrap=AttachPolicy((KEYS_NOTE,)),
    )


def _oidc_bootstrap(credentials: OidcCredentials, refs: Refs) -> Bootstrap:
    if credentials.org_id is None or credentials.project_id is None:
        return AttachPolicy(
            (
                "No OIDC role: add credentials.org_id and credentials.project_id to the profile to "
                "create",
                f"it here; until then attach DeliveryPolicy to {credentials.role_arn}.",
            )
        )
    trust = credentials.trust(refs)
    return DeployRole(credentials.role_arn, credentials.org_id, credentials.create_provider, trust)


def _oidc(credentials: OidcCredentials, refs: Refs) -> CredentialParts:
    account = role_account(credentials.role_arn)
    return CredentialParts(
        environment=((ROLE_ARN_VAR, credentials.role_arn), (ACCOUNT_ID_VAR, account)),
        setup="oidc",
        contexts=(credentials.context,),
        account_id=account,
        role_account=account,
        bootstrap=_oidc_bootstrap(credentials, refs),
    )


def credential_parts(credentials: Credentials, refs: Refs) -> CredentialParts:
    """The mode's parts; `refs` are the pushes that deliver to the account (its role's trust)."""
    match credentials:
        case EnvIndirection():
            return _env_indirection(credentials)
        case ContextCredentials():
            return _context(credentials)
        case OidcCredentials():
            return _oidc(credentials, refs)
        case _:
            assert_never(credentials)
