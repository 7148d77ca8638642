"""Build the CircleCI config as data: shared fragments are shared Python objects with names.

The emitter writes a shared object once, with its anchor, in the top-level ``anchors:`` section, and
aliases it everywhere else; ``expand()`` gives the data any YAML loader reads back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from typing_extensions import assert_never

from ciconf.circleci.workflow import pipeline_parameters, workflows
from ciconf.profile.derive import AccountPlan, DeliveryPlan, Plan, snake
from ciconf.profile.models import (
    Cache,
    CommandParameter,
    CustomJob,
    Delivery,
    Executor,
    Machine,
    Profile,
    RemoteDocker,
    ReusableCommand,
    Service,
    Step,
    TestJob,
    merge_job_name,
)
from ciconf.profile.workdir import job_folders
from ciconf.shell import commands
from ciconf.yamlkit.emit import MERGE

CONFIG_VERSION = 2.1


@dataclass
class Config:
    """The config mapping plus the names of its anchors (by object id)."""

    data: dict
    anchors: dict[int, str] = field(default_factory=dict)
    _keep: list = field(default_factory=list)
    _used: set[str] = field(default_factory=set)

    def name(self, obj: Any, anchor: str) -> Any:
        """Name `obj`; a name already taken (a test job called `image` next to an image `test`) gets
        a '_'."""
        while anchor in self._used:
            anchor += "_"
        self._used.add(anchor)
        self.anchors[id(obj)] = anchor
        self._keep.append(obj)
        return obj

    def anchor_of(self, obj: Any) -> str:
        return self.anchors[id(obj)]


@dataclass
class Fragments:
    """Named fragments for the `anchors:` section; an equal fragment is reused, never copied."""

    config: Config
    anchors: dict[str, Any] = field(default_factory=dict)
    _by_value: dict[str, Any] = field(default_factory=dict)

    def shared(self, anchor: str, value: Any) -> Any:
        key = json.dumps(value, sort_keys=True, default=str)
        if key in self._by_value:
            return self._by_value[key]
        self._by_value[key] = value
        self.config.name(value, anchor)
        self.anchors[self.config.anchor_of(value)] = value
        return value


def _run(name: str, command: str) -> dict:
    return {"run": {"name": name, "command": command}}


# --- executors ------------------------------------------------------------------------------------


def _pull_auth(login: Executor | Service) -> dict:
    """A private image's login keys, as written (the secrets are $NAME references)."""
    if login.auth is not None:
        return {"auth": login.auth.model_dump()}
    if login.aws_auth is not None:
        return {"aws_auth": login.aws_auth.model_dump(exclude_none=True)}
    return {}


def _container(image: str, login: Executor | Service, service: Service | None = None) -> dict:
    container: dict = {"image": image, **_pull_auth(login)}
    if service is not None:
        if service.name:
            container["name"] = service.name
        if service.entrypoint is not None:
            container["entrypoint"] = list(service.entrypoint)
        if service.command is not None:
            container["command"] = list(service.command)
        if service.environment:
            container["environment"] = dict(service.environment)
    return container


def _machine(machine: Machine) -> dict:
    """A machine executor: its image and, when asked, Docker layer caching."""
    out: dict = {"image": machine.image}
    if machine.docker_layer_caching:
        out["docker_layer_caching"] = True
    return out


def _executor(job: Executor) -> dict:
    """The executor keys of a job: docker or machine, resource class, folder, environment."""
    env: dict = {}
    orb_executor = job.executor if isinstance(job, CustomJob) else None
    if orb_executor is not None:
        # CircleCI writes an executor's parameters beside its name
        parameters = dict(orb_executor.parameters)
        env["executor"] = (
            {"name": orb_executor.name, **parameters} if parameters else orb_executor.name
        )
    elif job.machine is not None:
        env["machine"] = _machine(job.machine)
    else:
        env["docker"] = [
            _container(job.image or "", job),
            *(_container(s.image, s, s) for s in job.services),
        ]
    if job.resource_class:
        env["resource_class"] = job.resource_class
    folder = job_folders(job.working_directory).working_directory
    if folder is not None:
        env["working_directory"] = folder
    parallelism = getattr(job, "parallelism", 1)  # test jobs only
    if parallelism > 1:
        env["parallelism"] = parallelism
    matrix = getattr(job, "matrix", None)
    if matrix is not None:
        env["parameters"] = {name: {"type": "string"} for name in matrix.parameters}
    if job.environment:
        env["environment"] = dict(job.environment)
    return env


