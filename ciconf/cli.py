"""Command line: parse arguments, call the library, print, return an exit code.

Exit codes follow black and ruff: 0 ok, 1 drift or findings, 2 usage or input error.
Each command imports what it needs when it runs, so `ciconf check` never loads the
CloudFormation or lint code (start-up time matters for a pre-commit hook). The bodies of
render and check live in ciconf/actions.py, so that ciconf/entry.py can run their plain
invocations without importing typer; keep the options here and the spellings there in step.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from ciconf import actions
from ciconf.actions import DEFAULT_CONFIG, DEFAULT_PROFILE, INPUT_ERROR, OK
from ciconf.errors import InputError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="Render and check an anchored .circleci/config.yml and its AWS pipeline from one profile.",
)

ProfileArg = typer.Argument(
    None, help=f"Profile to read (default: ./{DEFAULT_PROFILE}).", show_default=False
)


# shared with the bodies in ciconf/actions.py, which the fast entry point runs without typer
_profile_path = actions.profile_path
_say = actions.say


def _finish(code: int) -> None:
    """End a command with `code`; typer exits 0 when a command returns."""
    if code != OK:
        raise typer.Exit(code)


@app.command()
def render(
    profile: Optional[Path] = ProfileArg,
    output: Optional[Path] = typer.Option(
        None, "-o", "--output", help=f"Where to write the config (default: {DEFAULT_CONFIG})."
    ),
    stdout: bool = typer.Option(False, "--stdout", help="Print the config instead of writing it."),
    exit_nonzero_on_change: bool = typer.Option(
        False,
        "--exit-nonzero-on-change",
        help="Exit 1 when the config was rewritten (for pre-commit: the commit stops so you can stage it).",
    ),
) -> None:
    """Write the CircleCI config rendered from PROFILE (atomically; untouched when unchanged)."""
    if stdout and output is not None:
        raise typer.BadParameter("give either -o/--output or --stdout, not both")
    _finish(actions.render(profile, output, stdout, exit_nonzero_on_change))


@app.command()
def check(
    profile: Optional[Path] = ProfileArg,
    config: Path = typer.Option(Path(DEFAULT_CONFIG), "--config", help="The committed config to compare."),
) -> None:
    """Exit 1 with a diff when CONFIG differs from what PROFILE renders; never writes."""
    _finish(actions.check(profile, config))


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []},
    add_help_option=False,
)
def lint(ctx: typer.Context) -> None:
    """Check CircleCI configs and ciconf profiles; exit 1 on findings (`ciconf lint --help`).

    Its arguments are parsed by ciconf.lint.cli with argparse: typer would build a pydantic
    adapter for each option, half a second of start-up that lint (run by pre-commit on every
    commit, and timed against check-jsonschema) cannot afford.
    """
    from ciconf.lint.cli import run_lint

    raise typer.Exit(run_lint(list(ctx.args)))


@app.command()
def schema() -> None:
    """Print the profile's JSON Schema (regenerate with `ciconf schema > schema/profile.schema.json`)."""
    from ciconf.profile.schema import profile_schema_text

    sys.stdout.write(profile_schema_text())


@app.command()
def cfn(
    profile: Optional[Path] = ProfileArg,
    account: Optional[str] = typer.Option(None, "--account", help="Account whose stack to write."),
    stack: str = typer.Option(
        "pipeline", "--stack", help="With --account: pipeline (default) or bootstrap (ECR repositories, deploy role)."
    ),
    output: Optional[Path] = typer.Option(
        None, "-o", "--output", help="Where to write it (default: cloudformation/<stack name>.yaml)."
    ),
    stdout: bool = typer.Option(False, "--stdout", help="Print the template instead of writing it."),
    every: bool = typer.Option(False, "--all", help="Write every stack of every account (bootstrap and pipeline)."),
    directory: Optional[Path] = typer.Option(None, "--dir", help="With --all: the directory to write to."),
) -> None:
    """Write CloudFormation stacks: an account's bootstrap (ECR, deploy role) or pipeline (ECR -> CodeBuild -> ECS)."""
    if every == (account is not None):
        _usage("give either --account NAME or --all")
    if every and (output is not None or stdout):
        _usage("--all writes one file per account into --dir; -o and --stdout need --account")
    if not every and directory is not None:
        _usage("--dir goes with --all; use -o with --account")
    if output is not None and stdout:
        _usage("give -o or --stdout, not both")
    if stack not in ("pipeline", "bootstrap"):
        _usage(f"--stack is pipeline or bootstrap, not {stack!r}")
    if every and stack != "pipeline":
        _usage("--all writes every stack; --stack goes with --account")
    _finish(actions.cfn(profile, account, output, stdout, directory if every else None, every, stack))


def _usage(message: str) -> None:
    _say(f"ciconf: error: {message}")
    raise typer.Exit(INPUT_ERROR)


def main(argv: Optional[List[str]] = None) -> int:
    """Run the CLI and return its exit code instead of exiting."""
    try:
        app(args=argv, prog_name="ciconf")  # click's standalone mode always ends in SystemExit
    except SystemExit as done:
        code = done.code
        return code if isinstance(code, int) else (OK if code is None else INPUT_ERROR)
    except InputError as error:
        return actions.input_error(error)
    except KeyboardInterrupt:
        _say("ciconf: interrupted")
        return 130
    return OK


def run() -> None:
    """The old console-script target: the process entry point is now ciconf/entry.py."""
    from ciconf.entry import run as run_entry

    run_entry()
