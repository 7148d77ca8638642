"""What `ciconf lint` prints is bounded and inert: findings capped per rule, control characters
escaped, long names cut. A config comes from anyone's pull request. (Asked in-process,
conftest.ciconf_in_process: what ciconf prints is the point.)"""

from __future__ import annotations

import json
import re

from ciconf.lint.findings import CAP
from tests.conftest import ciconf_in_process

LINE = re.compile(r"config\.yml:\d+:\d+: (CC\d{3}) \S")


def write(tmp_path, text: str):
    config = tmp_path / "config.yml"
    config.write_text(text, encoding="utf-8")
    return config


def undefined_jobs(count: int) -> str:
    jobs = "".join(f"      - missing{number}\n" for number in range(count))
    return (
        "version: 2.1\njobs:\n  b: {docker: [{image: cimg/base:stable}], steps: "
        "[checkout]}\nworkflows:\n  w:\n    jobs:\n" + jobs
    )


def test_a_forged_finding_line_in_a_job_name_stays_inside_one_escaped_line(tmp_path):
    config = write(
        tmp_path,
        "version: 2.1\njobs:\n  b: {docker: [{image: cimg/base:stable}], steps: [checkout]}\n"
        "workflows:\n  w:\n    jobs:\n"
        '      - "deploy\\n x.yml:1:1: CC000 forged\\e[2J"\n'
        "      - b:\n"
        '          name: "b\\r\\n x.yml:1:1: CC000 forged"\n'
        '          requires: ["\\n x.yml:1:1: CC000 forged\\u202e"]\n',
    )
    text = ciconf_in_process("lint", config.name, cwd=tmp_path)
    as_json = json.loads(
        ciconf_in_process("lint", "--format", "json", config.name, cwd=tmp_path).stdout
    )
    assert text.returncode == 1
    lines = text.stdout.splitlines()
    assert len(lines) == len(as_json) == 2  # CC101 and CC102: exactly one line per finding
    assert all(LINE.match(line) for line in lines), lines
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u202e]", text.stdout)
    assert "CC102 workflow 'w' runs job 'deploy\\n x.yml:1:1: CC000 forged\\x1b[2J'" in lines[0]
    assert (
        "CC101 job 'b\\r\\n x.yml:1:1: CC000 forged' requires '\\n x.yml:1:1: CC000 forged\\u202e'"
        in lines[1]
    )
    assert [finding["message"] for finding in as_json] == [line.split(" ", 2)[2] for line in lines]


def test_findings_are_capped_per_rule_with_one_summary_line(tmp_path):
    config = write(tmp_path, undefined_jobs(CAP + 70))
    result = ciconf_in_process("lint", config.name, cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == CAP + 1
    assert all(" CC102 workflow 'w' runs job 'missing" in line for line in lines[:CAP])
    assert lines[CAP] == (
        f"config.yml:{7 + CAP}:9: CC102 ... and 70 more CC102 findings in this file (only "
        f"the first {CAP} of "
        "each rule are shown)"
    )


def test_json_summary_carries_the_omitted_count(tmp_path):
    config = write(tmp_path, undefined_jobs(CAP + 3))
    findings = json.loads(
        ciconf_in_process("lint", "--format", "json", config.name, cwd=tmp_path).stdout
    )
    assert len(findings) == CAP + 1
    assert [finding.get("omitted") for finding in findings] == [None] * CAP + [3]
    assert set(findings[-1]) == {"path", "line", "column", "rule", "message", "omitted"}
    assert findings[-1]["message"].startswith("... and 3 more CC102 findings")


def test_no_summary_when_exactly_the_cap(tmp_path):
    config = write(tmp_path, undefined_jobs(CAP))
    lines = ciconf_in_process("lint", config.name, cwd=tmp_path).stdout.splitlines()
    assert len(lines) == CAP and "more CC102" not in lines[-1]


def test_huge_names_are_cut_before_they_are_quoted(tmp_path):
    name = "n" * 200_000
    config = write(
        tmp_path, f"version: 2.1\nworkflows:\n  w:\n    jobs:\n      - {name}\n      - b{name}\n"
    )
    result = ciconf_in_process("lint", config.name, cwd=tmp_path)
    assert result.returncode == 1
    assert 0 < len(result.stdout) < 2000
    assert "'nnnnnnnnnn" in result.stdout and "...'" in result.stdout


def test_schema_findings_stop_after_the_cap_on_a_huge_invalid_config(tmp_path):
    jobs = "".join(
        f"  j{number}:\n    docker: [{{image: x}}]\n    stepz: [checkout]\n"
        for number in range(400)
    )
    config = write(tmp_path, "version: 2.1\njobs:\n" + jobs)
    findings = json.loads(
        ciconf_in_process("lint", "--format", "json", config.name, cwd=tmp_path).stdout
    )
    schema = [finding for finding in findings if finding["rule"] == "CC001"]
    assert len(schema) == CAP + 1
    assert schema[-1]["stopped"] is True and schema[-1]["omitted"] >= 1
    assert (
        schema[-1]["message"]
        == f"... and more CC001 findings in this file (the rule stops after the first {CAP})"
    )
