"""Run one lint rule module over a YAML snippet: the findings it makes, nothing else.

A finding is reduced to (rule id, line, message), the facts a rule test asserts; columns and the
runner's capping and suppression are tested with the runner (tests/acceptance/test_lint*.py).
"""

from __future__ import annotations

import textwrap
from types import ModuleType

from ciconf.lint.context import LintContext
from ciconf.yamlkit.load import load_text


def findings(
    rule: ModuleType, snippet: str, path: str = "config.yml", before: tuple[ModuleType, ...] = ()
) -> list[tuple[str, int, str]]:
    """(id, line, message) of each finding `rule.RULE` makes on `snippet` (dedented). `before`:
    rules that run first on the same context (CC001 leaves CC002 what it skipped)."""
    text = textwrap.dedent(snippet).lstrip("\n")
    doc = load_text(text, path, allow_duplicates=True, allow_undefined_aliases=True)
    ctx = LintContext(path, text, doc)
    for earlier in before:
        list(earlier.RULE.check(ctx))
    return sorted((f.rule, f.line, f.message) for f in rule.RULE.check(ctx))
