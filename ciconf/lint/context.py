"""What a rule sees: the loaded document, its source text, and a way to report at a position."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

from ciconf.lint.findings import Finding
from ciconf.yamlkit.load import Document, Mark

PathKey = tuple


def dotted(path: PathKey) -> str:
    """`jobs.build.steps[2]` for a path of keys and indexes."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(root)"


@dataclass
class LintContext:
    path: str
    text: str
    doc: Document
    lines: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.lines = self.text.splitlines()

    @property
    def data(self) -> Any:
        return self.doc.data

    def finding(self, rule: str, mark: Mark | None, message: str) -> Finding:
        line, column = (mark.line, mark.column) if mark else (1, 1)
        return Finding(self.path, line, column, rule, message)

    def written(self) -> Iterator[tuple[PathKey, Mark]]:
        """Every value as written in the file (each anchor's content once, aliases not expanded)."""
        return iter(self.doc.value_marks.items())

    def value_at(self, path: PathKey) -> Any:
        """The loaded value at a written path (None when the path no longer resolves)."""
        node = self.doc.data
        for part in path:
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                node = node[part]
            else:
                return None
        return node

    def source_token(self, mark: Mark) -> str | None:
        """The plain (unquoted) scalar written at `mark`, or None when it is quoted, tagged or a block."""
        if not 0 < mark.line <= len(self.lines):
            return None
        rest = self.lines[mark.line - 1][mark.column - 1 :]
        if rest.startswith("&"):  # an anchor on the value: skip its name
            parts = rest.split(None, 1)
            rest = parts[1] if len(parts) > 1 else ""
        if not rest or rest[0] in "'\"|>!*":
            return None
        token = rest.split()[0] if rest.split() else ""
        return token.rstrip(",]}") or None
