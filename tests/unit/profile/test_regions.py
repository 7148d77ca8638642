"""The vendored region list (ciconf/profile/regions.py) is botocore's, and a profile is held to
it."""

from __future__ import annotations

import botocore.loaders  # arrives with checkov (boto3), a test dependency; never imported by ciconf
import pytest

from ciconf.errors import InputError
from ciconf.profile import regions
from ciconf.profile.load import parse_profile


def botocore_regions(partition: str) -> set[str]:
    endpoints = botocore.loaders.Loader().load_data("endpoints")
    (found,) = [p for p in endpoints["partitions"] if p["partition"] == partition]
    return set(found["regions"])


@pytest.mark.parametrize(
    "partition, vendored",
    [("aws", regions.COMMERCIAL), ("aws-us-gov", regions.GOVCLOUD), ("aws-cn", regions.CHINA)],
)
def test_the_vendored_regions_are_botocores(partition, vendored):
    known = botocore_regions(partition)
    assert len(set(vendored)) == len(vendored) and list(vendored) == sorted(vendored)
    added, retired = sorted(known - set(vendored)), sorted(set(vendored) - known)
    assert not added and not retired, (
        f"botocore's {partition} regions changed: add {added}, remove {retired} in "
        "ciconf/profile/regions.py"
    )


def profile_text(region: str) -> str:
    return (
        "project: demo\ntest: {image: cimg/base:2024.01, command: make}\n"
        f"delivery:\n  region: {region}\n  images: [{{repository: web}}]\n"
    )


def region_error(region: str) -> InputError:
    with pytest.raises(InputError) as caught:
        parse_profile(profile_text(region), "p.yaml")
    return caught.value


@pytest.mark.parametrize("region", sorted(regions.SUPPORTED))
def test_every_supported_region_is_accepted(region):
    profile = parse_profile(profile_text(region), "p.yaml")
    assert profile.delivery.region == region


def test_a_well_formed_region_aws_does_not_have_is_refused_with_a_did_you_mean():
    error = region_error("eu-west-9")
    assert str(error) == (
        "p.yaml:4:11: delivery.region: unknown AWS region 'eu-west-9' (expected a region "
        "of the aws or aws-us-gov partition, like ap-northeast-1); did you mean 'eu-west-1'?"
    )


def test_a_misspelt_region_gets_the_format_message_and_a_did_you_mean():
    error = region_error("ap-northest-1")
    assert error.message == "expected an AWS region like ap-northeast-1, got 'ap-northest-1'"
    assert error.suggestion == "ap-northeast-1"


def test_a_region_with_shell_meaning_is_refused_by_its_format_first():
    error = region_error("'eu-west-1;id'")
    assert error.message.startswith("expected an AWS region like ap-northeast-1")


def test_china_regions_are_named_as_unsupported():
    error = region_error("cn-north-1")
    assert (
        "AWS China regions are not supported yet" in error.message
        and error.field == "delivery.region"
    )
