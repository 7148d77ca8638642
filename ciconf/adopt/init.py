"""`ciconf init`: a profile scaffolded from the repository's files, without questions.

Lockfiles decide the test job (the cimg/* image, the cache, the install and test commands), every
Dockerfile becomes an image of the delivery, and the database and cache services of a
docker-compose file become service containers with their environment and a wait for their port.
What the files cannot say (the AWS accounts, their branches, the region) comes from flags.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ciconf.errors import InputError

SKIPPED = {".git", "node_modules", "vendor", ".venv", "venv", "dist", "target", ".tox"}
MAX_DEPTH = 3
CREDENTIALS = ("context", "oidc", "env-indirection")


@dataclass(frozen=True)
class Ecosystem:
    name: str
    lockfile: str
    image: str
    paths: tuple[str, ...]
    install: str
    test: str


# in order of preference when a repository has several (the first is the job named `test`)
ECOSYSTEMS = (
    Ecosystem(
        "php",
        "composer.lock",
        "cimg/php:8.3",
        ("vendor",),
        "composer install --no-interaction --prefer-dist",
        "vendor/bin/phpunit",
    ),
    Ecosystem("node", "package-lock.json", "cimg/node:22.11", ("~/.npm",), "npm ci", "npm test"),
    Ecosystem(
        "node",
        "yarn.lock",
        "cimg/node:22.11",
        ("~/.cache/yarn",),
        "yarn install --frozen-lockfile",
        "yarn test",
    ),
    Ecosystem(
        "node",
        "pnpm-lock.yaml",
        "cimg/node:22.11",
        ("~/.local/share/pnpm/store",),
        "corepack enable && pnpm install --frozen-lockfile",
        "pnpm test",
    ),
    Ecosystem(
        "python",
        "poetry.lock",
        "cimg/python:3.12",
        ("~/.cache/pypoetry",),
        "poetry install --no-interaction",
        "poetry run pytest",
    ),
    Ecosystem(
        "python",
        "uv.lock",
        "cimg/python:3.12",
        ("~/.cache/uv",),
        "pip install uv && uv sync --frozen",
        "uv run pytest",
    ),
    Ecosystem(
        "python",
        "Pipfile.lock",
        "cimg/python:3.12",
        ("~/.local/share/virtualenvs",),
        "pipenv install --dev --deploy",
        "pipenv run pytest",
    ),
    Ecosystem(
        "python",
        "requirements.txt",
        "cimg/python:3.12",
        ("~/.cache/pip",),
        "pip install -r requirements.txt",
        "pytest",
    ),
    Ecosystem(
        "ruby",
        "Gemfile.lock",
        "cimg/ruby:3.3",
        ("vendor/bundle",),
        "bundle config set path vendor/bundle && bundle install",
        "bundle exec rake",
    ),
    Ecosystem(
        "go", "go.sum", "cimg/go:1.23", ("~/go/pkg/mod",), "go mod download", "go test ./..."
    ),
    Ecosystem(
        "java",
        "pom.xml",
        "cimg/openjdk:21.0",
        ("~/.m2",),
        "mvn -B dependency:go-offline",
        "mvn -B verify",
    ),
    Ecosystem(
        "java",
        "build.gradle",
        "cimg/openjdk:21.0",
        ("~/.gradle/caches",),
        "./gradlew dependencies",
        "./gradlew test",
    ),
    Ecosystem(
        "java",
        "build.gradle.kts",
        "cimg/openjdk:21.0",
        ("~/.gradle/caches",),
        "./gradlew dependencies",
        "./gradlew test",
    ),
)
# compose images ciconf knows: the cimg/* image to run instead, and the port to wait for
SERVICES = {
    "mysql": ("cimg/mysql:8.0", 3306),
    "mariadb": ("cimg/mariadb:11.4", 3306),
    "postgres": ("cimg/postgres:16.4", 5432),
    "postgis": ("cimg/postgres:16.4-postgis", 5432),
    "redis": ("cimg/redis:7.2", 6379),
    "mongo": ("mongo:7.0", 27017),
    "rabbitmq": ("rabbitmq:3.13", 5672),
    "memcached": ("memcached:1.6", 11211),
    "elasticsearch": ("docker.elastic.co/elasticsearch/elasticsearch:8.15.0", 9200),
}
COMPOSE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")


def _walk(root: Path) -> list[Path]:
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        depth = len(Path(folder).relative_to(root).parts)
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED and depth < MAX_DEPTH)
        found += [Path(folder) / name for name in sorted(files)]
    return found


def _ecosystems(root: Path) -> list[Ecosystem]:
    found, names = [], set()
    for ecosystem in ECOSYSTEMS:
        present = (root / ecosystem.lockfile).is_file()
        if ecosystem.lockfile == "requirements.txt":
            present = present or any(root.glob("requirements*.txt"))
        if present and ecosystem.name not in names:
            found.append(ecosystem)
            names.add(ecosystem.name)
    return found


def _test_command(root: Path, ecosystem: Ecosystem) -> str:
    if ecosystem.name == "php":
        scripts = _json(root / "composer.json").get("scripts") or {}
        return "composer test" if "test" in scripts else ecosystem.test
    if ecosystem.name == "ruby" and (root / "spec").is_dir():
        return "bundle exec rspec"
    return ecosystem.test


def _install(root: Path, ecosystem: Ecosystem) -> tuple[str, list[str]]:
    if ecosystem.lockfile != "requirements.txt":
        return ecosystem.install, [ecosystem.lockfile]
    files = sorted(p.name for p in root.glob("requirements*.txt"))
    return " && ".join(f"pip install -r {name}" for name in files), files


def _json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _services(root: Path) -> tuple[list[dict], list[dict]]:
    """Service containers and waits from the first compose file."""
    from ciconf.yamlkit.load import load_file

    path = next((root / name for name in COMPOSE_FILES if (root / name).is_file()), None)
    if path is None:
        return [], []
    data = load_file(str(path), allow_duplicates=True).data
    services = data.get("services") if isinstance(data, dict) else None
    containers, waits = [], []
    for spec in (services or {}).values():
        image = str(spec.get("image", "")) if isinstance(spec, dict) else ""
        kind = re.split(r"[/:]", image.split("/")[-1])[0] if image else ""
        if kind not in SERVICES:
            continue
        cimg, port = SERVICES[kind]
        container: dict = {"image": cimg}
        env = _environment(spec.get("environment"))
        if env:
            container["environment"] = env
        containers.append(container)
        waits.append({"host": "127.0.0.1", "port": port, "timeout": 60})
    return containers, waits


def _environment(value: Any) -> dict:
    if isinstance(value, dict):
        return {str(k): "" if v is None else str(v) for k, v in value.items() if "<<" not in str(v)}
    if isinstance(value, list):
        pairs = [str(item).partition("=") for item in value]
        return {k: v for k, _, v in pairs if k and "<<" not in v}
    return {}


def _images(root: Path, project: str) -> list[dict]:
    images = []
    for path in _walk(root):
        name = path.name
        if (
            name != "Dockerfile"
            and not name.endswith(".Dockerfile")
            and not name.startswith("Dockerfile.")
        ):
            continue
        relative = path.relative_to(root)
        folder = relative.parent
        label = (
            name.removesuffix(".Dockerfile").removeprefix("Dockerfile.")
            if name != "Dockerfile"
            else folder.name
        )
        repository = (
            re.sub(r"[^a-z0-9._/-]+", "-", f"{project}/{label}".lower()).strip("-/")
            if label
            else project
        )
        image: dict = {"repository": repository}
        if relative.as_posix() != "Dockerfile":
            image["dockerfile"] = relative.as_posix()
        if folder.as_posix() != ".":
            image["context"] = folder.as_posix()
        images.append(image)
    return images


def _accounts(specs: list[str], mode: str, project: str) -> list[dict]:
    accounts = []
    for spec in specs:
        name, colon, branch = spec.partition(":")
        if not colon or not name or not branch:
            raise InputError(
                "--account", f"{spec!r} is not NAME:BRANCH", expected="for example stg:develop"
            )
        account: dict = {"name": name, "branch": branch}
        if mode == "context":
            account["credentials"] = {"mode": "context", "context": f"{project}-{name}"}
        elif mode == "oidc":
            role = f"arn:aws:iam::000000000000:role/{project}-{name}-deploy"
            account["credentials"] = {
                "mode": "oidc",
                "role_arn": role,
                "context": f"{project}-{name}",
            }
        else:
            upper = re.sub(r"[^A-Z0-9]", "_", name.upper())
            account["credentials"] = {
                "mode": "env-indirection",
                "account_id_var": f"AWS_{upper}_ACCOUNT_ID",
                "access_key_var": f"AWS_{upper}_ACCESS_KEY",
                "secret_key_var": f"AWS_{upper}_SECRET_KEY",
            }
        accounts.append(account)
    return accounts


def scaffold(
    root: Path, accounts: list[str], region: str, credentials: str
) -> tuple[dict, list[str]]:
    """The profile for the repository at `root`, and what it says about how it was decided."""
    from ciconf.adopt.run import project_name

    if credentials not in CREDENTIALS:
        raise InputError(
            "--credentials", f"unknown mode {credentials!r}", expected=" or ".join(CREDENTIALS)
        )
    project = project_name(str(root / ".circleci" / "config.yml"))
    said: list[str] = []
    services, waits = _services(root)
    jobs: dict = {}
    for ecosystem in _ecosystems(root) or []:
        install, lockfiles = _install(root, ecosystem)
        job: dict = {"image": ecosystem.image}
        if services and not jobs:
            job["services"] = services
        job["cache"] = {"lockfiles": lockfiles, "paths": list(ecosystem.paths)}
        job["install"] = install
        if waits and not jobs:
            job["wait_for"] = waits
        job["command"] = _test_command(root, ecosystem)
        jobs[ecosystem.name] = job
        said.append(f"{ecosystem.lockfile}: {ecosystem.name} test job on {ecosystem.image}")
    if not jobs:
        jobs["test"] = {
            "image": "cimg/base:stable",
            "command": "echo 'no tests yet: set test.command'",
        }
        said.append("no lockfile found: a test job to fill in")
    profile: dict = {"project": project}
    if len(jobs) == 1:
        profile["test"] = next(iter(jobs.values()))
    else:
        profile["tests"] = jobs
    images = _images(root, project)
    said += [
        f"{image.get('dockerfile', 'Dockerfile')}: image {image['repository']}" for image in images
    ]
    said += [f"compose service -> {s['image']}" for s in services]
    if images:
        profile["delivery"] = {"region": region, "images": images}
        if accounts:
            profile["accounts"] = _accounts(accounts, credentials, project)
    elif accounts:
        raise InputError(
            "--account", "no Dockerfile found: there is nothing to deliver to an account"
        )
    return profile, said


def init_command(
    account: list[str], region: str, credentials: str, output: Path, force: bool = False
) -> int:
    from ciconf.adopt.output import error, write
    from ciconf.adopt.run import profile_text
    from ciconf.circleci.render import render_config
    from ciconf.exitcodes import OK
    from ciconf.profile.load import parse_profile

    target = str(output)
    if os.path.lexists(target) and not force:
        return error(f"{target} exists; pass --force to replace it")
    try:
        profile, said = scaffold(Path.cwd(), list(account), region, credentials)
        text = profile_text(profile, "the repository's files").replace(
            "Imported by `ciconf import` from the repository's files.",
            "Scaffolded by `ciconf init` from the repository's files; "
            "edit it, then `ciconf render`.",
        )
        render_config(
            parse_profile(text, target), target
        )  # it loads and renders, or nothing is written
        write(target, text)
    except InputError as problem:
        return error(problem)
    for line in said:
        print(f"ciconf: {line}", file=sys.stderr)
    return OK