def _checkout(job: Executor) -> Any:
    # with a working_directory below the root, checkout would clone into the subfolder itself
    path = job_folders(job.working_directory).checkout_path
    return {"checkout": {"path": path}} if path is not None else "checkout"


def _remote_docker(options: RemoteDocker | None) -> Any:
    if options is None or (not options.docker_layer_caching and options.version is None):
        return "setup_remote_docker"
    settings: dict = {}
    if options.docker_layer_caching:
        settings["docker_layer_caching"] = True
    if options.version is not None:
        settings["version"] = options.version
    return {"setup_remote_docker": settings}


# --- custom steps ---------------------------------------------------------------------------------


def step(item: Step) -> Any:
    """A profile step as CircleCI writes it."""
    kind = item.kind
    if kind == "run":
        run = item.run
        assert run is not None  # a step of kind "run" has its run options
        command = commands.user_command(run.command)
        options: dict = {}
        if run.name:
            options["name"] = run.name
        options["command"] = command
        for key in ("working_directory", "when", "no_output_timeout", "shell"):
            if getattr(run, key) is not None:
                options[key] = getattr(run, key)
        if run.background:
            options["background"] = True
        if run.environment:
            options["environment"] = dict(run.environment)
        return {"run": command if list(options) == ["command"] else options}
    if kind in ("orb", "command"):
        name = item.orb or item.command
        return {name: dict(item.parameters)} if item.parameters else name
    if kind == "setup_remote_docker":
        return _remote_docker(item.setup_remote_docker)
    value = getattr(item, kind)
    settings = {
        key: _plain(val) for key, val in value if val is not None and val != [] and val is not False
    }
    return {kind: settings} if settings else kind


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, (list, tuple)) else value


# --- test jobs ------------------------------------------------------------------------------------


def _prefix(name: str) -> str:
    """Anchor names of job `test` keep the seed's names (install, test ...); others get the job's
    name."""
    return "" if name == "test" else f"{snake(name)}_"


def _cache_key(project: str, job_name: str, job: TestJob, cache: Cache) -> tuple[str, str]:
    parts = [cache.version, project]
    if job_name != "test":
        parts.append(job_name)
    if cache.name:
        parts.append(cache.name)
    if job.matrix is not None:
        parts += [f"<< parameters.{name} >>" for name in job.matrix.parameters]
    prefix = "-".join(parts) + "-"
    checksums = "-".join(f'{{{{ checksum "{path}" }}}}' for path in cache.lockfiles)
    return prefix + checksums, prefix


def _test_command(job: TestJob) -> str:
    if job.split is not None:
        return commands.split_tests(job.split.glob, job.command, job.split.by)
    return commands.lines(job.command)


def _test_steps(fragments: Fragments, project: str, name: str, job: TestJob) -> list:
    """The steps shared by a test job and its merge variant, each registered as a named anchor."""
    prefix = _prefix(name)
    steps: list = []

    def shared(anchor: str, value: Any) -> None:
        steps.append(fragments.shared(prefix + anchor, value) if isinstance(value, dict) else value)

    def hooks(point: str) -> None:
        for number, item in enumerate(getattr(job.steps, point), start=1):
            steps.append(_shared_step(fragments, f"{prefix}{point}_{number}", item))

    if job.remote_docker is not None:
        shared("setup_remote_docker", _remote_docker(job.remote_docker))
    hooks("before_install")
    caches = job.all_caches()
    many = len(caches) > 1
    for cache in caches:
        key, fallback = _cache_key(project, name, job, cache)
        suffix = f"_{snake(cache.name)}" if many and cache.name else ""
        shared("restore_cache" + suffix, {"restore_cache": {"keys": [key, fallback]}})
    if job.install:
        shared("install", _run(job.step_names.install, commands.lines(job.install)))
    for cache in caches:
        key, _ = _cache_key(project, name, job, cache)
        suffix = f"_{snake(cache.name)}" if many and cache.name else ""
        shared("save_cache" + suffix, {"save_cache": {"key": key, "paths": list(cache.paths)}})
    hooks("after_install")
    initialize = [commands.wait_for(w.host, w.port, w.timeout) for w in job.wait_for] + list(
        job.setup
    )
    if initialize:
        shared("initialize", _run(job.step_names.initialize, commands.lines(initialize)))
    hooks("before_test")
    shared("test", _run(job.step_names.test, _test_command(job)))
    return steps


