"""`ciconf import`: read a config, write the profile (atomically), report, prove; the exit code.

Exit codes: 0 imported and the plans agree, 1 the plans differ for some push (the profile is
written all the same, so it can be looked at; `--check` repeats the comparison later), 2 bad
input (nothing written).
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from ciconf.adopt.output import error, write
from ciconf.adopt.report import Report
from ciconf.defaults import DEFAULT_CONFIG, DEFAULT_PROFILE
from ciconf.errors import InputError
from ciconf.exitcodes import FINDINGS as DIFFERS
from ciconf.exitcodes import OK

MODELINE = "yaml-language-server: $schema=.ciconf/profile.schema.json"
FORMATS = ("text", "json")


def project_name(config: str) -> str:
    """The repository's folder name (the folder holding .circleci/), as a profile project name."""
    path = Path(os.path.abspath(config))
    folder = path.parent.parent if path.parent.name == ".circleci" else path.parent
    name = re.sub(r"[^a-z0-9-]+", "-", folder.name.lower()).strip("-")
    if not name or not name[0].isalpha():
        name = "project-" + name if name else "project"
    return name[:40].rstrip("-") if len(name) > 1 else name + "x"


def profile_text(profile: dict, source: str) -> str:
    from ciconf.yamlkit.emit import dump

    return dump(
        profile, header=[MODELINE, f"Imported by `ciconf import` from {source}."], spacing=(0,)
    )


def imported(config: str, profile_path: str) -> tuple[str, Report, str]:
    """(profile text, report, rendered config text) for `config`; InputError on bad input."""
    from ciconf.adopt import prove
    from ciconf.adopt.count import count
    from ciconf.adopt.importer import check_version, import_document
    from ciconf.circleci.render import render_config
    from ciconf.profile.load import parse_profile
    from ciconf.yamlkit.load import load_file, load_text

    doc = load_file(config, allow_duplicates=True)
    if not isinstance(doc.data, dict):
        raise InputError(
            config, "a CircleCI config is a mapping", expected="version:, jobs:, workflows:"
        )
    check_version(doc)
    result = import_document(doc, project_name(config))
    text = profile_text(result.profile, config)
    try:
        profile = parse_profile(text, profile_path)
    except InputError as problem:
        raise InputError(
            config, f"the imported profile does not load ({problem}); please report this config"
        ) from None
    rendered = render_config(profile, profile_path)
    count(result)
    added = frozenset(item.split(":", 1)[0] for item in result.report.added)
    tried, differences = prove.compare(
        doc, load_text(rendered, f"{profile_path} (rendered)"), result.renames, added
    )
    result.report.pushes, result.report.proof = tried, differences
    return text, result.report, rendered


@dataclass(frozen=True)
class ImportOptions:
    """The options of `ciconf import`, one field each."""

    config: Path | None = None
    output: Path | None = None
    stdout: bool = False
    report: Path | None = None
    fmt: str = "text"
    check: bool = False
    force: bool = False


def import_command(options: ImportOptions) -> int:
    if options.stdout and options.output is not None:
        return error("give either -o/--output or --stdout, not both")
    if options.fmt not in FORMATS:
        return error(f"--format {options.fmt!r}: expected text or json")
    target = str(options.output or DEFAULT_PROFILE)
    if not (options.check or options.stdout or options.force) and os.path.lexists(target):
        # A profile may hold hand edits made since the last import: never replace it silently.
        return error(f"{target} exists; pass --force to replace it (or --check to compare)")
    try:
        return _run(options, str(options.config or DEFAULT_CONFIG), target)
    except InputError as problem:
        return error(problem)


def _run(options: ImportOptions, source: str, target: str) -> int:
    """Import `source`; write the profile to `target` (or stdout) and the report; the exit code."""
    from ciconf.adopt.report import format_json, format_text

    text, result, _ = imported(source, target)
    formatted = (format_json if options.fmt == "json" else format_text)(result)
    if options.check:
        return _check(target, text, result, formatted)
    if options.stdout:
        sys.stdout.write(text)
    else:
        from ciconf.fsutil import refuse_special

        refuse_special(target)
        write(target, text)
    if options.report is not None:
        write(str(options.report), formatted)
    (sys.stderr if options.stdout else sys.stdout).write(formatted)
    return DIFFERS if result.proof else OK


def _check(target: str, text: str, result: Report, formatted: str) -> int:
    """`--check`: the comparison again, against the profile as it is now (edited, maybe)."""
    from ciconf.adopt import prove
    from ciconf.circleci.render import render_config
    from ciconf.profile.load import load_profile
    from ciconf.yamlkit.load import load_file, load_text

    del text, formatted
    profile = load_profile(target)
    rendered = load_text(render_config(profile, target), f"{target} (rendered)")
    original = load_file(result.source, allow_duplicates=True)
    added = frozenset(item.split(":", 1)[0] for item in result.added)
    tried, differences = prove.compare(original, rendered, _renames(result), added)
    for line in differences:
        print(f"ciconf: {line}", file=sys.stderr)
    if differences:
        return DIFFERS
    print(
        f"ciconf: {target} plans the same jobs as {result.source} ({len(tried)} pushes)",
        file=sys.stderr,
    )
    return OK


def _renames(result: Report) -> dict[tuple[str, str], str]:
    return {(workflow, old): new for workflow, old, new in result.renames}
