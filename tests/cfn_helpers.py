"""Helpers for the CloudFormation tests: render templates, read them back, run their buildspec."""

from __future__ import annotations

import json
import os
import re
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
    return yaml.load(text, Loader=_CfnLoader)


def pipeline_accounts() -> list[tuple[Path, str]]:
    """(profile, account) for every account with a pipeline section, in every profile."""
    found = []
    for profile in all_profiles():
        for account in derive_plan(load_profile(str(profile))).accounts:
            if account.pipeline is not None:
                found.append((profile, account.name))
    return found


def delivery_accounts() -> list[tuple[Path, str]]:
    """(profile, account) for every account of every profile with a delivery section: each gets a
    bootstrap."""
    found = []
    for profile in all_profiles():
        plan = derive_plan(load_profile(str(profile)))
        if plan.delivery is not None:
            found += [(profile, account.name) for account in plan.accounts]
    return found


def render(profile: Path, account: str, stack: str = "pipeline") -> str:
    from ciconf.cloudformation.render import StackTarget, render_stack

    plan = derive_plan(load_profile(str(profile)))
    relative = os.path.relpath(profile, ROOT)
    cwd = os.getcwd()
    os.chdir(ROOT)  # headers spell the profile path relative to the working directory
    try:
        return render_stack(plan, StackTarget(plan.account(account), stack, None), relative)
    finally:
        os.chdir(cwd)


def build_script(template: dict) -> str:
    """The one bash script of the template's buildspec."""
    spec = yaml.safe_load(
        template["Resources"]["BuildProject"]["Properties"]["Source"]["BuildSpec"]
    )
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
    # what `--query 'services[0].taskDefinition' --output text` prints; None for a missing service
    assert opt("--query") == "services[0].taskDefinition" and opt("--output") == "text", args
    services = json.load(open(os.path.join(stub, "services.json")))
    print(services.get(opt("--cluster") + "/" + opt("--services"), "None"))
elif args[:2] == ["ecs", "describe-task-definition"]:
    assert opt("--query") == "taskDefinition" and opt("--output") == "json", args
    answer = json.load(open(os.path.join(stub, "task-definitions.json")))[opt("--task-definition")]
    print(json.dumps(answer["taskDefinition"], indent=4))
else:
    sys.stderr.write("stub aws: unexpected call " + " ".join(args) + "\\n")
    sys.exit(2)
"""  # noqa: E501 - the stub is a script; its lines stay as aws prints them


def service_variables(template: dict) -> dict[str, str]:
    """The CodeBuild project's environment (cluster and service names) at the parameters'
    defaults."""
    parameters = template["Parameters"]
    out = {}
    for variable in template["Resources"]["BuildProject"]["Properties"]["Environment"][
        "EnvironmentVariables"
    ]:
        out[variable["Name"]] = parameters[variable["Value"]["!Ref"]]["Default"]
    return out


def run_build(
    script: str,
    workdir: Path,
    image_detail: dict,
    digests: dict,
    *,
    environment: dict[str, str],
    services: dict[str, str] | None = None,
    task_definitions: dict[str, dict] | None = None,
    ecr_tags: dict | None = None,
):
    """Run `script` in bash inside `workdir` with the stub `aws` first on PATH.

    `environment` is the CodeBuild project's (service_variables); `services` maps "cluster/service"
    to its current task definition ARN, `task_definitions` maps an ARN to describe-task-definition's
    answer."""
    stub = workdir / "stub"
    stub.mkdir()
    aws = stub / "aws"
    aws.write_text(STUB_AWS.format(python=sys.executable))
    aws.chmod(aws.stat().st_mode | stat.S_IXUSR)
    (stub / "digests.json").write_text(json.dumps(digests))
    (stub / "tags.json").write_text(json.dumps(ecr_tags or {}))  # digest -> every tag ECR lists
    (stub / "services.json").write_text(json.dumps(services or {}))
    (stub / "task-definitions.json").write_text(json.dumps(task_definitions or {}))
    (workdir / "imageDetail.json").write_text(json.dumps(image_detail))
    env = dict(os.environ, PATH=f"{stub}{os.pathsep}{os.environ['PATH']}", STUB_DIR=str(stub))
    env.update(environment)
    return subprocess.run(
        ["bash", "-c", script], cwd=workdir, env=env, capture_output=True, text=True, timeout=60
    )


def rendered_config(profile: Path) -> dict:
    """The CircleCI config the profile renders (merge keys resolved by PyYAML)."""
    from ciconf.circleci.render import render_config

    return yaml.safe_load(render_config(load_profile(str(profile)), str(profile), None))


# a build step: registry="${AWS_ACCOUNT_ID}.dkr.ecr.<region>…", repository='<name>', then
# docker push "${registry}/${repository}:${CIRCLE_SHA1}"
_REGISTRY = re.compile(r'registry="\$\{AWS_ACCOUNT_ID\}\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com"')
_REPOSITORY = re.compile(r"^repository='([^']+)'$", re.MULTILINE)
_PUSH = 'docker push "${registry}/${repository}:${CIRCLE_SHA1}"'


def pushed_by(job: dict) -> tuple[set[str], list[str]]:
    """(regions, repositories) that a delivery job's `docker push` commands push commit tags to."""
    regions, repositories = set(), []
    for step in job["steps"]:
        if isinstance(step, dict) and "run" in step:
            command = step["run"]["command"]
            if _PUSH in command:
                regions.update(_REGISTRY.findall(command))
                repositories += _REPOSITORY.findall(command)
    return regions, repositories


