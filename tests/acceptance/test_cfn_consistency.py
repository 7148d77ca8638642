"""The tag each pipeline watches is the tag its account's delivery job pushes, same repository and
region."""

from __future__ import annotations

import functools
import re
import shlex

import pytest
import yaml
from cfn_helpers import (
    build_script,
    delivery_accounts,
    load_template,
    pipeline_accounts,
    pushed_by,
    render,
)
from conftest import run_ciconf

from ciconf.profile.derive import plan as derive_plan
from ciconf.profile.load import load_profile


def _rendered_config(profile) -> dict:
    return yaml.safe_load(_rendered_text(profile))


@functools.cache
def _rendered_text(profile) -> str:
    """`ciconf render PROFILE --stdout`, run once per profile: every (profile, account) case
    reads the same config, each from its own fresh parse."""
    done = run_ciconf("render", profile, "--stdout")
    assert done.returncode == 0, done.stderr
    return done.stdout


def _deploy_tag_step(job: dict) -> str:
    (command,) = [
        step["run"]["command"]
        for step in job["steps"]
        if isinstance(step, dict)
        and "run" in step
        and "for repository in" in step["run"]["command"]
    ]
    return command


@pytest.mark.parametrize(
    ("profile", "account"), pipeline_accounts(), ids=lambda v: getattr(v, "stem", v)
)
def test_pipeline_watches_what_the_delivery_job_pushes(profile, account):
    job = _rendered_config(profile)["jobs"][f"delivery_{account}"]
    deploy_tag = job["environment"]["DEPLOY_TAG"]
    command = _deploy_tag_step(job)
    # the deploy tags move in this order, by manifest (put-image) in this region's registry
    pushed = shlex.split(re.search(r"^repositories=\((.*)\)$", command, re.M).group(1))
    region = re.search(r"aws ecr put-image --region '([a-z0-9-]+)'", command)
    assert region, command

    template = load_template(render(profile, account))
    resources = template["Resources"]
    source = resources["Pipeline"]["Properties"]["Stages"][0]["Actions"][0]
    assert source["ActionTypeId"]["Provider"] == "ECR"
    # the deploy tag of the source image is pushed last, after every other image of the commit
    assert source["Configuration"] == {"RepositoryName": pushed[-1], "ImageTag": deploy_tag}
    detail = resources["PushRule"]["Properties"]["EventPattern"]["detail"]
    assert detail["repository-name"] == [pushed[-1]] and detail["image-tag"] == [deploy_tag]
    assert detail["action-type"] == ["PUSH"] and detail["result"] == ["SUCCESS"]
    assert resources["PushRule"]["Properties"]["EventPattern"]["detail-type"] == [
        "ECR Image Action"
    ]
    (rule,) = template["Rules"]["ProfileRegion"]["Assertions"]
    assert rule["Assert"] == {"!Equals": [{"!Ref": "AWS::Region"}, region.group(1)]}
    # the build resolves every other pushed repository at the commit tag
    script = build_script(template)
    assert sorted(re.findall(r"pin '([^']+)'", script)) == sorted(pushed[:-1])


def test_only_one_trigger_starts_each_pipeline():
    for profile, account in pipeline_accounts():
        template = load_template(render(profile, account))
        properties = template["Resources"]["Pipeline"]["Properties"]
        assert "Triggers" not in properties  # V2 triggers would be a second start
        rules = [r for r in template["Resources"].values() if r["Type"] == "AWS::Events::Rule"]
        assert len(rules) == 1


# --- across every generated file: CircleCI config, bootstrap and pipeline stacks -----------------


def _workflow_entry(config: dict, job: str) -> dict:
    for workflow in config["workflows"].values():
        if not isinstance(workflow, dict):
            continue
        for entry in workflow.get("jobs", []):
            if isinstance(entry, dict) and job in entry:
                return entry[job] or {}
    raise AssertionError(f"{job} is in no workflow")


