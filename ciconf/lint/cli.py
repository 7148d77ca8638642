"""`ciconf lint` arguments and output. Exit 0 clean, 1 findings, 2 unreadable file or bad usage."""

from __future__ import annotations

import argparse
import sys

from ciconf.errors import InputError

DEFAULT_PATHS = [".circleci/config.yml"]
OK, FINDINGS, INPUT_ERROR = 0, 1, 2


def parser() -> argparse.ArgumentParser:
    parse = argparse.ArgumentParser(
        prog="ciconf lint",
        description=(
            "Check CircleCI configs against CircleCI's official schema and the rules of "
            "--list-rules, and ciconf profiles against the profile models. Never writes. "
            "A file is read as a profile with --profile, when it is named ciconf.yaml, "
            "ciconf.yml, *.ciconf.yaml or *.ciconf.yml, or when it sits in a folder named "
            "profiles; any other file is read as a CircleCI config."
        ),
    )
    parse.add_argument("paths", nargs="*", metavar="PATH", help="files to lint (default: .circleci/config.yml)")
    parse.add_argument("--profile", action="store_true", help="read every PATH as a ciconf profile")
    parse.add_argument(
        "--format", choices=("text", "json"), default="text", help="text: path:line:col: RULE message (default); json: a list of objects"
    )
    parse.add_argument("--list-rules", action="store_true", help="list the rules and exit")
    return parse


def run_lint(argv: list[str]) -> int:
    try:
        options = parser().parse_args(argv)
    except SystemExit as done:  # --help or a usage error (argparse printed it)
        return done.code if isinstance(done.code, int) else INPUT_ERROR
    from ciconf.lint.findings import as_json, as_text
    from ciconf.lint.registry import rule_table
    from ciconf.lint.runner import lint_paths

    if options.list_rules:
        sys.stdout.write(rule_table())
        return OK
    report = lint_paths(options.paths or DEFAULT_PATHS, options.profile)
    sys.stdout.write(as_json(report.findings) if options.format == "json" else as_text(report.findings))
    for error in report.errors:
        _say_error(error)
    if report.errors:
        return INPUT_ERROR
    return FINDINGS if report.findings else OK


def _say_error(error: InputError) -> None:
    print(f"ciconf: error: {error}", file=sys.stderr)
