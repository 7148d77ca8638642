"""Private executor images: `auth: {username, password}` and `aws_auth` (an OIDC role, or access
keys) on the primary image and on service images, with every secret a `$NAME` reference.

CircleCI's keys: https://circleci.com/docs/guides/execute/private-images/ (auth, aws_auth with
aws_access_key_id / aws_secret_access_key) and
https://circleci.com/docs/pull-an-image-from-aws-ecr-with-oidc/ (aws_auth.oidc_role_arn); OIDC
tokens are issued to every job (https://circleci.com/docs/openid-connect-tokens).
"""

from __future__ import annotations

import pytest
import yaml
from conftest import ROOT, planned_runs

from ciconf.circleci.render import render_config
from ciconf.errors import InputError
from ciconf.lint.schema import circleci_validator
from ciconf.profile.load import parse_profile

EXAMPLE = ROOT / "profiles" / "examples" / "private-images.yaml"
ECR_IMAGE = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/build:1"


def rendered(text: str) -> dict:
    return yaml.safe_load(render_config(parse_profile(text, "p.yaml"), "p.yaml"))


def profile_with(login: str, where: str = "primary") -> str:
    """A test job with a primary image and one service; `login` goes on the one named."""
    primary = login if where == "primary" else ""
    service = login.replace("  ", "      ", 1) if where == "service" else ""
    return (
        f"project: ship\ntest:\n  image: {ECR_IMAGE}\n{primary}"
        f"  services:\n    - image: acme/db:1\n{service}  command: make test\n"
    )


OIDC = "  aws_auth: {oidc_role_arn: 'arn:aws:iam::111111111111:role/pull'}\n"
KEYS = "  aws_auth: {aws_access_key_id: $ECR_KEY_ID, aws_secret_access_key: $ECR_SECRET}\n"
LOGIN = "  auth: {username: acmeci, password: $DOCKERHUB_PASSWORD}\n"


@pytest.mark.parametrize(
    ("login", "keys"),
    [
        (OIDC, {"aws_auth": {"oidc_role_arn": "arn:aws:iam::111111111111:role/pull"}}),
        (
            KEYS,
            {
                "aws_auth": {
                    "aws_access_key_id": "$ECR_KEY_ID",
                    "aws_secret_access_key": "$ECR_SECRET",
                }
            },
        ),
        (LOGIN, {"auth": {"username": "acmeci", "password": "$DOCKERHUB_PASSWORD"}}),
    ],
)
@pytest.mark.parametrize("where", ["primary", "service"])
def test_the_login_is_written_beside_its_image_as_circleci_reads_it(login, keys, where):
    data = rendered(profile_with(login, where))
    docker = data["anchors"]["test_environment"]["docker"]
    container = docker[0] if where == "primary" else docker[1]
    other = docker[1] if where == "primary" else docker[0]
    assert {key: container[key] for key in keys} == keys
    assert not {"auth", "aws_auth"} & set(other)  # each image has its own login
    # CircleCI's own config schema accepts the keys where they are written
    errors = list(circleci_validator().iter_errors(data))
    assert errors == [], [error.message for error in errors]


def test_the_example_pulls_from_ecr_and_docker_hub_and_runs_its_jobs():
    data = yaml.safe_load(render_config(parse_profile(EXAMPLE.read_text(), "e.yaml"), "e.yaml"))
    primary, database = data["anchors"]["test_environment"]["docker"]
    assert primary["aws_auth"] == {
        "oidc_role_arn": "arn:aws:iam::111111111111:role/circleci-ecr-pull"
    }
    assert database["auth"] == {"username": "acmeci", "password": "$DOCKERHUB_PASSWORD"}
    assert set(data["jobs"]["audit"]["docker"][0]["aws_auth"]) == {
        "aws_access_key_id",
        "aws_secret_access_key",
    }
    for branch, on_main in (("feature/x", False), ("main", True)):
        assert planned_runs(EXAMPLE, branch) == {
            "test": True,
            "delivery_prod": on_main,
            "audit": True,
        }


@pytest.mark.parametrize(
    ("login", "column", "message"),
    [
        (
            "  auth: {username: acmeci, password: hunter2hunter2}\n",
            38,
            "'hunter2hunter2' is a literal; a secret written in the profile is written into the "
            "config",
        ),
        (
            "  auth: {username: acmeci, password: '${DOCKERHUB_PASSWORD}'}\n",
            38,
            "did you mean '$DOCKERHUB_PASSWORD'?",
        ),
        (
            "  aws_auth: {aws_access_key_id: AKIAIOSFODNN7EXAMPLE, aws_secret_access_key: $S}\n",
            33,
            "looks like a literal AWS credential",
        ),
        ("  aws_auth: {aws_access_key_id: $K}\n", 3, "both aws_access_key_id and"),
        (
            "  aws_auth: {oidc_role_arn: 'arn:aws:iam::111111111111:role/pull', "
            "aws_access_key_id: $K, aws_secret_access_key: $S}\n",
            3,
            "oidc_role_arn or the access keys, not both",
        ),
        ("  auth: {username: 'a b', password: $P}\n", 20, "a registry user name"),
    ],
)
def test_a_literal_secret_or_half_a_login_is_refused_at_its_line(login, column, message):
    with pytest.raises(InputError) as error:
        parse_profile(profile_with(login), "p.yaml")
    text = str(error.value)
    assert text.startswith(f"p.yaml:4:{column}: test."), text
    assert message in text, text


def test_auth_on_a_machine_is_refused():
    text = "project: ship\ntest:\n  machine: {image: ubuntu-2204:current}\n" + LOGIN
    with pytest.raises(InputError, match="auth and aws_auth are Docker executor options"):
        parse_profile(text + "  command: make\n", "p.yaml")


def test_an_image_takes_one_login():
    with pytest.raises(InputError, match="auth or aws_auth, not both"):
        parse_profile(profile_with(LOGIN + OIDC), "p.yaml")
