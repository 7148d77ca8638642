"""Workflow `when`/`unless` logic statements and expression-based job filters, three-valued.

Logic statements (https://circleci.com/docs/configuration-reference/#logic-statements):
`and`, `or`, `not`, `equal`, `matches` over YAML literals and `<< pipeline.x >>` values; falsy are
false, null, 0, NaN, the empty string and statements with no arguments; `matches` is a full match.
Expression filters (https://circleci.com/docs/guides/orchestrate/using-branch-filters/ ,
"Filter a job with an expression"): `filters: pipeline.git.branch == "main" or ...`.

Each evaluates to True or False, or raises values.Unknown naming the pipeline values the answer
depends on. An expression this module does not understand raises Unknown too (with a note): it is
reported, never guessed.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

from ciconf.errors import shown
from ciconf.plan.regex import full_match
from ciconf.plan.values import Other, Unknown, Values, fill, pipeline_lookup
from ciconf.plan.where import Where

MAX_DEPTH = 100  # "nested ... to a maximum depth of 100 levels"
OPERATORS = ("and", "or", "not", "equal", "matches")


def truthy(value: Any) -> bool:
    if value is None or value is False or value == "":
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value != 0 and not (isinstance(value, float) and math.isnan(value))
    if isinstance(value, (list, dict)):
        return bool(value)
    return True


def evaluate(statement: Any, values: Values, where: Where, depth: int = 0) -> bool:
    """A logic statement's truth for this push; raises Unknown when it depends on unknown values."""
    if depth > MAX_DEPTH:
        raise where.error(f"logic statements are nested deeper than {MAX_DEPTH} levels")
    if not isinstance(statement, dict):
        return truthy(fill(statement, pipeline_lookup(values)))
    if len(statement) != 1 or next(iter(statement)) not in OPERATORS:
        keys = ", ".join(map(str, statement)) or "nothing"
        raise where.error(
            f"a logic statement has one key, got {shown(keys)}",
            expected="one of " + ", ".join(OPERATORS),
        )
    operator, argument = next(iter(statement.items()))
    here = where.at(operator)
    if operator == "not":
        argument = argument[0] if isinstance(argument, list) and len(argument) == 1 else argument
        return not evaluate(argument, values, here, depth + 1)
    if operator == "matches":
        return _matches(argument, values, here)
    if not isinstance(argument, list):
        raise here.error(
            f"{operator} takes a list", expected="a list of logic statements or values"
        )
    if operator == "equal":
        return _equal(_fill_all(argument, values))
    results = [
        _try(functools.partial(evaluate, item, values, here.at(index), depth + 1))
        for index, item in enumerate(argument)
    ]
    return _combine(operator, results)


def _try(thunk: Callable[[], Any]) -> Any:
    """What `thunk` returns, or the Unknown it raised."""
    try:
        return thunk()
    except Unknown as unknown:
        return unknown


def _combine(operator: str, results: list) -> bool:
    """and/or over True/False/Unknown: a decided argument can settle the answer alone."""
    decisive = operator == "or"  # `or` is settled by a True, `and` by a False
    results = [result if isinstance(result, Unknown) else truthy(result) for result in results]
    if any(result is decisive for result in results):
        return decisive
    unknown = [result for result in results if isinstance(result, Unknown)]
    if unknown:
        raise merged(unknown)
    return not decisive if results else False  # "statements with no arguments" are falsy


def merged(unknowns: list[Unknown]) -> Unknown:
    """One Unknown for several: every name, every distinct note."""
    notes = list(dict.fromkeys(item.note for item in unknowns if item.note))
    return Unknown(frozenset().union(*(item.names for item in unknowns)), "; ".join(notes))


def _fill_all(items: list, values: Values) -> list:
    """Every item with its templates filled; Unknown naming all the values still missing."""
    filled: list = []
    names: set[str] = set()
    for item in items:
        try:
            filled.append(fill(item, pipeline_lookup(values)))
        except Unknown as unknown:
            names |= unknown.names
    if names:
        raise Unknown(names)
    return filled


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, Other) or isinstance(right, Other):
        return _same_other(left, right)
    # YAML booleans are not the numbers 1 and 0, as Python's == would have it
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    return left == right


def _same_other(left: Any, right: Any) -> bool:
    """Equality with "another value" (ciconf.plan.choices): it differs from the strings it was
    made to differ from and from every non-string; anything else is undecided."""
    other, value = (left, right) if isinstance(left, Other) else (right, left)
    if isinstance(value, Other):
        if value.name == other.name:
            return True
        raise Unknown([other.name, value.name])
    if not isinstance(value, str) or value in other.differs:
        return False
    raise Unknown([other.name])


def _opaque(*items: Any) -> None:
    """ "Another value" cannot be matched against a pattern or a prefix: undecided."""
    others = [item.name for item in items if isinstance(item, Other)]
    if others:
        raise Unknown(others)


def _equal(items: list) -> bool:
    return bool(items) and all(_same(items[0], item) for item in items[1:])


def _matches(argument: Any, values: Values, where: Where) -> bool:
    if not isinstance(argument, dict) or set(argument) != {"pattern", "value"}:
        raise where.error("matches takes a mapping", expected="pattern: and value:")
    pattern = fill(argument["pattern"], pipeline_lookup(values))
    value = fill(argument["value"], pipeline_lookup(values))
    if not isinstance(pattern, str):
        raise where.at("pattern").error("the pattern must be a string")
    _opaque(pattern, value)
    return full_match(pattern, "" if value is None else str(value), where.at("pattern"))


