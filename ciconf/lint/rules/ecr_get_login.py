"""CC302: `aws ecr get-login`, which AWS CLI v2 removed; use `aws ecr get-login-password`."""

from __future__ import annotations

import re
from typing import Iterator

from ciconf.lint.context import LintContext
from ciconf.lint.findings import Finding
from ciconf.lint.rule import Rule
from ciconf.yamlkit.load import Mark

ID = "CC302"
GET_LOGIN = re.compile(r"\baws\b[^\n;&|]*?\becr\s+get-login(?![\w-])")
FIX = "aws ecr get-login-password | docker login --username AWS --password-stdin <registry>"


def check(ctx: LintContext) -> Iterator[Finding]:
    for path, mark in ctx.written():
        if not _is_command(path):
            continue
        command = ctx.value_at(path)
        if isinstance(command, str) and any(_active(line) for line in command.splitlines()):
            yield ctx.finding(
                ID,
                _line_of_call(ctx, mark, command),
                f"`aws ecr get-login` was removed in AWS CLI v2; use `{FIX}`",
            )


def _is_command(path: tuple) -> bool:
    return bool(path) and (path[-1] == "run" or (len(path) > 1 and path[-2:] == ("run", "command")))


def _active(line: str) -> bool:
    """The call is on this shell line and not commented out."""
    match = GET_LOGIN.search(line)
    return match is not None and "#" not in line[: match.start()].replace("$#", "")


def _line_of_call(ctx: LintContext, mark: Mark, command: str) -> Mark:
    """The source line of the call inside a multi-line command (the value's mark if not found)."""
    last = min(len(ctx.lines), mark.line + command.count("\n") + 1)
    for number in range(mark.line, last + 1):
        line = ctx.lines[number - 1]
        match = GET_LOGIN.search(line)
        if match and _active(line):
            return Mark(number, match.start() + 1)
    return mark


RULE = Rule(ID, "ecr-get-login", "`aws ecr get-login` (removed in AWS CLI v2) instead of get-login-password", check)
