"""CC203: an unquoted environment value that YAML turns into something other than its text.

Environment variables are strings, but YAML types plain scalars first: `yes`, `no`, `on`, `off`
become booleans (so `MYSQL_ALLOW_EMPTY_PASSWORD: yes` sets the variable to `true`), `0755` is
an octal number (493), `1.10` is 1.1, `1:30` is 90, and YAML 1.2 parsers read `1e3` as 1000.0.
Checked wherever a mapping sits under an `environment` key (jobs, executors, docker images,
run steps, anchors), once where it is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ciconf.lint.context import LintContext
from ciconf.lint.findings import NAME_LIMIT, Finding
from ciconf.lint.rule import Rule

ID = "CC203"
YAML12_START = re.compile(r"[-+.0-9]")  # how a text that YAML 1.2 reads as a number starts
YAML12_NUMBER = re.compile(
    r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|0o[0-7]+|0x[0-9a-fA-F]+"
)


def check(ctx: LintContext) -> Iterator[Finding]:
    mappings = _environment_mappings(ctx)
    for path, mark in ctx.written():
        environment = mappings.get(path[:-1]) if len(path) >= 2 else None
        if environment is None:
            continue
        name = path[-1]
        value = environment.get(name)  # as ctx.value_at(path)
        if isinstance(value, str) and not YAML12_START.match(value):
            continue  # text that no YAML reads as anything else: skip reading the source
        token = ctx.source_token(mark)
        if token and _trap(token, value):
            yield ctx.finding(ID, mark, lambda: _message(path[-1], token, value))


def _environment_mappings(ctx: LintContext) -> dict[tuple, dict]:
    """Mappings used as environments, by path: written under `environment`, or anchored
    elsewhere and aliased or merged (`<<: *env`) into an `environment`."""
    found = {path[:-1] for path, _ in ctx.written() if len(path) > 1 and path[-2] == "environment"}
    for name, used_at in ctx.doc.alias_paths:
        where = tuple(part for part in used_at if isinstance(part, str))  # drop merge keys, indexes
        if where[-1:] == ("environment",) and name in ctx.doc.anchor_paths:
            found.add(ctx.doc.anchor_paths[name])
    values = {path: ctx.value_at(path) for path in found}
    return {path: value for path, value in values.items() if isinstance(value, dict)}


def _message(name: Any, token: str, value: Any) -> str:
    name = shortened(str(name))
    return f"{name}: {_trap(token, value)}; quote it: {name}: '{shortened(token)}'"


def shortened(text: str, limit: int = NAME_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _trap(token: str, value: Any) -> str | None:
    if isinstance(value, bool):
        if token.lower() in ("true", "false"):
            return None
        return (
            f"{token} is read as the boolean {str(value).lower()}, so the variable is set to "
            f"'{str(value).lower()}'"
        )
    if isinstance(value, (int, float)) and _as_text(value) != token:
        return (
            f"{token} is read as the number {_as_text(value)}, so the variable is set to "
            f"'{_as_text(value)}'"
        )
    if isinstance(value, str) and value == token and YAML12_NUMBER.fullmatch(token):
        return f"{token} is read as a number by YAML 1.2 parsers ({_yaml12_value(token)})"
    return None


def _as_text(value: int | float) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def _yaml12_value(token: str) -> str:
    if token.startswith(("0o", "0x")):
        return str(int(token, 0))
    return repr(float(token))


RULE = Rule(
    ID,
    "yaml11-environment-value",
    "an unquoted environment value is typed by YAML (yes -> true, 0755 -> 493, 1e3 -> 1000.0)",
    check,
)
