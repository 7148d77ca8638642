"""User regular expressions from the config (`/regex/` filters, `matches` patterns), guarded.

These are the only regexes ciconf compiles from input, because they *are* the user's regexes.
CircleCI evaluates them with Java's regex engine and requires a full match
(https://circleci.com/docs/configuration-reference/#branches : "Regular expressions must match
the entire string"); Python's `re.fullmatch` gives the same answer for the common syntax. A pattern
Python cannot compile (Java-only syntax, or a broken pattern) is a bad input, reported with its
location, never guessed at. Input lengths are bounded: patterns here, ref names in values.py.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ciconf.errors import shown
from ciconf.plan.where import Where

MAX_PATTERN_LENGTH = 1000


@lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern[str] | str:
    try:
        return re.compile(pattern)
    except re.error as error:
        return str(error)
    except RecursionError:  # pragma: no cover - deeply nested groups
        return "nested too deeply"


def compile_user_regex(pattern: str, where: Where) -> re.Pattern[str]:
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise where.error(
            f"regular expression is {len(pattern)} characters long; the limit is "
            f"{MAX_PATTERN_LENGTH}"
        )
    compiled = _compiled(pattern)
    if isinstance(compiled, str):
        raise where.error(
            f"invalid regular expression {shown(pattern)}: {compiled}",
            expected="a regular expression (CircleCI uses Java regex syntax; ciconf checks it with "
            "Python's re)",
        )
    return compiled


def full_match(pattern: str, text: str, where: Where) -> bool:
    return compile_user_regex(pattern, where).fullmatch(text) is not None
