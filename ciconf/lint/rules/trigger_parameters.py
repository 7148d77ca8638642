"""CC304: a pipeline value under `pipeline.trigger_parameters.circleci.*` or `.github_app.*`.

https://circleci.com/changelog/eol-notice-for-some-pipeline-values-starting-with-pipeline/ :
"Effective August 1, 2026, support for all pipeline values starting with
pipeline.trigger_parameters.circleci.* and pipeline.trigger_parameters.github_app.* will be
discontinued. These values will no longer be guaranteed to be present". They are superseded by
`pipeline.trigger.*`, `pipeline.event.*` and `pipeline.git.*`; the replacement the notice names
is suggested. Other `pipeline.trigger_parameters.*` values (custom webhooks, GitLab) are not in
the notice and not flagged. Found in every string of the config, in `<< ... >>` templates and in
expression filters (`filters: pipeline.trigger_parameters... == "x"`) alike.
"""

from __future__ import annotations

from collections.abc import Iterator

from ciconf.lint.context import LintContext
from ciconf.lint.findings import Finding
from ciconf.lint.rule import Rule

ID = "CC304"
PREFIX = "pipeline.trigger_parameters."
RETIRED = (PREFIX + "circleci.", PREFIX + "github_app.")
NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
MAX_NAME = 120
REPLACEMENTS = {  # from the end-of-life notice
    "circleci.trigger_type": "pipeline.trigger.type",
    "circleci.event_time": "pipeline.trigger.received_at",
    "circleci.event_type": "pipeline.event.name",
    "github_app.ref": "pipeline.event.github.ref (pull requests: "
    "pipeline.event.github.pull_request.head.ref)",
    "github_app.checkout_sha": "pipeline.git.revision",
    "github_app.user_name": "pipeline.event.github.sender.login",
    "github_app.user_username": "pipeline.event.github.sender.login",
    "github_app.user_avatar": "pipeline.event.github.sender.avatar_url",
}


def check(ctx: LintContext) -> Iterator[Finding]:
    if PREFIX not in ctx.text:
        return
    for _path, mark, text in ctx.written_strings():
        for name in dict.fromkeys(_names(text)):
            yield ctx.finding(ID, mark, _message(name))


def _names(text: str) -> Iterator[str]:
    """Each retired value named in `text` (one linear scan: `str.find`, then name characters)."""
    start = text.find(PREFIX)
    while start >= 0:
        end = start + len(PREFIX)
        while end < len(text) and end - start < MAX_NAME and text[end] in NAME_CHARS:
            end += 1
        name = text[start:end].rstrip(".")
        if name.startswith(RETIRED):
            yield name
        start = text.find(PREFIX, end)


def _message(name: str) -> str:
    replacement = REPLACEMENTS.get(name[len(PREFIX) :])
    advice = (
        f"use {replacement}"
        if replacement
        else "use the pipeline.trigger.*, pipeline.event.* or pipeline.git.* value that replaces it"
    )
    return (
        f"{name} reached end of life on 2026-08-01 (CircleCI no longer guarantees it is set); "
        + advice
    )


RULE = Rule(
    ID,
    "trigger-parameters-eol",
    "a pipeline.trigger_parameters.circleci.* or .github_app.* value (end of life 2026-08-01)",
    check,
)
