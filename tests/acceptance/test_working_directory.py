"""`working_directory` outside the repository's subfolders: `~/app` and `/home/circleci/app` are
where the repository is cloned; a relative folder stays a subfolder of the clone at ~/project.

CircleCI resolves checkout's `path` against the job's working_directory (default ~/project) and
creates that folder if it is missing:
https://circleci.com/docs/reference/configuration-reference/#checkout
https://pkl-lang.org/package-docs/pkg.pkl-lang.org/pkl-pantry/com.circleci.v2/current/Config/Job.html
(CircleCI's job reference: "working_directory will be created automatically if it doesn't exist").
"""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import ROOT, planned_runs

from ciconf.circleci.render import render_config
from ciconf.errors import InputError
from ciconf.profile.load import parse_profile
from ciconf.profile.workdir import PROJECT_ROOT, JobFolders, job_folders

EXAMPLE = ROOT / "profiles" / "examples" / "app-folder.yaml"


def rendered(text: str) -> dict:
    return yaml.safe_load(render_config(parse_profile(text, "p.yaml"), "p.yaml"))


def profile_with(folder: str, extra: str = "") -> str:
    return (
        "project: ship\n"
        "test:\n"
        "  image: cimg/base:2024.01\n"
        f"  working_directory: '{folder}'\n"
        "  cache: {lockfiles: [go.sum], paths: [~/go/pkg/mod]}\n"
        "  command: make test\n"
        "  test_results: reports\n"
        "  artifacts: [out]\n" + extra
    )


@pytest.mark.parametrize(
    ("folder", "folders"),
    [
        (None, JobFolders(None, None)),
        ("services/api", JobFolders("~/project/services/api", PROJECT_ROOT)),
        ("~/app", JobFolders("~/app", None)),
        ("/home/circleci/app", JobFolders("/home/circleci/app", None)),
    ],
)
def test_one_derivation_says_where_the_job_works_and_where_checkout_clones(folder, folders):
    assert job_folders(folder) == folders


@pytest.mark.parametrize("folder", ["~/app", "/home/circleci/app"])
def test_an_absolute_folder_is_the_clone_itself_and_relative_paths_start_at_its_root(folder):
    data = rendered(profile_with(folder))
    job = data["jobs"]["test"]
    assert data["anchors"]["test_environment"]["working_directory"] == folder
    # a plain checkout clones into the working directory: the repository's root is the folder
    assert job["steps"][0] == "checkout"
    keys = [s["restore_cache"]["keys"][0] for s in job["steps"] if "restore_cache" in s]
    assert keys == ['v1-ship-{{ checksum "go.sum" }}']
    assert {"store_test_results": {"path": "reports"}} in job["steps"]
    assert {"store_artifacts": {"path": "out"}} in job["steps"]


def test_the_merged_run_clones_into_the_same_folder():
    data = rendered(profile_with("~/app", "merge_test: {base: main}\n"))
    assert data["jobs"]["merge_test"]["steps"][0] == "checkout"
    assert data["anchors"]["test_environment"]["working_directory"] == "~/app"


def test_a_subfolder_still_clones_at_the_project_root():
    data = rendered(profile_with("services/api"))
    assert data["anchors"]["test_environment"]["working_directory"] == "~/project/services/api"
    assert data["jobs"]["test"]["steps"][0] == {"checkout": {"path": "~/project"}}


def test_a_custom_job_in_an_absolute_folder_keeps_its_checkout_as_written():
    text = (
        "project: ship\n"
        "test: {image: cimg/base:2024.01, command: make}\n"
        "jobs:\n"
        "  notes:\n"
        "    image: cimg/base:2024.01\n"
        "    working_directory: /home/circleci/app\n"
        "    steps: [checkout, {checkout: {method: full}}, make notes]\n"
    )
    job = rendered(text)["jobs"]["notes"]
    assert job["working_directory"] == "/home/circleci/app"
    assert job["steps"][:2] == ["checkout", {"checkout": {"method": "full"}}]


@pytest.mark.parametrize(
    ("folder", "message"),
    [
        ("../app", "without '..'"),
        ("~/../etc", "no '..'"),
        ("/home/circleci/app/../..", "no '..'"),
        ("~", "the home or root folder, where checkout cannot clone"),
        ("/", "the home or root folder, where checkout cannot clone"),
        ("~/app\\tx", "expected a folder for the repository"),
        ("~/my app", "expected a folder for the repository"),
    ],
)
def test_what_circleci_cannot_run_is_refused_at_its_line(folder, message):
    text = profile_with(folder).replace(f"'{folder}'", json.dumps(folder.replace("\\t", "\t")))
    with pytest.raises(InputError) as error:
        parse_profile(text, "p.yaml")
    assert str(error.value).startswith("p.yaml:4:22: test.working_directory: ")
    assert message in str(error.value)


def test_the_example_works_in_app_and_delivers_from_main():
    data = yaml.safe_load(render_config(parse_profile(EXAMPLE.read_text(), "e.yaml"), "e.yaml"))
    assert data["anchors"]["test_environment"]["working_directory"] == "~/app"
    assert data["jobs"]["release_notes"]["working_directory"] == "/home/circleci/app"
    assert data["jobs"]["release_notes"]["steps"][0] == "checkout"
    for branch, on_main in (("feature/x", False), ("main", True)):
        assert planned_runs(EXAMPLE, branch) == {
            "test": True,
            "delivery_stg": on_main,
            "release_notes": on_main,
        }
