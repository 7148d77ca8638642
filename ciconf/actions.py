"""What `ciconf render` and `ciconf check` do once their arguments are parsed.

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
    from ciconf.fsutil import write_atomic
    from ciconf.profile.load import load_profile
    from ciconf.yamlkit.load import read_text

    output = output or Path(DEFAULT_CONFIG)
    path = profile_path(profile)
    text = render_config(load_profile(path), path, None if stdout else str(output))
    if stdout:
        sys.stdout.write(text)
        return OK
    current = read_text(str(output), max_bytes=CONFIG_MAX_BYTES) if output.exists() else None
    if current == text:
        say(f"ciconf: {output} is up to date")
        return OK
    write_atomic(str(output), text)
    say(f"ciconf: wrote {output}")
    return DRIFT if exit_nonzero_on_change else OK


def check(profile: Optional[Path], config: Path) -> int:
    """DRIFT with a diff on stdout when `config` differs from what `profile` renders; never writes."""
    from ciconf.circleci.render import render_config
    from ciconf.profile.load import load_profile
    from ciconf.yamlkit.load import read_text

    path = profile_path(profile)
    expected = render_config(load_profile(path), path, str(config))
    if not config.exists():
        say(f"ciconf: {config} does not exist; run `ciconf render {path} -o {config}`")
        return DRIFT
    actual = read_text(str(config), max_bytes=CONFIG_MAX_BYTES)
    if actual == expected:
        say(f"ciconf: {config} is in sync with {path}")
        return OK
    import difflib

    diff = difflib.unified_diff(
        actual.splitlines(keepends=True),
        expected.splitlines(keepends=True),
        fromfile=f"{config} (committed)",
        tofile=f"{config} (rendered from {path})",
    )
    sys.stdout.writelines(diff)
    say(f"ciconf: {config} has drifted from {path}; run `ciconf render {path} -o {config}`")
    return DRIFT
