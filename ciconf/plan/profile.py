"""`ciconf plan PROFILE`: plan the config the profile renders, plus what each account receives."""

from __future__ import annotations

from ciconf.circleci.render import render_config
from ciconf.plan.model import Delivery, PipelinePlan
from ciconf.profile.credentials import DeployRole
from ciconf.profile.derive import AccountPlan, DeliveryPlan, registry_host
from ciconf.profile.derive import plan as derive_plan
from ciconf.profile.jobvars import ACCOUNT_ID_VAR
from ciconf.profile.load import load_profile
from ciconf.profile.models import Profile


def rendered(path: str) -> tuple[Profile, str]:
    profile = load_profile(path)
    return profile, render_config(profile, path)


def deliveries(profile: Profile, plan: PipelinePlan) -> list[Delivery]:
    derived = derive_plan(profile)
    if derived.delivery is None:
        return []
    return [_delivery(account, derived.delivery, plan) for account in derived.accounts]


def _account_id(account: AccountPlan) -> str:
    """The registry's account: the profile's literal or $VAR; a context's own AWS_ACCOUNT_ID."""
    return account.parts.account_id or f"${ACCOUNT_ID_VAR}"


def _trust(account: AccountPlan) -> list[str]:
    """Where the account's deploy role (if ciconf makes it) accepts pushes that never deliver."""
    bootstrap = account.parts.bootstrap
    return list(bootstrap.trust.wider) if isinstance(bootstrap, DeployRole) else []


def _delivery(account: AccountPlan, delivery: DeliveryPlan, plan: PipelinePlan) -> Delivery:
    job = plan.job(account.job)
    pipeline = None
    if account.pipeline is not None:
        pipeline = {
            "cluster": account.pipeline.cluster,
            "service": account.pipeline.service,
            "approval": account.pipeline.approval,
            "strategy": account.pipeline.strategy,
        }
    return Delivery(
        account=account.name,
        runs=job.runs if job is not None else False,
        job=account.job,
        hold=account.hold_job,
        region=delivery.region,
        registry=registry_host(_account_id(account), delivery.region),
        images=[image.repository for image in delivery.deploy_tag_order],
        commit_tag=f"first {delivery.commit_tag_length} characters of $CIRCLE_SHA1",
        deploy_tag=account.deploy_tag,
        source=delivery.source.repository,
        stack=account.stack_name,
        pipeline=pipeline,
        trust_wider=_trust(account),
    )
