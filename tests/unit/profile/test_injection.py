"""Shell metacharacters in any profile value that reaches a command are refused with a located
error.

Free-form command fields (install, setup, command) are shell by intent and are not targets here; a
NUL in them is covered by test_hostile_profiles.py.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from ciconf.entry import main  # what `ciconf` runs: the fast path for plain commands

DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

LISTENER = (
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/demo-prod/4f1a2b3c4d5e6f70/"
)
FULL_PROFILE: dict[str, Any] = {
    "project": "demo",
    "test": {
        "image": "cimg/python:3.12",
        "services": [{"image": "cimg/postgres:16.1", "environment": {"POSTGRES_USER": "app"}}],
        "environment": {"APP_ENV": "test"},
        "resource_class": "large",
        "cache": {
            "version": "v2",
            "lockfiles": ["requirements.txt", "api/poetry.lock"],
            "paths": ["~/.cache/pip", ".venv"],
        },
        "install": "pip install -r requirements.txt",
        "wait_for": [{"host": "127.0.0.1", "port": 5432}],
        "setup": ["python manage.py migrate"],
        "command": "pytest",
        "artifacts": ["reports/html"],
        "test_results": "reports/junit",
    },
    "merge_test": {"base": "develop", "ignore_branches": ["main", "develop"]},
    "delivery": {
        "region": "eu-west-1",
        "images": [
            {
                "repository": "team/api",
                "dockerfile": "api/Dockerfile",
                "context": "api",
                "build_args": {"PYTHON_VERSION": "3.12"},
                "container": "api",
            },
            {"repository": "team/worker"},
        ],
        "pipeline_source": "team/api",
        "executor_image": "cimg/aws:2025.01",
        "resource_class": "medium",
    },
    "accounts": [
        {
            "name": "dev",
            "branch": "develop",
            "deploy_tag": "dev",
            "credentials": {
                "mode": "env-indirection",
                "account_id_var": "AWS_DEV_ACCOUNT_ID",
                "access_key_var": "AWS_DEV_ACCESS_KEY",
                "secret_key_var": "AWS_DEV_SECRET_KEY",
            },
        },
        {
            "name": "stg",
            "branch": "release/next",
            "credentials": {"mode": "context", "context": "aws-stg"},
        },
        {
            "name": "prod",
            "branch": "main",
            "approval": True,
            "credentials": {
                "mode": "oidc",
                "role_arn": "arn:aws:iam::123456789012:role/circleci-deploy",
                "context": "aws-prod",
            },
            "pipeline": {
                "cluster": "demo-prod",
                "service": "demo-api",
                "strategy": "blue-green",
                "blue_green": {
                    "production_listener_arn": LISTENER + "9a8b7c6d5e4f3a21",
                    "test_listener_arn": LISTENER + "1b2c3d4e5f607182",
                    "target_groups": ["demo-blue", "demo-green"],
                    "container": "api",
                    "port": 8080,
                    "deployment_config": "CodeDeployDefault.ECSAllAtOnce",
                },
            },
        },
    ],
}

# Every profile value that lands in a generated command, a CircleCI key or a filter, by its path.
VALUE_FIELDS = [
    ("project",),
    ("test", "image"),
    ("test", "services", 0, "image"),
    ("test", "resource_class"),
    ("test", "cache", "version"),
    ("test", "cache", "lockfiles", 1),
    ("test", "cache", "paths", 0),
    ("test", "wait_for", 0, "host"),
    ("test", "artifacts", 0),
    ("test", "test_results"),
    ("merge_test", "base"),
    ("merge_test", "ignore_branches", 0),
    ("delivery", "region"),
    ("delivery", "images", 0, "repository"),
    ("delivery", "images", 0, "dockerfile"),
    ("delivery", "images", 0, "context"),
    ("delivery", "images", 0, "container"),
    ("delivery", "pipeline_source"),
    ("delivery", "executor_image"),
    ("delivery", "resource_class"),
    ("accounts", 0, "name"),
    ("accounts", 0, "branch"),
    ("accounts", 0, "deploy_tag"),
    ("accounts", 0, "credentials", "account_id_var"),
    ("accounts", 0, "credentials", "access_key_var"),
    ("accounts", 0, "credentials", "secret_key_var"),
    ("accounts", 1, "credentials", "context"),
    ("accounts", 2, "credentials", "role_arn"),
    ("accounts", 2, "credentials", "context"),
    ("accounts", 2, "pipeline", "cluster"),
    ("accounts", 2, "pipeline", "service"),
    ("accounts", 2, "pipeline", "blue_green", "production_listener_arn"),
    ("accounts", 2, "pipeline", "blue_green", "test_listener_arn"),
    ("accounts", 2, "pipeline", "blue_green", "target_groups", 1),
    ("accounts", 2, "pipeline", "blue_green", "container"),
    ("accounts", 2, "pipeline", "blue_green", "deployment_config"),
]
# Mappings whose *keys* become environment variable or build-arg names.
KEY_FIELDS = [
    ("test", "environment"),
    ("test", "services", 0, "environment"),
    ("delivery", "images", 0, "build_args"),
]

PAYLOADS = {
    "command-substitution": "$(touch pwned)",
    "backticks": "`touch pwned`",
    "semicolon": "x;touch pwned",
    "and-list": "x && touch pwned",
    "pipe": "x|sh",
    "redirect": "x>pwned",
    "newline": "x\ntouch pwned",
    "single-quote": "x'y",
    "double-quote": 'x"y',
    "space": "x y",
    "tab": "x\ty",
    "leading-dash": "-rf",
    "long-option": "--help",
    "variable": "${HOME}",
    "backslash": "x\\y",
    "glob": "*",
    "comment": "x #y",
    "carriage-return": "x\ry",
    "pipeline-value": "<< pipeline.git.branch >>",
}


def dotted(path: tuple) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def with_value(path: tuple, value: Any) -> dict:
    profile = copy.deepcopy(FULL_PROFILE)
    node = profile
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return profile


def with_key(path: tuple, key: str) -> dict:
    profile = copy.deepcopy(FULL_PROFILE)
    node = profile
    for part in path:
        node = node[part]
    node[key] = "value"
    return profile


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """One folder for the module's ~800 checks: each writes both its files afresh, and a folder
    per case cost more than the check (creating it, and pytest removing them at the end)."""
    return tmp_path_factory.mktemp("injection")


def check(folder: Path, profile: dict, capsys) -> tuple[int, str]:
    path = folder / "profile.yaml"
    # libyaml's emitter writes the same YAML as the pure-Python one, five times faster
    path.write_text(yaml.dump(profile, Dumper=DUMPER, sort_keys=False, allow_unicode=True))
    config = folder / "config.yml"
    config.write_text("previous\n")
    code = main(["check", str(path), "--config", str(config)])
    assert config.read_text() == "previous\n"
    return code, capsys.readouterr().err


def test_the_full_profile_itself_is_accepted(folder, capsys):
    code, err = check(folder, FULL_PROFILE, capsys)
    assert code == 1, err  # valid, and differs from the placeholder config
    assert "has drifted" in err


@pytest.mark.parametrize("payload", sorted(PAYLOADS))
@pytest.mark.parametrize("path", VALUE_FIELDS, ids=dotted)
def test_metacharacters_in_a_value_are_refused(folder, capsys, path, payload):
    code, err = check(folder, with_value(path, PAYLOADS[payload]), capsys)
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "profile.yaml:" in lines[0] and f": {dotted(path)}: " in lines[0]
    assert "expected" in lines[0]


@pytest.mark.parametrize("payload", sorted(PAYLOADS))
@pytest.mark.parametrize("path", KEY_FIELDS, ids=dotted)
def test_metacharacters_in_a_variable_name_are_refused(folder, capsys, path, payload):
    code, err = check(folder, with_key(path, PAYLOADS[payload]), capsys)
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert f": {dotted(path)}[" in lines[0]
    assert "expected a POSIX environment variable name" in lines[0]


@pytest.mark.parametrize(
    "path",
    [
        ("accounts", 0, "credentials", "account_id_var"),
        ("accounts", 0, "credentials", "secret_key_var"),
    ],
    ids=dotted,
)
def test_literal_keys_where_a_variable_name_belongs_are_refused_without_echo(folder, capsys, path):
    for secret in ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"):
        code, err = check(folder, with_value(path, secret), capsys)
        assert code == 2
        assert "literal AWS credential" in err and secret not in err


# Free text that CircleCI reads: environment and build-arg values, and the shell commands
# themselves.
TEXT_FIELDS = [
    ("test", "environment", "APP_ENV"),
    ("test", "services", 0, "environment", "POSTGRES_USER"),
    ("delivery", "images", 0, "build_args", "PYTHON_VERSION"),
    ("test", "install"),
    ("test", "setup", 0),
    ("test", "command"),
]
# CircleCI (config 2.1) substitutes '<< … >>' in the config before any shell runs, so a pipeline
# value
# (a branch name is anyone's to choose) would land inside ciconf's quoting; a lone '<<' is an
# "Unclosed '<<' tag" error. https://circleci.com/docs/guides/orchestrate/config-templating/
TEMPLATES = {
    "branch": "<< pipeline.git.branch >>",
    "parameter": "x-<<pipeline.parameters.tag>>",
    "expression": "<< not pipeline.git.tag >>",
    "heredoc": "cat <<EOF\nhello\nEOF",
    "here-string": "cat <<< hello",
}


@pytest.mark.parametrize("template", sorted(TEMPLATES))
@pytest.mark.parametrize("path", TEXT_FIELDS, ids=dotted)
def test_circleci_pipeline_value_syntax_in_free_text_is_refused(folder, capsys, path, template):
    code, err = check(folder, with_value(path, TEMPLATES[template]), capsys)
    assert code == 2
    (line,) = err.splitlines()
    assert (
        line.startswith("ciconf: error: ")
        and "profile.yaml:" in line
        and f": {dotted(path)}: " in line
    )
    at = TEMPLATES[template].index("<<") + 1
    assert f"'<<' at character {at}: CircleCI reads '<< … >>' as a pipeline value" in line
    assert "(expected text without '<<')" in line


@pytest.mark.parametrize("path", TEXT_FIELDS, ids=dotted)
def test_shell_redirections_that_are_not_templates_still_render(folder, capsys, path):
    code, err = check(folder, with_value(path, "echo ok >> log.txt 2>&1 < /dev/null"), capsys)
    assert code == 1, err  # valid: it only differs from the placeholder config
