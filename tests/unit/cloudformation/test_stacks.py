"""Every stack the profile generates is listed (stacks.all_stacks), so a changed region makes them
all stale."""

from __future__ import annotations

import os

from cfn_helpers import region_drift_scenario, write_all_stacks

from ciconf.cloudformation.render import stacks_for
from ciconf.cloudformation.stacks import all_stacks
from ciconf.profile.derive import plan as derive_plan
from ciconf.profile.load import load_profile_document


def _expected(workdir) -> dict[str, str]:
    cwd = os.getcwd()
    os.chdir(workdir)
    try:
        doc, loaded = load_profile_document("ciconf.yaml")
        return dict(all_stacks(doc, derive_plan(loaded)))
    finally:
        os.chdir(cwd)


def test_region_change_makes_every_stack_stale_and_rewriting_fixes_them(tmp_path):
    _, stale, old, new = region_drift_scenario(tmp_path)
    assert stale == [
        "cloudformation/ci-cd-example-prod-bootstrap.yaml",
        "cloudformation/ci-cd-example-prod-environment.yaml",
        "cloudformation/ci-cd-example-prod-pipeline.yaml",
        "cloudformation/ci-cd-example-stg-bootstrap.yaml",
        "cloudformation/ci-cd-example-stg-environment.yaml",
        "cloudformation/ci-cd-example-stg-pipeline.yaml",
    ]
    expected = _expected(tmp_path)
    assert sorted(expected) == stale  # same files, same default paths
    for path in stale:
        committed = (tmp_path / path).read_text()
        assert committed != expected[path]
        assert f"- {old}\n" in committed and f"- {new}\n" in expected[path]  # the region rule
    write_all_stacks(tmp_path)
    assert {path: (tmp_path / path).read_text() for path in stale} == _expected(tmp_path)


def test_stacks_for_is_pure_and_deterministic(tmp_path):
    _, stale, _, _ = region_drift_scenario(tmp_path)
    before = {path: (tmp_path / path).read_bytes() for path in stale}
    assert _expected(tmp_path) == _expected(tmp_path)
    assert {path: (tmp_path / path).read_bytes() for path in stale} == before  # nothing written


def test_stacks_for_puts_stacks_under_the_given_directory(tmp_path):
    region_drift_scenario(tmp_path)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        doc, loaded = load_profile_document("ciconf.yaml")
        stacks = stacks_for(doc, derive_plan(loaded), "infra/stacks")
    finally:
        os.chdir(cwd)
    assert next(path for path, _ in stacks) == "infra/stacks/ci-cd-example-stg-bootstrap.yaml"
    # the header names the command that writes the file where it is
    assert "--stack bootstrap -o infra/stacks/ci-cd-example-stg-bootstrap.yaml`" in stacks[0][1]


def test_stacks_for_refuses_an_image_in_no_service_with_a_located_error(tmp_path):
    import pytest
    from conftest import PROFILES

    from ciconf.errors import InputError

    text = (PROFILES / "services-example.yaml").read_text()
    broken = text.replace(
        "        - {name: shop-scheduler, containers: [scheduler]}\n      build", "      build"
    )
    (tmp_path / "ciconf.yaml").write_text(broken)
    doc, loaded = load_profile_document(str(tmp_path / "ciconf.yaml"))
    with pytest.raises(InputError) as raised:
        stacks_for(doc, derive_plan(loaded))
    line = broken.splitlines().index("      services:") + 1
    assert str(raised.value).endswith(
        f"ciconf.yaml:{line}:7: accounts[0].pipeline.services: container 'scheduler' runs "
        "in none of the services; list it under one service's containers"
    )
