"""Three-valued logic over the values a pipeline value can take for one kind of run.

`not equal [scheduled_pipeline, << pipeline.trigger_source >>]` is true for every push, though a
push does not say what its trigger source is: it is one of a set (values.RUN_CHOICES, "any
value but api and scheduled_pipeline"). A condition that still waits for such values is evaluated
once per value they can take, and decided when every value gives the same answer.

The candidates of a set "any value but X" are the strings the condition itself is written with
(each one a possible value, unless excluded), the empty string, and one `values.Other` standing
for every other string: it equals none of those, and anything the evaluator cannot tell for it
(a `matches`, a `starts-with`, a comparison with a string it was not built against, a place in a
longer text) is undecided, so an "any other value" never gives a wrong answer.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import Any

from ciconf.plan.values import Choices, Other, Unknown, Values

MAX_TRIALS = 256  # combinations of candidate values tried for one condition


def decide(
    evaluate: Callable[[Values], bool], values: Values, literals: Iterable[str]
) -> tuple[bool, str | None]:
    """`evaluate(values)`, or its one answer over every value the run leaves open, with a note
    saying which values that was; Unknown when the answer depends on them."""
    try:
        return evaluate(values), None
    except Unknown as unknown:
        names = sorted(name for name in unknown.names if name in values.choices)
        if not names:
            raise
        written = set(literals)
        candidates = [_candidates(name, values.choices[name], written) for name in names]
        if _count(candidates) > MAX_TRIALS:
            raise
        answers = [
            _try(evaluate, values, dict(zip(names, chosen, strict=True)))
            for chosen in itertools.product(*candidates)
        ]
        note = _note(names, values)
        undecided = [answer for answer in answers if isinstance(answer, Unknown)]
        if not undecided and len(set(answers)) == 1:
            return answers[0], note
        raise Unknown(
            frozenset(names).union(*(item.names for item in undecided)),
            "; ".join(dict.fromkeys([note, *(item.note for item in undecided if item.note)])),
        ) from None


def _candidates(name: str, choices: Choices, written: set[str]) -> list[Any]:
    if not choices.others:
        return sorted(choices.values)
    possible = sorted((written | {""}) - choices.values)
    return [*possible, Other(name, frozenset(possible) | choices.values)]


def _count(candidates: list[list[Any]]) -> int:
    count = 1
    for listed in candidates:
        count *= len(listed)
    return count


def _try(evaluate: Callable[[Values], bool], values: Values, assumed: dict[str, Any]) -> Any:
    try:
        return evaluate(values.trying(assumed))
    except Unknown as unknown:
        return unknown


def _note(names: list[str], values: Values) -> str:
    sets = "; ".join(f"{name}: {values.choices[name].describe()}" for name in names)
    return f"on {values.push.run}, {sets}"


def written_strings(statement: Any) -> set[str]:
    """Every string a logic statement is written with (the candidates of an "any value but")."""
    found: set[str] = set()
    stack = [statement]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.add(item)
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
    return found
