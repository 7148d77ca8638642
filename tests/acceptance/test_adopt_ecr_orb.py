"""`ciconf import` of each aws-ecr orb fixture (tests/fixtures/adopt/aws-ecr/, the patterns of
real configs that use the circleci/aws-ecr orb): the command imports, proves the same plan, and
the profile renders a config that lints clean. What each one becomes:
tests/unit/adopt/test_ecr_orb.py.
"""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import FIXTURES as ALL_FIXTURES
from conftest import run_ciconf

FIXTURES = ALL_FIXTURES / "adopt" / "aws-ecr"


@pytest.mark.parametrize("fixture", sorted(p.name for p in FIXTURES.glob("*.yml")))
def test_each_fixture_imports_renders_lints_clean_and_plans_the_same(tmp_path, fixture):
    repo = tmp_path / "shop"
    (repo / ".circleci").mkdir(parents=True)
    shutil.copy(FIXTURES / fixture, repo / ".circleci" / "config.yml")
    result = run_ciconf("import", "--format", "json", "--report", "report.json", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert json.loads((repo / "report.json").read_text())["proof"]["same"]
    rendered = run_ciconf("render", "--stdout", cwd=repo)
    assert rendered.returncode == 0, rendered.stderr
    (repo / "rendered.yml").write_text(rendered.stdout)
    lint = run_ciconf("lint", "rendered.yml", cwd=repo)
    assert lint.returncode == 0, lint.stdout
