"""Measure `ciconf import` over a folder of real CircleCI configs (issue 20).

    python benchmarks/adopt_corpus.py DIR            # one table row per DIR/*.yml
    python benchmarks/adopt_corpus.py DIR --json     # the same rows as JSON

For each config, in a temporary repository: `ciconf import` (exit code, the report's share of
elements expressed through profile fields, whether its proof found the same jobs for every push),
`ciconf render --stdout` of the imported profile, and `ciconf lint` of the rendered config.
The configs are only read; nothing in the repository is written.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Row:
    config: str
    imported: int  # exit code of `ciconf import`
    rendered: bool
    lint_clean: bool
    same_plan: bool
    in_fields: int
    elements: int

    @property
    def share(self) -> str:
        return (
            f"{self.in_fields}/{self.elements} ({self.in_fields / self.elements:.0%})"
            if (self.elements)
            else "-"
        )


def _ciconf(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env_path = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "ciconf", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"},
        check=False,
    )


def measure(config: Path) -> Row:
    with tempfile.TemporaryDirectory() as folder:
        repo = Path(folder) / config.stem.split("__")[-1].lower()
        (repo / ".circleci").mkdir(parents=True)
        (repo / ".circleci" / "config.yml").write_bytes(config.read_bytes())
        done = _ciconf("import", "--format", "json", "--report", "report.json", cwd=repo)
        report = (
            json.loads((repo / "report.json").read_text())
            if (repo / "report.json").exists()
            else {}
        )
        rendered = _ciconf("render", "--stdout", cwd=repo) if done.returncode != 2 else None
        lint_clean = False
        if rendered is not None and rendered.returncode == 0:
            (repo / "rendered.yml").write_text(rendered.stdout)
            lint_clean = _ciconf("lint", "rendered.yml", cwd=repo).returncode == 0
        return Row(
            config.name,
            done.returncode,
            rendered is not None and rendered.returncode == 0,
            lint_clean,
            bool(report.get("proof", {}).get("same")),
            int(report.get("in_profile_fields", 0)),
            int(report.get("elements", 0)),
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = [measure(path) for path in sorted(args.folder.glob("*.yml"))]
    if args.json:
        print(json.dumps([{**asdict(row), "share": row.share} for row in rows], indent=2))
        return 0
    print("| config | import | render | lint | same plan | share in fields |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row.config} | {row.imported} | {'ok' if row.rendered else 'FAIL'} | "
            f"{'clean' if row.lint_clean else 'FINDINGS'} | {'yes' if row.same_plan else 'NO'} | "
            f"{row.share} |"
        )
    total = sum(row.elements for row in rows)
    fields = sum(row.in_fields for row in rows)
    ok = sum(
        row.imported == 0 and row.rendered and row.lint_clean and row.same_plan for row in rows
    )
    print(f"\n{ok}/{len(rows)} configs import, render, lint clean and plan the same; ", end="")
    print(f"{fields}/{total} elements in profile fields ({fields / max(total, 1):.0%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
