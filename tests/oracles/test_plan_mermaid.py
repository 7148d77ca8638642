"""`ciconf plan --format mermaid` emits valid Mermaid flowcharts.

Two checks: a grammar check of the subset ciconf emits (always runs), and, when the real `mermaid`
npm package is installed (CICONF_MERMAID_DIR names the folder holding its node_modules; .ci/run
installs it there), Mermaid's own parser on the same diagrams.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest
from conftest import FIXTURES, every_valid_profile

from ciconf.plan.mermaid import format_mermaid, label
from ciconf.plan.run import PlanRequest, build_plan

PLAN = FIXTURES / "plan"
HOSTILE_NAMES = [
    'say "hi"',
    "a#b;c",
    "<b>bold</b>",
    "x & y",
    "`tick`",
    "end",
    "a]b",
    "c --> d",
    "naïve ✓",
    "{{x}}",
]

# the subset of flowchart syntax ciconf writes; labels are quoted and free of raw syntax characters
LABEL = r'"(?:[^"#<>&`\x00-\x1f]|#(?:quot|lt|gt|amp|\d+);)*"'
NODE_ID = r"[a-z][a-z0-9]*"
LINE_FORMS = {
    "header": re.compile(r"flowchart LR"),
    "subgraph": re.compile(rf"  subgraph ({NODE_ID})\[{LABEL}\]"),
    "end": re.compile(r"  end"),
    "node": re.compile(rf"    ({NODE_ID})(?:\[{LABEL}\]|\{{\{{{LABEL}\}}\}}|\[\({LABEL}\)\])"),
    "edge": re.compile(rf"\s{{2,4}}({NODE_ID}) (?:-->|-- {LABEL} -->) ({NODE_ID})"),
    "classdef": re.compile(r"  classDef [a-z]+ [a-z-]+:[#0-9a-z ]+(?:,[a-z-]+:[#0-9a-z ]+)*"),
    "class": re.compile(rf"  class ({NODE_ID}(?:,{NODE_ID})*) [a-z]+"),
}


def grammar_problems(text: str) -> list[str]:
    lines = text.splitlines()
    problems, nodes, depth = [], set(), 0
    if lines[:1] != ["flowchart LR"]:
        problems.append("does not start with 'flowchart LR'")
    for number, line in enumerate(lines[1:], 2):
        kind = next((kind for kind, form in LINE_FORMS.items() if form.fullmatch(line)), None)
        if kind is None or kind == "header":
            problems.append(f"line {number}: not in the emitted grammar: {line!r}")
            continue
        match = LINE_FORMS[kind].fullmatch(line)
        if kind == "subgraph":
            depth += 1
        elif kind == "end":
            depth -= 1
            if depth < 0:
                problems.append(f"line {number}: 'end' without a subgraph")
        elif kind == "node":
            nodes.add(match.group(1))
        elif kind == "edge":
            problems += [
                f"line {number}: edge to undeclared node {node}"
                for node in match.groups()
                if node not in nodes
            ]
        elif kind == "class":
            problems += [
                f"line {number}: class on undeclared node {node}"
                for node in match.group(1).split(",")
                if node not in nodes
            ]
        if kind in ("node", "subgraph") and match.group(1) == "end":
            problems.append(f"line {number}: 'end' used as an id")
    if depth:
        problems.append("unbalanced subgraph/end")
    return problems


def hostile_config(tmp_path):
    entries = "\n".join(
        f"      - step:\n          name: {json.dumps(name)}\n          context: {json.dumps(name)}"
        for name in HOSTILE_NAMES
    )
    path = tmp_path / "hostile.yml"
    path.write_text(
        "version: 2.1\njobs:\n  step: {docker: [{image: cimg/base:stable}], steps: [checkout]}\n"
        f'workflows:\n  "wf \\"q\\" #1":\n    jobs:\n{entries}\n      - step:\n          '
        "name: last\n"
        f"          type: approval\n          requires: {json.dumps(HOSTILE_NAMES)}\n"
    )
    return path


@pytest.fixture(scope="module")
def all_diagrams(tmp_path_factory) -> dict[str, str]:
    return diagrams(tmp_path_factory.mktemp("hostile"))


def diagrams(tmp_path) -> dict[str, str]:
    found = {}
    for profile in every_valid_profile():
        for branch in ("main", "master", "develop"):
            found[f"{profile.name} {branch}"] = format_mermaid(
                build_plan(PlanRequest(str(profile), None, branch, None, ()))
            )
    for config in sorted(PLAN.glob("*.yml")):
        found[f"{config.name} main"] = format_mermaid(
            build_plan(PlanRequest(None, str(config), "main", None, ()))
        )
        found[f"{config.name} v1.4.0"] = format_mermaid(
            build_plan(PlanRequest(None, str(config), None, "v1.4.0", ()))
        )
    found["hostile"] = format_mermaid(
        build_plan(PlanRequest(None, str(hostile_config(tmp_path)), "main", None, ()))
    )
    return found


def test_labels_escape_every_syntax_character():
    assert label('a "b" #c <d> & `e`') == '"a #quot;b#quot; #35;c #lt;d#gt; #amp; #96;e#96;"'
    assert label("line\nbreak") == '"line\\nbreak"'


def test_the_grammar_check_catches_broken_diagrams():
    assert grammar_problems('flowchart LR\n    a["x"]\n  a --> b\n') == [
        "line 3: edge to undeclared node b"
    ]
    assert grammar_problems('flowchart LR\n    a["say "hi""]\n')
    assert grammar_problems('flowchart LR\n  subgraph w["w"]\n')


def test_every_diagram_is_in_the_emitted_grammar(all_diagrams):
    for name, text in all_diagrams.items():
        assert grammar_problems(text) == [], name


def test_hostile_names_stay_inside_their_labels(tmp_path):
    text = format_mermaid(
        build_plan(PlanRequest(None, str(hostile_config(tmp_path)), "main", None, ()))
    )
    assert "{{" + label("last (approval)") + "}}" in text
    assert '"say #quot;hi#quot;"' in text and "<b>" not in text


def test_approvals_are_hexagons_and_skipped_jobs_are_greyed():
    text = format_mermaid(
        build_plan(PlanRequest(None, str(PLAN / "release.yml"), "main", None, ()))
    )
    assert '    w0j4{{"hold (approval)"}}' in text
    assert "  class w0j4,w0j5,w0j6 skipped" in text  # hold, push-image, publish on a branch push


def test_profiles_draw_each_account_pipeline():
    text = format_mermaid(
        build_plan(
            PlanRequest(
                str(FIXTURES.parent.parent / "profiles" / "ci-cd-example.yaml"),
                None,
                "master",
                None,
                (),
            ),
        )
    )
    assert '    a1ecr[("ECR nginx, web")]' in text
    assert "    a1cb --> a1ok" in text and "    a1ok --> a1ecs" in text  # prod's pipeline approval
    assert '  w0j3 -- "commit tag + prod" --> a1ecr' in text
    assert "  class a1ecr,a1cb,a1ok,a1ecs aws" in text


MERMAID_DIR = os.environ.get("CICONF_MERMAID_DIR")


@pytest.mark.skipif(
    not MERMAID_DIR or not shutil.which("node"),
    reason="CICONF_MERMAID_DIR (npm mermaid + jsdom) not set",
)
def test_mermaid_itself_parses_every_diagram(all_diagrams):
    found = all_diagrams
    names = [*list(found), "broken on purpose"]
    texts = [*list(found.values()), 'flowchart LR\n  a["x"] --> b[[[\n']
    done = subprocess.run(
        ["node", str(PLAN / "mermaid_parse.mjs"), MERMAID_DIR],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    results = dict(zip(names, json.loads(done.stdout), strict=True))
    assert results.pop("broken on purpose")["ok"] is False  # the parser does reject bad input
    assert {name: result for name, result in results.items() if not result["ok"]} == {}
    assert {result["type"] for result in results.values()} == {"flowchart-v2"}
