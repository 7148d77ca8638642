"""`ciconf plan` on hostile configs (issue 17 §2-3): Java's regex meaning, a time budget for
every match, caps on the whole plan, a nesting limit, and inert output (Mermaid directives, bidi
controls, U+2028/9). Each test finishes fast because the bounds work; no timing assertions.

CircleCI filter regexes match the entire name
(https://circleci.com/docs/configuration-reference/#branches : "Regular expressions must match
the entire string"); `matches` in logic statements likewise
(https://circleci.com/docs/configuration-reference/#logic-statements).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from conftest import ROOT

import ciconf.javaregex
from ciconf.cli import main
from ciconf.plan.caps import MAX_EDGES, MAX_JOBS
from ciconf.plan.expressions import MAX_NESTING
from ciconf.plan.mermaid import label
from ciconf.plan.run import PlanRequest, build_plan, plan_command

HEAD = "version: 2.1\njobs:\n  a: {docker: [{image: x}], steps: [checkout]}\n"


@pytest.fixture(autouse=True)
def small_budget(monkeypatch):
    monkeypatch.setattr(ciconf.javaregex, "MATCH_SECONDS", 0.05)
    monkeypatch.setattr(ciconf.javaregex, "TOTAL_SECONDS", 0.3)


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "config.yml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def only_job(path: str, branch: str, params=()):
    plan = build_plan(PlanRequest(None, path, branch, None, params))
    (workflow,) = plan.workflows
    return workflow.jobs[0]


def filtered(tmp_path: Path, only: str) -> str:
    return write(
        tmp_path,
        HEAD + f"workflows:\n  w:\n    jobs:\n      - a:\n          filters: "
        f"{{branches: {{only: {json.dumps(only)}}}}}\n",
    )


def test_java_ascii_word_class_skips_a_non_ascii_branch(tmp_path):
    job = only_job(filtered(tmp_path, r"/^feature\/[\w-]+$/"), "feature/café")
    assert job.runs is False  # Java's \w is [a-zA-Z_0-9]: CircleCI does not run it
    assert only_job(filtered(tmp_path, r"/^feature\/[\w-]+$/"), "feature/cafe").runs is True


def test_class_intersection_is_java_s_and_warns_nobody(tmp_path):
    path = filtered(tmp_path, "/[a-z&&[^x]]+/")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert only_job(path, "main").runs is True
        assert only_job(path, "max").runs is False


def test_java_syntax_ciconf_does_not_translate_is_undecided_with_the_reason(tmp_path):
    job = only_job(filtered(tmp_path, "/\\p{InGreek}+/"), "main")
    assert job.runs is None and "\\p{InGreek}" in job.reason


def test_a_java_syntax_error_is_a_located_input_error(tmp_path, capsys):
    code = plan_command(PlanRequest(None, filtered(tmp_path, "/a**/"), "main", None))
    assert code == 2
    err = capsys.readouterr().err
    assert "filters.branches.only: invalid regular expression" in err and "Traceback" not in err


def test_backtracking_filter_finishes(tmp_path):
    job = only_job(filtered(tmp_path, "/^(a+)+$/"), "a" * 40 + "b")  # 41 characters
    assert job.runs is False


def test_a_hung_when_matches_is_undecided(tmp_path):
    config = HEAD + (
        "parameters:\n  v: {type: string, default: " + "a" * 60 + "b}\n"
        "workflows:\n  w:\n    when:\n      matches: {pattern: '^(a|aa)+$', "
        "value: << pipeline.parameters.v >>}\n    jobs: [a]\n"
    )
    plan = build_plan(PlanRequest(None, write(tmp_path, config), "main", None, ()))
    (workflow,) = plan.workflows
    assert workflow.runs is None
    assert "the regex did not finish in 0.05 s" in workflow.reason


def chained_matrices(count: int) -> str:
    text = (
        "version: 2.1\njobs:\n  j:\n    docker: [{image: x}]\n    steps: [checkout]\n"
        "    parameters: {a: {type: string}, b: {type: string}, c: {type: string}}\n"
        "workflows:\n  w:\n    jobs:\n"
    )
    values = "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]"
    for index in range(count):
        text += (
            f"      - j:\n          name: m{index}-<< matrix.a >><< matrix.b >><< matrix.c >>\n"
            f"          matrix: {{alias: m{index}, parameters: {{a: {values}, b: {values}, "
            f"c: {values}}}}}\n"
        )
        if index:
            text += f"          requires: [m{index - 1}]\n"
    return text


def test_eight_chained_thousand_combination_matrices_hit_the_job_cap(tmp_path, capsys):
    path = write(tmp_path, chained_matrices(8))
    assert Path(path).stat().st_size < 2300  # the 2.2 KB config
    assert plan_command(PlanRequest(None, path, "main", None)) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"more than {MAX_JOBS} jobs" in captured.err
    assert f"ciconf plans at most {MAX_JOBS} (cap MAX_JOBS)" in captured.err


def test_two_chained_matrices_hit_the_edge_cap(tmp_path, capsys):
    # 1000 jobs each requiring the 1000 jobs of the matrix before: 10^6 edges
    assert plan_command(PlanRequest(None, write(tmp_path, chained_matrices(2)), "main", None)) == 2
    assert f"at most {MAX_EDGES} (cap MAX_EDGES)" in capsys.readouterr().err


def test_deeply_nested_filter_expression_is_an_input_error(tmp_path, capsys):
    expression = "(" * 110 + 'pipeline.git.branch == "main"' + ")" * 110
    config = HEAD + f"workflows:\n  w:\n    jobs:\n      - a:\n          filters: '{expression}'\n"
    assert plan_command(PlanRequest(None, write(tmp_path, config), "main", None)) == 2
    err = capsys.readouterr().err
    assert f"deeper than {MAX_NESTING} levels" in err and "Traceback" not in err


def test_a_nesting_within_the_limit_still_plans(tmp_path):
    expression = "(" * 20 + 'pipeline.git.branch == "main"' + ")" * 20
    config = HEAD + f"workflows:\n  w:\n    jobs:\n      - a:\n          filters: '{expression}'\n"
    assert only_job(write(tmp_path, config), "main").runs is True


def test_deeply_nested_regex_is_an_input_error(tmp_path, capsys):
    code = plan_command(
        PlanRequest(None, filtered(tmp_path, "/" + "(" * 300 + ")" * 300 + "/"), "main", None)
    )
    assert code == 2
    assert "deeper than" in capsys.readouterr().err


def test_mermaid_label_cannot_carry_a_directive(tmp_path, capsys):
    name = "pre %%{init: {'theme':'dark'}}%% post"
    config = (
        "version: 2.1\njobs:\n  a: {docker: [{image: x}], steps: [checkout]}\n"
        f'workflows:\n  w:\n    jobs:\n      - a: {{name: "{name}"}}\n'
    )
    assert plan_command(PlanRequest(None, write(tmp_path, config), "main", None), "mermaid") == 0
    out = capsys.readouterr().out
    assert "%" not in out
    assert label(name) in out and "#37;#37;{init" in out


BIDI = "x\u202ey\u2066z\u2028w\u2029v"


def test_bidi_controls_and_line_separators_are_escaped_in_text_and_json(tmp_path, capsys):
    escaped = json.dumps(BIDI)  # YAML's double-quoted escapes are JSON's
    config = HEAD.replace("  a:", f"  {escaped}:") + f"workflows:\n  w:\n    jobs: [{escaped}]\n"
    path = write(tmp_path, config)
    for fmt in ("text", "json", "mermaid"):
        assert plan_command(PlanRequest(None, path, "main", None), fmt) == 0
        out = capsys.readouterr().out
        for char in "\u202e\u2066\u2028\u2029":
            assert char not in out, (fmt, char)
        assert "\\u202e" in out
        if fmt == "json":
            assert json.loads(out)["workflows"][0]["jobs"][0]["name"] == BIDI


def test_the_check_diff_escapes_bidi_controls_and_line_separators(tmp_path, capsys):
    config = tmp_path / "config.yml"
    config.write_text(f"committed {BIDI} line\n\tindented\n", encoding="utf-8")
    code = main(["check", str(ROOT / "profiles" / "ci-cd-example.yaml"), "--config", str(config)])
    assert code == 1
    out = capsys.readouterr().out
    for char in "\u202e\u2066\u2028\u2029":
        assert char not in out
    assert "-committed x\\u202ey\\u2066z\\u2028" in out
    assert "-\tindented" in out  # tabs of the committed file stay tabs
