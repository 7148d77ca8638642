"""The `ciconf` program's entry point.

`ciconf lint` goes straight to its argparse front end (ciconf.lint.cli) without importing
typer: typer and the pydantic adapters it builds for options cost about half a second, and
lint runs on every commit through pre-commit and is held to a start-up budget. Every other
command goes through the typer app in ciconf.cli.
"""

from __future__ import annotations

import sys


def run() -> None:
    if sys.argv[1:2] == ["lint"]:
        from ciconf.lint.cli import run_lint

        sys.exit(run_lint(sys.argv[2:]))
    from ciconf.cli import run as run_app

    run_app()
