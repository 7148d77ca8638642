"""Benchmark ciconf against its targets (issue 5) and print one verdict line per target.

    python benchmarks/bench.py            # full run, ~1-2 minutes
    python benchmarks/bench.py --quick    # one repetition, to see that everything still runs

Every timing is the wall-clock time of a whole fresh process (interpreter start-up included),
because that is what a pre-commit hook pays. Commands are run round-robin, one repetition of each
per round, so machine noise hits all sides alike; the table shows medians. Inputs are built in a
temporary directory; nothing is installed and nothing in the repository is written.

Definitions:
- check ratio: median(`ciconf check` on the example) / median(`check-jsonschema
  --builtin-schema vendor.circle-ci` on the same config). Both run with this interpreter. ciconf
  remembers the digest of what it rendered (ciconf/cache.py, in a temporary folder here), so a
  repeated check on unchanged inputs, the pre-commit case, renders nothing; the cold figure
  (CICONF_NO_CACHE=1, a full render every time) is printed for information, and so is the cached
  check parsed by the typer app instead of ciconf/entry.py's generated table (why the fast path
  exists).
- lint ratio: the same for `ciconf lint` on the same config, when that command exists.
- render: `ciconf render --stdout` (the CircleCI config) of a generated profile with N images and
  4 accounts; `render -o`, which also writes each account's bootstrap stack (N repositories
  each), is printed for information.
- peak memory: max RSS of one `ciconf render` child, read with getrusage(RUSAGE_CHILDREN)
  in a fresh wrapper process per measurement.
- lint on large configs: wall time of a whole `ciconf lint` process on each generated config of
  `lint_configs` (hostile inputs of issue 9 and 1-2 MB configs); the target is the slowest one.
- compactness: bytes of the rendered (anchored) example config divided by bytes of the same
  config with every alias expanded: loaded with PyYAML (aliases and merge keys resolved) and
  written again by ciconf's emitter without anchors (same quoting, literal blocks, header and
  blank lines), so only the anchoring differs. The table also shows a stricter figure, for
  information: the expanded config without its `anchors:` section, i.e. what one would write
  by hand without anchors at all.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "profiles" / "ci-cd-example.yaml"
ACCOUNTS = ("stg", "qa", "perf", "prod")
BIG_IMAGES = (500, 1000)

CHECK_RATIO_MAX = 0.5
LINT_RATIO_MAX = 0.8
RENDER_SECONDS_MAX = 1.0
RENDER_GROWTH_MAX = 2.2
PEAK_MB_MAX = 150
COMPACTNESS_MAX = 0.6


# --- inputs ---------------------------------------------------------------------------------------


def big_profile(images: int, accounts: tuple[str, ...] = ACCOUNTS) -> str:
    """A valid profile with `images` images and env-indirection credentials for each account."""
    lines = [
        "project: bench",
        "test:",
        "  image: cimg/python:3.12",
        "  command: make test",
        "delivery:",
        "  region: ap-northeast-1",
        "  images:",
    ]
    for number in range(images):
        lines += [
            f"    - repository: team/service-{number:04d}",
            f"      dockerfile: services/{number:04d}/Dockerfile",
            f"      context: services/{number:04d}",
        ]
    lines.append("accounts:")
    for name in accounts:
        upper = name.upper()
        lines += [
            f"  - name: {name}",
            f"    branch: release/{name}",
            "    credentials:",
            "      mode: env-indirection",
            f"      account_id_var: AWS_{upper}_ACCOUNT_ID",
            f"      access_key_var: AWS_{upper}_ACCESS_KEY",
            f"      secret_key_var: AWS_{upper}_SECRET_KEY",
        ]
    return "\n".join(lines) + "\n"


def build_inputs(directory: Path) -> dict[str, Path]:
    """Write the example profile and the generated ones into `directory`; return their paths."""
    paths = {"example": directory / "example.yaml"}
    shutil.copyfile(EXAMPLE, paths["example"])
    for images in BIG_IMAGES:
        paths[f"big{images}"] = directory / f"big{images}.yaml"
        paths[f"big{images}"].write_text(big_profile(images), encoding="utf-8")
    paths["stacks-max"] = directory / "stacks-max.yaml"
    paths["stacks-max"].write_text(big_profile(STACK_IMAGES_MAX), encoding="utf-8")
    return paths


# --- lint on large and hostile configs ------------------------------------------------------------
# `ciconf lint` runs in CI on anyone's pull request: every config under the 2 MiB input limit must
# be linted in LINT_SECONDS_MAX. tests/acceptance/test_lint_hostile.py runs the same generated
# configs.

LINT_SECONDS_MAX = 2.0
_JOB = "    docker: [{image: cimg/base:stable}]\n    steps: [checkout]\n"


def _workflow(entries: list[str], jobs: str = "  b:\n" + _JOB, head: str = "") -> str:
    return (
        "version: 2.1\n"
        + head
        + "jobs:\n"
        + jobs
        + "workflows:\n  w:\n    jobs:\n"
        + "".join(entries)
    )


def lint_configs() -> dict[str, str]:
    """Name -> config text: the inputs of issue 9 that were slow, and more of the same kind."""
    templated = "-".join(["<< matrix.a >>"] * 14) + "x"  # a backtracking regex needs ~2^40 steps
    angles = "<" * 100_000
    configs = {
        "redos-372-bytes": _workflow(
            [
                f'      - b:\n          name: "{templated}"\n          matrix: '
                f"{{parameters: {{a: ['1']}}}}\n",
                "      - b:\n          name: c\n          requires: ['" + "-" * 40 + "']\n",
            ]
        ),
        "100kb-of-angle-brackets": _workflow(
            [
                f"      - b:\n          name: '{angles}'\n          requires: ['{angles}']\n",
                f"      - '{angles}/x'\n",
            ]
        ),
        "2000-undefined-jobs": _workflow(
            [f"      - k{number:05d}\n" for number in range(2000)],
            jobs="".join(f"  j{number:05d}:\n" + _JOB for number in range(2000)),
        ),
        "2000x40-unknown-requires": _workflow(
            [
                f"      - b:\n          name: b{number:05d}\n          requires: "
                f"[{', '.join(f'x{number:05d}-{k}' for k in range(40))}]\n"
                for number in range(2000)
            ]
        ),
        "2000x40-requires": _workflow(
            [
                f"      - b:\n          name: b{number:05d}\n          requires: "
                f"[{', '.join(f'b{(number + k + 1) % 2000:05d}' for k in range(40))}]\n"
                for number in range(2000)
            ]
        ),
        "2000-matrix-templates": _workflow(
            [
                f"      - b:\n          name: t{number}-<< matrix.a >>-<< matrix.b "
                f">>\n          matrix: {{parameters: {{a: ['1'], b: ['2']}}}}\n"
                for number in range(2000)
            ]
            + [
                f"      - b:\n          name: r{number}\n          requires: "
                f"[t{number % 7}-1-x-{number}]\n"
                for number in range(2000)
            ]
        ),
        "1mb-shell-line": _workflow(
            [],
            jobs="  b:\n    docker: [{image: cimg/base:stable}]\n    steps:\n      - run: '"
            + "aws " * 250_000
            + "'\n",
        ),
        "1mb-environment-line": _workflow(
            [],
            jobs="  b:\n"
            + _JOB
            + "    environment: {"
            + ", ".join(f"A{number}: yes" for number in range(80_000))
            + "}\n",
        ),
        "8000-schema-errors": "version: 2.1\njobs:\n"
        + "".join(
            f"  j{number}:\n    docker: [{{image: x}}]\n    stepz: [checkout]\n"
            for number in range(8000)
        ),
        "25000-undeclared-parameters": _workflow(
            [],
            jobs="  b:\n"
            + _JOB
            + "    environment:\n"
            + "".join(
                f"      V{n}: << parameters.p{n} >> << pipeline.parameters.q{n} >>\n"
                for n in range(25_000)
            ),
        ),
        "4000-job-tag-chain": _workflow(
            ["      - b:\n          name: n0\n"]
            + [
                f"      - b:\n          name: n{number}\n          requires: "
                f"[n{number - 1}]\n          filters: {{tags: {{only: /.*/}}}}\n"
                for number in range(1, 4000)
            ]
        ),
        "4000-job-cycle": _workflow(
            [
                f"      - b:\n          name: c{number}\n          requires: "
                f"[c{(number + 1) % 4000}]\n"
                for number in range(4000)
            ]
        ),
        "10000-aliased-images": "version: 2.1\nreferences:\n  img: &img {image: "
        "'circleci/python:3'}\njobs:\n"
        + "".join(
            f"  j{number}:\n    docker: [*img]\n    steps: [checkout]\n" for number in range(10_000)
        ),
        "forged-finding-lines": _workflow(
            [
                '      - b:\n          name: "x\\n x.yml:1:1: CC000 '
                'forged\\e[31m"\n          requires: ["\\n x.yml:1:1: CC000 forged"]\n'
            ]
        ),
    }
    return configs


# --- running --------------------------------------------------------------------------------------


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


TYPER_CHECK = "import sys; from ciconf.cli import main; sys.exit(main(sys.argv[1:]))"


def ciconf(*args: str) -> list[str]:
    return [sys.executable, "-m", "ciconf", *args]


def check_jsonschema(config: str) -> list[str] | None:
    """check-jsonschema run by this interpreter (no pyenv shim in front), or None if missing."""
    script = Path(sysconfig.get_path("scripts")) / "check-jsonschema"
    if script.exists():
        return [sys.executable, str(script), "--builtin-schema", "vendor.circle-ci", config]
    found = shutil.which("check-jsonschema")
    return [found, "--builtin-schema", "vendor.circle-ci", config] if found else None


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, env=child_env(), capture_output=True, text=True)


def timed(command: list[str], cwd: Path) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of the child, exit code) for one run of `command`."""
    start = time.perf_counter()
    child = subprocess.Popen(
        command, cwd=cwd, env=child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, child.returncode


_PEAK_RSS = (
    "import resource, subprocess, sys\n"
    "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def peak_rss_mb(command: list[str], cwd: Path) -> float:
    """Max RSS of `command`, measured from a fresh wrapper so no earlier child counts."""
    out = subprocess.run(
        [sys.executable, "-c", _PEAK_RSS, *command],
        cwd=cwd,
        env=child_env(),
        capture_output=True,
        text=True,
    )
    return int(out.stdout.split()[-1]) / 1024  # Linux reports KiB


@dataclass
class Case:
    label: str
    command: list[str]
    ok_codes: tuple[int, ...] = (0,)


def measure(cases: list[Case], cwd: Path, rounds: int) -> tuple[dict[str, float], dict[str, float]]:
    """Median wall and CPU seconds per case; one run of every case per round, after a warm-up
    round."""
    walls: dict[str, list[float]] = {case.label: [] for case in cases}
    cpus: dict[str, list[float]] = {case.label: [] for case in cases}
    for number in range(rounds + 1):
        for case in cases:
            wall, cpu, code = timed(case.command, cwd)
            if code not in case.ok_codes:
                raise SystemExit(f"bench: {case.label} exited {code}: {' '.join(case.command)}")
            if number:  # round 0 warms the disk cache and writes .pyc files
                walls[case.label].append(wall)
                cpus[case.label].append(cpu)
    return _medians(walls), _medians(cpus)


def _medians(samples: dict[str, list[float]]) -> dict[str, float]:
    return {label: statistics.median(values) for label, values in samples.items()}


# --- the measurements -----------------------------------------------------------------------------


def lint_case(config: str, cwd: Path) -> Case | None:
    """`ciconf lint` on the config, if this checkout has the command."""
    help_text = run(ciconf("lint", "--help"), cwd)
    if help_text.returncode != 0:
        return None
    args = ["--config", config] if "--config" in help_text.stdout else [config]
    return Case("ciconf lint", ciconf("lint", *args), ok_codes=(0, 1))


def lint_scaling(cwd: Path, rounds: int) -> dict[str, tuple[int, float, float]]:
    """Name -> (bytes, median wall s, median CPU s) of a whole `ciconf lint` process on each
    generated config of `lint_configs` (exit 1, findings, is expected)."""
    results = {}
    for name, text in lint_configs().items():
        path = cwd / f"lint-{name}.yml"
        path.write_text(text, encoding="utf-8")
        walls, cpus = [], []
        for _ in range(rounds):
            wall, cpu, code = timed(ciconf("lint", path.name), cwd)
            if code not in (0, 1):
                raise SystemExit(f"bench: ciconf lint exited {code} on {name}")
            walls.append(wall)
            cpus.append(cpu)
        results[name] = (len(text.encode()), statistics.median(walls), statistics.median(cpus))
    return results


def print_lint_scaling(results: dict[str, tuple[int, float, float]]) -> Verdict:
    print(
        f"{'ciconf lint on':<30}{'bytes':>10}{'wall s':>9}{'cpu s':>8}   (whole process, medians)"
    )
    for name, (size, wall, cpu) in results.items():
        print(f"{name:<30}{size:>10}{wall:>9.3f}{cpu:>8.3f}")
    worst = max(results, key=lambda name: results[name][1])
    wall = results[worst][1]
    return Verdict(
        f"lint any generated config < {LINT_SECONDS_MAX} s",
        f"{wall:.2f} s ({worst})",
        wall < LINT_SECONDS_MAX,
    )


def compactness(config: Path) -> tuple[int, int, int]:
    """Bytes of a rendered config: as written, expanded, expanded without `anchors:`."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import yaml

    from ciconf.yamlkit.emit import dump

    text = config.read_text(encoding="utf-8")
    header = [line[2:] for line in text.splitlines() if line.startswith("# ")]

    def expanded_bytes(data: dict) -> int:
        unshared = json.loads(json.dumps(data))  # aliases load as shared objects; copy them apart
        return len(dump(unshared, header=header, spacing=(0, 1)).encode())

    data = yaml.safe_load(text)
    without_section = {key: value for key, value in data.items() if key != "anchors"}
    return len(text.encode()), expanded_bytes(data), expanded_bytes(without_section)


@dataclass
class Verdict:
    name: str
    value: str
    met: bool | None  # None: could not be measured
    target: bool = True  # False: a figure printed for information

    def line(self) -> str:
        if not self.target:
            return f"{self.name}: {self.value} (for information)"
        state = "not measured" if self.met is None else "met" if self.met else "not met"
        return f"{self.name}: {self.value} -> {state}"


# The push permissions name each repository ARN in the delivery policy (IAM's 6,144-character
# managed-policy quota, ciconf/cloudformation/policy_size.py): 75 images of `big_profile`'s names is
# the largest stack ciconf accepts, so the stack-writing series stop there.
STACK_IMAGES_MAX = 75
SCALING_IMAGES = (10, 25, 50, STACK_IMAGES_MAX)
WITH_STACKS = f"ciconf render {STACK_IMAGES_MAX}x4 + 4 stacks"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--rounds", type=int, default=11, help="timed repetitions per command (default 11)"
    )
    parser.add_argument("--quick", action="store_true", help="one repetition, for a smoke test")
    parser.add_argument(
        "--lint-only", action="store_true", help="only `ciconf lint` on the generated large configs"
    )
    parser.add_argument(
        "--release-only",
        action="store_true",
        help="only the release targets (issue 21 §4, issue 17 §5: compiled, CPU, min of >= 7)",
    )
    options = parser.parse_args(argv)
    rounds = 1 if options.quick else max(1, options.rounds)
    if options.release_only:
        with tempfile.TemporaryDirectory(prefix="ciconf-bench-") as temporary:
            for verdict in release_targets(Path(temporary), 1 if options.quick else 7):
                print(verdict.line())
        return 0
    lint_rounds = 1 if options.quick else 3
    if options.lint_only:
        with tempfile.TemporaryDirectory(prefix="ciconf-bench-") as temporary:
            print(print_lint_scaling(lint_scaling(Path(temporary), lint_rounds)).line())
        return 0

    with tempfile.TemporaryDirectory(prefix="ciconf-bench-") as temporary:
        cwd = Path(temporary)
        os.environ["CICONF_CACHE_DIR"] = str(
            cwd / "cache"
        )  # children inherit it; ~/.cache stays clean
        build_inputs(cwd)
        config = "example.config.yml"
        if run(ciconf("render", "example.yaml", "-o", config), cwd).returncode != 0:
            raise SystemExit("bench: could not render the example profile")

        startup = [
            Case("python -c pass", [sys.executable, "-c", "pass"]),
            Case("ciconf check", ciconf("check", "example.yaml", "--config", config)),
            # the first check after the profile or ciconf changed renders (ciconf/cache.py)
            Case(
                "ciconf check (cold)",
                ["env", "CICONF_NO_CACHE=1", *ciconf("check", "example.yaml", "--config", config)],
            ),
            # the same cached check parsed by the typer app instead of ciconf/entry.py's table
            Case(
                "ciconf check (via typer)",
                [sys.executable, "-c", TYPER_CHECK, "check", "example.yaml", "--config", config],
            ),
        ]
        jsonschema_command = check_jsonschema(config)
        if jsonschema_command:
            startup.append(Case("check-jsonschema", jsonschema_command))
        lint = lint_case(config, cwd)
        if lint:
            startup.append(lint)
        # the CircleCI config alone (the target); `render -o` also writes every account's stacks
        renders = [
            Case(f"ciconf render {images}x4", ciconf("render", f"big{images}.yaml", "--stdout"))
            for images in BIG_IMAGES
        ]
        renders.append(
            Case(
                WITH_STACKS,
                ciconf("render", "stacks-max.yaml", "-o", "stacks-max.config.yml"),
            )
        )
        medians, cpu = measure(startup + renders, cwd, rounds)
        peak = max(peak_rss_mb(renders[0].command, cwd) for _ in range(1 if options.quick else 3))
        anchored, expanded, hand_written = compactness(cwd / config)
        scaling = lint_scaling(cwd, lint_rounds)

    baseline = medians.get("check-jsonschema"), cpu.get("check-jsonschema")
    print(
        f"{'command':<28}{'wall s':>8}{'ratio':>8}{'cpu s':>8}{'ratio':>8}   medians of "
        f"{rounds} rounds"
    )
    for label in medians:
        ratios = [
            f"{mine[label] / ref:>8.2f}" if ref else f"{'':>8}"
            for mine, ref in zip((medians, cpu), baseline, strict=True)
        ]
        print(f"{label:<28}{medians[label]:>8.3f}{ratios[0]}{cpu[label]:>8.3f}{ratios[1]}")
    print(
        "(ratio: to check-jsonschema; targets use wall time; cpu = user+sys of the child, "
        "less noisy)"
    )
    if not lint:
        print("lint: not available")
    print(f"{'peak RSS render 500x4':<28}{peak:>9.1f}M")
    print(
        f"{'example config bytes':<28}{anchored:>10}  (expanded: {expanded}; ratio "
        f"{anchored / expanded:.2f})"
    )
    print(
        f"{'  without anchors: section':<28}{hand_written:>10}  (stricter ratio "
        f"{anchored / hand_written:.2f})"
    )
    lint_verdict = print_lint_scaling(scaling)
    print()
    for verdict in verdicts(
        Measured(medians, peak, anchored, expanded, lint is not None, "check-jsonschema" in medians)
    ):
        print(verdict.line())
    print(lint_verdict.line())
    with tempfile.TemporaryDirectory(prefix="ciconf-bench-") as temporary:
        for verdict in release_targets(Path(temporary), 1 if options.quick else 7):
            print(verdict.line())
    return 0


@dataclass(frozen=True)
class Measured:
    """What one run measured: median seconds by command, peak RSS (MB) of render 500x4, the
    example config's anchored and expanded sizes, and which tools were there to run."""

    medians: dict[str, float]
    peak: float
    anchored: int
    expanded: int
    has_lint: bool
    has_reference: bool  # check-jsonschema, the yardstick of the ratios


def verdicts(measured: Measured) -> list[Verdict]:
    medians, peak = measured.medians, measured.peak
    anchored, expanded = measured.anchored, measured.expanded
    has_lint, has_reference = measured.has_lint, measured.has_reference
    reference = medians.get("check-jsonschema")
    small, big = (medians[f"ciconf render {images}x4"] for images in BIG_IMAGES)
    results = []
    for label, limit in (("ciconf check", CHECK_RATIO_MAX), ("ciconf lint", LINT_RATIO_MAX)):
        name = f"{label.split()[1]} <= {limit}x check-jsonschema"
        if label == "ciconf lint" and not has_lint:
            results.append(Verdict(name, "lint: not available", None))
        elif not has_reference:
            results.append(Verdict(name, "check-jsonschema not installed", None))
        else:
            ratio = medians[label] / reference
            results.append(Verdict(name, f"{ratio:.2f}x", ratio <= limit))
    if has_reference and "ciconf check (cold)" in medians:
        cold = medians["ciconf check (cold)"] / reference
        results.append(
            Verdict("check without the digest cache", f"{cold:.2f}x", None, target=False)
        )
    if has_reference and "ciconf check (via typer)" in medians:
        typer_ratio = medians["ciconf check (via typer)"] / reference
        results.append(
            Verdict(
                "check parsed by typer (no fast path)", f"{typer_ratio:.2f}x", None, target=False
            )
        )
    if WITH_STACKS in medians:
        results.append(Verdict(WITH_STACKS, f"{medians[WITH_STACKS]:.3f} s", None, target=False))
    results += [
        Verdict(
            f"render 500x4 < {RENDER_SECONDS_MAX} s", f"{small:.3f} s", small < RENDER_SECONDS_MAX
        ),
        Verdict(
            f"render 1000x4 / 500x4 <= {RENDER_GROWTH_MAX}",
            f"{big / small:.2f}x",
            big / small <= RENDER_GROWTH_MAX,
        ),
        Verdict(f"peak RSS render 500x4 < {PEAK_MB_MAX} MB", f"{peak:.1f} MB", peak < PEAK_MB_MAX),
        Verdict(
            f"compactness <= {COMPACTNESS_MAX}",
            f"{anchored / expanded:.2f}",
            anchored / expanded <= COMPACTNESS_MAX,
        ),
    ]
    return results


# --- release targets (issue 21 §4, issue 17 §5) ---------------------------------------------
# Measured the way users run ciconf: the package bytecode-compiled as an installed one has it (a
# copy of ciconf/ compiled in the temporary folder, so the repository gets no __pycache__), CPU
# time of the child (user+sys), the minimum of >= 7 side-by-side rounds.

PLAN_RATIO_MAX = 0.5  # plan on the example's config / check-jsonschema on the same file
HOOKS_RATIO_MAX = 0.5  # ciconf-check + ciconf-lint on an unchanged repository / check-jsonschema
COLD_CHECK_RATIO_MAX = 0.7  # check with an empty cache / check-jsonschema
# the two figures before issue 21 §4's work (main at 82428f8/1880238, this machine), printed
# beside today's: the brief's and a side-by-side run of this benchmark on that main
BEFORE = {
    "hook pair": "0.48-0.56x (brief), 0.37x (main, load 9-12)",
    "check, empty cache": "1.14x (brief), 0.85x (main, load 9-12)",
}
LINEAR_MAX = 2.1  # t(2N) / t(N) for plan and lint on 0.25-2 MiB configs
LARGE_SECONDS_MAX = 2.0  # plan and lint on a 2 MiB config
SIZES_MIB = (0.25, 0.5, 1.0, 2.0)


def compiled_copy(folder: Path) -> dict[str, str]:
    """An environment whose `ciconf` is a bytecode-compiled copy of this checkout's package."""
    import compileall

    shutil.copytree(
        ROOT / "ciconf", folder / "ciconf", ignore=shutil.ignore_patterns("__pycache__")
    )
    compileall.compile_dir(str(folder / "ciconf"), quiet=1)
    env = dict(os.environ)
    env["PYTHONPATH"] = str(folder)
    return env


_NOTE = "lorem ipsum " * 50  # long values: the size grows, not the count of YAML values


def sized_config(mib: float) -> str:
    """A CircleCI 2.1 config of about `mib` MiB: a chain of filtered jobs in one workflow."""
    jobs, entries, size, number = [], [], 0, 0
    while size < mib * 1_048_576 - 1024:  # just under the input limit at 2 MiB
        job = f"  j{number:06d}:\n" + _JOB + f"    environment: {{NOTE: '{_NOTE}'}}\n"
        entry = f"      - j{number:06d}:\n"
        if number:
            entry += f"          requires: [j{number - 1:06d}]\n"
        entry += "          filters: {branches: {only: [main, /^release\\/.*/]}}\n"
        jobs.append(job)
        entries.append(entry)
        size += len(job) + len(entry)
        number += 1
    return (
        "version: 2.1\njobs:\n" + "".join(jobs) + "workflows:\n  w:\n    jobs:\n" + "".join(entries)
    )


def cpu_min(
    commands: dict[str, list[list[str]]], cwd: Path, env: dict[str, str], rounds: int
) -> dict[str, float]:
    """Label -> min over rounds of the summed CPU seconds of its commands (run in turn)."""
    best: dict[str, float] = {}
    for number in range(rounds + 1):
        for label, sequence in commands.items():
            total = 0.0
            for command in sequence:
                child = subprocess.Popen(
                    command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
                _, status, usage = os.wait4(child.pid, 0)
                code = os.waitstatus_to_exitcode(status)
                if code not in (0, 1):
                    raise SystemExit(f"bench: {label} exited {code}: {' '.join(command)}")
                total += usage.ru_utime + usage.ru_stime
            if number:  # round 0 warms the disk cache and the digest cache
                best[label] = min(best.get(label, total), total)
    return best


PRE_COMMIT_CONFIG = """\
repos:
  - repo: local
    hooks:
      - id: ciconf-check
        name: ciconf check
        entry: {python} -m ciconf check
        language: system
        always_run: true
        pass_filenames: false
      - id: ciconf-lint
        name: ciconf lint
        entry: {python} -m ciconf lint
        language: system
        files: ^\\.circleci/config\\.yml$
"""
PRE_COMMIT_JSONSCHEMA = """\
repos:
  - repo: local
    hooks:
      - id: check-circle-ci
        name: check-jsonschema circle-ci
        entry: {check_jsonschema} --builtin-schema vendor.circle-ci
        language: system
        files: ^\\.circleci/config\\.yml$
"""


def prebuilt_state(repo: Path, env: dict[str, str]) -> str:
    """'current', or 'STALE' when ciconf/profile/_core_schema.py was generated from other model
    sources or versions (a cold check then pays pydantic's own build: regenerate it with
    CICONF_UPDATE_GOLDEN=1 pytest tests/acceptance/test_prebuilt_schema.py)."""
    probe = "from ciconf.profile.prebuilt import _current; print(_current() is not None)"
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=repo, env=env, capture_output=True, text=True
    ).stdout.strip()
    stale = "STALE (tests/acceptance/test_prebuilt_schema.py regenerates it)"
    return "current" if out == "True" else stale


def release_targets(folder: Path, rounds: int) -> list[Verdict]:
    """The figures and verdicts of issue 21 §4 and issue 17 §5."""
    env = compiled_copy(folder / "pkg")
    env["CICONF_CACHE_DIR"] = str(folder / "release-cache")
    repo = folder / "repo"
    (repo / ".circleci").mkdir(parents=True)
    shutil.copyfile(EXAMPLE, repo / "ciconf.yaml")
    py = [sys.executable, "-m", "ciconf"]
    subprocess.run([*py, "render", "-q"], cwd=repo, env=env, check=True)
    reference = check_jsonschema(".circleci/config.yml")
    if reference is None:
        return [Verdict("release targets", "check-jsonschema not installed", None)]
    commands = {
        "check-jsonschema": [reference],
        "plan (example config)": [
            [*py, "plan", "--config", ".circleci/config.yml", "--branch", "develop"]
        ],
        "hook pair (check + lint)": [[*py, "check"], [*py, "lint", ".circleci/config.yml"]],
        "check, empty cache": [["env", "CICONF_NO_CACHE=1", *py, "check"]],
        # the floor of any cold check: Python starting, pydantic imported and the profile's
        # models defined, before a byte of the profile is read
        "floor: import the models": [[sys.executable, "-c", "import ciconf.profile.models"]],
    }
    for mib in SIZES_MIB:
        name = f"large-{mib}.yml"
        (repo / name).write_text(sized_config(mib), encoding="utf-8")
        commands[f"plan {mib} MiB"] = [[*py, "plan", "--config", name, "--branch", "main"]]
        commands[f"lint {mib} MiB"] = [[*py, "lint", name]]
    for images in SCALING_IMAGES:
        (repo / f"scale{images}.yaml").write_text(big_profile(images), encoding="utf-8")
        subprocess.run(
            [
                *py,
                "render",
                "-q",
                f"scale{images}.yaml",
                "-o",
                f"scale{images}.yml",
                "--stacks-dir",
                f"stacks{images}",
            ],
            cwd=repo,
            env=env,
            check=True,
        )
        commands[f"cold check {images} images"] = [
            [
                "env",
                "CICONF_NO_CACHE=1",
                *py,
                "check",
                f"scale{images}.yaml",
                "-o",
                f"scale{images}.yml",
                "--stacks-dir",
                f"stacks{images}",
            ]
        ]
    rounds = max(rounds, 7) if rounds > 1 else 1  # --quick: one round, to see that it runs
    prebuilt = prebuilt_state(repo, env)
    load_before = os.getloadavg()[0]
    best = cpu_min(commands, repo, env, rounds)
    load = f"load {load_before:.1f}-{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    base = best["check-jsonschema"]
    print(f"\n{'release targets':<30}{'cpu s':>8}{'ratio':>8}   min of {rounds} rounds, compiled")
    for label, seconds in best.items():
        print(f"{label:<30}{seconds:>8.3f}{seconds / base:>8.2f}")
    print(f"(machine {load}; prebuilt profile validators: {prebuilt})")
    results = [
        Verdict(
            f"plan <= {PLAN_RATIO_MAX}x check-jsonschema",
            f"{best['plan (example config)'] / base:.2f}x",
            best["plan (example config)"] / base <= PLAN_RATIO_MAX,
        ),
        Verdict(
            f"hook pair <= {HOOKS_RATIO_MAX}x check-jsonschema",
            f"{best['hook pair (check + lint)'] / base:.2f}x ({load}; before: "
            f"{BEFORE['hook pair']})",
            best["hook pair (check + lint)"] / base <= HOOKS_RATIO_MAX,
        ),
        Verdict(
            f"check, empty cache <= {COLD_CHECK_RATIO_MAX}x",
            f"{best['check, empty cache'] / base:.2f}x ({load}; prebuilt validators {prebuilt}; "
            f"floor {best['floor: import the models'] / base:.2f}x; "
            f"before: {BEFORE['check, empty cache']})",
            best["check, empty cache"] / base <= COLD_CHECK_RATIO_MAX,
        ),
    ]
    for tool in ("plan", "lint"):
        growth = max(
            best[f"{tool} {b} MiB"] / best[f"{tool} {a} MiB"]
            for a, b in itertools.pairwise(SIZES_MIB)
        )
        largest = best[f"{tool} {SIZES_MIB[-1]} MiB"]
        results += [
            Verdict(
                f"{tool} t(2N)/t(N) <= {LINEAR_MAX} (0.25-2 MiB)",
                f"{growth:.2f}",
                growth <= LINEAR_MAX,
            ),
            Verdict(
                f"{tool} 2 MiB < {LARGE_SECONDS_MAX} s",
                f"{largest:.2f} s",
                largest < LARGE_SECONDS_MAX,
            ),
        ]
    results += pre_commit_both_ways(repo, env, reference, rounds)
    return results


def pre_commit_both_ways(
    repo: Path, env: dict[str, str], reference: list[str], rounds: int
) -> list[Verdict]:
    """`pre-commit run --all-files` with ciconf's hook pair and with check-jsonschema's hook."""
    if subprocess.run(
        [sys.executable, "-m", "pre_commit", "--version"], capture_output=True
    ).returncode:
        return [
            Verdict("pre-commit run --all-files", "pre-commit not installed", None, target=False)
        ]
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    for name, text in (
        ("ciconf.pre-commit.yaml", PRE_COMMIT_CONFIG.format(python=sys.executable)),
        (
            "jsonschema.pre-commit.yaml",
            PRE_COMMIT_JSONSCHEMA.format(check_jsonschema=" ".join(reference)),
        ),
    ):
        (repo / name).write_text(text, encoding="utf-8")
    subprocess.run(
        [
            "git",
            "add",
            "ciconf.yaml",
            ".circleci",
            "cloudformation",
            "ciconf.pre-commit.yaml",
            "jsonschema.pre-commit.yaml",
        ],
        cwd=repo,
        check=True,
    )
    subprocess.run([*git, "commit", "-q", "-m", "bench"], cwd=repo, check=True)
    home = {**env, "PRE_COMMIT_HOME": str(repo.parent / "pre-commit-home")}
    run_all = [sys.executable, "-m", "pre_commit", "run", "--all-files", "-c"]
    # wait4's usage of a child includes the children it waited for: the hooks are counted
    best = cpu_min(
        {
            "ciconf hooks": [[*run_all, "ciconf.pre-commit.yaml"]],
            "check-jsonschema": [[*run_all, "jsonschema.pre-commit.yaml"]],
        },
        repo,
        home,
        rounds,
    )
    ratio = best["ciconf hooks"] / best["check-jsonschema"]
    print(
        f"{'pre-commit run --all-files':<30}ciconf hooks {best['ciconf hooks']:.3f} s, "
        f"check-jsonschema {best['check-jsonschema']:.3f} s (CPU, hooks included)"
    )
    return [
        Verdict(
            "pre-commit run --all-files, ciconf / check-jsonschema",
            f"{ratio:.2f}x",
            None,
            target=False,
        )
    ]


if __name__ == "__main__":
    sys.exit(main())
