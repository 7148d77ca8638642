"""`ciconf lint` on generated hostile and large configs: each linted in bounded time (target 2 s,
see BOUND_SECONDS) with a bounded output. The configs are benchmarks/bench.py's (`lint_configs`),
among them the 372-byte ReDoS input of issue 9, 100 KB of `<<<`, 2,000 undefined jobs, 2,000 jobs
x 40 requires and 1 MB inputs.

The configs are linted one after another in one subprocess (one interpreter start and one
generation of the configs instead of one per config), which reports each config's figures as it
finishes it; a config that takes longer than TIMEOUT_SECONDS ends the subprocess, so a regression
to exponential or quadratic work fails here, naming the config, instead of hanging the suite. The
bound is on the CPU seconds of the lint itself (interpreter start and imports excluded), best of up
to three runs: the development machine is shared, and wall time there says more about the
neighbours than about ciconf. The figures for a whole process are printed by the benchmark.
"""

from __future__ import annotations

import importlib.util
import json
import queue
import subprocess
import sys
import tempfile
import threading

import pytest

from tests.conftest import ROOT, cli_env, once_per_run

# The target is 2 s for any config under the 2 MiB limit; the benchmark (`bench.py --lint-only`)
# prints that verdict. The biggest generated configs take 1.4-1.6 CPU seconds on a quiet machine,
# so this test allows 3 s: it fails for a regression to super-linear work (which takes minutes on
# these inputs), not for a neighbour on a shared core.
BOUND_SECONDS = 3.0
MAX_OUTPUT = 100_000  # bytes of text output for one file, whatever the config


def load_bench():
    spec = importlib.util.spec_from_file_location("bench", ROOT / "benchmarks" / "bench.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


CONFIGS = load_bench().lint_configs()

TIMEOUT_SECONDS = 120  # for one config: what the subprocess per config was allowed

MEASURE = """
import importlib.util, json, sys, time
spec = importlib.util.spec_from_file_location("bench", sys.argv[1])
bench = importlib.util.module_from_spec(spec)
sys.modules["bench"] = bench
spec.loader.exec_module(bench)
from ciconf.errors import InputError
from ciconf.lint.findings import as_text
from ciconf.lint.runner import lint_text
from ciconf.lint.schema import circleci_validator

circleci_validator()  # built once per process in real use too
configs = bench.lint_configs()
for name in sys.argv[2:]:
    print(json.dumps({"started": name}), flush=True)
    times, findings, refused = [], [], None
    for _ in range(3):
        start = time.process_time()
        try:
            findings = lint_text(configs[name], "x.yml", "circleci")
        except InputError as error:
            refused = str(error)
        times.append(time.process_time() - start)
        if times[-1] < %(bound)r:
            break
    rules = {}
    for finding in findings:
        rules[finding.rule] = {"shown": rules.get(finding.rule, {}).get("shown", 0) + 1, "last_omitted": finding.omitted}
    print(json.dumps({"name": name, "cpu": min(times), "count": len(findings), "output": len(as_text(findings)), "refused": refused, "rules": rules}), flush=True)
"""  # noqa: E501 - a script run in a subprocess, kept on one line per statement


def measure_all(names: list[str]) -> dict[str, dict]:
    """Each config's figures, linted in turn by one subprocess; a config it did not finish within
    TIMEOUT_SECONDS, or died on, maps to the reason instead."""
    script = MEASURE % {"bound": BOUND_SECONDS}
    with tempfile.TemporaryFile("w+") as errors:  # a file: a full stderr pipe could stall the lint
        process = subprocess.Popen(
            [sys.executable, "-c", script, str(ROOT / "benchmarks" / "bench.py"), *names],
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            env=cli_env(),
            cwd=ROOT,
        )
        measured, current = _collect(process)
        process.wait()
        errors.seek(0)
        if process.returncode != 0 and current not in measured:
            measured[current] = {"failed": f"exit {process.returncode}: {errors.read()}"}
    return measured


def _collect(process: subprocess.Popen) -> tuple[dict[str, dict], str]:
    """The figures the subprocess printed, and the config it was on when it stopped."""
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_forward, args=(process.stdout, lines), daemon=True).start()
    measured: dict[str, dict] = {}
    current = "(start-up)"
    try:
        while (line := lines.get(timeout=TIMEOUT_SECONDS)) is not None:
            report = json.loads(line)
            if "started" in report:
                current = report["started"]
            else:
                measured[report.pop("name")] = report
    except queue.Empty:
        process.kill()
        measured[current] = {"failed": f"no result within {TIMEOUT_SECONDS} s"}
    return measured, current


def _forward(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


@pytest.fixture(scope="module")
def measured(tmp_path_factory) -> dict[str, dict]:
    return once_per_run(tmp_path_factory, "lint-hostile", lambda: measure_all(sorted(CONFIGS)))


def measure(measured: dict[str, dict], name: str) -> dict:
    assert name in measured, f"{name} was not reached: {measured}"
    assert "failed" not in measured[name], measured[name]
    return measured[name]


def test_generated_configs_are_under_the_input_limit():
    assert all(len(text.encode()) < 2 * 1024 * 1024 for text in CONFIGS.values())
    assert len(CONFIGS["redos-372-bytes"]) < 500


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_hostile_config_is_linted_fast_with_bounded_output(measured, name):
    figures = measure(measured, name)
    assert figures["refused"] is None, figures["refused"]
    assert figures["cpu"] < BOUND_SECONDS, figures
    assert figures["output"] < MAX_OUTPUT, figures


@pytest.mark.parametrize(
    "name, rule, count",
    [
        ("redos-372-bytes", "CC101", 1),  # the template does not fill to 40 dashes: a true finding
        ("2000-undefined-jobs", "CC102", 2000),
        ("2000x40-unknown-requires", "CC101", 80_000),
        ("4000-job-cycle", "CC103", 1),
        ("4000-job-tag-chain", "CC106", 3999),
        ("1mb-environment-line", "CC203", 80_000),
    ],
)
def test_hostile_configs_get_their_true_findings_counted(measured, name, rule, count):
    # lint_text's findings of this config, as the measuring subprocess counted them per rule
    findings = measure(measured, name)["rules"][rule]
    shown = min(count, 50)
    assert findings["shown"] == shown + (count > shown)
    if count > shown:
        assert findings["last_omitted"] == count - shown


def test_the_cli_prints_a_few_kilobytes_for_eighty_thousand_findings(tmp_path):
    config = tmp_path / "config.yml"
    config.write_text(CONFIGS["2000x40-unknown-requires"])
    result = subprocess.run(
        [sys.executable, "-m", "ciconf", "lint", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        env=cli_env(),
    )
    assert result.returncode == 1
    assert len(result.stdout) < 20_000
    assert result.stdout.splitlines()[-1].endswith(
        "... and 79950 more CC101 findings in this file (only the first 50 of each rule are shown)"
    )
