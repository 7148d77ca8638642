"""The one error type for bad input, and how it reads on a terminal.

Every problem with a file the user gave us (unreadable, malformed, invalid) becomes an
``InputError``; the CLI prints ``str(error)`` on one line and exits 2.
"""

from __future__ import annotations

from typing import Iterable


class InputError(Exception):
    """A problem with user input, located as precisely as we can."""

    def __init__(
        self,
        path: str,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        field: str | None = None,
        expected: str | None = None,
        suggestion: str | None = None,
        more: int = 0,
    ) -> None:
        super().__init__(message)
        self.path = path
        self.message = message
        self.line = line
        self.column = column
        self.field = field
        self.expected = expected
        self.suggestion = suggestion
        self.more = more  # further problems in the same file, fixed one at a time

    def __str__(self) -> str:
        where = printable(self.path)
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.detail()}"

    def detail(self) -> str:
        """The message without its location: field, problem, expectation, suggestion."""
        text = f"{self.field}: " if self.field else ""
        text += self.message
        if self.expected:
            text += f" (expected {self.expected})"
        if self.suggestion:
            text += f"; did you mean {self.suggestion!r}?"
        if self.more:
            text += f" [{self.more} more problem{'s' if self.more > 1 else ''} in this file]"
        return text


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate a typo most likely meant, or None."""
    import difflib  # only needed once something is wrong; every command imports this module

    matches = difflib.get_close_matches(str(word), sorted(set(candidates)), n=1, cutoff=0.6)
    return matches[0] if matches else None


def shown(value: object, limit: int = 60) -> str:
    """A value quoted for a message: control characters escaped, long values cut short."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def printable(text: str) -> str:
    """`text` with control characters escaped, so a file name cannot break a line it is put on."""
    return "".join(char if char.isprintable() else ascii(char)[1:-1] for char in text)