def _shared_step(fragments: Fragments, anchor: str, item: Step) -> Any:
    rendered = step(item)
    return rendered if isinstance(rendered, str) else fragments.shared(anchor, rendered)


def _report_steps(job: TestJob) -> list:
    """Artifact and test-result uploads: small, so each job gets its own copy."""
    steps: list = [{"store_artifacts": {"path": path}} for path in job.artifacts]
    if job.test_results:
        steps.append({"store_test_results": {"path": job.test_results}})
    return steps


def _test_jobs(fragments: Fragments, profile: Profile, name: str, job: TestJob) -> dict[str, dict]:
    environment = fragments.shared(f"{snake(name)}_environment", _executor(job))
    steps = _test_steps(fragments, profile.project, name, job)
    after = [
        _shared_step(fragments, f"{_prefix(name)}after_test_{n}", s)
        for n, s in enumerate(job.steps.after_test, 1)
    ]
    checkout = _checkout(job)
    jobs = {name: {MERGE: [environment], "steps": [checkout, *steps, *_report_steps(job), *after]}}
    merge = profile.merge_test
    if merge is not None and merge.enabled and job.merge_test and not job.branches:
        merge_step = _run(f"Merge {merge.base}", commands.merge_base(merge.base))
        jobs[merge_job_name(name)] = {
            MERGE: [environment],
            "steps": [_checkout(job), merge_step, *steps, *_report_steps(job), *after],
        }
    return jobs


# --- delivery -------------------------------------------------------------------------------------


def _credentials_step(account: AccountPlan) -> dict | None:
    setup = account.parts.setup
    match setup:
        case "env-indirection":
            return _run("AWS credentials", commands.credentials_env_indirection())
        case "oidc":
            return _run("AWS credentials (OIDC)", commands.credentials_oidc())
        case None:
            return None  # context mode: the context already holds AWS_* variables
        case _:
            assert_never(setup)


def _delivery_executor(delivery: DeliveryPlan) -> tuple[dict, list]:
    executor: dict = {}
    if delivery.machine is not None:
        executor["machine"] = _machine(delivery.machine)
        docker_steps: list = []  # a machine runs Docker itself
    else:
        executor["docker"] = [{"image": delivery.executor_image}]
        docker_steps = [_remote_docker(delivery.remote_docker)]
    if delivery.resource_class:
        executor["resource_class"] = delivery.resource_class
    return executor, docker_steps


def _build_run(name: str, command: str, settings: Delivery) -> dict:
    """An image's build step; a long silent build gets the profile's no_output_timeout."""
    run = _run(name, command)
    if settings.no_output_timeout is not None:
        run["run"]["no_output_timeout"] = settings.no_output_timeout
    return run


def _build_steps(settings: Delivery, delivery: DeliveryPlan) -> tuple[list, list[str]]:
    """Build and push each image, then the deploy tags; with after_build steps, every image is
    built before them and pushed after them (`_with_between`). Returns the steps and their anchor
    names."""
    images = delivery.images
    if not settings.steps.after_build:
        built = [
            _build_run(
                f"{image.repository} image", commands.build_and_push(delivery, image), settings
            )
            for image in images
        ]
        names = [image.anchor for image in images]
    else:
        built = [
            _build_run(f"Build {image.repository}", commands.build_only(delivery, image), settings)
            for image in images
        ]
        built += [
            _run(f"Push {image.repository}", commands.push_built(delivery, image))
            for image in images
        ]
        names = [image.anchor for image in images] + [f"push_{image.anchor}" for image in images]
    built.append(_run("Deploy tag", commands.push_deploy_tags(delivery)))
    return built, [*names, "deploy_tag"]


def _with_between(build: list, between: list) -> list:
    """The build steps with the after_build steps between the last build and the first push."""
    if not between:
        return build
    half = (len(build) - 1) // 2  # builds, pushes, then the deploy tag step
    return [*build[:half], *between, *build[half:]]


DeliveryKind = tuple[str, bool, str]  # credentials mode, promotes, own images ("" or the account)


