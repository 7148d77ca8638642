"""check's digest cache: faster on unchanged inputs, never a different answer."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ciconf import actions, cache
from conftest import PROFILES


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CICONF_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("CICONF_NO_CACHE", raising=False)
    shutil.copy(PROFILES / "ci-cd-example.yaml", "ciconf.yaml")
    assert actions.render(None, None, False) == actions.OK
    return tmp_path


def refuse_rendering(monkeypatch):
    def fail(*_args, **_kwargs):
        raise AssertionError("rendered although the cache knew the answer")

    monkeypatch.setattr("ciconf.profile.load.load_profile", fail)


def test_unchanged_inputs_are_answered_from_the_cache(project, monkeypatch, capsys):
    refuse_rendering(monkeypatch)
    assert actions.check(None, Path(actions.DEFAULT_CONFIG)) == actions.OK
    assert "in sync" in capsys.readouterr().err


def test_a_hand_edited_config_is_still_drift(project, monkeypatch, capsys):
    config = Path(actions.DEFAULT_CONFIG)
    config.write_text(config.read_text().replace("composer test", "composer tests"))
    assert actions.check(None, config) == actions.DRIFT
    assert "+      command: composer test\n" in capsys.readouterr().out


def test_a_changed_profile_is_rendered_again(project, capsys):
    profile = Path("ciconf.yaml")
    profile.write_text(profile.read_text().replace("region: ap-northeast-1", "region: eu-west-1"))
    assert actions.check(None, Path(actions.DEFAULT_CONFIG)) == actions.DRIFT
    assert "eu-west-1" in capsys.readouterr().out


def test_changed_ciconf_code_invalidates_every_entry(project, monkeypatch):
    from ciconf.profile import load

    monkeypatch.setattr(cache, "_source_digest", lambda: b"another version of ciconf")
    rendered = []
    real = load.load_profile
    monkeypatch.setattr(load, "load_profile", lambda path: rendered.append(path) or real(path))
    assert actions.check(None, Path(actions.DEFAULT_CONFIG)) == actions.OK
    assert rendered == ["ciconf.yaml"]


def test_other_output_path_or_directory_is_another_entry(project):
    here = cache.key("ciconf.yaml", ".circleci/config.yml")
    assert here != cache.key("ciconf.yaml", "other.yml")
    (project / "sub").mkdir()
    shutil.copy("ciconf.yaml", "sub/ciconf.yaml")
    os.chdir("sub")
    assert cache.key("ciconf.yaml", ".circleci/config.yml") != here


def test_no_cache_means_no_files(project, monkeypatch):
    monkeypatch.setenv("CICONF_NO_CACHE", "1")
    monkeypatch.setenv("CICONF_CACHE_DIR", str(project / "nocache"))
    assert actions.check(None, Path(actions.DEFAULT_CONFIG)) == actions.OK
    assert not (project / "nocache").exists()


def test_an_unwritable_cache_only_costs_a_render(project, monkeypatch):
    blocker = project / "blocked"
    blocker.write_text("a file where the cache folder would be")
    monkeypatch.setenv("CICONF_CACHE_DIR", str(blocker / "cache"))
    assert actions.check(None, Path(actions.DEFAULT_CONFIG)) == actions.OK


def test_a_corrupt_entry_is_ignored(project):
    entry = cache.key("ciconf.yaml", actions.DEFAULT_CONFIG)
    (Path(cache.directory()) / entry).write_bytes(b"\xff\xfe not a digest")
    assert actions.check(None, Path(actions.DEFAULT_CONFIG)) == actions.OK
