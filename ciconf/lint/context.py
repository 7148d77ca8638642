"""What a rule sees: the loaded document, its source text, and a way to report at a position."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ciconf.lint.findings import CAP, Finding
from ciconf.yamlkit.load import Document, Mark

PathKey = tuple
ANCHOR = re.compile(r"&\S*\s+")  # an anchor name and the space after it
TOKEN = re.compile(r"\S+")


@dataclass
class LintContext:
    path: str
    text: str
    doc: Document
    lines: list[str] = field(init=False)
    memo: dict[Any, Any] = field(
        default_factory=dict
    )  # what several rules read (ciconf.lint.workflows)
    reported: Counter = field(default_factory=Counter)  # findings made so far, per rule

    def __post_init__(self) -> None:
        self.lines = self.text.splitlines()

    @property
    def data(self) -> Any:
        return self.doc.data

    def finding(
        self,
        rule: str,
        mark: Mark | Callable[[], Mark | None] | None,
        message: str | Callable[[], str],
    ) -> Finding:
        """A finding of `rule` at `mark`. A callable message (or mark) is only called when the
        finding will be shown (findings.CAP) or is the first left out: hostile configs make many
        thousands of findings."""
        count = self.reported[rule] = self.reported[rule] + 1
        if count > CAP + 1:  # neither shown nor the first left out: only counted (findings.capped)
            return self.memo["left out", rule]
        if callable(mark):
            mark = mark()
        line, column = (mark.line, mark.column) if mark else (1, 1)
        if callable(message):
            message = message() if count <= CAP else ""
        finding = Finding(self.path, line, column, rule, message)
        if count == CAP + 1:
            self.memo["left out", rule] = finding
        return finding

    def stop(self, rule: str) -> None:
        """`rule` stops looking after the findings it made (see findings.capped)."""
        self.memo.setdefault("stopped", set()).add(rule)

    def stopped(self, rule: str) -> bool:
        return rule in self.memo.get("stopped", ())

    def shown(self, rule: str) -> bool:
        """Whether the next finding of `rule` will be printed (only the first CAP are): a rule
        asks before extra work such as a did-you-mean."""
        return self.reported[rule] < CAP

    def written(self) -> Iterator[tuple[PathKey, Mark]]:
        """Every value as written in the file (each anchor's content once, aliases not expanded)."""
        return iter(self.doc.value_marks.items())

    def written_strings(self) -> list[tuple[PathKey, Mark, str]]:
        """(path, mark, text) of every string value as written in the file (as `written`, but
        found with one walk of the data instead of a lookup per path)."""
        if "strings" not in self.memo:
            marks = self.doc.value_marks
            found = []
            stack: list[tuple[Any, PathKey]] = [(self.doc.data, ())]
            while stack:
                node, path = stack.pop()
                items = node.items() if isinstance(node, dict) else enumerate(node)
                for key, value in items:
                    here = (*path, key)
                    mark = marks.get(here)
                    if mark is None:
                        continue  # merged in, or not written here
                    if isinstance(value, str):
                        found.append((here, mark, value))
                    elif isinstance(value, (dict, list)):
                        stack.append((value, here))
            found.sort(key=lambda item: (item[1].line, item[1].column))
            self.memo["strings"] = found
        return self.memo["strings"]

    def value_at(self, path: PathKey) -> Any:
        """The loaded value at a written path (None when the path no longer resolves)."""
        node = self.doc.data
        for part in path:
            if (isinstance(node, dict) and part in node) or (
                isinstance(node, list) and isinstance(part, int) and part < len(node)
            ):
                node = node[part]
            else:
                return None
        return node

    def source_token(self, mark: Mark) -> str | None:
        """The plain (unquoted) scalar written at `mark`, or None when it is quoted, tagged or a
        block."""
        if not 0 < mark.line <= len(self.lines):
            return None
        line = self.lines[mark.line - 1]
        start = (
            mark.column - 1
        )  # read from here only: a flow mapping may hold a whole job on one line
        if line.startswith("&", start):  # an anchor on the value: skip its name
            anchor = ANCHOR.match(line, start)
            if anchor is None:
                return None
            start = anchor.end()
        if start >= len(line) or line[start] in "'\"|>!*":
            return None
        token = TOKEN.match(line, start)
        return (token.group().rstrip(",]}") or None) if token else None
