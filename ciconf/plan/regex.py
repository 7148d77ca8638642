"""User regular expressions from the config (`/regex/` filters, `matches` patterns), guarded.

These are the only regexes ciconf compiles from input, because they *are* the user's regexes.
CircleCI evaluates them with Java's regex engine and requires a full match
(https://circleci.com/docs/configuration-reference/#branches : "Regular expressions must match
the entire string"), i.e. Java's `Pattern.matches`. ciconf.javaregex translates the Java syntax
into an equal Python pattern and matches it within a time budget; a pattern or input it cannot
answer for exactly, or a match that does not finish in time, is undecided (values.Unknown with the
reason), never a different answer. A pattern Java rejects is a bad input, reported with its
location. Input lengths are bounded: patterns here, ref names in values.py.
"""

from __future__ import annotations

from ciconf.errors import shown
from ciconf.javaregex import MAX_DEPTH, Budget, JavaSyntaxError, TooDeep, Undecided, compile_java
from ciconf.plan.values import Unknown
from ciconf.plan.where import Where

MAX_PATTERN_LENGTH = 1000
_current = [Budget()]  # the budget of the plan being computed


def new_budget(budget: Budget | None = None) -> None:
    """Start the matching time of one plan afresh (every match of a plan shares the total)."""
    _current[0] = budget or Budget()


def _checked(pattern: str, where: Where) -> None:
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise where.error(
            f"regular expression is {len(pattern)} characters long; "
            f"the limit is {MAX_PATTERN_LENGTH}"
        )
    try:
        compile_java(pattern)
    except JavaSyntaxError as error:
        raise where.error(
            f"invalid regular expression {shown(pattern)}: {error}",
            expected="a regular expression in Java's syntax, which CircleCI uses",
        ) from None
    except TooDeep:
        raise where.error(
            f"regular expression {shown(pattern)} nests groups or classes deeper than "
            f"{MAX_DEPTH} levels, the limit of ciconf plan"
        ) from None
    except Undecided:
        pass  # valid as far as ciconf can tell; every match of it is undecided


def full_match(pattern: str, text: str, where: Where) -> bool:
    """Java's answer; Unknown (with the reason) when ciconf cannot give it exactly."""
    _checked(pattern, where)
    try:
        return _current[0].full_match(pattern, text)
    except Undecided as undecided:
        raise Unknown([], f"regex {shown(pattern)}: {undecided}") from None
