"""Which findings `ciconf lint` shows: `--select`/`--ignore` by rule code or code prefix (as ruff
takes them: `CC1` is every CC1xx rule), and inline `# ciconf: ignore[CC302]` comments, which
silence the named rules on the line they end.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ciconf.errors import InputError
from ciconf.lint.findings import Finding

# a fixed pattern (never built from input): `# ciconf: ignore[CC101, CC302]`
_INLINE = re.compile(r"#\s*ciconf:\s*ignore\[([A-Za-z0-9,\s]{1,200})\]")
_CODE = re.compile(r"[A-Z]{2}[0-9]{0,3}")


@dataclass(frozen=True)
class Selection:
    select: tuple[str, ...] = ()  # empty: every rule
    ignore: tuple[str, ...] = ()

    def shows(self, rule: str) -> bool:
        if self.select and not rule.startswith(self.select):
            return False
        return not (self.ignore and rule.startswith(self.ignore))


def selection(select: str | None, ignore: str | None, known: Iterable[str]) -> Selection:
    """The Selection of `--select A,B --ignore C`; an InputError naming a code no rule has."""
    codes = sorted(known)
    return Selection(_codes("--select", select, codes), _codes("--ignore", ignore, codes))


def _codes(option: str, value: str | None, known: list[str]) -> tuple[str, ...]:
    if not value:
        return ()
    found = []
    for code in (part.strip().upper() for part in value.split(",")):
        if not code:
            continue
        if not _CODE.fullmatch(code) or not any(rule.startswith(code) for rule in known):
            raise InputError(
                option,
                f"no rule has the code {code[:20]!r}",
                expected="rule codes or prefixes from `ciconf lint --list-rules`",
            )
        found.append(code)
    return tuple(found)


def inline_ignores(text: str) -> dict[int, frozenset[str]]:
    """Line number (1-based) -> the codes its `# ciconf: ignore[...]` comment names."""
    found: dict[int, frozenset[str]] = {}
    if "ciconf:" not in text:
        return found
    for number, line in enumerate(text.splitlines(), start=1):
        match = _INLINE.search(line)
        if match:
            codes = (part.strip().upper() for part in match.group(1).split(","))
            found[number] = frozenset(code for code in codes if code)
    return found


def kept(
    findings: Iterable[Finding], chosen: Selection, inline: dict[int, frozenset[str]]
) -> Iterator[Finding]:
    """The findings `chosen` shows and no inline comment on their line silences."""
    for finding in findings:
        if not chosen.shows(finding.rule):
            continue
        if finding.rule.startswith(tuple(inline.get(finding.line, ()))):
            continue
        yield finding
