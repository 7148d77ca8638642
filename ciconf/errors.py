"""The one error type for bad input, and how it reads on a terminal.

Every problem with a file the user gave us (unreadable, malformed, invalid) becomes an
``InputError``; the CLI prints ``str(error)`` and exits 2. That is one line per problem, like ruff:
a profile with several invalid values gets them all at once (``InputError.collect``), located and
sorted by position, at most ``MAX_SHOWN`` of them and a count of the rest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

MAX_SHOWN = 20  # problems printed for one file; more would scroll the first ones away


class InputError(Exception):
    """A problem with user input, located as precisely as we can."""

    def __init__(  # noqa: PLR0913 - the located error's fields, all keywords but the first
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
        self.more = more  # further problems in the same file (see `problems`)
        self.problems: list[InputError] = [self]  # every problem found, sorted by position

    @classmethod
    def collect(cls, problems: Sequence[InputError], unexplained: int = 0) -> InputError:
        """One error for several problems in one file: the first one, carrying all of them.

        `line`, `column` and `detail()` describe the first problem (so a caller that shows one
        location still can); `str()` lists them, one located line each. `unexplained`: further
        problems that were only counted (a hostile file can hold thousands).
        """
        ordered = sorted(problems, key=_position)
        unique = [
            p
            for index, p in enumerate(ordered)
            if index == 0 or _same(p) != _same(ordered[index - 1])
        ]
        first = unique[0]
        error = cls(
            first.path,
            first.message,
            line=first.line,
            column=first.column,
            field=first.field,
            expected=first.expected,
            suggestion=first.suggestion,
            more=len(unique) - 1 + unexplained,
        )
        error.problems = unique
        return error

    def __str__(self) -> str:
        if self.more and len(self.problems) > 1:
            shown_lines = [problem.located() for problem in self.problems[:MAX_SHOWN]]
            rest = self.more + 1 - len(shown_lines)
            if rest > 0:
                shown_lines.append(
                    f"{printable(self.path)}: ... and {rest} more problem{'s' if rest > 1 else ''}"
                )
            return "\n".join(shown_lines)
        return self.located()

    def located(self) -> str:
        """This problem alone on one line: `file:line:col: detail`, control characters escaped."""
        where = printable(self.path)
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return printable(f"{where}: {self.detail()}")

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


def _position(problem: InputError) -> tuple[int, int]:
    return (problem.line or 0, problem.column or 0)


def _same(problem: InputError) -> tuple:
    return (
        problem.line,
        problem.column,
        problem.field,
        problem.message,
        problem.expected,
        problem.suggestion,
    )


def field_name(path: Sequence[str | int]) -> str:
    """The field a document path names: ("accounts", 0, "name") -> accounts[0].name."""
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path).lstrip(
        "."
    )


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate a typo most likely meant, or None."""
    import difflib  # only needed once something is wrong; every command imports this module

    word = str(word)
    matches = difflib.get_close_matches(word, sorted(set(candidates)), n=5, cutoff=0.6)
    if not matches:
        return None
    # equally close candidates (eu-west-1, -2, -3 for eu-west-9): the first in sorted order
    score = {match: difflib.SequenceMatcher(None, match, word).ratio() for match in matches}
    return min(matches, key=lambda match: (-score[match], match))


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,59}")


def dotted(path: tuple) -> str:
    """`accounts[0].credentials.mode`, `jobs.build.steps[2]`: a path of keys and indexes for a
    message's field. An odd key is quoted, so a newline or a dot in it cannot split or blur the
    path."""
    text = ""
    for part in path:
        if isinstance(part, str) and _PLAIN_KEY.fullmatch(part):
            text += f".{part}" if text else part
        else:
            text += (
                f"[{part}]"
                if isinstance(part, int) and not isinstance(part, bool)
                else f"[{shown(part)}]"
            )
    return text or "(root)"


def shown(value: object, limit: int = 60) -> str:
    """A value quoted for a message: control characters escaped, long values cut short."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def printable(text: str, keep: str = "") -> str:
    """`text` with every character that is not printable escaped (`\\x1b`, `\\u202e`), so a name
    cannot break the line it is put on or make it read differently: control characters, the bidi
    controls (U+202A-E, U+2066-9, U+200E/F, U+061C: format characters, not printable) and the
    line and paragraph separators U+2028/9. `keep`: characters left as they are (a diff's tab).
    Every text output (messages, findings, plans, the `check` diff) goes through here."""
    if text.isprintable():  # the usual case, at C speed
        return text
    return "".join(
        char if char.isprintable() or char in keep else ascii(char)[1:-1] for char in text
    )
