"""Recognising a test job (and its merge variant) in a job's steps.

A profile test job runs: checkout, [setup_remote_docker], before_install, restore_cache, install,
save_cache, after_install, initialize (waits, then setup commands), before_test, the test command,
artifacts, test results, after_test (ciconf/circleci/build.py). A job whose steps fit that
order maps onto the fields; anything else in it lands at the named point it occupies.
"""

from __future__ import annotations

import re
from typing import Any

from ciconf.adopt.steps import Notes
from ciconf.shell import commands

TEST_WORDS = re.compile(
    r"\b(?:test|tests|pytest|phpunit|pest|jest|vitest|mocha|rspec|spec|tox|nox|ctest|check|"
    r"unittest|go test|cargo test|mvn|gradle|karma|cypress|playwright)\b"
)
CHECKSUM = re.compile(r'\{\{\s*checksum\s+"([^"]+)"\s*\}\}')
DOCKERIZE_WAIT = re.compile(
    r"dockerize\s+-wait\s+tcp://(\S+?):([0-9]{1,5})(?:\s+-timeout\s+([0-9]+)([smh]?))?\s*$"
)
DOCKERIZE_INSTALL = re.compile(
    r"^(?:DOCKERIZE_VERSION=\S+|(?:sudo\s+)?wget\s+\S*dockerize\S*|curl\s+\S*dockerize\S*.*|"
    r"(?:sudo\s+)?tar\s+.*dockerize\S*|(?:sudo\s+)?chmod\s+\+x\s+\S*dockerize|rm\s+(?:-f\s+)?dockerize\S*)$"
)
PHP_EXTENSION = re.compile(r"^(?:sudo\s+)?docker-php-ext-install\s+([a-z0-9_ ]+)$")
COMPOUND = re.compile(
    r"\\$|<<|^\s*(?:if|then|else|elif|fi|for|while|until|do|done|case|esac|function)\b|[{}]\s*$"
)
POINTS = ("before_install", "after_install", "before_test", "after_test")
ORDER = (
    "remote_docker",
    "cache",
    "install",
    "wait_for",
    "setup",
    "command",
    "artifacts",
    "test_results",
    "steps",
)
TIME_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600}


def is_run(item: Any) -> bool:
    return (
        isinstance(item, dict) and set(item) == {"run"} and set(item["run"]) <= {"command", "name"}
    )


def command_of(item: Any) -> str:
    return str(item["run"]["command"])


def _cache(restore: Any, save: Any) -> dict | None:
    """restore_cache + save_cache keyed by lockfile checksums: the profile's cache."""
    if not (isinstance(restore, dict) and "restore_cache" in restore):
        return None
    if not (isinstance(save, dict) and "save_cache" in save):
        return None
    key = str(save["save_cache"].get("key", ""))
    keys = [str(k) for k in restore["restore_cache"].get("keys", [])]
    lockfiles = CHECKSUM.findall(key)
    rest = CHECKSUM.sub("", key)
    if not lockfiles or "{{" in rest or not keys or keys[0] != key:
        return None
    paths = save["save_cache"].get("paths") or []
    if set(save["save_cache"]) - {"key", "paths"}:
        return None
    return {"lockfiles": lockfiles, "paths": list(paths)}


