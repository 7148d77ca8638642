"""A render writes the config and every stack, or none of them (issue 21 §3): all files are staged
before the first rename, so a write failing half-way leaves every file as it was."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import pytest
from conftest import PROFILES

from ciconf import actions, fsutil


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CICONF_NO_CACHE", "1")
    shutil.copy(PROFILES / "ci-cd-example.yaml", "ciconf.yaml")
    assert actions.render(None, None, False) == actions.OK
    profile = Path("ciconf.yaml")
    profile.write_text(profile.read_text().replace("ap-northeast-1", "eu-west-1"))
    return tmp_path


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.mark.parametrize("failing", [2, 5])  # the n-th file staged fails: a stack, not the config
def test_a_failed_stack_write_leaves_the_old_config_and_stacks(project, monkeypatch, failing):
    before = snapshot(project)
    real_stage = fsutil._stage
    calls = []

    def stage(path, text):
        calls.append(path)
        if len(calls) == failing:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_stage(path, text)

    monkeypatch.setattr(fsutil, "_stage", stage)
    with pytest.raises(actions_input_error()) as caught:
        actions.render(None, None, False)
    assert "cannot write: No space left on device" in str(caught.value)
    assert str(caught.value).startswith(calls[-1])  # names the target, not a temporary file
    assert snapshot(project) == before  # nothing changed, no temporary file left behind
    assert not [name for name in os.listdir(project) if name.endswith(".tmp")]
    monkeypatch.undo()
    monkeypatch.chdir(project)
    assert actions.render(None, None, False) == actions.OK
    after = snapshot(project)
    assert after != before and "eu-west-1" in after[".circleci/config.yml"].decode()


def actions_input_error():
    from ciconf.errors import InputError

    return InputError
