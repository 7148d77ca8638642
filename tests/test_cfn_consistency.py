"""The tag each pipeline watches is the tag its account's delivery job pushes, same repository and region."""

from __future__ import annotations

import re
import shlex

import pytest
import yaml

from cfn_helpers import build_script, load_template, pipeline_accounts, render
from conftest import run_ciconf


def _rendered_config(profile) -> dict:
    done = run_ciconf("render", profile, "--stdout")
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


def _deploy_tag_step(job: dict) -> str:
    (command,) = [
        step["run"]["command"]
        for step in job["steps"]
        if isinstance(step, dict) and "run" in step and "for repository in" in step["run"]["command"]
    ]
    return command


@pytest.mark.parametrize(("profile", "account"), pipeline_accounts(), ids=lambda v: getattr(v, "stem", v))
def test_pipeline_watches_what_the_delivery_job_pushes(profile, account):
    job = _rendered_config(profile)["jobs"][f"delivery_{account}"]
    deploy_tag = job["environment"]["DEPLOY_TAG"]
    command = _deploy_tag_step(job)
    pushed = shlex.split(re.search(r"^for repository in (.*); do$", command, re.M).group(1))
    region = re.search(r'^registry="\$\{AWS_ACCOUNT_ID\}\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com"$', command, re.M)
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
    assert resources["PushRule"]["Properties"]["EventPattern"]["detail-type"] == ["ECR Image Action"]
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
