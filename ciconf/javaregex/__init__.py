"""Regular expressions as CircleCI evaluates them: Java syntax, full match, bounded time.

`compile_java(pattern)` translates once (cached) and compiles the translation with the `regex`
module; `Budget.full_match` runs it with a time limit per match and in total, because a user's
pattern can backtrack for minutes (`^(a+)+$` on 41 characters). Every answer is True, False, or
`Undecided` with the reason (Java syntax ciconf does not translate, input the translation is not
exact for, a match that did not finish in time); `JavaSyntaxError` when Java rejects the pattern.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ciconf.javaregex.syntax import (
    MAX_DEPTH,
    JavaSyntaxError,
    TooDeep,
    Translation,
    Undecided,
    translate,
)

__all__ = [
    "MAX_DEPTH",
    "Budget",
    "Compiled",
    "JavaSyntaxError",
    "TooDeep",
    "Undecided",
    "compile_java",
]

MATCH_SECONDS = 0.5  # one match; the regex module checks the time while it backtracks (coarsely)
TOTAL_SECONDS = 2.0  # every match of one plan together
_LINE_TERMINATORS = frozenset("\n\r\x85\u2028\u2029")


@dataclass(frozen=True)
class Compiled:
    translation: Translation
    regex: Any  # a regex.Pattern (the module is imported once a pattern is compiled)

    def condition(self, text: str) -> str | None:
        """Why the translation is not exact for `text` (None: it is)."""
        if self.translation.ascii_only and not text.isascii():
            return f"{self.translation.ascii_only} on non-ASCII text"
        if self.translation.single_line and not _LINE_TERMINATORS.isdisjoint(text):
            return self.translation.single_line
        return None


@lru_cache(maxsize=512)
def _compiled(pattern: str) -> Compiled | Exception:
    try:
        translation = translate(pattern)
    except (Undecided, JavaSyntaxError, TooDeep) as problem:
        return problem
    import regex  # type: ignore[import-untyped]  # only plans with regexes pay for the import

    try:
        return Compiled(translation, regex.compile(translation.python))
    except (regex.error, RecursionError, OverflowError) as error:  # pragma: no cover - a bug here
        return Undecided(f"its translation did not compile ({error})")


def compile_java(pattern: str) -> Compiled:
    """The compiled translation (cached); raises Undecided, JavaSyntaxError or TooDeep."""
    found = _compiled(pattern)
    if isinstance(found, Exception):
        raise found
    return found


class Budget:
    """Time for matching: MATCH_SECONDS per match, TOTAL_SECONDS for all of them."""

    def __init__(self, per_match: float | None = None, total: float | None = None) -> None:
        self.per_match = MATCH_SECONDS if per_match is None else per_match
        self.total = TOTAL_SECONDS if total is None else total
        self.left = self.total

    def full_match(self, pattern: str, text: str) -> bool:
        """Java's Pattern.matches(pattern, text); Undecided when ciconf cannot say."""
        compiled = compile_java(pattern)
        condition = compiled.condition(text)
        if condition:
            raise Undecided(condition)
        if self.left <= 0:
            raise Undecided(f"the plan's {self.total:g} s for regular expressions is used up")
        started = time.monotonic()
        seconds = min(self.per_match, self.left)
        try:
            return (
                compiled.regex.fullmatch(text, timeout=min(self.per_match, self.left)) is not None
            )
        except TimeoutError:
            raise Undecided(f"the regex did not finish in {seconds:g} s") from None
        finally:
            self.left -= time.monotonic() - started
