"""CircleCI `branches:`/`tags:` filters as the profile writes them: a list of names and /regex/.

A profile lists only what a job runs on. CircleCI's `ignore` (and `only` + `ignore`) is the same
set written as one pattern with a negative lookahead: CircleCI matches with Java regex and
requires the whole name to match (https://circleci.com/docs/configuration-reference/#branches),
which Python's `re.fullmatch` (ciconf's plan and loader) agrees with for this syntax.
"""

from __future__ import annotations

import re
from typing import Any

EVERYTHING = "/.*/"
NOTHING = "/(?!)/"  # a job whose filters match no push keeps them that way


def _items(value: Any) -> list[str]:
    if value is None:
        return []
    listed = value if isinstance(value, list) else [value]
    return [str(item) for item in listed]


def is_regex(item: str) -> bool:
    return len(item) >= 2 and item.startswith("/") and item.endswith("/")


def _body(item: str) -> str:
    """One filter item as a regex body: a /regex/ as written, a name literally."""
    return item[1:-1] if is_regex(item) else re.escape(item)


def _plain_name(item: str) -> bool:
    return (
        not is_regex(item)
        and re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_./+-]{0,199}", item) is not None
    )


def as_profile_list(spec: Any) -> list[str] | None:  # noqa: PLR0911 - one return per filter form
    """The refs a filter runs on as a profile list: [] for no filter (everything), None when the
    filter runs on nothing (`only: []`, or ignoring everything)."""
    if spec is None:
        return []
    if not isinstance(spec, dict):
        return None
    only, ignore = _items(spec.get("only")), _items(spec.get("ignore"))
    if "only" not in spec and not ignore:
        return []
    if EVERYTHING in ignore or "/.*/" in ignore or "/^.*$/" in ignore:
        return None
    if not ignore:
        if not only:
            return None
        return [
            item if is_regex(item) or _plain_name(item) else f"/{_body(item)}/" for item in only
        ]
    excluded = "|".join(_body(item) for item in ignore)
    wanted = "|".join(_body(item) for item in only) if only else ".*"
    return [f"/(?!(?:{excluded})$)(?:{wanted})/"]


def named_refs(spec: Any) -> list[str]:
    """The literal names a filter mentions (the pushes the proof tries)."""
    if not isinstance(spec, dict):
        return []
    return [
        item for key in ("only", "ignore") for item in _items(spec.get(key)) if not is_regex(item)
    ]


def ignores_every_tag(spec: Any) -> bool:
    return (
        isinstance(spec, dict) and "only" not in spec and EVERYTHING in _items(spec.get("ignore"))
    )


def _bodies(items: list[str]) -> str:
    return "|".join(_body(item) for item in items)


def negated(items: list[str]) -> str:
    """One /regex/ for every name none of `items` matches."""
    return f"/(?!(?:{_bodies(items)})$).*/"


def intersection(first: list[str], second: list[str]) -> str:
    """One /regex/ for the names both lists match."""
    return f"/(?=(?:{_bodies(first)})$)(?:{_bodies(second)})/"
