"""CloudFormation's quotas, checked on every generated stack at render time.

Quotas: "Understand CloudFormation quotas",
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
(resources 500, outputs 200, parameters 200, mappings 200 with 200 attributes each, names 255
characters, template body 51,200 bytes in a request and 1 MB in S3, description 1,024 bytes,
parameter value 4,096 bytes, stack name 128 characters). `aws cloudformation deploy` sends the
template inline unless `--s3-bucket` is given, which it requires for templates over 51,200 bytes:
https://docs.aws.amazon.com/cli/latest/reference/cloudformation/deploy/index.html
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cfn_helpers import load_template
from cfnlint.helpers import LIMITS
from conftest import run_ciconf

from ciconf.cloudformation import quotas
from oracles.test_cfn_lint import _tool

ORG = "11111111-2222-3333-4444-555555555555"
PROJECT = "11111111-2222-3333-4444-555555555556"


def _profile(images: int) -> str:
    """An oidc account whose bootstrap holds one repository (and output) per image."""
    listed = "\n".join(f"    - repository: team/service-{n:03d}" for n in range(images))
    return f"""project: big
test:
  image: cimg/python:3.12
  command: pytest
delivery:
  region: eu-west-1
  images:
{listed}
accounts:
  - name: prod
    branch: main
    credentials:
      mode: oidc
      role_arn: arn:aws:iam::333333333333:role/circleci-big-delivery
      org_id: {ORG}
      project_id: {PROJECT}
      context: aws-big
