"""`ciconf init` on repositories of five ecosystems: the profile it writes renders, lints clean
and plans, and says what the repository's files decided. (ciconf is asked in-process,
conftest.ciconf_in_process, except where "nothing written" is what a test proves.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ciconf_in_process, run_ciconf

from ciconf.profile.load import load_profile

COMPOSE = """\
services:
  app:
    build: .
  db:
    image: {image}
    environment:
{environment}
  cache:
    image: redis:7-alpine
"""

REPOSITORIES = {
    "php": {
        "composer.lock": "{}",
        "composer.json": '{"scripts": {"test": "phpunit"}}',
        "Dockerfile": "FROM php:8.3-fpm\n",
        "docker/nginx/Dockerfile": "FROM nginx:1.27\n",
        "docker-compose.yml": COMPOSE.format(
            image="mysql:8.0", environment="      MYSQL_DATABASE: testing"
        ),
    },
    "node": {
        "package-lock.json": "{}",
        "package.json": "{}",
        "Dockerfile": "FROM node:22\n",
        "compose.yaml": COMPOSE.format(
            image="postgres:16", environment="      - POSTGRES_PASSWORD=postgres"
        ),
    },
    "python": {"poetry.lock": "", "pyproject.toml": "", "services/api/Dockerfile": "FROM python\n"},
    "ruby": {"Gemfile.lock": "", "Gemfile": "", "spec/spec_helper.rb": ""},
    "go": {"go.sum": "", "go.mod": "module x\n", "build/worker.Dockerfile": "FROM golang\n"},
}
EXPECTED = {
    "php": ("cimg/php:8.3", ["composer.lock"], "composer test"),
    "node": ("cimg/node:22.11", ["package-lock.json"], "npm test"),
    "python": ("cimg/python:3.12", ["poetry.lock"], "poetry run pytest"),
    "ruby": ("cimg/ruby:3.3", ["Gemfile.lock"], "bundle exec rspec"),
    "go": ("cimg/go:1.23", ["go.sum"], "go test ./..."),
}


def repository(tmp_path: Path, kind: str) -> Path:
    root = tmp_path / f"shop-{kind}"
    for name, text in REPOSITORIES[kind].items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


@pytest.mark.parametrize("kind", sorted(REPOSITORIES))
def test_init_scaffolds_a_profile_that_renders_lints_and_plans(tmp_path, kind):
    root = repository(tmp_path, kind)
    delivers = "Dockerfile" in str(REPOSITORIES[kind])
    accounts = ["--account", "stg:develop", "--account", "prod:main"] if delivers else []
    result = ciconf_in_process("init", *accounts, "--region", "eu-west-1", cwd=root)
    assert result.returncode == 0, result.stderr
    text = (root / "ciconf.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=.ciconf/profile.schema.json\n")
    profile = load_profile(str(root / "ciconf.yaml"))
    image, lockfiles, command = EXPECTED[kind]
    job = profile.test
    assert profile.project == f"shop-{kind}"
    assert (job.image, job.cache.lockfiles, job.command) == (image, lockfiles, command)
    assert job.install
    rendered = ciconf_in_process("render", "--stdout", cwd=root)
    assert rendered.returncode == 0, rendered.stderr
    (root / "rendered.yml").write_text(rendered.stdout)
    assert ciconf_in_process("lint", "rendered.yml", cwd=root).returncode == 0
    assert ciconf_in_process("lint", "--profile", "ciconf.yaml", cwd=root).returncode == 0
    plan = ciconf_in_process("plan", "--branch", "develop", cwd=root)
    assert plan.returncode == 0 and "test" in plan.stdout
    if delivers:
        assert "delivery_stg   runs" in plan.stdout
        assert [a.name for a in profile.accounts] == ["stg", "prod"]
        assert profile.delivery.region == "eu-west-1"


def test_compose_services_become_service_containers_with_a_wait(tmp_path):
    root = repository(tmp_path, "php")
    assert ciconf_in_process("init", cwd=root).returncode == 0
    job = load_profile(str(root / "ciconf.yaml")).test
    assert [(s.image, s.environment) for s in job.services] == [
        ("cimg/mysql:8.0", {"MYSQL_DATABASE": "testing"}),
        ("cimg/redis:7.2", {}),
    ]
    assert [(w.host, w.port) for w in job.wait_for] == [("127.0.0.1", 3306), ("127.0.0.1", 6379)]


def test_every_dockerfile_becomes_an_image(tmp_path):
    root = repository(tmp_path, "php")
    assert ciconf_in_process("init", cwd=root).returncode == 0
    images = load_profile(str(root / "ciconf.yaml")).delivery.images
    assert [(i.repository, i.dockerfile, i.context) for i in images] == [
        ("shop-php", "Dockerfile", "."),
        ("shop-php/nginx", "docker/nginx/Dockerfile", "docker/nginx"),
    ]
    go = repository(tmp_path, "go")
    assert ciconf_in_process("init", cwd=go).returncode == 0
    (image,) = load_profile(str(go / "ciconf.yaml")).delivery.images
    assert (image.repository, image.dockerfile) == ("shop-go/worker", "build/worker.Dockerfile")


def test_credentials_modes_and_bad_flags(tmp_path):
    root = repository(tmp_path, "node")
    for mode in ("oidc", "env-indirection"):
        result = run_ciconf(
            "init", "--account", "prod:main", "--credentials", mode, "--force", cwd=root
        )
        assert result.returncode == 0, result.stderr
        (account,) = load_profile(str(root / "ciconf.yaml")).accounts
        assert account.credentials.mode == mode
    before = (root / "ciconf.yaml").read_text()
    exists = run_ciconf("init", cwd=root)
    assert exists.returncode == 2 and "--force" in exists.stderr
    bad = run_ciconf("init", "--account", "prod", "--force", cwd=root)
    assert bad.returncode == 2 and "NAME:BRANCH" in bad.stderr
    region = run_ciconf("init", "--account", "a:main", "--region", "mars-1", "--force", cwd=root)
    assert region.returncode == 2 and "Traceback" not in region.stderr
    assert (root / "ciconf.yaml").read_text() == before  # nothing written on bad input


def test_a_repository_without_lockfiles_gets_a_test_job_to_fill_in(tmp_path):
    result = ciconf_in_process("init", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert load_profile(str(tmp_path / "ciconf.yaml")).test.image == "cimg/base:stable"


def test_init_never_replaces_a_profile_unless_forced(tmp_path):
    root = repository(tmp_path, "python")
    profile = root / "ciconf.yaml"
    profile.write_text("# hand edits\nproject: mine\n")
    refused = run_ciconf("init", cwd=root)
    assert refused.returncode == 2
    assert refused.stderr == "ciconf: error: ciconf.yaml exists; pass --force to replace it\n"
    assert refused.stdout == ""
    assert profile.read_text() == "# hand edits\nproject: mine\n"  # nothing written
    # -o names the profile it would replace; a dangling link is a profile too (lexists)
    (root / "other.yaml").symlink_to(root / "missing.yaml")
    other = run_ciconf("init", "-o", "other.yaml", cwd=root)
    assert other.returncode == 2 and "other.yaml exists" in other.stderr
    assert not (root / "missing.yaml").exists()
    forced = run_ciconf("init", "--force", cwd=root)
    assert forced.returncode == 0, forced.stderr
    assert load_profile(str(profile)).project != "mine"
