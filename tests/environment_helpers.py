"""Helpers for the environment stack tests: which accounts have one, render it, read it back."""

from __future__ import annotations

import os
from pathlib import Path

from cfn_helpers import load_template
from conftest import ROOT, every_valid_profile

from ciconf.cloudformation.environment import environment_targets, render_environment
from ciconf.profile.derive import plan as derive_plan
from ciconf.profile.load import load_profile_document


def environment_accounts() -> list[tuple[Path, str]]:
    """(profile, account) for every account with an environment section, bundled and fixture
    profiles."""
    found = []
    for profile in every_valid_profile():
        _, loaded = load_profile_document(str(profile))
        found += [
            (profile, account.name)
            for account in loaded.accounts
            if account.environment is not None
        ]
    return found


def loaded(profile: Path):
    """(document, profile model, plan) of a profile file."""
    doc, model = load_profile_document(str(profile))
    return doc, model, derive_plan(model)


def render_env(profile: Path, account: str, *, without_database: bool = False) -> str:
    doc, _model, plan = loaded(profile)
    relative = os.path.relpath(profile, ROOT)
    for chosen, environment, _ in environment_targets(doc, plan):
        if chosen.name == account:
            if without_database:
                environment = environment.model_copy(update={"database": None})  # noqa: PLW2901
            return render_environment(plan, chosen, environment, relative)
    raise KeyError(account)


def env_template(profile: Path, account: str, **options) -> dict:
    return load_template(render_env(profile, account, **options))


def settings(profile: Path, account: str):
    """(account model, account plan) of one account."""
    _, model, plan = loaded(profile)
    (chosen,) = [a for a in model.accounts if a.name == account]
    return chosen, plan.account(account)


def of_type(template: dict, kind: str) -> dict:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}
