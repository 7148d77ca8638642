"""CC302: `aws ecr get-login`, which AWS CLI v2 removed; use `aws ecr get-login-password`."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ciconf.lint.context import LintContext
from ciconf.lint.findings import Finding
from ciconf.lint.rule import Rule
from ciconf.yamlkit.load import Mark

ID = "CC302"
# Both patterns are linear: no nested or adjacent repetition that could retry a character.
ECR_GET_LOGIN = re.compile(r"\becr\s+get-login(?![\w-])")
AWS = re.compile(r"\baws\b")
SEPARATORS = re.compile(r"[;&|]")
FIX = "aws ecr get-login-password | docker login --username AWS --password-stdin <registry>"


def check(ctx: LintContext) -> Iterator[Finding]:
    if "get-login" not in ctx.text:
        return
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
    return _call_at(line) is not None


def _call_at(line: str) -> int | None:
    """Where `aws ... ecr get-login` starts on this shell line, unless commented out.

    `aws` and `ecr get-login` must be in one command (no `;`, `&` or `|` between them). One
    pass over the line: each command is searched once, left to right.
    """
    comment = _comment_at(line)
    start = 0
    for separator in [*SEPARATORS.finditer(line, 0, comment), None]:
        end = separator.start() if separator else comment
        aws = AWS.search(line, start, end)
        if aws:
            call = ECR_GET_LOGIN.search(line, aws.end(), end)
            if call:
                return aws.start()
        start = end + 1
    return None


def _comment_at(line: str) -> int:
    """Where a `#` comment starts (not `$#`), or the end of the line."""
    position = line.find("#")
    while position > 0 and line[position - 1] == "$":
        position = line.find("#", position + 1)
    return len(line) if position < 0 else position


def _line_of_call(ctx: LintContext, mark: Mark, command: str) -> Mark:
    """The source line of the call inside a multi-line command (the value's mark if not found)."""
    last = min(len(ctx.lines), mark.line + command.count("\n") + 1)
    for number in range(mark.line, last + 1):
        call = _call_at(ctx.lines[number - 1])
        if call is not None:
            return Mark(number, call + 1)
    return mark


RULE = Rule(
    ID,
    "ecr-get-login",
    "`aws ecr get-login` (removed in AWS CLI v2) instead of get-login-password",
    check,
)
