"""`ciconf render --exit-nonzero-on-change`: exit 1 when it rewrote the config (pre-commit
style)."""

from __future__ import annotations

import shutil

from tests.conftest import PROFILES, run_ciconf


def test_render_flag_exits_1_only_when_it_wrote(tmp_path):
    profile = tmp_path / "ciconf.yaml"
    shutil.copy(PROFILES / "ciconf.yaml", profile)
    config = tmp_path / ".circleci" / "config.yml"

    first = run_ciconf("render", "--exit-nonzero-on-change", "ciconf.yaml", cwd=tmp_path)
    assert first.returncode == 1, first.stderr
    assert "wrote .circleci/config.yml" in first.stderr
    written = config.read_text()

    second = run_ciconf("render", "--exit-nonzero-on-change", "ciconf.yaml", cwd=tmp_path)
    assert second.returncode == 0
    assert "is up to date" in second.stderr
    assert config.read_text() == written


def test_render_without_the_flag_still_exits_0_after_writing(tmp_path):
    profile = tmp_path / "ciconf.yaml"
    shutil.copy(PROFILES / "ciconf.yaml", profile)
    result = run_ciconf("render", "ciconf.yaml", cwd=tmp_path)
    assert result.returncode == 0
    assert (tmp_path / ".circleci" / "config.yml").is_file()
