"""Build the CircleCI config as data: shared fragments are shared Python objects with names.

The emitter writes a shared object once, with its anchor, in the top-level ``anchors:`` section, and
aliases it everywhere else; ``expand()`` gives the data any YAML loader reads back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ciconf.profile.derive import AccountPlan, DeliveryPlan, Plan, snake
from ciconf.profile.models import EnvIndirection, OidcCredentials, Profile, TestJob
from ciconf.shell import commands
from ciconf.yamlkit.emit import MERGE

CONFIG_VERSION = 2.1


@dataclass
class Config:
    """The config mapping plus the names of its anchors (by object id)."""

    data: dict
    anchors: dict[int, str] = field(default_factory=dict)
    _keep: list = field(default_factory=list)

    def name(self, obj: Any, anchor: str) -> Any:
        self.anchors[id(obj)] = anchor
        self._keep.append(obj)
        return obj


def _run(name: str, command: str) -> dict:
    return {"run": {"name": name, "command": command}}


def _test_environment(test: TestJob) -> dict:
    primary: dict = {"image": test.image}
    docker = [primary]
    for service in test.services:
        container: dict = {"image": service.image}
        if service.environment:
            container["environment"] = dict(service.environment)
        docker.append(container)
    env: dict = {"docker": docker}
    if test.resource_class:
        env["resource_class"] = test.resource_class
    if test.environment:
        env["environment"] = dict(test.environment)
    return env


def _cache_key(project: str, cache) -> tuple[str, str]:
    prefix = f"{cache.version}-{project}-"
    checksums = "-".join(f'{{{{ checksum "{path}" }}}}' for path in cache.lockfiles)
    return prefix + checksums, prefix


def _test_steps(config: Config, profile: Profile, anchors: dict) -> list:
    """The steps shared by test and merge_test, each registered as a named anchor."""
    test = profile.test
    steps: list = []

    def shared(anchor: str, step: dict) -> None:
        anchors[anchor] = config.name(step, anchor)
        steps.append(step)

    if test.cache is not None:
        key, fallback = _cache_key(profile.project, test.cache)
        shared("restore_cache", {"restore_cache": {"keys": [key, fallback]}})
    if test.install:
        shared("install", _run("Install dependencies", commands.lines(test.install)))
    if test.cache is not None:
        key, _ = _cache_key(profile.project, test.cache)
        shared("save_cache", {"save_cache": {"key": key, "paths": list(test.cache.paths)}})
    initialize = [commands.wait_for(w.host, w.port, w.timeout) for w in test.wait_for] + list(test.setup)
    if initialize:
        shared("initialize", _run("Initialize", commands.lines(initialize)))
    shared("test", _run("Test", commands.lines(test.command)))
    return steps


def _report_steps(test: TestJob) -> list:
    """Artifact and test-result uploads: small, so each job gets its own copy."""
    steps: list = [{"store_artifacts": {"path": path}} for path in test.artifacts]
    if test.test_results:
        steps.append({"store_test_results": {"path": test.test_results}})
    return steps


def _credentials_step(account: AccountPlan) -> dict | None:
    if isinstance(account.credentials, EnvIndirection):
        return _run("AWS credentials", commands.credentials_env_indirection())
    if isinstance(account.credentials, OidcCredentials):
        return _run("AWS credentials (OIDC)", commands.credentials_oidc())
    return None  # context mode: the context already holds AWS_* variables


def _delivery_images(config: Config, plan: Plan, anchors: dict) -> dict[str, dict]:
    """One executor+steps anchor per credentials mode in use (usually exactly one)."""
    delivery: DeliveryPlan = plan.delivery  # type: ignore[assignment]
    modes = sorted({account.mode for account in plan.accounts})
    common = [_run("ECR login", commands.ecr_login(delivery.region))]
    common += [_run(f"{image.repository} image", commands.build_and_push(delivery, image)) for image in delivery.images]
    common.append(_run("Deploy tag", commands.push_deploy_tags(delivery)))
    if len(modes) > 1:
        names = ["ecr_login", *(image.anchor for image in delivery.images), "deploy_tag"]
        for step, name in zip(common, names):
            config.name(step, name)
    by_mode: dict[str, dict] = {}
    for mode in modes:
        account = next(a for a in plan.accounts if a.mode == mode)
        executor: dict = {"docker": [{"image": delivery.executor_image}]}
        if delivery.resource_class:
            executor["resource_class"] = delivery.resource_class
        credentials = _credentials_step(account)
        executor["steps"] = ["checkout", "setup_remote_docker", *([credentials] if credentials else []), *common]
        anchor = "delivery_image" if len(modes) == 1 else f"delivery_image_{snake(mode)}"
        anchors[anchor] = config.name(executor, anchor)
        by_mode[mode] = executor
    return by_mode


def _delivery_environment(account: AccountPlan) -> dict:
    credentials = account.credentials
    env: dict = {}
    if isinstance(credentials, EnvIndirection):
        env[commands.ACCOUNT_ID_VAR] = f"${credentials.account_id_var}"
        env[commands.ACCESS_KEY_VAR] = f"${credentials.access_key_var}"
        env[commands.SECRET_KEY_VAR] = f"${credentials.secret_key_var}"
    elif isinstance(credentials, OidcCredentials):
        env[commands.ROLE_ARN_VAR] = credentials.role_arn
        env[commands.ACCOUNT_ID_VAR] = credentials.role_arn.split(":")[4]
    env[commands.DEPLOY_TAG_VAR] = account.deploy_tag
    return env


def _branch_only(branch: str) -> dict:
    return {"branches": {"only": [branch]}}


def _workflow(profile: Profile, plan: Plan) -> list:
    jobs: list = ["test"]
    merge = profile.merge_test
    if merge is not None and merge.enabled:
        filters: dict = {"tags": {"ignore": "/.*/"}}
        if merge.ignore_branches:
            filters = {"branches": {"ignore": list(merge.ignore_branches)}, **filters}
        jobs.append({"merge_test": {"filters": filters}})
    for account in plan.accounts:
        context = getattr(account.credentials, "context", None)
        requires = "test"
        if account.hold_job:
            jobs.append(
                {account.hold_job: {"type": "approval", "requires": [requires], "filters": _branch_only(account.branch)}}
            )
            requires = account.hold_job
        invocation: dict = {"requires": [requires]}
        if context:
            invocation["context"] = [context]
        invocation["filters"] = _branch_only(account.branch)
        jobs.append({account.job: invocation})
    return jobs


def build_config(profile: Profile, plan: Plan) -> Config:
    config = Config(data={})
    anchors: dict[str, Any] = {}
    test_environment = config.name(_test_environment(profile.test), "test_environment")
    anchors["test_environment"] = test_environment
    steps = _test_steps(config, profile, anchors)
    delivery_images = _delivery_images(config, plan, anchors) if plan.accounts else {}

    jobs: dict[str, Any] = {
        "test": {MERGE: [test_environment], "steps": ["checkout", *steps, *_report_steps(profile.test)]}
    }
    merge = profile.merge_test
    if merge is not None and merge.enabled:
        merge_step = _run(f"Merge {merge.base}", commands.merge_base(merge.base))
        jobs["merge_test"] = {
            MERGE: [test_environment],
            "steps": ["checkout", merge_step, *steps, *_report_steps(profile.test)],
        }
    for account in plan.accounts:
        jobs[account.job] = {MERGE: [delivery_images[account.mode]], "environment": _delivery_environment(account)}

    config.data = {
        "version": CONFIG_VERSION,
        "anchors": anchors,
        "jobs": jobs,
        "workflows": {profile.project: {"jobs": _workflow(profile, plan)}},
    }
    return config
