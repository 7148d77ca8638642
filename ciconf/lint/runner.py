"""Lint files: decide what each one is, load it leniently, run the rules that apply to it.

A file is read as a ciconf profile when `--profile` is given, when its name is `ciconf.yaml`
or `ciconf.yml` or ends in `.ciconf.yaml` or `.ciconf.yml`, or when it sits in a folder named
`profiles` or below one (`profiles/examples/`); every other file is read as a CircleCI config.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePath

from ciconf.errors import InputError
from ciconf.lint.context import LintContext
from ciconf.lint.findings import Finding, capped
from ciconf.lint.registry import rules_for
from ciconf.lint.rule import CONFIG, PROFILE
from ciconf.lint.suppress import Selection, inline_ignores, kept
from ciconf.yamlkit.load import load_text, read_text

PROFILE_NAMES = ("ciconf.yaml", "ciconf.yml")
PROFILE_SUFFIXES = (".ciconf.yaml", ".ciconf.yml")
PROFILE_FOLDER = "profiles"
EVERY_RULE = Selection()


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)


def kind_of(path: str, force_profile: bool = False) -> str:
    name = PurePath(path)
    if force_profile or name.name in PROFILE_NAMES or name.name.endswith(PROFILE_SUFFIXES):
        return PROFILE
    # profiles/ and the folders below it (profiles/examples/...)
    return PROFILE if PROFILE_FOLDER in name.parent.parts else CONFIG


def lint_paths(
    paths: list[str], force_profile: bool = False, chosen: Selection = EVERY_RULE
) -> Report:
    report = Report()
    for path in paths:
        try:
            report.findings.extend(lint_file(path, kind_of(path, force_profile), chosen))
        except InputError as error:
            report.errors.append(error)
    report.findings.sort()
    return report


def lint_file(path: str, kind: str, chosen: Selection = EVERY_RULE) -> list[Finding]:
    return lint_text(read_text(path), path, kind, chosen)


def lint_text(text: str, path: str, kind: str, chosen: Selection = EVERY_RULE) -> list[Finding]:
    """Findings for one file's text; an InputError when it is not YAML data we can lint.

    Only the rules `chosen` shows run, and a finding on a line whose `# ciconf: ignore[CODE]`
    names its rule is dropped (suppress.py). Each rule shows its first CAP findings that remain
    and one summary counting the rest (findings.capped)."""
    doc = load_text(text, path, allow_duplicates=True, allow_undefined_aliases=True)
    if not isinstance(doc.data, dict):
        what = "a CircleCI config" if kind == CONFIG else "a ciconf profile"
        raise InputError(path, "the file is not a YAML mapping", line=1, column=1, expected=what)
    ctx = LintContext(path, text, doc)
    inline = inline_ignores(text)
    findings = []
    for rule in (rule for rule in rules_for(kind) if chosen.shows(rule.id)):
        shown = kept(rule.check(ctx), chosen, inline)
        findings += capped(shown, stopped=lambda: ctx.stopped(rule.id))  # noqa: B023 - called in capped()
    return sorted(findings)
