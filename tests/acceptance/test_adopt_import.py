"""`ciconf import`: the seed's hand-written config becomes the seed profile, corpus patterns import
whole, and the plan of the profile is the plan of the original (the import's own proof). (ciconf is
asked in-process, conftest.ciconf_in_process, except where "nothing written" is what a test
proves.)"""

from __future__ import annotations

import json
import re
import subprocess
import textwrap
from pathlib import Path

import pytest
from conftest import PROFILES, ROOT, ciconf_in_process, run_ciconf

from ciconf.adopt.run import imported
from ciconf.circleci.render import render_config
from ciconf.plan.compute import declared_parameters, plan_config
from ciconf.plan.values import Push, build_values
from ciconf.profile.load import load_profile, parse_profile
from ciconf.yamlkit.load import load_text

SEED = ROOT / "tests" / "fixtures" / "adopt" / "ci-cd-example" / ".circleci" / "config.yml"
PUSHES = [
    Push("branch", "develop"),
    Push("branch", "master"),
    Push("branch", "feature/login"),
    Push("tag", "v1.2.3"),
]


def running(config_text: str, push: Push) -> set[str]:
    doc = load_text(config_text, "config")
    plan = plan_config(doc, build_values(push, declared_parameters(doc), {}, "config"))
    return {job.name for workflow in plan.workflows for job in workflow.jobs if job.runs}


def test_the_seed_config_imports_as_the_seed_profile_in_what_it_plans():
    text, report, rendered = imported(str(SEED), "ciconf.yaml")
    ours = parse_profile(text, "ciconf.yaml")
    seed = load_profile(str(PROFILES / "ci-cd-example.yaml"))
    expected = render_config(seed, "profiles/ci-cd-example.yaml")
    for push in PUSHES:
        assert running(rendered, push) == running(expected, push), push
    # what each account receives is the seed profile's too
    assert ours.project == seed.project == "ci-cd-example"
    assert ours.delivery.region == seed.delivery.region
    assert [(i.repository, i.dockerfile, i.context) for i in ours.delivery.images] == [
        (i.repository, i.dockerfile, i.context) for i in seed.delivery.images
    ]
    assert ours.delivery.commit_tag_length == seed.delivery.commit_tag_length
    assert [(a.name, a.branch, a.credentials) for a in ours.accounts] == [
        (a.name, a.branch, a.credentials) for a in seed.accounts
    ]
    assert ours.merge_test == seed.merge_test
    test = ours.test
    assert test.cache.lockfiles == ["composer.lock"] and test.cache.paths == ["vendor"]
    assert [(w.host, w.port, w.timeout) for w in test.wait_for] == [("127.0.0.1", 3306, 60)]
    assert test.setup[1:] == [
        "cp .env.testing .env",
        "composer dump-autoload",
        "php artisan migrate",
    ]
    assert test.command == "composer test" and test.artifacts == ["tmp/coverage"]
    # a version 2 config renders 2.1, on cimg images, without `aws ecr get-login`
    assert "version: 2.1" in rendered and "circleci/" not in rendered
    assert "get-login-password" in rendered and "get-login " not in rendered
    assert report.share == 1.0 and not report.proof and not report.lost
    assert any("version: 2 -> 2.1" in item for item in report.modernised)
    assert any("circleci/php:7.2-browsers -> cimg/php" in item for item in report.modernised)


