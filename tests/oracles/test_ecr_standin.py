"""The ECR stand-in of the delivery harness behaves as ECR's API reference says (through boto3).

PutImage's errors: https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutImage.html
- ImageAlreadyExistsException: "The specified image has already been pushed, and there were no
  changes to the manifest or image tag after the last push."
- ImageTagAlreadyExistsException: "The specified image is tagged with a tag that already exists.
  The repository is configured for tag immutability."
- ImageDigestDoesNotMatchException: "The specified image digest does not match the digest that
  Amazon ECR calculated for the image."
IMMUTABLE_WITH_EXCLUSION: tags that match an exclusion filter stay mutable, every other tag is
immutable: https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html
"""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from oracles.ecr_standin import EcrServer, digest_of

STG, PROD = "111122223333", "444455556666"
ALL = [{"Effect": "Allow", "Action": ["ecr:*"], "Resource": ["*"]}]


@pytest.fixture
def ecr():
    with EcrServer() as server:
        for account in (STG, PROD):
            server.keys[f"key-{account}"] = account
            server.ecr.identity[account] = ALL
        server.ecr.create_repository(
            STG, "eu-west-1", "web", mutability="IMMUTABLE_WITH_EXCLUSION", exclusions=("stg",)
        )
        yield server


def client(server: EcrServer, account: str):
    return boto3.client(
        "ecr",
        region_name="eu-west-1",
        endpoint_url=server.url,
        aws_access_key_id=f"key-{account}",
        aws_secret_access_key="secret",
    )


def manifest(layer: str) -> str:
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"digest": layer},
        }
    )


def error_code(call) -> str:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["Error"]["Code"]


def test_digest_is_the_manifests_sha256_and_checked_when_given(ecr):
    api = client(ecr, STG)
    image = api.put_image(repositoryName="web", imageManifest=manifest("a"), imageTag="abc")
    assert image["image"]["imageId"]["imageDigest"] == digest_of(manifest("a"))
    assert (
        error_code(
            lambda: api.put_image(
                repositoryName="web",
                imageManifest=manifest("b"),
                imageTag="b",
                imageDigest=digest_of(manifest("a")),
            )
        )
        == "ImageDigestDoesNotMatchException"
    )


def test_immutable_tags_refuse_another_image_and_the_same_one(ecr):
    api = client(ecr, STG)
    api.put_image(repositoryName="web", imageManifest=manifest("a"), imageTag="abc")

    def again(text):
        return lambda: api.put_image(repositoryName="web", imageManifest=text, imageTag="abc")

    assert error_code(again(manifest("b"))) == "ImageTagAlreadyExistsException"
    assert error_code(again(manifest("a"))) == "ImageAlreadyExistsException"


def test_the_excluded_tag_moves(ecr):
    api = client(ecr, STG)
    for layer in ("a", "b"):
        api.put_image(repositoryName="web", imageManifest=manifest(layer), imageTag="stg")
    (detail,) = api.describe_images(repositoryName="web", imageIds=[{"imageTag": "stg"}])[
        "imageDetails"
    ]
    assert detail["imageDigest"] == digest_of(manifest("b"))


def test_a_missing_tag_is_image_not_found(ecr):
    api = client(ecr, STG)
    assert (
        error_code(lambda: api.describe_images(repositoryName="web", imageIds=[{"imageTag": "x"}]))
        == "ImageNotFoundException"
    )


def test_each_account_has_its_registry_and_crossing_needs_the_repository_policy(ecr):
    api = client(ecr, PROD)
    assert error_code(lambda: api.describe_images(repositoryName="web")) == (
        "RepositoryNotFoundException"
    )
    cross = lambda: api.describe_images(registryId=STG, repositoryName="web")  # noqa: E731
    assert error_code(cross) == "AccessDeniedException"
    ecr.ecr.repository(STG, "eu-west-1", "web").policy = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{PROD}:root"},
                "Action": ["ecr:DescribeImages"],
            }
        ]
    }
    assert cross()["imageDetails"] == []
