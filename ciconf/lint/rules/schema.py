"""CC001: the config does not match CircleCI's official schema (see ciconf.lint.schema)."""

from __future__ import annotations

from typing import Any, Iterator

from ciconf.lint.context import LintContext, dotted
from ciconf.lint.findings import Finding
from ciconf.lint.rule import Rule
from ciconf.lint.schema import circleci_validator, json_compatible

ID = "CC001"
MAX_MESSAGE = 200


VAGUE = ("type", "enum", "const", "oneOf", "anyOf", "allOf", "not")


def check(ctx: LintContext) -> Iterator[Finding]:
    undefined = [alias.path for alias in ctx.doc.undefined_aliases]
    for error in circleci_validator().iter_errors(json_compatible(ctx.data)):
        error = _most_specific(error)
        path = tuple(error.absolute_path)
        if any(path[: len(alias)] == alias for alias in undefined):
            continue  # already reported as CC202; its null value is a consequence
        yield ctx.finding(ID, ctx.doc.mark_for(_loaded_path(path, ctx.data)), _message(path, error))


def _most_specific(error: Any) -> Any:
    """Inside oneOf/anyOf, the deepest complaint is about the branch that came closest.

    (jsonschema's best_match prefers the shallowest error, which here is "{the whole job} is
    not of type 'string'"; the user needs "'if' was unexpected" at the step.)
    """
    while error.context:
        error = max(error.context, key=lambda e: (len(e.absolute_path), e.validator not in VAGUE))
    return error


def _loaded_path(path: tuple, data: Any) -> tuple:
    """Map a JSON path (string keys) back to the YAML keys (which may be numbers or booleans)."""
    result, node = [], data
    for part in path:
        if isinstance(node, dict):
            key = next((k for k in node if str(k) == str(part) or k == part), part)
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
