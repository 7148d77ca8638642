"""CC001: the config does not match CircleCI's official schema (see ciconf.lint.schema)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ciconf.errors import dotted
from ciconf.lint.context import LintContext
from ciconf.lint.findings import Finding
from ciconf.lint.rule import Rule
from ciconf.lint.rules import schema_lag
from ciconf.lint.schema import circleci_validator, json_compatible, quick_checker

ID = "CC001"
MAX_MESSAGE = 200


VAGUE = ("type", "enum", "const", "oneOf", "anyOf", "allOf", "not")


def check(ctx: LintContext) -> Iterator[Finding]:
    undefined = {alias.path for alias in ctx.doc.undefined_aliases}
    keys = _Keys()
    data = json_compatible(ctx.data)
    checker = quick_checker()
    try:
        if checker.valid(checker.root, data) is True:
            return  # what jsonschema would say too, without importing it
        for found in circleci_validator().iter_errors(data):
            error = _most_specific(found)
            path = tuple(error.absolute_path)
            if undefined and any(path[:length] in undefined for length in range(len(path) + 1)):
                continue  # already reported as CC202; its null value is a consequence
            lags = schema_lag.lagging(error, path)
            if lags:  # the schema is behind, not the config: CC002 says so
                loaded = _loaded_path(path, ctx.data, keys)
                schema_lag.remember(ctx, ctx.doc.mark_for((*loaded, lags[0])), path, lags)
                continue
            last = not ctx.shown(ID)  # the first one that will not be shown
            yield ctx.finding(
                ID, ctx.doc.mark_for(_loaded_path(path, ctx.data, keys)), _message(path, error)
            )
            if last:  # validating the rest of a huge invalid config would only be counted
                ctx.stop(ID)
                return
    finally:
        checker.forget()


def _most_specific(error: Any) -> Any:
    """Inside oneOf/anyOf, the deepest complaint is about the branch that came closest.

    (jsonschema's best_match prefers the shallowest error, which here is "{the whole job} is
    not of type 'string'"; the user needs "'if' was unexpected" at the step.)
    """
    while error.context:
        error = max(error.context, key=lambda e: (len(e.absolute_path), e.validator not in VAGUE))
    return error


class _Keys:
    """For each mapping met, its keys by their JSON spelling, built once (a lookup per error,
    not a scan of a mapping that may hold thousands of keys)."""

    def __init__(self) -> None:
        self.seen: dict[int, tuple[dict, dict[str, Any]]] = {}

    def key(self, node: dict, part: Any) -> Any:
        if part in node:
            return part
        known = self.seen.get(id(node))
        if known is None:
            spelled: dict[str, Any] = {}
            for key in node:
                spelled.setdefault(str(key), key)
            known = self.seen[id(node)] = (node, spelled)  # keep node alive: its id stays its own
        return known[1].get(str(part), part)


def _loaded_path(path: tuple, data: Any, keys: _Keys) -> tuple:
    """Map a JSON path (string keys) back to the YAML keys (which may be numbers or booleans)."""
    result, node = [], data
    for part in path:
        if isinstance(node, dict):
            key = keys.key(node, part)
            result.append(key)
            node = node.get(key)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            result.append(part)
            node = node[part]
        else:
            break
    return tuple(result)


def _message(path: tuple, error: Any) -> str:
    text = error.message
    if len(text) > MAX_MESSAGE:
        text = text[: MAX_MESSAGE - 3] + "..."
    return f"{dotted(path)}: {text}"


RULE = Rule(ID, "schema", "the config does not match CircleCI's official config schema", check)
