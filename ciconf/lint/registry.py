"""Every rule, in id order. A new rule is a module in ciconf/lint/rules/ listed here."""

from __future__ import annotations

from ciconf.lint.rule import Rule
from ciconf.lint.rules import (
    alias_before_anchor,
    deploy_step,
    deprecated_image,
    duplicate_key,
    ecr_get_login,
    invalid_profile,
    requires_cycle,
    requires_unknown_job,
    retired_remote_docker,
    schema,
    schema_lag,
    tag_filter_upstream,
    trigger_parameters,
    undeclared_orb,
    undeclared_parameter,
    undefined_job,
    volatile_orb,
    yaml11_environment,
)

RULES: tuple[Rule, ...] = tuple(
    sorted(
        (
            schema.RULE,
            requires_unknown_job.RULE,
            undefined_job.RULE,
            requires_cycle.RULE,
            undeclared_orb.RULE,
            undeclared_parameter.RULE,
            tag_filter_upstream.RULE,
            duplicate_key.RULE,
            alias_before_anchor.RULE,
            yaml11_environment.RULE,
            deprecated_image.RULE,
            ecr_get_login.RULE,
            retired_remote_docker.RULE,
            invalid_profile.RULE,
            schema_lag.RULE,
            trigger_parameters.RULE,
            volatile_orb.RULE,
            deploy_step.RULE,
        ),
        key=lambda rule: rule.id,
    )
)


def rules_for(kind: str) -> list[Rule]:
    return [rule for rule in RULES if kind in rule.applies_to]


def rule_table() -> str:
    """`ciconf lint --list-rules`: one line per rule."""
    width = max(len(rule.name) for rule in RULES)
    return "".join(f"{rule.id}  {rule.name:<{width}}  {rule.summary}\n" for rule in RULES)