# --- expression-based job filters: a small tokenizer and recursive-descent parser ---------------

_WORD_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
_KEYWORDS = {"and", "or", "not", "true", "false", "null"}
_COMPARISONS = {"==", "!=", "starts-with"}
MAX_EXPRESSION = 4000


MAX_NESTING = 50  # parentheses and `not`s inside each other; the parser recurses once per level


class _NotUnderstood(Exception):
    pass


class _TooDeep(Exception):
    pass


def _tokens(text: str) -> list[tuple[str, Any]]:
    tokens: list[tuple[str, Any]] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char.isspace():
            index += 1
        elif char in "()":
            tokens.append((char, char))
            index += 1
        elif text.startswith(("==", "!="), index):
            tokens.append(("op", text[index : index + 2]))
            index += 2
        elif char in "\"'":
            end = text.find(char, index + 1)
            if end < 0:
                raise _NotUnderstood("an unterminated string")
            tokens.append(("literal", text[index + 1 : end]))
            index = end + 1
        elif char in _WORD_CHARS:
            end = index
            while end < len(text) and text[end] in _WORD_CHARS:
                end += 1
            word = text[index:end]
            index = end
            tokens.append(_word(word))
        else:
            raise _NotUnderstood(f"the character {char!r}")
    return tokens


def _word(word: str) -> tuple[str, Any]:  # noqa: PLR0911 - one return per case, read as a table
    if word == "starts-with":
        return ("op", word)
    if word in ("and", "or", "not"):
        return (word, word)
    if word in ("true", "false"):
        return ("literal", word == "true")
    if word == "null":
        return ("literal", None)
    if word.startswith("pipeline."):
        return ("name", word)
    try:
        return ("literal", int(word))
    except ValueError:
        pass
    try:
        return ("literal", float(word))
    except ValueError:
        raise _NotUnderstood(f"the word {word!r}") from None


class _Parser:
    """or_expr := and_expr ('or' and_expr)* ; and_expr := unary ('and' unary)* ;
    unary := 'not' unary | comparison ; comparison := atom (op atom)? ;
    atom := '(' or_expr ')' | value"""

    def __init__(self, tokens: list[tuple[str, Any]], values: Values) -> None:
        self.tokens = tokens
        self.position = 0
        self.values = values
        self.depth = 0

    def deeper(self) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise _TooDeep

    def peek(self) -> str | None:
        return self.tokens[self.position][0] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, Any]:
        if self.position >= len(self.tokens):
            raise _NotUnderstood("an unfinished expression")
        token = self.tokens[self.position]
        self.position += 1
        return token

    def parse(self) -> Any:
        result = self.or_expr()
        if self.position != len(self.tokens):
            raise _NotUnderstood(f"{self.tokens[self.position][1]!r} after a complete expression")
        return result

    def or_expr(self) -> Any:
        results = [_try(self.and_expr)]
        while self.peek() == "or":
            self.take()
            results.append(_try(self.and_expr))
        return (
            results[0]
            if len(results) == 1 and not isinstance(results[0], Unknown)
            else _combine("or", results)
        )

    def and_expr(self) -> Any:
        results = [_try(self.unary)]
        while self.peek() == "and":
            self.take()
            results.append(_try(self.unary))
        return (
            results[0]
            if len(results) == 1 and not isinstance(results[0], Unknown)
            else _combine("and", results)
        )

    def unary(self) -> Any:
        if self.peek() == "not":
            self.take()
            self.deeper()
            result = not truthy(self.unary())
            self.depth -= 1
            return result
        return self.comparison()

    def comparison(self) -> Any:
        left = _try(self.atom)
        if self.peek() != "op":
            if isinstance(left, Unknown):
                raise left
            return left
        operator = self.take()[1]
        right = _try(self.atom)
        unknown = [side for side in (left, right) if isinstance(side, Unknown)]
        if unknown:
            raise merged(unknown)
        if operator == "==":
            return _same(left, right)
        if operator == "!=":
            return not _same(left, right)
        _opaque(left, right)
        return isinstance(left, str) and isinstance(right, str) and left.startswith(right)

    def atom(self) -> Any:
        kind, value = self.take()
        if kind == "(":
            self.deeper()
            result = _try(self.or_expr)
            self.depth -= 1
            if self.take()[0] != ")":
                raise _NotUnderstood("a missing ')'")
            if isinstance(result, Unknown):
                raise result
            return result
        if kind == "literal":
            return value
        if kind == "name":
            return self.values.lookup(value)
        raise _NotUnderstood(f"{value!r} where a value was expected")


def expression_strings(text: str) -> set[str]:
    """The string literals of an expression filter (ciconf.plan.choices tries them as values)."""
    try:
        return {
            value for kind, value in _tokens(text) if kind == "literal" and isinstance(value, str)
        }
    except _NotUnderstood:
        return set()


def evaluate_expression(text: str, values: Values, where: Where) -> bool:
    """An expression filter's truth; Unknown (with a note) when it cannot be decided or
    understood."""
    if len(text) > MAX_EXPRESSION:
        raise where.error(
            f"the filter expression is {len(text)} characters long; the limit is {MAX_EXPRESSION}"
        )
    try:
        return truthy(_Parser(_tokens(text), values).parse())
    except _NotUnderstood as problem:
        raise Unknown([], f"expression not understood by ciconf ({problem})") from None
    except _TooDeep:
        raise where.error(
            f"the filter expression nests parentheses or `not` deeper than {MAX_NESTING} levels, "
            "the limit of ciconf plan"
        ) from None