def test_import_writes_the_profile_and_check_repeats_the_proof(tmp_path):
    result = ciconf_in_process("import", SEED, "-o", tmp_path / "ciconf.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "plan: the same jobs run" in result.stdout
    profile = tmp_path / "ciconf.yaml"
    text = profile.read_text()
    assert text.startswith("# yaml-language-server: $schema=")
    assert ciconf_in_process("render", "ciconf.yaml", "--stdout", cwd=tmp_path).returncode == 0
    assert ciconf_in_process("lint", "--profile", "ciconf.yaml", cwd=tmp_path).returncode == 0
    check = ciconf_in_process("import", SEED, "-o", "ciconf.yaml", "--check", cwd=tmp_path)
    assert check.returncode == 0, check.stderr
    assert "plans the same jobs" in check.stderr
    # somebody edits the profile: the prod delivery moves to another branch
    profile.write_text(text.replace("branch: master", "branch: main"))
    drift = ciconf_in_process("import", SEED, "-o", "ciconf.yaml", "--check", cwd=tmp_path)
    assert drift.returncode == 1
    assert "branch master: only the original runs delivery_prod" in drift.stderr
    assert profile.read_text() == text.replace("branch: master", "branch: main")  # never written


def test_import_never_overwrites_a_profile_unless_forced(tmp_path):
    profile = tmp_path / "ciconf.yaml"
    profile.write_text("# hand edits\n")
    refused = run_ciconf("import", SEED, "-o", "ciconf.yaml", cwd=tmp_path)
    assert refused.returncode == 2
    assert refused.stderr == (
        "ciconf: error: ciconf.yaml exists; pass --force to replace it (or --check to compare)\n"
    )
    assert refused.stdout == ""
    assert profile.read_text() == "# hand edits\n"  # nothing written
    assert run_ciconf("import", SEED, "--stdout", cwd=tmp_path).returncode == 0  # writes no file
    assert profile.read_text() == "# hand edits\n"
    forced = run_ciconf("import", SEED, "-o", "ciconf.yaml", "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert profile.read_text().startswith("# yaml-language-server: $schema=")


def test_stdout_json_and_report_file(tmp_path):
    result = ciconf_in_process(
        "import", SEED, "--stdout", "--format", "json", "--report", "report.json", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# yaml-language-server")
    report = json.loads((tmp_path / "report.json").read_text())
    assert json.loads(result.stderr[result.stderr.index("{") :]) == report
    assert report["proof"]["same"] is True and report["share"] == 1.0
    assert (
        "branch develop" in report["proof"]["pushes"] and "tag v1.2.3" in report["proof"]["pushes"]
    )
    assert not (tmp_path / "ciconf.yaml").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- just\n- a list\n", "a CircleCI config is a mapping"),
        ("version: 2.1\njobs: [\n", "malformed YAML"),
        ("version: 3\njobs: {}\n", "is not a CircleCI config version"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(tmp_path, text, message):
    (tmp_path / "config.yml").write_text(text)
    result = ciconf_in_process("import", "config.yml", cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "ciconf.yaml").exists()


def test_a_missing_config_is_an_input_error(tmp_path):
    result = ciconf_in_process("import", cwd=tmp_path)
    assert result.returncode == 2
    assert ".circleci/config.yml" in result.stderr


# --- patterns of real configs (written for these tests) -----------------------------------------

NODE_LIBRARY = """\
version: 2.1
orbs:
  node: circleci/node@5
parameters:
  nightly:
    type: boolean
    default: false
executors:
  js:
    parameters:
      version: {type: string, default: "20.11"}
    docker:
      - image: cimg/node:<< parameters.version >>
    working_directory: ~/project
commands:
  install:
    parameters:
      flags: {type: string, default: ""}
    steps:
      - restore_cache:
          key: deps-{{ checksum "package-lock.json" }}
      - run: npm ci << parameters.flags >>
      - save_cache:
          key: deps-{{ checksum "package-lock.json" }}
          paths: [~/.npm]
jobs:
  lint:
    executor: js
    steps:
      - checkout
      - install
      - run: npm run lint
  test:
    parameters:
      node: {type: string}
    executor: {name: js, version: << parameters.node >>}
    parallelism: 2
    steps:
      - checkout
      - install: {flags: --no-audit}
      - run:
          name: unit tests
          command: npm test
      - store_test_results: {path: reports}
  notes:
    docker: [{image: cimg/base:stable}]
    steps:
      - checkout
      - run: |
          cat <<EOF > notes.txt
          built << pipeline.git.revision >>
          EOF
      - when:
          condition: << pipeline.parameters.nightly >>
          steps:
            - run: echo nightly
  publish:
    docker: [{image: cimg/node:20.11}]
    steps:
      - checkout
      - node/install-packages
      - run: npm publish
workflows:
  ci:
    jobs:
      - lint:
          filters: {branches: {ignore: [gh-pages, /^dependabot\\/.*/]}}
      - test:
          matrix:
            parameters:
              node: ["18.19", "20.11"]
      - notes:
          requires: [lint]
      - hold:
          type: approval
          requires: [test]
          filters: {branches: {only: main}}
      - publish:
          requires: [hold]
          context: npm
          filters: {branches: {only: main}}
  release:
    jobs:
      - publish:
          name: publish-release
          context: [npm]
          filters:
            branches: {ignore: /.*/}
            tags: {only: /^v\\d+\\.\\d+\\.\\d+$/}
  nightly:
    triggers:
      - schedule: {cron: "0 3 * * *", filters: {branches: {only: main}}}
    jobs: [lint]
  hotfix:
    when:
      matches: {pattern: "^hotfix/.+$", value: << pipeline.git.branch >>}
    jobs:
      - notes:
          name: hotfix-notes
"""

ORB_ONLY = """\
version: 2.1
orbs:
  aws-ecr: circleci/aws-ecr@8.2.1
workflows:
  push:
    jobs:
      - aws-ecr/build-and-push-image:
          context: aws
          repo: service
          tag: "${CIRCLE_SHA1}"
          filters: {branches: {only: main}}
"""

NO_WORKFLOWS = """\
version: 2
jobs:
  build:
    docker:
      - image: circleci/ruby:2.7-node
        environment:
          - RAILS_ENV=test
      - image: circleci/postgres:12
    steps:
      - checkout
      - run: bundle install
      - run: bundle exec rspec
"""


def imported_repo(tmp_path: Path, config: str) -> tuple[subprocess.CompletedProcess, Path]:
    circleci = tmp_path / "service" / ".circleci"
    circleci.mkdir(parents=True)
    (circleci / "config.yml").write_text(config)
    result = ciconf_in_process(
        "import", "--format", "json", "--report", "report.json", cwd=circleci.parent
    )
    return result, circleci.parent


@pytest.mark.parametrize(
    "config", [NODE_LIBRARY, ORB_ONLY, NO_WORKFLOWS], ids=["node", "orb", "v2"]
)
def test_corpus_patterns_import_render_lint_clean_and_plan_the_same(tmp_path, config):
    result, repo = imported_repo(tmp_path, config)
    assert result.returncode == 0, result.stderr + result.stdout
    report = json.loads((repo / "report.json").read_text())
    assert report["proof"]["same"], report["proof"]
    rendered = ciconf_in_process("render", "--stdout", cwd=repo)
    assert rendered.returncode == 0, rendered.stderr
    (repo / "rendered.yml").write_text(rendered.stdout)
    lint = ciconf_in_process("lint", "rendered.yml", cwd=repo)
    assert lint.returncode == 0, lint.stdout
    assert ciconf_in_process("lint", "--profile", "ciconf.yaml", cwd=repo).returncode == 0


def test_what_the_node_library_becomes(tmp_path):
    result, repo = imported_repo(tmp_path, NODE_LIBRARY)
    assert result.returncode == 0, result.stderr
    profile = load_profile(str(repo / "ciconf.yaml"))
    report = json.loads((repo / "report.json").read_text())
    # an unpinned orb is pinned (and said so); the matrix becomes one job per combination
    assert profile.orbs == {"node": "circleci/node@5.0.0"}
    assert any("circleci/node@5 -> circleci/node@5.0.0" in item for item in report["modernised"])
    matrix = {name: job for name, job in profile.test_jobs.items() if name.startswith("test-")}
    assert sorted(matrix) == ["test-18-19", "test-20-11"]
    job = matrix["test-18-19"]
    assert job.image == "cimg/node:18.19" and job.parallelism == 2
    assert job.install == "npm ci --no-audit" and job.cache.lockfiles == ["package-lock.json"]
    assert job.command == "npm test" and job.test_results == "reports"
    assert {"workflow": "ci", "from": "test-18.19", "to": "test-18-19"} in report["renames"]
    # the approval is the publish job's hold, and the release job runs on tags only
    publish = profile.jobs["publish"]
    assert publish.approval and publish.context == ["npm"] and publish.branches == ["main"]
    release = profile.jobs["publish-release"]
    assert release.tags == ["/^v\\d+\\.\\d+\\.\\d+$/"] and not release.branches
    # the heredoc runs from an encoded copy of itself, the pipeline value read at run time
    notes = profile.jobs["notes"].steps[1].run.command
    encoded = re.search(r"printf '%s' '([A-Za-z0-9+/=]+)'", notes).group(1)
    import base64

    script = base64.b64decode(encoded).decode()
    assert script.startswith("cat <<EOF > notes.txt") and "${CIRCLE_SHA1}" in script
    # a `when` step whose parameter is false by default is compiled away, as CircleCI does
    assert all("nightly" not in str(step) for step in profile.jobs["notes"].steps)
    # the hotfix workflow's condition became a branch filter; the nightly schedule never pushes
    assert profile.jobs["hotfix-notes"].branches == ["/^hotfix/.+$/"]
    assert any("never runs on a push" in item for item in report["mapped"])


def test_an_orb_only_config_gets_a_stand_in_test_job(tmp_path):
    result, repo = imported_repo(tmp_path, ORB_ONLY)
    assert result.returncode == 0, result.stderr
    profile = load_profile(str(repo / "ciconf.yaml"))
    job = profile.jobs["aws-ecr-build-and-push-image"]
    assert job.orb_job == "aws-ecr/build-and-push-image" and job.context == ["aws"]
    assert job.parameters == {"repo": "service", "tag": "${CIRCLE_SHA1}"}
    assert list(profile.test_jobs) == ["placeholder-test"]
    report = json.loads((repo / "report.json").read_text())
    assert report["added"] and "placeholder-test" in report["added"][0]


def test_a_version_2_build_job_without_workflows(tmp_path):
    result, repo = imported_repo(tmp_path, NO_WORKFLOWS)
    assert result.returncode == 0, result.stderr
    profile = load_profile(str(repo / "ciconf.yaml"))
    job = profile.test_jobs["build"]
    assert job.image == "cimg/ruby:2.7-node" and job.environment == {"RAILS_ENV": "test"}
    assert [s.image for s in job.services] == ["cimg/postgres:12"]
    assert job.install is None and job.setup == ["bundle install"]
    assert job.command == "bundle exec rspec"


def test_the_text_report_names_every_section(tmp_path):
    circleci = tmp_path / "repo" / ".circleci"
    circleci.mkdir(parents=True)
    (circleci / "config.yml").write_text(NODE_LIBRARY)
    result = ciconf_in_process("import", "--stdout", cwd=circleci.parent)
    assert result.returncode == 0
    for title in ("expressed through profile fields:", "modernised:", "renamed jobs:"):
        assert title in result.stderr
    assert re.search(r"share expressed through profile fields: \d+/\d+ elements", result.stderr)
    assert textwrap.dedent(result.stdout).startswith("# yaml-language-server")


CAPITAL_NAMES = """\
version: 2.1
jobs:
  Build:
    docker: [{image: cimg/base:2024.01}]
    steps: [checkout, {run: make}]
  build:
    docker: [{image: cimg/base:2024.01}]
    steps: [checkout, {run: make other}]
  Deploy-Docs:
    docker: [{image: cimg/base:2024.01}]
    steps: [checkout, {run: make docs}]
workflows:
  main:
    jobs:
      - Build
      - Deploy-Docs: {requires: [Build]}
  Other:
    jobs:
      - build
"""


def test_capital_job_names_are_kept_and_a_case_twin_is_renamed(tmp_path):
    # CircleCI job names may hold capitals (ciconf's grammar takes them, unique ignoring case:
    # https://circleci.com/docs/reusing-config/ keeps the lowercase rule for commands only)
    result, repo = imported_repo(tmp_path, CAPITAL_NAMES)
    assert result.returncode == 0, result.stderr + result.stdout
    report = json.loads((repo / "report.json").read_text())
    assert report["proof"]["same"], report["proof"]
    profile = load_profile(str(repo / "ciconf.yaml"))
    names = set(profile.jobs) | set(profile.test_jobs)
    assert {"Build", "Deploy-Docs"} <= names  # written as in the config, not lowercased
    # `build` is another job: renamed apart from `Build`, as the report says
    (twin,) = [entry for entry in report["renames"] if entry["from"] == "build"]
    assert twin["workflow"] == "Other" and twin["to"].lower() != "build"
    assert len({name.lower() for name in names}) == len(names)
