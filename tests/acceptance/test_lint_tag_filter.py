"""CC106 (tag-filter-upstream): a hand-written config whose tag release can never run is reported;
ciconf's own are not. (Asked in-process, conftest.ciconf_in_process.)"""

from __future__ import annotations

import yaml
from conftest import FIXTURES, ROOT, ciconf_in_process

FIXTURE = FIXTURES / "lint" / "tag_release.yml"


def test_a_tag_job_requiring_a_job_without_tags_filter_is_reported_at_the_requires_entry():
    # https://circleci.com/docs/guides/orchestrate/workflows/#executing-workflows-for-a-git-tag
    result = ciconf_in_process("lint", FIXTURE.name, cwd=FIXTURE.parent)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert [line.split(" job ")[0] for line in lines] == [
        "tag_release.yml:20:15: CC106",
        "tag_release.yml:26:15: CC106",
    ]
    assert (
        "job 'hold' runs for git tags" in lines[0]
        and "requires 'test', which has no tags filter" in lines[0]
    )
    # the approval in between does not hide the untagged job further up
    assert (
        "job 'deploy' runs for git tags" in lines[1] and "job 'test' has no tags filter" in lines[1]
    )


def test_the_fixed_config_is_clean(tmp_path):
    data = yaml.safe_load(FIXTURE.read_text())
    jobs = data["workflows"]["release"]["jobs"]
    jobs[0] = {"test": {"filters": {"tags": {"only": "/^v.*/"}}}}
    fixed = tmp_path / "fixed.yml"
    fixed.write_text(yaml.safe_dump(data, sort_keys=False))
    result = ciconf_in_process("lint", fixed, cwd=ROOT)
    assert (result.returncode, result.stdout) == (0, ""), result.stdout


def test_the_tag_release_example_renders_a_config_cc106_accepts(tmp_path):
    rendered = ciconf_in_process(
        "render", "profiles/examples/tag-release-promotion.yaml", "--stdout", cwd=ROOT
    )
    config = tmp_path / "config.yml"
    config.write_text(rendered.stdout)
    assert ciconf_in_process("lint", config, cwd=ROOT).returncode == 0
    # ... and flags it once ciconf's upstream filter on `test` is removed by hand
    data = yaml.safe_load(rendered.stdout)
    (workflow,) = data["workflows"].values()
    workflow["jobs"][0] = "test"
    config.write_text(yaml.safe_dump(data, sort_keys=False))
    result = ciconf_in_process("lint", config, cwd=ROOT)
    assert (
        result.returncode == 1
        and "CC106 job 'qa_signoff' runs for git tags (filters.tags), but it requires 'test'"
        in result.stdout
    )
