"""profiles/examples/: each renders its golden file, lints clean, and does what its comment says."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, example_profiles, run_ciconf
from jobsim import run_job

from ciconf.circleci.render import render_config
from ciconf.profile.load import load_profile

GOLDEN = ROOT / "tests" / "golden" / "examples"
SHA = "0123456789abcdef0123456789abcdef01234567"
DIGEST = "sha256:" + "ab" * 32


@pytest.fixture(autouse=True)
def _from_root(monkeypatch):
    monkeypatch.chdir(ROOT)  # headers name the profile relative to the working directory


def rendered(profile: Path) -> str:
    path = str(profile.relative_to(ROOT))
    return render_config(load_profile(path), path)


def config(name: str) -> dict:
    return yaml.safe_load(rendered(ROOT / "profiles" / "examples" / f"{name}.yaml"))


def workflow(data: dict) -> dict[str, dict]:
    (jobs,) = [w["jobs"] for w in data["workflows"].values()]
    entries = {}
    for job in jobs:
        name, options = (job, {}) if isinstance(job, str) else next(iter(job.items()))
        entries[options.get("name", name)] = options
    return entries


def test_one_example_per_capability():
    names = {profile.stem for profile in example_profiles()}
    assert {
        "parallel-matrix",
        "tag-release-promotion",
        "smoke-test-orb",
        "machine-docker-build",
        "monorepo-service",
    } <= names


@pytest.mark.parametrize("profile", example_profiles(), ids=lambda p: p.stem)
def test_example_matches_its_golden_file(profile):
    text = rendered(profile)
    golden = GOLDEN / f"{profile.stem}.config.yml"
    if os.environ.get("CICONF_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")
    assert rendered(profile) == text  # deterministic


def test_examples_and_their_configs_lint_clean(tmp_path):
    configs = []
    for profile in example_profiles():
        configs.append(tmp_path / f"{profile.stem}.yml")
        configs[-1].write_text(rendered(profile))
    profiles = run_ciconf("lint", "--profile", *example_profiles(), cwd=ROOT)
    assert (profiles.returncode, profiles.stdout) == (0, ""), profiles.stderr
    result = run_ciconf("lint", *configs, cwd=ROOT)
    assert (result.returncode, result.stdout) == (0, ""), result.stderr


def test_lint_would_catch_a_broken_example(tmp_path):
    # guards the test above: the same lint run reports a workflow that requires an unknown job
    data = config("smoke-test-orb")
    data["workflows"]["catalog"]["jobs"].append(
        {"smoke": {"requires": ["delivery_stgg"], "name": "again"}}
    )
    broken = tmp_path / "broken.yml"
    broken.write_text(yaml.safe_dump(data))
    result = run_ciconf("lint", broken, cwd=ROOT)
    assert result.returncode == 1 and "delivery_stgg" in result.stdout


# --- what each example promises
# ---------------------------------------------------------------------


def test_matrix_and_split_render_as_circleci_runs_them():
    data = config("parallel-matrix")
    unit = data["jobs"]["unit"]
    assert unit["docker"][0]["image"] == "cimg/php:<< parameters.php >>"
    assert unit["parameters"] == {"php": {"type": "string"}} and unit["parallelism"] == 4
    entries = workflow(data)
    assert entries["unit"]["matrix"] == {"parameters": {"php": ["8.2", "8.3"]}}
    assert entries["merge_unit"]["matrix"] == {"parameters": {"php": ["8.2", "8.3"]}}
    # `circleci tests glob ... | circleci tests run --command=... --split-by=timings`
    # (https://circleci.com/docs/use-the-circleci-cli-to-split-tests/)
    test = next(
        s["run"]["command"]
        for s in unit["steps"]
        if isinstance(s, dict) and s.get("run", {}).get("name") == "Test"
    )
    assert test.startswith("circleci tests glob 'tests/Unit/**/*Test.php' \\\n")
    assert (
        "| circleci tests run --command='xargs vendor/bin/phpunit" in test
        and "--split-by=timings" in test
    )
    # the cache key differs per PHP version, so 8.2 and 8.3 never share vendor/
    restore = next(s for s in unit["steps"] if isinstance(s, dict) and "restore_cache" in s)
    assert "<< parameters.php >>" in restore["restore_cache"]["keys"][0]


def test_only_gating_jobs_hold_up_delivery_and_filtered_jobs_get_no_merge_variant():
    data = config("parallel-matrix")
    entries = workflow(data)
    assert entries["delivery_stg"]["requires"] == ["unit", "integration"]
    assert entries["browser"]["filters"] == {"branches": {"only": ["main"]}}
    assert "merge_browser" not in entries and "merge_browser" not in data["jobs"]
    redis = data["jobs"]["integration"]["docker"][2]
    assert redis == {
        "image": "cimg/redis:7.2",
        "name": "cache",
        "command": ["redis-server", "--appendonly", "no"],
    }


def test_identical_fragments_of_different_jobs_are_one_anchor():
    text = rendered(ROOT / "profiles" / "examples" / "parallel-matrix.yaml")
    assert text.count("command: composer install --no-interaction --prefer-dist") == 1
    # unit, merge_unit, integration, merge_integration and browser all alias the one install step
    assert text.count("- *unit_install\n") == 5


def tag_filtered_upstream(entries: dict[str, dict]) -> list[tuple[str, str]]:
    """(job, upstream job) pairs where the job runs on a tag but the upstream job would not."""
    problems = []
    for name, options in entries.items():
        patterns = set(options.get("filters", {}).get("tags", {}).get("only", []))
        pending = list(options.get("requires", []))
        while pending:
            upstream = pending.pop()
            upstream_options = entries[upstream]
            if not patterns <= set(
                upstream_options.get("filters", {}).get("tags", {}).get("only", [])
            ):
                problems.append((name, upstream))
            pending += upstream_options.get("requires", [])
    return problems


def test_a_tag_release_carries_its_tag_filter_up_to_every_job_it_requires():
    # CircleCI runs a job for a tag only if it and every job upstream of it have a tags filter
    # (https://circleci.com/docs/guides/orchestrate/workflows/#executing-workflows-for-a-git-tag)
    entries = workflow(config("tag-release-promotion"))
    release = ["/^v\\d+\\.\\d+\\.\\d+$/"]
    assert entries["delivery_prod"]["filters"] == {
        "branches": {"ignore": "/.*/"},
        "tags": {"only": release},
    }
    assert entries["delivery_prod"]["requires"] == ["release_manager"]
    assert entries["release_manager"]["requires"] == ["qa_signoff"] and entries["qa_signoff"][
        "requires"
    ] == ["test"]
    assert entries["test"]["filters"] == {"tags": {"only": release}}
    assert tag_filtered_upstream(entries) == []
    # staging is untouched: branch pushes only, its branch pattern kept as written
    assert entries["delivery_stg"]["filters"] == {"branches": {"only": ["main", "/^release\\/.*/"]}}


def test_the_upstream_check_itself_finds_a_missing_filter():
    entries = workflow(config("tag-release-promotion"))
    del entries["test"]["filters"]
    assert ("delivery_prod", "test") in tag_filtered_upstream(entries)


def test_every_delivery_is_serialized_per_account():
    # serial-group: https://circleci.com/docs/reference/configuration-reference/#serial-group
    for profile in example_profiles():
        data = yaml.safe_load(rendered(profile))
        for name, options in workflow(data).items():
            if name.startswith("delivery_"):
                assert (
                    options["serial-group"]
                    == f"<< pipeline.project.slug >>/deploy-{name.removeprefix('delivery_')}"
                )


def test_promotion_copies_the_tested_manifest_by_digest_and_pushes_the_deploy_tag_last(tmp_path):
    # what happens to the registry is tests/oracles/test_delivery_harness.py's; this is the
    # commands' shape
    job = config("tag-release-promotion")["jobs"]["delivery_prod"]
    variables = {
        "CIRCLE_SHA1": SHA,
        "CIRCLE_OIDC_TOKEN_V2": "token",
        "STUB_DIGEST": DIGEST,
        "STUB_IMAGES_IN": "111111111111",
    }
    calls = [call["argv"] for call in run_job(job, tmp_path, variables)]
    source = "111111111111.dkr.ecr.us-east-1.amazonaws.com"
    target = "222222222222.dkr.ecr.us-east-1.amazonaws.com"
    assert ["docker", "login", "--username", "AWS", "--password-stdin", source] in calls
    copies = [argv for argv in calls if argv[:4] == ["docker", "buildx", "imagetools", "create"]]
    assert copies == [
        [
            *("docker", "buildx", "imagetools", "create", "--prefer-index=false", "--tag"),
            f"{target}/billing/{name}:{SHA}",
            f"{source}/billing/{name}@{DIGEST}",
        ]
        for name in ("worker", "api")
    ]
    tagged = [
        (argv[argv.index("--repository-name") + 1], argv[argv.index("--image-tag") + 1])
        for argv in calls
        if argv[:3] == ["aws", "ecr", "put-image"]
    ]
    tag = SHA[:6]
    assert tagged == [
        ("billing/worker", tag),
        ("billing/api", tag),
        ("billing/worker", "prod"),
        ("billing/api", "prod"),  # the pipeline's source, last
    ]
    assert not any(argv[:2] == ["docker", "build"] for argv in calls)


def test_promotion_of_a_commit_the_source_never_built_stops_with_a_clear_message(tmp_path):
    job = config("tag-release-promotion")["jobs"]["delivery_prod"]
    with pytest.raises(subprocess.CalledProcessError) as failure:
        run_job(job, tmp_path, {"CIRCLE_SHA1": SHA, "CIRCLE_OIDC_TOKEN_V2": "token"})
    assert (
        f"billing/worker:{SHA} is not in account 111111111111; deliver this commit there first"
        in failure.value.stderr
    )
    assert "imagetools" not in (tmp_path / "calls.jsonl").read_text()


def test_smoke_job_runs_after_staging_with_the_orb_declared_and_pinned():
    data = config("smoke-test-orb")
    assert data["orbs"] == {"slack": "circleci/slack@4.13.3", "aws-cli": "circleci/aws-cli@4.1.3"}
    smoke = data["jobs"]["smoke"]
    assert smoke["steps"][0] == {"aws-cli/setup": {"region": "ap-southeast-1"}}
    assert {"slack/notify": {"event": "fail", "template": "basic_fail_1"}} in smoke["steps"]
    entries = workflow(data)
    assert entries["smoke"] == {
        "requires": ["delivery_stg"],
        "context": ["aws-catalog-stg", "slack-secrets"],
    }
    assert entries["announce_approval"]["requires"] == ["smoke"]
    assert (
        entries["approve_prod"]["requires"] == ["test", "smoke"]
        and entries["approve_prod"]["type"] == "approval"
    )
    before_build = data["jobs"]["delivery_stg"]["steps"]
    names = [s["run"]["name"] for s in before_build if isinstance(s, dict) and "run" in s]
    assert (
        names.index("ECR repository") == names.index("ECR login") + 1 < names.index("catalog image")
    )


def test_machine_jobs_run_docker_natively():
    data = config("machine-docker-build")
    for job in ("test", "delivery_prod"):
        assert data["jobs"][job]["machine"] == {
            "image": "ubuntu-2204:current",
            "docker_layer_caching": True,
        }
        assert "docker" not in data["jobs"][job]
        assert "setup_remote_docker" not in data["jobs"][job]["steps"]
    logs = data["jobs"]["test"]["steps"][-2]
    assert logs["run"]["when"] == "always" and data["jobs"]["test"]["steps"][-1] == {
        "store_artifacts": {"path": "compose.log"}
    }


def test_monorepo_service_works_in_its_folder_with_its_own_lockfiles():
    data = config("monorepo-service")
    unit = data["jobs"]["unit"]
    # checkout's path is relative to working_directory, so the clone goes to the root explicitly
    # (https://circleci.com/docs/reference/configuration-reference/#checkout)
    assert unit["working_directory"] == "~/project/services/payments"
    assert unit["steps"][0] == {"checkout": {"path": "~/project"}}
    keys = [
        s["restore_cache"]["keys"][0]
        for s in unit["steps"]
        if isinstance(s, dict) and "restore_cache" in s
    ]
    assert keys == [
        'v1-payments-unit-modules-{{ checksum "go.sum" }}',
        'v1-payments-unit-web-{{ checksum "web/package-lock.json" }}',
    ]
    lint = next(
        s
        for s in unit["steps"]
        if isinstance(s, dict) and s.get("run", {}).get("name") == "Web lint"
    )
    assert lint["run"]["working_directory"] == "web"
    assert {"setup_remote_docker": {"docker_layer_caching": True}} in data["jobs"]["image"]["steps"]
    assert {"setup_remote_docker": {"docker_layer_caching": True}} in data["jobs"]["delivery_stg"][
        "steps"
    ]
