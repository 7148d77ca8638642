"""What `ciconf lint` does once its arguments are parsed (the options are defined in ciconf/cli.py).

Exit 0 clean, 1 findings, 2 unreadable file or bad usage. Imports what it needs when it runs, so
the fast entry point (ciconf/entry.py) reaches it without typer or pydantic.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ciconf.defaults import DEFAULT_CONFIG
from ciconf.errors import InputError
from ciconf.exitcodes import FINDINGS, INPUT_ERROR, OK

DEFAULT_PATHS = [DEFAULT_CONFIG]
FORMATS = ("text", "json")


def lint(  # noqa: PLR0913, PLR0917 - one parameter per command-line option
    paths: Sequence[str] | None = None,
    profile: bool = False,
    format: str = "text",
    list_rules: bool = False,
    select: str | None = None,
    ignore: str | None = None,
) -> int:
    from ciconf.lint.findings import as_json, as_text
    from ciconf.lint.registry import RULES, rule_table
    from ciconf.lint.runner import lint_paths
    from ciconf.lint.suppress import selection

    if list_rules:
        sys.stdout.write(rule_table())
        return OK
    chosen = selection(select, ignore, [rule.id for rule in RULES])  # InputError: exit 2
    report = lint_paths(list(paths or DEFAULT_PATHS), profile, chosen)
    sys.stdout.write(as_json(report.findings) if format == "json" else as_text(report.findings))
    for error in report.errors:
        _say_error(error)
    if report.errors:
        return INPUT_ERROR
    return FINDINGS if report.findings else OK


def _say_error(error: InputError) -> None:
    print(f"ciconf: error: {error}", file=sys.stderr)
