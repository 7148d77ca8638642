"""Every command of the README's "From an empty account to the first push" is run or checked
here."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
from cfn_helpers import load_template
from conftest import PROFILES, ROOT, run_ciconf

from ciconf.cloudformation.quotas import INLINE_BYTES

README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README.split("## From an empty account to the first push", 1)[1].split("\n## ", 1)[0]


def _commands() -> list[list[str]]:
    blocks = re.findall(r"```sh\n(.*?)```", SECTION, flags=re.S)
    return [shlex.split(block.replace("\\\n", " ")) for block in blocks]


def _option(words: list[str], name: str) -> str:
    return words[words.index(name) + 1]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    """Run the section's ciconf command(s) in a scratch copy; the folder they ran in."""
    work = tmp_path_factory.mktemp("readme")
    shutil.copytree(PROFILES, work / "profiles")
    ciconf = [words for words in _commands() if words[0] == "ciconf"]
    assert ciconf == [["ciconf", "cfn", "profiles/bluegreen-example.yaml", "--all"]]
    for words in [
        *ciconf,
        ["ciconf", "cfn", "profiles/ci-cd-example.yaml", "--all"],
    ]:  # the key-mode example
        done = run_ciconf(*words[1:], cwd=work)
        assert done.returncode == 0, done.stderr
    return work


@pytest.fixture(scope="module")
def written(rendered) -> dict[str, dict]:
    """file name -> template of every stack the section's commands wrote."""
    return {
        f"cloudformation/{p.name}": load_template(p.read_text())
        for p in (rendered / "cloudformation").iterdir()
    }


def test_section_starts_from_an_empty_account():
    kinds = [words[:3] for words in _commands()]
    assert kinds == [
        ["ciconf", "cfn", "profiles/bluegreen-example.yaml"],
        ["aws", "cloudformation", "deploy"],  # bootstrap first
        ["aws", "iam", "attach-user-policy"],
        ["aws", "cloudformation", "deploy"],  # then the pipeline
    ]
    assert "-bootstrap" in _option(_commands()[1], "--stack-name")
    assert "-pipeline" in _option(_commands()[3], "--stack-name")


def test_deploy_commands_match_the_generated_files(written):
    deploys = [words for words in _commands() if words[:3] == ["aws", "cloudformation", "deploy"]]
    assert len(deploys) == 2
    for words in deploys:
        path, stack = _option(words, "--template-file"), _option(words, "--stack-name")
        template = written[path]
        assert path == f"cloudformation/{stack}.yaml"  # the stack is named after its file
        region_rule = template["Rules"]["ProfileRegion"]["Assertions"][0]["Assert"]["!Equals"]
        assert region_rule[1] == _option(words, "--region")
        # a role with a fixed name needs CAPABILITY_NAMED_IAM, unnamed ones CAPABILITY_IAM
        named = any(
            r["Type"] == "AWS::IAM::Role" and "RoleName" in r["Properties"]
            for r in template["Resources"].values()
        )
        assert _option(words, "--capabilities") == (
            "CAPABILITY_NAMED_IAM" if named else "CAPABILITY_IAM"
        )
        overrides = (
            words[words.index("--parameter-overrides") + 1 :]
            if "--parameter-overrides" in words
            else []
        )
        given = {item.split("=", 1)[0] for item in overrides}
        required = {
            name for name, p in template.get("Parameters", {}).items() if "Default" not in p
        }
        assert given == required
        for item in overrides:
            name, value = item.split("=", 1)
            assert re.fullmatch(template["Parameters"][name]["AllowedPattern"], value)


def test_bootstrap_in_the_readme_creates_the_profiles_role(written):
    template = written["cloudformation/orders-api-prod-bootstrap.yaml"]
    role = template["Resources"]["DeployRole"]["Properties"]
    assert "role/circleci-orders-delivery" in (PROFILES / "bluegreen-example.yaml").read_text()
    assert role["RoleName"] == "circleci-orders-delivery"
    names = sorted(
        r["Properties"]["RepositoryName"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::ECR::Repository"
    )
    assert names == ["orders/api", "orders/log-router"]
    for name in names:
        assert f"`{name}`" in SECTION


def test_attach_policy_command_reads_an_existing_output(written):
    (words,) = [w for w in _commands() if w[:3] == ["aws", "iam", "attach-user-policy"]]
    inner = shlex.split(re.search(r'"\$\((.*)\)"', SECTION.replace("\\\n", " "), re.S).group(1))
    stack = _option(inner, "--stack-name")
    template = written[f"cloudformation/{stack}.yaml"]
    output = re.search(r"OutputKey=='(\w+)'", _option(inner, "--query")).group(1)
    assert output in template["Outputs"] and output == "DeliveryPolicyArn"
    assert template["Rules"]["ProfileRegion"]["Assertions"][0]["Assert"]["!Equals"][1] == _option(
        inner, "--region"
    )
    assert "--policy-arn" in words and "--user-name" in words


def test_each_deploy_command_takes_its_template_inline_or_names_an_s3_bucket(rendered):
    """`aws cloudformation deploy` sends --template-file inline, which CloudFormation accepts up
    to 51,200 bytes; a larger one needs --s3-bucket
    (https://docs.aws.amazon.com/cli/latest/reference/cloudformation/deploy/index.html)."""
    deploys = [words for words in _commands() if words[:3] == ["aws", "cloudformation", "deploy"]]
    for words in deploys:
        size = len((rendered / _option(words, "--template-file")).read_bytes())
        assert size <= INLINE_BYTES or "--s3-bucket" in words, (size, words)
    # and the README says what to do for a stack that is over it
    assert "--s3-bucket" in SECTION and "51,200 bytes" in SECTION
