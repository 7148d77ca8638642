"""A finding: one problem at one place in one file, and how it is printed."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Iterable


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    column: int
    rule: str
    message: str

    def text(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.rule} {self.message}"


def as_text(findings: Iterable[Finding]) -> str:
    return "".join(finding.text() + "\n" for finding in sorted(findings))


def as_json(findings: Iterable[Finding]) -> str:
    return json.dumps([asdict(finding) for finding in sorted(findings)], indent=2) + "\n"