@pytest.mark.parametrize(
    ("profile", "account"), delivery_accounts(), ids=lambda v: getattr(v, "stem", v)
)
def test_bootstrap_holds_every_repository_the_delivery_job_pushes_to(profile, account):
    config = _rendered_config(profile)
    job = config["jobs"][f"delivery_{account}"]
    regions, pushed = pushed_by(job)
    bootstrap = load_template(render(profile, account, "bootstrap"))
    repositories = [
        r["Properties"]["RepositoryName"]
        for r in bootstrap["Resources"].values()
        if r["Type"] == "AWS::ECR::Repository"
    ]
    assert sorted(repositories) == sorted(pushed)
    # the deploy tag the job moves is the one tag the repositories leave mutable
    for resource in bootstrap["Resources"].values():
        if resource["Type"] == "AWS::ECR::Repository":
            (exclusion,) = resource["Properties"]["ImageTagMutabilityExclusionFilters"]
            assert (
                exclusion["ImageTagMutabilityExclusionFilterValue"]
                == job["environment"]["DEPLOY_TAG"]
            )
    # regions agree: where the job pushes, where the bootstrap and the pipeline must be created
    (region,) = regions
    rules = [bootstrap["Rules"]["ProfileRegion"]["Assertions"][0]["Assert"]]
    if (profile, account) in pipeline_accounts():
        rules.append(
            load_template(render(profile, account))["Rules"]["ProfileRegion"]["Assertions"][0][
                "Assert"
            ]
        )
    assert rules and all(rule == {"!Equals": [{"!Ref": "AWS::Region"}, region]} for rule in rules)

    # the role the job assumes is the role the bootstrap creates, trusted for this job's branch
    role_arn = job.get("environment", {}).get("AWS_ROLE_ARN")
    role = bootstrap["Resources"].get("DeployRole")
    if role is None:
        assert "DeliveryPolicy" in bootstrap["Resources"]
        return
    assert role_arn, "a deploy role for a job that does not assume it"
    properties = role["Properties"]
    assert role_arn.endswith(f":role{properties['Path']}{properties['RoleName']}")
    (account_rule,) = bootstrap["Rules"]["RoleAccount"]["Assertions"]
    assert account_rule["Assert"]["!Equals"][1] == role_arn.split(":")[4]
    entry = _workflow_entry(config, f"delivery_{account}")
    assert entry.get("context"), "CircleCI issues OIDC tokens only to jobs with a context"
    (branch,) = (
        entry["filters"]["branches"]["only"]
        if isinstance(entry["filters"]["branches"]["only"], list)
        else [entry["filters"]["branches"]["only"]]
    )
    (sub,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Condition"][
        "StringLike"
    ].values()
    assert sub.endswith(f"/vcs-ref/refs/heads/{branch}")
    (token_step,) = [
        s["run"]["command"]
        for s in job["steps"]
        if isinstance(s, dict) and "run" in s and "CIRCLE_OIDC_TOKEN" in s["run"]["command"]
    ]
    assert (
        "CIRCLE_OIDC_TOKEN_V2" in token_step
    )  # the v2 subject carries the vcs-ref the trust checks


@pytest.mark.parametrize(
    ("profile", "account"), pipeline_accounts(), ids=lambda v: getattr(v, "stem", v)
)
def test_every_pushed_image_runs_in_exactly_one_service(profile, account):
    _, pushed = pushed_by(_rendered_config(profile)["jobs"][f"delivery_{account}"])
    # the account's own repositories (accounts[].images), each still the image's one container
    delivery = derive_plan(load_profile(str(profile))).account(account).delivery
    container_of = {image.repository: image.container for image in delivery.images}
    script = build_script(load_template(render(profile, account)))
    # the build checks each (task definition file, container) before it deploys
    checked = re.findall(r"^  has_container task-definition-(\S+)\.json '([^']+)'", script, re.M)
    assert sorted(container for _, container in checked) == sorted(container_of[r] for r in pushed)
    assert len({container for _, container in checked}) == len(checked)  # each in one service only
