"""Helpers for the CloudFormation tests: render templates, read them back, run their buildspec."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import yaml

from conftest import ROOT, all_profiles

from ciconf.profile.derive import plan as derive_plan
from ciconf.profile.load import load_profile


class _CfnLoader(yaml.SafeLoader):
    """Reads short-form intrinsics as {"!Tag": value}, so tests can look inside them."""


def _tagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {f"!{suffix}": value}


_CfnLoader.add_multi_constructor("!", _tagged)


def load_template(text: str) -> dict:
    return yaml.load(text, Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass


def pipeline_accounts() -> list[tuple[Path, str]]:
    """(profile, account) for every account with a pipeline section, in every profile."""
    found = []
    for profile in all_profiles():
        for account in derive_plan(load_profile(str(profile))).accounts:
            if account.pipeline is not None:
                found.append((profile, account.name))
    return found


def render(profile: Path, account: str) -> str:
    from ciconf.cloudformation.render import render_stack

    plan = derive_plan(load_profile(str(profile)))
    relative = os.path.relpath(profile, ROOT)
    cwd = os.getcwd()
    os.chdir(ROOT)  # headers spell the profile path relative to the working directory
    try:
        return render_stack(plan, plan.account(account), relative, None)
    finally:
        os.chdir(cwd)


def build_script(template: dict) -> str:
    """The one bash script of the template's buildspec."""
    spec = yaml.safe_load(template["Resources"]["BuildProject"]["Properties"]["Source"]["BuildSpec"])
    assert spec["env"]["shell"] == "bash"
    (command,) = spec["phases"]["build"]["commands"]
    return command


STUB_AWS = """#!{python}
# A stand-in for the AWS CLI: answers the calls the buildspec makes from files in STUB_DIR.
import json, os, sys
args = sys.argv[1:]
stub = os.environ["STUB_DIR"]
with open(os.path.join(stub, "calls.log"), "a") as log:
    log.write(" ".join(args) + "\\n")
def opt(name):
    return args[args.index(name) + 1]
if args[:2] == ["ecr", "describe-images"] and opt("--image-ids").startswith("imageDigest="):
    tags = json.load(open(os.path.join(stub, "tags.json"))).get(opt("--image-ids").split("=", 1)[1])
    if tags is None:
        sys.stderr.write("An error occurred (ImageNotFoundException) when calling the DescribeImages operation\\n")
        sys.exit(254)
    print(json.dumps({{"imageDetails": [{{"imageDigest": opt("--image-ids").split("=", 1)[1], "imageTags": tags}}]}}))
elif args[:2] == ["ecr", "describe-images"]:
    digests = json.load(open(os.path.join(stub, "digests.json")))
    key = opt("--repository-name") + ":" + opt("--image-ids").split("=", 1)[1]
    if key not in digests:
        sys.stderr.write("An error occurred (ImageNotFoundException) when calling the DescribeImages "
                         "operation: The image with imageId {{imageTag:'x'}} does not exist\\n")
        sys.exit(254)
    print(digests[key])
elif args[:2] == ["ecs", "describe-services"]:
    print(open(os.path.join(stub, "service.txt")).read().strip())
elif args[:2] == ["ecs", "describe-task-definition"]:
    answer = json.load(open(os.path.join(stub, "task-definition.json")))
    print(json.dumps(answer["taskDefinition"], indent=4))
else:
    sys.stderr.write("stub aws: unexpected call " + " ".join(args) + "\\n")
    sys.exit(2)
"""


def run_build(
    script: str,
    workdir: Path,
    image_detail: dict,
    digests: dict,
    *,
    service_task_definition: str = "None",
    task_definition: dict | None = None,
    ecr_tags: dict | None = None,
):
    """Run `script` in bash inside `workdir` with the stub `aws` first on PATH."""
    stub = workdir / "stub"
    stub.mkdir()
    aws = stub / "aws"
    aws.write_text(STUB_AWS.format(python=sys.executable))
    aws.chmod(aws.stat().st_mode | stat.S_IXUSR)
    (stub / "digests.json").write_text(json.dumps(digests))
    (stub / "tags.json").write_text(json.dumps(ecr_tags or {}))  # digest -> every tag ECR lists
    (stub / "service.txt").write_text(service_task_definition)
    if task_definition is not None:
        (stub / "task-definition.json").write_text(json.dumps(task_definition))
    (workdir / "imageDetail.json").write_text(json.dumps(image_detail))
    env = dict(os.environ, PATH=f"{stub}{os.pathsep}{os.environ['PATH']}", STUB_DIR=str(stub))
    env.update({"ECS_CLUSTER": "orders-prod", "ECS_SERVICE": "orders-api"})
    return subprocess.run(
        ["bash", "-c", script], cwd=workdir, env=env, capture_output=True, text=True, timeout=60
    )
