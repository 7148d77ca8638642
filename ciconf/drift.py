"""Which profile key produced a hand-edited line of a generated CircleCI config.

A hand edit of a generated file is lost at the next render; `check` says so and names the profile
key to change instead. The key is read off the config's structure around the first changed line:
the job (or anchor, or workflow) it sits in, as the profile names it (docs/profiles.md).
"""

from __future__ import annotations

import re

_HUNK = re.compile(r"^@@ -(\d+)")
_KEY = re.compile(r"^( *)([A-Za-z0-9_.-]+):")
_ANCHORS = {
    "test_environment": "test",
    "restore_cache": "test.cache",
    "save_cache": "test.cache",
    "install": "test.install",
    "initialize": "test.setup",
    "test": "test.command",
    "delivery_image": "delivery",
}


def profile_key(committed: list[str], diff: list[str]) -> str:
    """The profile key, quoted for a message, behind the first line the diff changes."""
    line = _first_changed(diff)
    top, second = _enclosing(committed, line)
    return f"`{_key_for(top, second)}`"


def _first_changed(diff: list[str]) -> int:
    """0-based index in the committed file of the first removed (or else added) line."""
    old = 0
    for text in diff:
        match = _HUNK.match(text)
        if match:
            old = max(int(match.group(1)) - 1, 0)
        elif text.startswith(("---", "+++")):
            continue
        elif text.startswith(("-", "+")):
            return old
        elif text.startswith(" "):
            old += 1
    return old


def _enclosing(lines: list[str], index: int) -> tuple[str | None, str | None]:
    """The top-level key and the second-level key (a job, anchor or workflow) above `index`."""
    second: str | None = None
    for text in reversed(lines[: index + 1]):
        match = _KEY.match(text)
        if not match:
            continue
        depth = len(match.group(1))
        if depth == 0:
            return match.group(2), second
        if depth == 2 and second is None:
            second = match.group(2)
    return None, second


def _key_for(top: str | None, second: str | None) -> str:
    if top == "anchors" and second in _ANCHORS:
        return _ANCHORS[second]
    if top == "jobs" and second:
        return _job_key(second)
    if top == "workflows":
        return "accounts[].branch, merge_test or jobs[].requires"
    if top == "orbs":
        return "orbs"
    return "the profile"


def _job_key(job: str) -> str:
    if job in ("test", "merge_test"):
        return job
    for prefix, field in (("delivery_", ""), ("hold_", ".approval")):
        if job.startswith(prefix):
            return f"accounts[name: {job[len(prefix) :]}]{field}"
    return f"jobs.{job} (or tests.{job})"
