"""Every problem of a profile at once, like ruff: one located line each, sorted, capped, exit 2."""

from __future__ import annotations

import pytest
from conftest import run_ciconf

from ciconf.errors import MAX_SHOWN, InputError
from ciconf.profile.load import parse_profile

BROKEN = """\
project: Demo
test:
  imgae: cimg/python:3.12
  command: pytest
  wait_for:
    - {port: "3306", timeout: 60s}
merge_test:
  enabled: "yes"
delivery:
  region: eu-west-9
  images: [{repository: web}]
accounts:
  - name: stg
    branch: main
    credentials: {mode: odic, context: aws}
"""


def refused(tmp_path, text: str) -> list[str]:
    (tmp_path / "profile.yaml").write_text(text)
    (tmp_path / "config.yml").write_text("previous\n")
    result = run_ciconf("render", "profile.yaml", "-o", "config.yml", cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == "" and "Traceback" not in result.stderr
    assert (tmp_path / "config.yml").read_text() == "previous\n"
    lines = result.stderr.splitlines()
    assert lines[0].startswith("ciconf: error: ")
    return [lines[0].removeprefix("ciconf: error: "), *lines[1:]]


def test_every_problem_is_listed_in_file_order(tmp_path):
    assert refused(tmp_path, BROKEN) == [
        "profile.yaml:1:10: project: expected a lowercase project name: letters, digits "
        "and '-' (2-40 chars), got 'Demo'",
        "profile.yaml:3:3: test.imgae: unknown key 'imgae' (expected one of image, "
        "services, environment, "
        "resource_class, remote_docker, machine, working_directory, auth, aws_auth, cache, caches, "
        "install, wait_for, setup, "
        "command, artifacts, test_results, parallelism, split, matrix, steps, step_names, "
        "gates_delivery, context, requires, merge_test, branches, ignore_branches); "
        "did you mean 'image'?",
        "profile.yaml:6:14: test.wait_for[0].port: got a string ('3306'); write the "
        "number without quotes (expected a whole number)",
        "profile.yaml:6:31: test.wait_for[0].timeout: got a string ('60s') (expected a "
        "whole number)",
        "profile.yaml:8:12: merge_test.enabled: got a string ('yes'); write true or false "
        "without quotes (expected true or false)",
        "profile.yaml:10:11: delivery.region: unknown AWS region 'eu-west-9' (expected a "
        "region of the aws or "
        "aws-us-gov partition, like ap-northeast-1); did you mean 'eu-west-1'?",
        "profile.yaml:15:25: accounts[0].credentials.mode: unknown mode 'odic' (expected "
        "one of env-indirection, context, oidc); did you mean 'oidc'?",
    ]


def test_problems_beyond_the_cap_are_counted(tmp_path):
    keys = "".join(f"  unknown_{number:02}: 1\n" for number in range(MAX_SHOWN + 7))
    lines = refused(
        tmp_path, "project: demo\ntest:\n  image: cimg/base:2024.01\n  command: make\n" + keys
    )
    assert len(lines) == MAX_SHOWN + 1
    for number, line in enumerate(lines[:-1]):
        assert line.startswith(
            f"profile.yaml:{5 + number}:3: test.unknown_{number:02}: unknown key"
        )
    assert lines[-1] == "profile.yaml: ... and 7 more problems"


def test_a_value_cannot_forge_a_line_of_its_own(tmp_path):
    forged = "profile.yaml:1:1: project: all good\\nciconf: error: x"
    text = (
        "project: demo\ntest:\n  image: cimg/base:2024.01\n  command: make\n  "
        f'"a\\n{forged}": 1\n  b: 2\n'
    )
    lines = refused(tmp_path, text)
    assert len(lines) == 2
    assert lines[0].startswith("profile.yaml:5:3: test[") and lines[1].startswith(
        "profile.yaml:6:3: test.b: "
    )
    assert "\\n" in lines[0]  # shown escaped, on its own line


@pytest.mark.parametrize(
    "value, hint",
    [
        ('"3306"', True),  # quoted number: the quotes are the mistake
        ("'3306'", True),
        ("60s", False),  # no quotes in the file: do not tell the user to remove some
        ('"sixty"', False),  # quoted, but not a number either
    ],
)
def test_the_without_quotes_hint_needs_quotes_around_a_number(value, hint):
    text = (
        "project: demo\ntest:\n  image: cimg/base:2024.01\n  command: make\n  wait_for: "
        f"[{{port: {value}}}]\n"
    )
    with pytest.raises(InputError) as caught:
        parse_profile(text, "p.yaml")
    assert ("write the number without quotes" in str(caught.value)) is hint


@pytest.mark.parametrize(
    "value, hint", [('"yes"', True), ('"true"', True), ("maybe", False), ('"maybe"', False)]
)
def test_the_true_or_false_hint_needs_quotes_around_a_boolean(value, hint):
    text = (
        f"project: demo\ntest: {{image: cimg/base:2024.01, command: make}}\nmerge_test: "
        f"{{enabled: {value}}}\n"
    )
    with pytest.raises(InputError) as caught:
        parse_profile(text, "p.yaml")
    assert ("write true or false without quotes" in str(caught.value)) is hint


def test_a_secret_is_never_repeated_by_another_problem_about_it():
    secret = "AKIAIOSFODNN7EXAMPLE"
    text = (
        "project: demo\ntest:\n  image: cimg/base:2024.01\n  command: make\n"
        f"  wait_for: [{{port: {secret}}}]\n  {secret}: 1\n  imgae: x\n"
    )
    with pytest.raises(InputError) as caught:
        parse_profile(text, "p.yaml")
    message = str(caught.value)
    assert secret not in message
    lines = message.splitlines()
    assert [line.split(": ")[0] for line in lines] == ["p.yaml:5:21", "p.yaml:6:3", "p.yaml:7:3"]
    assert "literal AWS credential" in lines[0] and "literal AWS credential" in lines[1]
    assert "unknown key 'imgae'" in lines[2]


def test_the_first_problem_still_reads_alone_for_one_location_callers():
    with pytest.raises(InputError) as caught:
        parse_profile(BROKEN, "p.yaml")
    error = caught.value
    assert (error.line, error.column, error.field) == (1, 10, "project")
    assert error.detail().endswith("[6 more problems in this file]")
    assert len(error.problems) == 7


def test_thousands_of_problems_are_counted_not_explained(tmp_path):
    # near the 10,000-value cap: every key unknown; only the first ones get a did-you-mean computed
    keys = "".join(f"  unknown_key_number_{number}: 1\n" for number in range(4_500))
    # no clock here (speed lives in benchmarks/bench.py); run_ciconf's 120 s timeout guards a hang
    lines = refused(
        tmp_path, "project: demo\ntest:\n  image: cimg/base:2024.01\n  command: make\n" + keys
    )
    assert len(lines) == MAX_SHOWN + 1 and lines[-1] == "profile.yaml: ... and 4480 more problems"


def test_lines_are_escaped_fast():
    error = InputError.collect(
        [
            InputError("p.yaml", f"bad \x1b[31m{number}\n", line=number, column=1)
            for number in range(1, 30)
        ]
    )
    lines = str(error).splitlines()
    assert len(lines) == MAX_SHOWN + 1 and lines[0] == "p.yaml:1:1: bad \\x1b[31m1\\n"


def test_lint_lists_every_problem_of_a_profile_like_render(tmp_path):
    """CP001 gives one finding per problem, at each problem's own line, as `render` lists them."""
    from conftest import run_ciconf

    profile = tmp_path / "ciconf.yaml"
    profile.write_text("project: Demo\ntest:\n  imgae: cimg/base:2024.01\n  command: make\n")
    render = run_ciconf("render", "--stdout", cwd=tmp_path)
    lint = run_ciconf("lint", "ciconf.yaml", cwd=tmp_path)
    assert (render.returncode, lint.returncode) == (2, 1)
    findings = lint.stdout.splitlines()
    assert [line.split(": CP001 ")[0] for line in findings] == [
        "ciconf.yaml:1:10",
        "ciconf.yaml:3:3",
    ]
    rendered = [line.removeprefix("ciconf: error: ") for line in render.stderr.splitlines()]
    assert [line.replace(" CP001", "", 1) for line in findings] == rendered
