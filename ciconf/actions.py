"""What `ciconf render`, `check` and `cfn` do once their arguments are parsed.

Kept apart from the typer app so that the fast entry point (ciconf/entry.py) can run them without
importing typer. Heavy modules are imported inside the functions: importing this module is free.
Each action returns its exit code; an InputError propagates to the caller.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

OK, DRIFT, INPUT_ERROR = 0, 1, 2
DEFAULT_PROFILE = "ciconf.yaml"
DEFAULT_CONFIG = ".circleci/config.yml"
CONFIG_MAX_BYTES = 64 * 1024 * 1024


def say(message: str) -> None:
    print(message, file=sys.stderr)


def input_error(error: Exception) -> int:
    """Report a bad input on one line; the exit code for it."""
    say(f"ciconf: error: {error}")
    return INPUT_ERROR


def profile_path(profile: Optional[Path]) -> str:
    return str(profile) if profile is not None else DEFAULT_PROFILE


def render(
    profile: Optional[Path], output: Optional[Path], stdout: bool, exit_nonzero_on_change: bool = False
) -> int:
    """Write (or print) the config rendered from `profile`; untouched when unchanged.

    With `exit_nonzero_on_change`, DRIFT when the file was rewritten (pre-commit then stops the
    commit so the new config can be staged)."""
    from ciconf.circleci.render import render_config
    from ciconf.profile.load import load_profile

    from ciconf import cache

    output = output or Path(DEFAULT_CONFIG)
    path = profile_path(profile)
    entry = None if stdout else cache.key(path, str(output))
    text = render_config(load_profile(path), path, None if stdout else str(output))
    if stdout:
        sys.stdout.write(text)
        return OK
    written = write_if_changed(str(output), text)
    cache.store(entry, cache.text_digest(text))
    return DRIFT if written and exit_nonzero_on_change else OK


def write_if_changed(target: str, text: str) -> bool:
    """Write `text` atomically unless the file already holds it; True when written."""
    from ciconf.errors import InputError
    from ciconf.fsutil import holds, write_atomic

    if holds(target, text):
        say(f"ciconf: {target} is up to date")
        return False
    try:
        write_atomic(target, text)
    except OSError as error:
        raise InputError(target, f"cannot write: {error.strerror or error}") from None
    say(f"ciconf: wrote {target}")
    return True


def check(profile: Optional[Path], config: Path) -> int:
    """DRIFT with a diff on stdout when `config` differs from what `profile` renders; never writes."""
    from ciconf import cache

    path = profile_path(profile)
    entry = cache.key(path, str(config))
    known = cache.lookup(entry)
    if known is not None and known == cache.file_digest(str(config)):
        say(f"ciconf: {config} is in sync with {path}")  # same inputs, same bytes as last render
        return OK

    from ciconf.circleci.render import render_config
    from ciconf.errors import InputError
    from ciconf.fsutil import holds
    from ciconf.profile.load import load_profile

    expected = render_config(load_profile(path), path, str(config))
    cache.store(entry, cache.text_digest(expected))
    if not config.exists():
        say(f"ciconf: {config} does not exist; run `ciconf render {path} -o {config}`")
        return DRIFT
    if holds(str(config), expected):
        say(f"ciconf: {config} is in sync with {path}")
        return OK
    import difflib

    try:
        with open(config, "rb") as handle:  # whatever is there (even binary) is shown as a diff
            actual = handle.read(CONFIG_MAX_BYTES).decode("utf-8", errors="replace")
    except OSError as error:
        raise InputError(str(config), f"cannot read: {error.strerror or error}") from None

    diff = difflib.unified_diff(
        actual.splitlines(keepends=True),
        expected.splitlines(keepends=True),
        fromfile=f"{config} (committed)",
        tofile=f"{config} (rendered from {path})",
    )
    sys.stdout.writelines(diff)
    say(f"ciconf: {config} has drifted from {path}; run `ciconf render {path} -o {config}`")
    return DRIFT


def cfn(
    profile: Optional[Path],
    account: Optional[str],
    output: Optional[Path],
    stdout: bool,
    directory: Optional[Path],
    every: bool,
    stack: str = "pipeline",
) -> int:
    """Write (or print) one account's stack, or every stack of every account (--all)."""
    from ciconf.cloudformation import render as cfn_render
    from ciconf.profile.derive import plan as derive_plan
    from ciconf.profile.load import load_profile_document

    path = profile_path(profile)
    doc, loaded = load_profile_document(path)
    plan = derive_plan(loaded)
    rendered = cfn_render.cfn_outputs(
        doc,
        plan,
        account=None if every else (account or ""),
        stack=stack,
        output=None if output is None else str(output),
        stdout=stdout,
        directory=None if directory is None else str(directory),
    )
    for target, text in rendered:  # everything is rendered before anything is written
        if target is None:
            sys.stdout.write(text)
        else:
            write_if_changed(target, text)
    for skipped in (a for a in plan.accounts if every and a.pipeline is None):
        say(f"ciconf: account {skipped.name} has no pipeline section; only its bootstrap stack was written")
    return OK
