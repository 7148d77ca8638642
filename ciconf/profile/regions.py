"""The AWS regions a profile may name, vendored from botocore's endpoint data.

botocore is not a runtime dependency, so the list lives here; tests/unit/profile/test_regions.py
compares it with
the installed botocore's ``endpoints.json`` on every run, so a region AWS adds (or retires) fails
the
test suite until this list follows.
"""

from __future__ import annotations

# partition "aws"
COMMERCIAL = (
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
)
# partition "aws-us-gov"
GOVCLOUD = ("us-gov-east-1", "us-gov-west-1")
# partition "aws-cn": known, but refused: their registries live under amazonaws.com.cn
CHINA = ("cn-north-1", "cn-northwest-1")

SUPPORTED = frozenset(COMMERCIAL + GOVCLOUD)
