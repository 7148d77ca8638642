"""Command line: parse arguments, call the library, print, return an exit code.

Exit codes follow black and ruff: 0 ok, 1 drift or findings, 2 usage or input error.
Each command imports what it needs when it runs, so `ciconf check` never loads the
CloudFormation or lint code (start-up time matters for a pre-commit hook).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from ciconf.errors import InputError

OK, DRIFT, INPUT_ERROR = 0, 1, 2

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="Render and check an anchored .circleci/config.yml and its AWS pipeline from one profile.",
)

DEFAULT_PROFILE = "ciconf.yaml"
DEFAULT_CONFIG = ".circleci/config.yml"

ProfileArg = typer.Argument(
    None, help=f"Profile to read (default: ./{DEFAULT_PROFILE}).", show_default=False
)


def _profile_path(profile: Optional[Path]) -> str:
    return str(profile) if profile is not None else DEFAULT_PROFILE


def _say(message: str) -> None:
    print(message, file=sys.stderr)


@app.command()
def render(
    profile: Optional[Path] = ProfileArg,
    output: Optional[Path] = typer.Option(
        None, "-o", "--output", help=f"Where to write the config (default: {DEFAULT_CONFIG})."
    ),
    stdout: bool = typer.Option(False, "--stdout", help="Print the config instead of writing it."),
) -> None:
    """Write the CircleCI config rendered from PROFILE (atomically; untouched when unchanged)."""
    from ciconf.circleci.render import render_config
    from ciconf.fsutil import write_atomic
    from ciconf.profile.load import load_profile
    from ciconf.yamlkit.load import read_text

    if stdout and output is not None:
        raise typer.BadParameter("give either -o/--output or --stdout, not both")
    output = output or Path(DEFAULT_CONFIG)
    path = _profile_path(profile)
    text = render_config(load_profile(path), path, None if stdout else str(output))
    if stdout:
        sys.stdout.write(text)
        return
    current = read_text(str(output), max_bytes=64 * 1024 * 1024) if output.exists() else None
    if current == text:
        _say(f"ciconf: {output} is up to date")
        return
    write_atomic(str(output), text)
    _say(f"ciconf: wrote {output}")


@app.command()
def check(
    profile: Optional[Path] = ProfileArg,
    config: Path = typer.Option(Path(DEFAULT_CONFIG), "--config", help="The committed config to compare."),
) -> None:
    """Exit 1 with a diff when CONFIG differs from what PROFILE renders; never writes."""
    import difflib

    from ciconf.circleci.render import render_config
    from ciconf.profile.load import load_profile
    from ciconf.yamlkit.load import read_text

    path = _profile_path(profile)
    expected = render_config(load_profile(path), path, str(config))
    if not config.exists():
        _say(f"ciconf: {config} does not exist; run `ciconf render {path} -o {config}`")
        raise typer.Exit(DRIFT)
    actual = read_text(str(config), max_bytes=64 * 1024 * 1024)
    if actual == expected:
        _say(f"ciconf: {config} is in sync with {path}")
        return
    diff = difflib.unified_diff(
        actual.splitlines(keepends=True),
        expected.splitlines(keepends=True),
        fromfile=f"{config} (committed)",
        tofile=f"{config} (rendered from {path})",
    )
    sys.stdout.writelines(diff)
    _say(f"ciconf: {config} has drifted from {path}; run `ciconf render {path} -o {config}`")
    raise typer.Exit(DRIFT)


def main(argv: Optional[List[str]] = None) -> int:
    """Run the CLI and return its exit code instead of exiting."""
    try:
        app(args=argv, prog_name="ciconf")  # click's standalone mode always ends in SystemExit
    except SystemExit as done:
        code = done.code
        return code if isinstance(code, int) else (OK if code is None else INPUT_ERROR)
    except InputError as error:
        _say(f"ciconf: error: {error}")
        return INPUT_ERROR
    except KeyboardInterrupt:
        _say("ciconf: interrupted")
        return 130
    return OK


def run() -> None:
    sys.exit(main())