"""


def _cfn(tmp_path: Path, images: int) -> tuple[subprocess.CompletedProcess, Path]:
    work = tmp_path / f"images-{images}"
    work.mkdir()
    (work / "ciconf.yaml").write_text(_profile(images))
    return run_ciconf("cfn", "ciconf.yaml", "--all", cwd=work), work


BOOTSTRAP = "cloudformation/big-prod-bootstrap.yaml"


@pytest.fixture(scope="module")
def most_images(tmp_path_factory) -> int:
    """Images whose bootstrap sits exactly at the output quota (the other outputs are fixed)."""
    done, work = _cfn(tmp_path_factory.mktemp("one"), 1)
    assert done.returncode == 0, done.stderr
    fixed = len(load_template((work / BOOTSTRAP).read_text())["Outputs"]) - 1
    return quotas.COUNTS["Outputs"] - fixed


# --- the quotas themselves, on templates made to sit at and just over each one ---------------


def test_quotas_match_cfn_lints_own_table():
    assert {
        section: LIMITS[section]["number"]
        for section in ("Resources", "Outputs", "Parameters", "Mappings")
    } == quotas.COUNTS
    assert LIMITS["Mappings"]["attributes"] == quotas.MAPPING_ATTRIBUTES
    assert LIMITS["Resources"]["name"] == LIMITS["Outputs"]["name"] == quotas.NAME_CHARS
    assert LIMITS["Parameters"]["value"] == quotas.PARAMETER_VALUE_BYTES
    assert LIMITS["Outputs"]["description"] == quotas.DESCRIPTION_BYTES
    assert LIMITS["template"]["body"] == quotas.S3_BYTES


def _entries(count: int, make) -> dict:
    return {f"N{n}": make(n) for n in range(count)}


def _template(**sections) -> dict:
    return {"AWSTemplateFormatVersion": "2010-09-09", **sections}


RESOURCE = {"Type": "AWS::SNS::Topic"}
OUTPUT = {"Value": "x"}
PARAMETER = {"Type": "String"}


@pytest.mark.parametrize(
    ("section", "entry", "limit"),
    [
        ("Resources", RESOURCE, 500),
        ("Outputs", OUTPUT, 200),
        ("Parameters", PARAMETER, 200),
        ("Mappings", {"Key": {"Value": "x"}}, 200),
    ],
)
def test_counts_at_the_limit_pass_one_more_is_named(section, entry, limit):
    at = _template(**{section: _entries(limit, lambda n: entry)})
    assert quotas.breaches("s", at, "x") == []
    over = _template(**{section: _entries(limit + 1, lambda n: entry)})
    assert quotas.breaches("s", over, "x") == [
        f"{limit + 1} {section.lower()} (at most {limit} per template)"
    ]


def test_mapping_attributes():
    at = _template(Mappings={"M": {"K": _entries(200, str)}})
    assert quotas.breaches("s", at, "x") == []
    over = _template(Mappings={"M": {"K": _entries(201, str)}})
    assert quotas.breaches("s", over, "x") == ["201 attributes in mapping M.K (at most 200)"]


@pytest.mark.parametrize("section", ["Resources", "Outputs", "Parameters", "Mappings"])
def test_names_of_255_characters_pass_256_are_named(section):
    entry = {"Resources": RESOURCE, "Outputs": OUTPUT, "Parameters": PARAMETER}.get(
        section, {"K": {"V": "x"}}
    )
    assert quotas.breaches("s", _template(**{section: {"A" * 255: entry}}), "x") == []
    (found,) = quotas.breaches("s", _template(**{section: {"A" * 256: entry}}), "x")
    assert found == f"a name of 256 characters in {section} (at most 255)"


def test_descriptions_and_parameter_defaults():
    fits = _template(
        Description="d" * 1024,
        Outputs={"O": {"Value": "x", "Description": "é" * 512}},  # bytes, not characters
        Parameters={"P": {"Type": "String", "Default": "v" * 4096}},
    )
    assert quotas.breaches("s", fits, "x") == []
    over = _template(
        Description="d" * 1025,
        Outputs={"O": {"Value": "x", "Description": "é" * 513}},
        Parameters={"P": {"Type": "String", "Default": "v" * 4097}},
    )
    assert quotas.breaches("s", over, "x") == [
        "Description of 1,025 bytes (at most 1,024)",
        "Outputs.O.Description of 1,026 bytes (at most 1,024)",
        "Parameters.P.Default of 4,097 bytes (at most 4,096)",
    ]


def test_template_size_and_stack_name():
    assert quotas.breaches("s" * 128, _template(), "x" * 1_000_000) == []
    assert quotas.breaches("s" * 129, _template(), "x" * 1_000_001) == [
        "stack name of 129 characters (at most 128)",
        "1,000,001 bytes of template (at most 1,000,000, through S3)",
    ]
    assert not quotas.needs_s3("x" * 51_200) and quotas.needs_s3("x" * 51_201)


# --- the bootstrap, which grows by one repository and one output per image -------------------


@pytest.mark.parametrize("images", [1, 20, 21, 22, 40])
def test_over_51200_bytes_render_says_s3_bucket_in_the_header_and_on_stderr(tmp_path, images):
    done, work = _cfn(tmp_path, images)
    assert done.returncode == 0, done.stderr
    text = (work / BOOTSTRAP).read_text()
    big = len(text.encode()) > quotas.INLINE_BYTES
    assert ("--s3-bucket" in text) == big
    assert (f"ciconf: note: {BOOTSTRAP} is" in done.stderr) == big
    if big:
        assert "--s3-bucket" in done.stderr and "51,200 bytes" in done.stderr


def test_a_bootstrap_of_forty_images_is_over_the_inline_limit(tmp_path):
    """So the parametrized test above sees both sides of the limit."""
    _, work = _cfn(tmp_path, 40)
    assert len((work / BOOTSTRAP).read_bytes()) > quotas.INLINE_BYTES


def test_one_output_over_the_quota_is_refused_at_the_images_line(tmp_path, most_images):
    done, work = _cfn(tmp_path, most_images + 1)
    assert done.returncode == 2
    assert not (work / "cloudformation").exists()  # nothing written
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(
        "ciconf: error: ciconf.yaml:7:3: delivery.images: stack big-prod-bootstrap"
    )
    assert "201 outputs (at most 200 per template)" in line
    assert quotas.QUOTAS_PAGE in line and "Traceback" not in done.stderr


def test_render_writes_nothing_when_a_stack_is_over_a_quota(tmp_path, most_images):
    work = tmp_path / "render"
    work.mkdir()
    (work / "ciconf.yaml").write_text(_profile(most_images + 1))
    done = run_ciconf("render", "ciconf.yaml", cwd=work)
    assert done.returncode == 2 and "outputs (at most 200" in done.stderr
    assert sorted(p.name for p in work.iterdir()) == ["ciconf.yaml"]  # no config, no stacks


# The deploy role's inline policy names each repository ARN (about 78 characters each, measured at
# the longest partition and region): IAM's 10,240 characters per role bind before the outputs do.
LARGEST_ACCEPTED = 130


def test_one_image_over_the_deploy_roles_policy_size_is_refused(tmp_path):
    done, work = _cfn(tmp_path, LARGEST_ACCEPTED + 1)
    assert done.returncode == 2 and not (work / "cloudformation").exists()
    assert "DeployRole's inline policies" in done.stderr and "(at most 10,240)" in done.stderr
    assert "outputs" not in done.stderr  # the outputs are still under their quota


def test_the_largest_accepted_bootstrap_lints_clean(tmp_path, most_images):
    """At IAM's policy size exactly (under the output quota): accepted, and cfn-lint agrees."""
    assert most_images > LARGEST_ACCEPTED
    done, work = _cfn(tmp_path, LARGEST_ACCEPTED)
    assert done.returncode == 0, done.stderr
    template = load_template((work / BOOTSTRAP).read_text())
    assert len(template["Outputs"]) == quotas.COUNTS["Outputs"] - (most_images - LARGEST_ACCEPTED)
    linted = subprocess.run(
        [_tool("cfn-lint"), "--format", "parseable", str(work / BOOTSTRAP)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert linted.returncode == 0 and not linted.stdout.strip(), linted.stdout + linted.stderr
