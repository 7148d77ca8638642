"""The profile's environment section: what it accepts, and one located message for what it
refuses."""

from __future__ import annotations

import pytest
from conftest import PROFILES
from environment_helpers import loaded

from ciconf.cloudformation.environment import environment_targets
from ciconf.errors import InputError
from ciconf.profile.environment import Environment, service_names

EXAMPLE = (PROFILES / "ci-cd-example.yaml").read_text()


def _targets(tmp_path, text: str):
    path = tmp_path / "profile.yaml"
    path.write_text(text)
    doc, _model, plan = loaded(path)
    return environment_targets(doc, plan, "out")


def _error(tmp_path, text: str) -> str:
    with pytest.raises(InputError) as caught:
        _targets(tmp_path, text)
    return str(caught.value)


def _line_of(text: str, needle: str) -> int:
    return text.splitlines().index(next(line for line in text.splitlines() if needle in line)) + 1


def test_example_accounts_have_environment_stacks_named_after_the_project(tmp_path):
    targets = _targets(tmp_path, EXAMPLE)
    assert [(a.name, path) for a, _, path in targets] == [
        ("stg", "out/ci-cd-example-stg-environment.yaml"),
        ("prod", "out/ci-cd-example-prod-environment.yaml"),
    ]


def test_service_must_be_the_pipelines(tmp_path):
    text = EXAMPLE.replace(
        "        example-stg-web:\n          cpu: 256",
        "        example-stg-webb:\n          cpu: 256",
    )
    message = _error(tmp_path, text)
    line = _line_of(text, "example-stg-webb:")
    assert message.startswith(f"profile.yaml:{line}:") or f"profile.yaml:{line}:" in message
    assert "accounts[0].environment.services.example-stg-webb" in message
    assert "did you mean 'example-stg-web'?" in message


def test_containers_must_be_delivered_images(tmp_path):
    text = EXAMPLE.replace(
        "ports: {nginx: 80}          # web", "ports: {ngnix: 80}          # web"
    ).replace(
        "load_balancer: {container: nginx, health_check_path: /}",
        "load_balancer: {container: ngnix}",
        1,
    )
    message = _error(tmp_path, text)
    assert f":{_line_of(text, 'ngnix')}:" in message
    assert (
        "'ngnix' is not one of the service's containers" in message
        and "did you mean 'nginx'?" in message
    )


def test_database_containers_must_be_delivered_images(tmp_path):
    text = EXAMPLE.replace(
        "name: example, containers: [web]}\n  - name: prod",
        "name: example, containers: [app]}\n  - name: prod",
    )
    assert (
        "environment.database.containers.0: 'app' is not one of the images' containers"
        in _error(tmp_path, text)
    )


def test_codedeploy_pipelines_are_not_given_ecs_services(tmp_path):
    text = EXAMPLE.replace(
        "      approval: true\n    environment:",
        "      approval: true\n      strategy: blue-green\n"
        "      blue_green:\n        production_listener_arn: "
        "arn:aws:elasticloadbalancing:ap-northeast-1:"
        "444455556666:listener/app/web/0123456789abcdef/0123456789abcdef\n"
        "        target_groups: [a, b]\n        container: nginx\n        port: 80\n    "
        "environment:",
    )
    message = _error(tmp_path, text)
    assert "accounts[1].pipeline.strategy" in message and "CodeDeploy" in message


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "cpu: 256\n          memory: 512",
            "cpu: 256\n          memory: 4096",
            "memory 4096 does not fit cpu 256",
        ),
        (
            "deployment: {strategy: blue-green, bake_minutes: 10, target_5xx_alarm: 10}",
            "deployment: {bake_minutes: 10}",
            "bake_minutes is only used with strategy",
        ),
        (
            "load_balancer: {container: nginx, health_check_path: /}\n          "
            "environment:\n            nginx: {PHP_HOST: 127.0.0.1}\n"
            "            web: {APP_ENV: production",
            "environment:\n            nginx: {PHP_HOST: 127.0.0.1}\n            web: "
            "{APP_ENV: production",
            "strategy blue-green shifts load balancer traffic",
        ),
        (
            "APP_KEY: "
            '"arn:aws:ssm:ap-northeast-1:111122223333:parameter/ci-cd-example/stg/app-key"',
            "APP_KEY: base64-literal-value",
            "expected an SSM parameter ARN",
        ),
        (
            "network: {availability_zones: 3, nat: single}",
            "network: {availability_zones: 4}",
            "availability_zones",
        ),
        (
            "network: {availability_zones: 3, nat: single}",
            "network: {cidr: 10.0.0.0/8}",
            "/16 to /20",
        ),
    ],
    ids=[
        "fargate-size",
        "bake-on-rolling",
        "blue-green-without-load-balancer",
        "literal-secret",
        "zones",
        "cidr",
    ],
)
def test_bad_settings_are_refused_with_their_line(tmp_path, old, new, expected):
    assert old in EXAMPLE
    text = EXAMPLE.replace(old, new, 1)
    message = _error(tmp_path, text)
    assert expected in message
    assert message.split(":")[1].isdigit()  # profile.yaml:LINE:COLUMN: ...


def test_two_services_cannot_route_the_same_path():
    service = {"ports": {"a": 80}, "load_balancer": {"container": "a", "paths": ["/api/*"]}}
    with pytest.raises(ValueError, match="both route path /api/"):
        Environment.model_validate({"services": {"one": service, "two": service}})


def test_service_names_follow_the_pipeline(tmp_path):
    _, model, _ = loaded(PROFILES / "ci-cd-example.yaml")
    assert [service_names(account) for account in model.accounts] == [
        ["example-stg-web"],
        ["example-prod-web"],
    ]


def test_stacks_for_lists_every_environment_stack_without_writing(tmp_path):
    from ciconf.cloudformation.environment import environment_stacks_for

    path = tmp_path / "profile.yaml"
    path.write_text(EXAMPLE)
    doc, _, plan = loaded(path)
    listed = environment_stacks_for(doc, plan, "out")
    assert [file for file, _ in listed] == [
        "out/ci-cd-example-stg-environment.yaml",
        "out/ci-cd-example-prod-environment.yaml",
    ]
    assert all(
        text.startswith("# Generated by ciconf from ") and "Resources:" in text
        for _, text in listed
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["profile.yaml"]
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        EXAMPLE.replace(
            "        example-prod-web:\n          cpu: 512",
            "        example-prod-wbe:\n          cpu: 512",
        )
    )
    doc, _, plan = loaded(broken)
    with pytest.raises(InputError, match="did you mean 'example-prod-web'"):
        environment_stacks_for(doc, plan)
