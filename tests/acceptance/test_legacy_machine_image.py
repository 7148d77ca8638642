"""Older dated machine-image tags (`ubuntu-2004:202107-02`): accepted in a profile, rendered as
written, and noted by `ciconf lint` (CC307) in the profile and in any config.

CircleCI's tags: https://circleci.com/docs/guides/execution-managed/linux-vm-support-policy/
(current, edge, default, <year>.<month>.<patch>); the older YYYYMM-NN tags are deprecated and
removed: https://circleci.com/docs/guides/execution-managed/machine-convenience-image-lifecycle
"""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import ROOT, run_ciconf
from jsonschema import Draft202012Validator

from ciconf.circleci.render import render_config
from ciconf.errors import InputError
from ciconf.profile.load import parse_profile

PROFILE = """\
project: ported
test:
  machine:
    image: {image}
  command: docker compose run --rm app make test
"""
SCHEMA = Draft202012Validator(
    json.loads((ROOT / "schema" / "profile.schema.json").read_text(encoding="utf-8"))
)


@pytest.mark.parametrize("image", ["ubuntu-2004:202107-02", "ubuntu-1604:201903-01"])
def test_an_older_dated_tag_loads_renders_as_written_and_the_schema_agrees(image):
    text = PROFILE.format(image=image)
    data = yaml.safe_load(render_config(parse_profile(text, "p.yaml"), "p.yaml"))
    assert data["jobs"]["test"]["machine"] == {"image": image}
    assert list(SCHEMA.iter_errors(yaml.safe_load(text))) == []


def test_lint_notes_the_old_tag_in_the_profile_and_in_the_config(tmp_path):
    profile = tmp_path / "p.yaml"
    profile.write_text(PROFILE.format(image="ubuntu-2004:202107-02"))
    done = run_ciconf("lint", "--profile", profile, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "p.yaml:4:12: CC307 machine image ubuntu-2004:202107-02 uses an older dated tag" in (
        done.stdout
    )
    assert "use ubuntu-2004:current" in done.stdout
    config = tmp_path / "config.yml"
    config.write_text(render_config(parse_profile(profile.read_text(), "p.yaml"), "p.yaml"))
    done = run_ciconf("lint", config, cwd=tmp_path)
    assert done.returncode == 1 and done.stdout.count("CC307") == 1, done.stdout


def test_current_and_new_dated_tags_are_not_noted(tmp_path):
    for image in ("ubuntu-2204:current", "ubuntu-2204:2024.01.1"):
        profile = tmp_path / "p.yaml"
        profile.write_text(PROFILE.format(image=image))
        done = run_ciconf("lint", "--profile", profile, cwd=tmp_path)
        assert (done.returncode, done.stdout) == (0, ""), done.stderr


def test_a_docker_image_under_machine_is_still_refused():
    with pytest.raises(InputError) as error:
        parse_profile(PROFILE.format(image="cimg/base:2024.01"), "p.yaml")
    assert "a Docker image goes under `image:`" in str(error.value)