def delivery_kind(plan: Plan, account: AccountPlan) -> DeliveryKind:
    """Which delivery executor the account's job merges: accounts receiving the profile's images
    as they are share one per credentials mode (and promotion); an account with its own
    repositories or build args (accounts[].images), or promoting from one, has its own."""
    if account.promote_from is None:
        own = account.delivery != plan.delivery
    else:  # a copy reads only the repository names, its own and the source's
        source = plan.account(account.promote_from)
        usual = _repositories(plan.delivery)
        own = _repositories(account.delivery) != usual or _repositories(source.delivery) != usual
    return account.mode, account.promote_from is not None, account.name if own else ""


def _repositories(delivery: DeliveryPlan | None) -> tuple[str, ...]:
    return tuple(image.repository for image in delivery.images) if delivery else ()


def _name_all(config: Config, items: list, names: list[str]) -> None:
    for item, name in zip(items, names, strict=True):
        if not isinstance(item, str):  # a bare `checkout` is a string: nothing to anchor
            config.name(item, name)


def _work_steps(
    config: Config, settings: Delivery, plan: Plan, firsts: dict[DeliveryKind, AccountPlan]
) -> dict[tuple[bool, str], list]:
    """The steps doing the work, by (promotes, own images): build and push, or copy; the deploy
    tag step is shared by both. Several executors share them, so they get anchor names then."""
    many = len(firsts) > 1
    work: dict[tuple[bool, str], list] = {}
    for kind in sorted(firsts):
        _, promotes, own = kind
        account = firsts[kind]
        delivery: DeliveryPlan = account.delivery  # type: ignore[assignment]
        suffix = f"_{snake(own)}" if own else ""
        if (False, own) not in work:
            build, names = _build_steps(settings, delivery)
            if many:
                _name_all(config, build, [name + suffix for name in names])
            work[(False, own)] = build
        if promotes and (True, own) not in work:
            source = plan.account(account.promote_from).delivery  # type: ignore[arg-type]
            copy = _run("Copy images", commands.promote_images(delivery, source))
            if many:
                config.name(copy, "copy_images" + suffix)
            # promotion moves the deploy tags exactly as a build does: the same step
            work[(True, own)] = [copy, work[(False, own)][-1]]
    return work


def _delivery_images(
    fragments: Fragments, profile: Profile, plan: Plan
) -> dict[DeliveryKind, dict]:
    """One executor+steps anchor per credentials mode (and promotion, and account with images of
    its own) in use, usually exactly one."""
    settings: Delivery = profile.delivery  # type: ignore[assignment]
    config = fragments.config
    firsts: dict[DeliveryKind, AccountPlan] = {}
    for account in plan.accounts:
        firsts.setdefault(delivery_kind(plan, account), account)
    kinds = sorted(firsts)
    many = len(kinds) > 1  # steps shared by several executors need anchor names
    region = settings.region
    before = [step(s) for s in settings.steps.before_build]
    between = [step(s) for s in settings.steps.after_build]
    after = [step(s) for s in settings.steps.after_push]
    login = _run("ECR login", commands.ecr_login(region))
    if many:
        config.name(login, "ecr_login")
    work = _work_steps(config, settings, plan, firsts)
    if many:
        for point, items in (
            ("before_build", before),
            ("after_push", after),
            ("after_build", between),
        ):
            _name_all(config, items, [f"{point}_{n}" for n in range(1, len(items) + 1)])
    by_kind: dict[DeliveryKind, dict] = {}
    single_mode = len({mode for mode, _, _ in kinds}) == 1
    # one credentials step per mode and promotion, shared by the accounts with images of their own
    credentials_of: dict[tuple[str, bool], dict | None] = {}
    for kind in kinds:
        mode, promotes, own = kind
        account = firsts[kind]
        executor, docker_steps = _delivery_executor(account.delivery)  # type: ignore[arg-type]
        if (mode, promotes) not in credentials_of:
            credentials = _credentials_step(account)
            if many and credentials is not None:
                config.name(credentials, f"credentials_{snake(mode)}")
            credentials_of[(mode, promotes)] = credentials
        credentials = credentials_of[(mode, promotes)]
        steps = work[(promotes, own)] if promotes else _with_between(work[(False, own)], between)
        executor["steps"] = [
            "checkout",
            *docker_steps,
            *([credentials] if credentials else []),
            login,
            *before,
            *steps,
            *after,
        ]
        base = "promote_image" if promotes else "delivery_image"
        anchor = base if single_mode else f"{base}_{snake(mode)}"
        config.name(executor, anchor + (f"_{snake(own)}" if own else ""))
        fragments.anchors[config.anchor_of(executor)] = executor
        by_kind[kind] = executor
    return by_kind


