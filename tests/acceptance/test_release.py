"""One version, named alike by the package, its metadata and the changelog (docs/releasing.md)."""

from __future__ import annotations

import re

import tomllib
from conftest import ROOT, run_ciconf

import ciconf

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
CHANGELOG = (ROOT / "docs" / "changelog.md").read_text(encoding="utf-8")


def test_the_version_is_a_release_version_with_a_changelog_section():
    assert re.fullmatch(r"\d+\.\d+\.\d+", ciconf.__version__)
    headings = re.findall(r"^## (\d+\.\d+\.\d+) — \d{4}-\d{2}-\d{2}$", CHANGELOG, flags=re.M)
    assert ciconf.__version__ in headings
    # the newest released section is this version: no older version is listed above it
    assert headings[0] == ciconf.__version__


def test_the_package_metadata_reads_the_one_version():
    project = PYPROJECT["project"]
    assert "version" not in project and project["dynamic"] == ["version"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "ciconf.__version__"}


def test_the_licence_is_spdx_with_its_file():
    project = PYPROJECT["project"]
    assert project["license"] == "MIT"
    assert all((ROOT / name).is_file() for name in project["license-files"])
    assert any(req.startswith("setuptools>=77") for req in PYPROJECT["build-system"]["requires"])


def test_version_option_prints_it():
    done = run_ciconf("--version", cwd=ROOT)
    assert done.returncode == 0 and done.stdout.strip() == f"ciconf {ciconf.__version__}"


def test_ci_builds_checks_and_runs_the_wheel_outside_the_checkout():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    for step in ("python3 -m build --sdist --wheel", "twine check --strict", "ciconf-*.whl"):
        assert step in ci
    assert "--upgrade pip" not in ci  # a newcomer's venv keeps the pip it ships