# --- drift: a profile whose region changed while the committed stacks still name the old one -----


def write_all_stacks(workdir: Path, profile_name: str = "ciconf.yaml") -> dict[str, str]:
    """Write every stack of `workdir/profile_name` at its default path, as `ciconf cfn --all` does
    from `workdir`; returns {relative path: text}."""
    from ciconf.cloudformation.stacks import all_stacks
    from ciconf.profile.load import load_profile_document

    cwd = os.getcwd()
    os.chdir(workdir)  # headers and default paths are relative to the working directory
    try:
        doc, loaded = load_profile_document(profile_name)
        stacks = dict(all_stacks(doc, derive_plan(loaded)))
    finally:
        os.chdir(cwd)
    for relative, text in stacks.items():
        (workdir / relative).parent.mkdir(parents=True, exist_ok=True)
        (workdir / relative).write_text(text, encoding="utf-8")
    return stacks


def region_drift_scenario(workdir: Path) -> tuple[Path, list[str], str, str]:
    """The issue's drift: stacks committed for us-east-1, then the profile moves to us-west-2.

    Writes `workdir/ciconf.yaml` (region us-east-1) and every stack it generates under
    `workdir/cloudformation/`, then changes the profile's region to us-west-2 without regenerating.
    Returns (profile, stale stack paths relative to workdir, old region, new region). A `ciconf
    check` run in `workdir` should now exit 1 naming each stale stack; `ciconf render` (or
    `ciconf cfn --all`) should rewrite exactly those files.
    """
    old, new = "us-east-1", "us-west-2"
    text = (ROOT / "profiles" / "ci-cd-example.yaml").read_text(encoding="utf-8")
    assert "region: ap-northeast-1" in text
    profile = workdir / "ciconf.yaml"
    profile.write_text(text.replace("region: ap-northeast-1", f"region: {old}"), encoding="utf-8")
    stale = sorted(write_all_stacks(workdir))
    profile.write_text(text.replace("region: ap-northeast-1", f"region: {new}"), encoding="utf-8")
    return profile, stale, old, new


def long_form(value):
    """Short-form intrinsics as read by load_template, written back in their JSON form."""
    if isinstance(value, dict):
        if len(value) == 1 and next(iter(value)).startswith("!"):
            ((tag, inner),) = value.items()
            inner = long_form(inner)
            if tag == "!Ref":
                return {"Ref": inner}
            if tag == "!GetAtt":
                return {"Fn::GetAtt": inner.split(".", 1)}
            return {f"Fn::{tag[1:]}": inner}
        return {key: long_form(item) for key, item in value.items()}
    if isinstance(value, list):
        return [long_form(item) for item in value]
    return value