def _setup_lines(command: str, env: dict, notes: Notes) -> tuple[list[dict], list[str]] | None:
    """A plain command as wait_for entries and setup lines (None when it is one compound script)."""
    lines = [
        line.strip()
        for line in command.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    if any(COMPOUND.search(line) for line in lines):
        return None
    waits: list[dict] = []
    setup: list[str] = []
    for line in lines:
        wait = DOCKERIZE_WAIT.search(line)
        if wait and line.startswith("dockerize"):
            host = _host(wait.group(1), env)
            if host is None:
                return None
            timeout = int(wait.group(3) or 60) * TIME_UNITS[wait.group(4) or ""]
            waits.append({"host": host, "port": int(wait.group(2)), "timeout": min(timeout, 3600)})
        elif DOCKERIZE_INSTALL.match(line):
            notes.modernised.append(f"`{line}` dropped: cimg/* images ship dockerize")
        elif PHP_EXTENSION.match(line):
            for extension in PHP_EXTENSION.match(line).group(1).split():  # type: ignore[union-attr]
                setup.append(commands.php_extension_check(extension))
            notes.modernised.append(f"`{line}` -> a check: cimg/php ships the common extensions")
        else:
            setup.append(line)
    return waits, setup


def _host(text: str, env: dict) -> str | None:
    match = re.fullmatch(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", text)
    if match:
        text = env.get(match.group(1), "")
    if text == "localhost":
        return "127.0.0.1"
    return text if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.-]{0,252}", text) else None


def recognise(steps: list, env: dict, notes: Notes) -> dict | None:
    """The test-job fields for these (profile) steps, or None when they are no test job."""
    if not steps or steps[0] != "checkout":
        return None
    body = list(steps[1:])
    fields: dict = {}
    if body and body[0] == "setup_remote_docker":
        fields["remote_docker"] = {}
        body = body[1:]
    test_at = _test_index(body)
    if test_at is None:
        return None
    before, test, after = body[:test_at], body[test_at], body[test_at + 1 :]
    fields["command"] = command_of(test)
    points: dict[str, list] = {}
    middle = _cache_and_install(before, fields, points)
    _setup_runs(middle, env, notes, fields, points)
    points["after_test"] = _uploads(after, fields)
    steps_field = {point: points[point] for point in POINTS if points.get(point)}
    if steps_field:
        fields["steps"] = steps_field
    return {key: fields[key] for key in ORDER if key in fields}


def _index_of(steps: list, kind: str) -> int | None:
    return next((i for i, s in enumerate(steps) if isinstance(s, dict) and kind in s), None)


def _cache_and_install(before: list, fields: dict, points: dict[str, list]) -> list:
    """restore_cache, at most one install run, save_cache: the cache and install fields; the
    steps after them (all of `before` without such a cache)."""
    restore_at, save_at = _index_of(before, "restore_cache"), _index_of(before, "save_cache")
    if restore_at is None or save_at is None:
        return before
    between = before[restore_at + 1 : save_at]
    cache = _cache(before[restore_at], before[save_at])
    if cache is None or len(between) > 1 or not all(is_run(s) for s in between):
        return before
    fields["cache"] = cache
    if between:
        fields["install"] = command_of(between[0])
    points["before_install"] = before[:restore_at]
    return before[save_at + 1 :]


def _setup_runs(
    middle: list, env: dict, notes: Notes, fields: dict, points: dict[str, list]
) -> None:
    """The first run of consecutive run steps: waits and setup commands; what precedes them goes
    before (or after) install, what follows before the test."""
    first = next((i for i, s in enumerate(middle) if is_run(s)), None)
    if first is None:
        points.setdefault("after_install", [])
        points["before_test"] = middle
        return
    last = first
    while last + 1 < len(middle) and is_run(middle[last + 1]):
        last += 1
    waits, setup, leftover = _waits_and_setup(middle[first : last + 1], env, notes)
    if waits:
        fields["wait_for"] = waits
    if setup:
        fields["setup"] = setup
    points["after_install" if "cache" in fields else "before_install"] = (
        points.get("before_install", []) if "cache" not in fields else []
    ) + middle[:first]
    points["before_test"] = leftover + middle[last + 1 :]


def _waits_and_setup(runs: list, env: dict, notes: Notes) -> tuple[list[dict], list[str], list]:
    """The waits and setup lines of `runs`, up to the first run that is neither (it and every
    run after it are kept as steps)."""
    waits: list[dict] = []
    setup: list[str] = []
    leftover: list = []
    for item in runs:
        parsed = _setup_lines(command_of(item), env, notes)
        if parsed is None or leftover:
            leftover.append(item)
            continue
        waits += parsed[0]
        setup += parsed[1]
    return waits, setup, leftover


def _uploads(after: list, fields: dict) -> list:
    """store_artifacts and store_test_results right after the test: fields; the rest of `after`."""
    artifacts: list[str] = []
    while after and isinstance(after[0], dict) and set(after[0]) == {"store_artifacts"}:
        options = after[0]["store_artifacts"]
        if set(options) != {"path"} or not _relative_path(options["path"]):
            break
        artifacts.append(options["path"])
        after = after[1:]
    if artifacts:
        fields["artifacts"] = artifacts
    if after and isinstance(after[0], dict) and set(after[0]) == {"store_test_results"}:
        path = after[0]["store_test_results"].get("path", "")
        if _relative_path(path):
            fields["test_results"] = path
            after = after[1:]
    return after


def _relative_path(path: Any) -> bool:
    return (
        isinstance(path, str)
        and re.fullmatch(r"[A-Za-z0-9_.@+][A-Za-z0-9_.@+/-]{0,499}", path) is not None
        and ".." not in path
    )


def _test_index(body: list) -> int | None:
    """The last plain run step that reads as a test command."""
    for index in range(len(body) - 1, -1, -1):
        item = body[index]
        if is_run(item) and TEST_WORDS.search(command_of(item)):
            return index
    return None


MERGE = re.compile(
    r"(?:git fetch\s+\S+\s+(\S+)\s*(?:&&|\n)\s*)?"
    r"git merge\s+(?:--no-edit\s+)?(?:origin/)?([A-Za-z0-9_./-]+)"
)


def starts_with_merge(steps: list) -> bool:
    return (
        len(steps) >= 2
        and steps[0] == "checkout"
        and is_run(steps[1])
        and MERGE.fullmatch(command_of(steps[1]).strip()) is not None
    )


def merge_base(steps: list, test_steps: list) -> str | None:
    """When `steps` are `test_steps` with a `git merge BASE` after checkout: BASE."""
    if not starts_with_merge(steps):
        return None
    match = MERGE.fullmatch(command_of(steps[1]).strip())
    assert match is not None
    rest = [s for s in steps[2:] if not (isinstance(s, dict) and set(s) == {"store_artifacts"})]
    expected = [
        s for s in test_steps[1:] if not (isinstance(s, dict) and set(s) == {"store_artifacts"})
    ]
    return match.group(2) if rest == expected else None
