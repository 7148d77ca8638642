"""A finding: one problem at one place in one file, and how it is printed.

Findings quote the config, which may come from anyone's pull request, so what is printed is
bounded and inert: names are cut short before they are quoted (`quoted`), every message has its
control characters escaped (a config cannot print a forged `x.yml:1:1: CC000 ...` line or a
terminal escape sequence), and each rule shows at most CAP findings per file, followed by one
summary finding that counts the rest.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ciconf.errors import printable

CAP = 50  # findings shown per rule and file
MAX_MESSAGE = 500  # characters of a message
NAME_LIMIT = 80  # characters of a name quoted in a message


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    column: int
    rule: str
    message: str
    omitted: int = 0  # a summary: this many more findings of `rule` in `path` are not shown
    stopped: bool = False  # a summary of a rule that stopped looking: `omitted` is a lower bound

    def text(self) -> str:
        return f"{printable(self.path)}:{self.line}:{self.column}: {self.rule} {self.message}"

    def as_dict(self) -> dict:
        fields = {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "rule": self.rule,
            "message": self.message,
        }
        if self.omitted:
            fields["omitted"] = self.omitted
        if self.stopped:
            fields["stopped"] = True
        return fields


def quoted(name: object, limit: int = NAME_LIMIT) -> str:
    """`name` quoted for a message, cut to `limit` characters first (a name may be megabytes)."""
    text = str(name)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return repr(text)


def escaped(finding: Finding) -> Finding:
    """The finding with a bounded message whose control characters are escaped."""
    message = finding.message
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 3] + "..."
    if not message.isprintable():
        message = printable(message)
    if message is finding.message:
        return finding
    return Finding(
        finding.path, finding.line, finding.column, finding.rule, message, finding.omitted
    )


def capped(
    found: Iterable[Finding], cap: int = CAP, stopped: Callable[[], bool] = lambda: False
) -> list[Finding]:
    """The first `cap` findings (in the order the rule found them, which is file order), escaped,
    plus one summary finding at the first one left out, counting those left out.

    `stopped()` tells, once `found` is used up, whether the rule stopped looking after the cap
    (CC001: validating the rest of a huge invalid config would take long); the summary then says
    there are more without a count."""
    kept: list[Finding] = []
    first_left_out: Finding | None = None
    left_out = 0
    for finding in found:
        if len(kept) < cap:
            kept.append(escaped(finding))
            continue
        left_out += 1
        if first_left_out is None:
            first_left_out = finding
    if first_left_out is not None:
        kept.append(summary(first_left_out, left_out, cap, stopped()))
    return kept


def summary(first: Finding, count: int, cap: int = CAP, stopped: bool = False) -> Finding:
    if stopped:
        message = (
            f"... and more {first.rule} findings in this file (the rule stops after the first "
            f"{cap})"
        )
    else:
        noun = "finding" if count == 1 else "findings"
        message = (
            f"... and {count} more {first.rule} {noun} in this file (only the first {cap} of "
            "each rule are shown)"
        )
    return Finding(first.path, first.line, first.column, first.rule, message, count, stopped)


def as_text(findings: Iterable[Finding]) -> str:
    return "".join(finding.text() + "\n" for finding in sorted(findings))


def as_json(findings: Iterable[Finding]) -> str:
    """A list of objects; a summary object has `omitted`, the number of findings it stands for."""
    return json.dumps([finding.as_dict() for finding in sorted(findings)], indent=2) + "\n"