def _delivery_environment(account: AccountPlan, settings: Delivery) -> dict:
    env: dict = dict(account.parts.environment)
    env[commands.DEPLOY_TAG_VAR] = account.deploy_tag
    if account.source_account_id is not None:
        env[commands.SOURCE_ACCOUNT_ID_VAR] = account.source_account_id
    # the profile's own settings after ciconf's (their names never collide: see jobvars)
    env.update(settings.environment)
    return env


# --- custom jobs ----------------------------------------------------------------------------------


def _custom_job(
    fragments: Fragments, name: str, job: CustomJob, shared_executors: set[str]
) -> dict:
    executor = _executor(job)
    key = json.dumps(executor, sort_keys=True)
    body: dict = {}
    if key in shared_executors:
        body[MERGE] = [fragments.shared(f"{snake(name)}_environment", executor)]
    else:
        body.update(executor)
    root = job_folders(job.working_directory).checkout_path
    steps = []
    for item in job.steps:
        rendered = step(item)
        if root is not None and rendered == "checkout":
            rendered = _checkout(job)
        elif (
            root is not None
            and isinstance(rendered, dict)
            and "path" not in rendered.get("checkout", {"path": None})
        ):
            # checkout with a method but no path: still clone at the root, not the subfolder
            rendered = {"checkout": {"path": root, **rendered["checkout"]}}
        steps.append(rendered)
    if job.job_parameters:
        body["parameters"] = _declared_parameters(job.job_parameters)
    body["steps"] = steps
    return body


def _declared_parameters(parameters: dict[str, CommandParameter]) -> dict:
    """Typed parameters as CircleCI declares them on a command or a job
    (https://circleci.com/docs/reusing-config/)."""
    return {
        name: {
            "type": parameter.type,
            **parameter.model_dump(exclude={"type"}, exclude_none=True, exclude_defaults=True),
        }
        for name, parameter in parameters.items()
    }


def _reusable_command(command: ReusableCommand) -> dict:
    """A profile command as CircleCI declares it under `commands:`."""
    out: dict = {}
    if command.description:
        out["description"] = command.description
    if command.parameters:
        out["parameters"] = _declared_parameters(command.parameters)
    out["steps"] = [step(item) for item in command.steps]
    return out


def _executor_uses(profile: Profile) -> set[str]:
    """Executors that more than one job uses (test jobs are always anchored, like the seed's)."""
    counts: dict[str, int] = {}
    for job in profile.test_jobs.values():
        key = json.dumps(_executor(job), sort_keys=True)
        counts[key] = counts.get(key, 0) + 2
    for custom in profile.jobs.values():
        if custom.orb_job is None:
            key = json.dumps(_executor(custom), sort_keys=True)
            counts[key] = counts.get(key, 0) + 1
    return {key for key, count in counts.items() if count > 1}


def build_config(profile: Profile, plan: Plan) -> Config:
    config = Config(data={})
    fragments = Fragments(config)
    jobs: dict[str, Any] = {}
    for name, job in profile.test_jobs.items():
        jobs.update(_test_jobs(fragments, profile, name, job))
    delivery_images = _delivery_images(fragments, profile, plan) if plan.accounts else {}
    for account in plan.accounts:
        executor = delivery_images[delivery_kind(plan, account)]
        environment = _delivery_environment(account, profile.delivery)  # type: ignore[arg-type]
        jobs[account.job] = {MERGE: [executor], "environment": environment}
    shared_executors = _executor_uses(profile)
    for name, custom in profile.jobs.items():
        if custom.orb_job is None:
            jobs[name] = _custom_job(fragments, name, custom, shared_executors)

    data: dict[str, Any] = {"version": CONFIG_VERSION}
    if profile.orbs:
        data["orbs"] = dict(profile.orbs)
    if profile.commands:
        data["commands"] = {
            name: _reusable_command(command) for name, command in profile.commands.items()
        }
    if profile.parameters:
        data["parameters"] = pipeline_parameters(profile)
    data["anchors"] = fragments.anchors
    data["jobs"] = jobs
    data["workflows"] = workflows(profile, plan)
    config.data = data
    return config
