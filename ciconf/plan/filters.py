"""CircleCI job filters (`filters: {branches: ..., tags: ...}` or an expression) for one push.

The rules, from https://circleci.com/docs/configuration-reference/#filters and
https://circleci.com/docs/workflows/#executing-workflows-for-a-git-tag :

- `only`/`ignore` take a string or a list; a string between slashes (`/^release-.*/`) is a regular
  expression that must match the *entire* name, anything else is compared literally
  (`feature/.*` without slashes matches only a branch literally called `feature/.*`);
- branches: no `only` and no `ignore` -> every branch; with both, `only` is considered before
  `ignore`, so a name matching both is ignored;
- tags: CircleCI does not run a job for a tag unless a `tags` filter allows it (no `tags` key, or
  one without `only`/`ignore`, means the job is skipped for every tag);
- on a branch push the `tags` filter is irrelevant, on a tag push the `branches` filter is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ciconf.errors import shown
from ciconf.plan import choices
from ciconf.plan.expressions import evaluate_expression, expression_strings
from ciconf.plan.regex import full_match
from ciconf.plan.values import TEMPLATE, Push, Unknown, Values, quoted
from ciconf.plan.where import Where

REGEX_HINT_CHARS = set("*+?[]()^$|\\{}")


@dataclass(frozen=True)
class Decision:
    """Whether something runs: True, False, or None when it depends on unknown pipeline values."""

    runs: bool | None
    reason: str | None = None

    @staticmethod
    def yes() -> Decision:
        return Decision(True)


def _items(value: Any, where: Where) -> list[tuple[str, Where]]:
    if isinstance(value, str):
        return [(value, where)]
    if isinstance(value, list) and all(isinstance(item, (str, int, float)) for item in value):
        return [(str(item), where.at(index)) for index, item in enumerate(value)]
    raise where.error(f"expected a string or a list of strings, got {shown(value)}")


def is_regex(item: str) -> bool:
    return len(item) >= 2 and item.startswith("/") and item.endswith("/")


def _matching(items: list[tuple[str, Where]], name: str) -> str | Unknown | None:
    """The first item that selects `name` (exact string, or /regex/ matching all of it); an
    Unknown when none does but a regex could not be decided; None when none does."""
    undecided: Unknown | None = None
    for item, where in items:
        if is_regex(item):
            try:
                if full_match(item[1:-1], name, where):
                    return item
            except Unknown as unknown:
                undecided = undecided or unknown
        elif item == name:
            return item
    return undecided


def _literal_hint(items: list[tuple[str, Where]]) -> str:
    """Silent-failure hint: a pattern-looking string without slashes is compared literally."""
    literal = [item for item, _ in items if not is_regex(item) and REGEX_HINT_CHARS & set(item)]
    if not literal:
        return ""
    return f" ({quoted(literal[0])} has no /slashes/, so it is compared literally, not as a regex)"


def ref_filter(spec: Any, push: Push, where: Where) -> Decision:  # noqa: PLR0911 - one return per case, read as a table
    """`branches:` or `tags:` (whichever the push is) applied to the pushed name."""
    key = "tags" if push.is_tag else "branches"
    if spec is None:
        if push.is_tag:
            return Decision(
                False, "no tags filter (a tag push runs only jobs whose tags filter allows it)"
            )
        return Decision.yes()
    if not isinstance(spec, dict):
        raise where.error(f"expected a mapping with only: and/or ignore:, got {shown(spec)}")
    unknown = set(spec) - {"only", "ignore"}
    if unknown:
        raise where.at(sorted(map(str, unknown))[0]).error(
            "unknown filter key", expected="only or ignore"
        )
    templated = sorted(
        {
            name
            for value in spec.values()
            for item, _ in _items(value, where)
            for name in TEMPLATE.findall(item)
        }
    )
    if templated:  # values the push decides were filled in already; these are unknown
        return Decision(None, f"{key} filter depends on {', '.join(templated)}")
    if push.is_tag and "only" not in spec and "ignore" not in spec:
        return Decision(False, "tags filter has neither only nor ignore (skipped for every tag)")
    only_hit: str | None = None
    undecided_only: Decision | None = None
    if "only" in spec:
        only = _items(spec["only"], where.at("only"))
        only_found = _matching(only, push.name)
        if isinstance(only_found, Unknown):
            undecided_only = undecided(only_found, f"{key}.only")
        elif only_found is None:
            listed = ", ".join(quoted(item) for item, _ in only[:3]) + (
                ", ..." if len(only) > 3 else ""
            )
            return Decision(
                False,
                f"{key}.only ({listed}) does not match {quoted(push.name)}{_literal_hint(only)}",
            )
        else:
            only_hit = only_found
    if "ignore" in spec:
        ignored = _ignored(spec["ignore"], key, push, where.at("ignore"), only_hit)
        if ignored is not None:
            return ignored
    return undecided_only or Decision.yes()


def _ignored(
    value: Any, key: str, push: Push, where: Where, only_hit: str | None
) -> Decision | None:
    """The decision when `ignore` selects the pushed name or cannot tell; None when it does not."""
    ignore_hit = _matching(_items(value, where), push.name)
    if isinstance(ignore_hit, Unknown):
        return undecided(ignore_hit, f"{key}.ignore")
    if ignore_hit is None:
        return None
    beats = f" (ignore beats only {quoted(only_hit)})" if only_hit is not None else ""
    return Decision(False, f"{key}.ignore {quoted(ignore_hit)} matches {quoted(push.name)}{beats}")


def job_filter(filters: Any, values: Values, where: Where) -> Decision:
    """A workflow job's `filters` for this push."""
    push = values.push
    if filters is None:
        return ref_filter(None, push, where)
    if isinstance(filters, str):
        try:
            truth, note = choices.decide(
                lambda tried: evaluate_expression(filters, tried, where),
                values,
                expression_strings(filters),
            )
        except Unknown as unknown:
            return undecided(unknown, "filter expression")
        if truth:
            return Decision(True)
        why = f" ({note})" if note else ""
        return Decision(False, f"filter expression {quoted(filters)} is false{why}")
    if not isinstance(filters, dict):
        raise where.error(
            f"expected a mapping (branches:, tags:) or an expression, got {shown(filters)}"
        )
    key = "tags" if push.is_tag else "branches"
    decision = ref_filter(filters.get(key), push, where.at(key))
    extra = sorted(map(str, set(filters) - {"branches", "tags"}))
    if extra and decision.runs is not False:
        # newer filter kinds (e.g. pull_requests) that ciconf does not model: reported, not guessed
        return Decision(None, f"also filtered by filters.{extra[0]}, which ciconf does not model")
    return decision


def undecided(unknown: Unknown, what: str) -> Decision:
    if unknown.names:
        return Decision(
            None,
            f"{what} depends on {', '.join(sorted(unknown.names))}"
            + (f" ({unknown.note})" if unknown.note else ""),
        )
    return Decision(None, f"{what}: {unknown.note or 'cannot be decided'}")
