"""Process entry point of `ciconf` and `python -m ciconf`.

The invocations a pre-commit hook makes -- `ciconf check [PROFILE] [--config FILE]` and
`ciconf render [PROFILE] [-o FILE | --stdout]` -- run here without importing typer, whose start-up
and per-parameter setup are a large share of a check. Anything else (help, unknown or repeated
options, `-oFILE`, values starting with '-', ...) goes to the typer app in ciconf/cli.py, which
stays the one full definition of the command line. The spellings accepted here parse exactly as
click parses them; tests run both paths on the same arguments and compare the outcomes.

`ciconf lint` goes straight to its own argparse front end (ciconf.lint.cli), also without typer.

To give another command a fast path: describe it in COMMANDS, add its body to ciconf/actions.py
(the typer command calls the same function), and list its spellings in tests/test_entry_fastpath.py.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any, Optional, Sequence

from ciconf import actions

# Per command: the positional argument, option spellings -> action keyword, flags (no value),
# options typer refuses to combine, and the defaults typer would pass.
COMMANDS: dict[str, dict[str, Any]] = {
    "check": {
        "positional": "profile",
        "options": {"--config": "config"},
        "flags": set(),
        "exclusive": set(),
        "defaults": {"profile": None, "config": actions.DEFAULT_CONFIG},
    },
    "render": {
        "positional": "profile",
        "options": {
            "-o": "output",
            "--output": "output",
            "--stdout": "stdout",
            "--exit-nonzero-on-change": "exit_nonzero_on_change",
        },
        "flags": {"stdout", "exit_nonzero_on_change"},
        "exclusive": {"output", "stdout"},
        "defaults": {"profile": None, "output": None, "stdout": False, "exit_nonzero_on_change": False},
    },
}
_COMPLETION_VAR = "_CICONF_COMPLETE"  # click's shell-completion request; typer answers it


def parse(args: Sequence[str]) -> Optional[tuple[str, dict[str, object]]]:
    """(command, the values given) for a plain invocation of a COMMANDS entry, or None for typer."""
    if not args or args[0] not in COMMANDS or _COMPLETION_VAR in os.environ:
        return None
    command, spec = args[0], COMMANDS[args[0]]
    options, flags = spec["options"], spec["flags"]
    tokens = iter(args[1:])
    found: dict[str, object] = {}
    for token in tokens:
        name, equals, inline = token.partition("=")
        if not token.startswith("-"):
            key, value = spec["positional"], token
        elif token in options:
            key = options[token]
            value = True if key in flags else next(tokens, None)
        elif token.startswith("--") and equals and name in options and options[name] not in flags:
            key, value = options[name], inline
        else:
            return None
        if key in found or value is None or (isinstance(value, str) and (not value or value.startswith("-"))):
            return None
        found[key] = value
    if spec["exclusive"] and spec["exclusive"] <= found.keys():
        return None  # typer reports the conflict as a usage error
    return command, found


def arguments(command: str, found: dict[str, object]) -> dict[str, object]:
    """The action's keyword arguments, typed as typer passes them: a Path for every value."""
    values = {**COMMANDS[command]["defaults"], **found}
    return {key: Path(value) if isinstance(value, str) else value for key, value in values.items()}


def _run(command: str, found: dict[str, object]) -> int:
    """Run an action with the outcomes the typer path gives (see cli.main and typer's main)."""
    from ciconf.errors import InputError

    try:
        return getattr(actions, command)(**arguments(command, found))
    except InputError as error:
        return actions.input_error(error)
    except KeyboardInterrupt:
        return 130  # typer's answer to Ctrl-C inside a command
    except BrokenPipeError:
        # typer exits 1 when the reader of our stdout went away; keep Python quiet about it at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["lint"]:  # its own argparse front end: see the `lint` command in cli.py
        from ciconf.lint.cli import run_lint

        return run_lint(args[1:])
    parsed = parse(args)
    if parsed is None:
        from ciconf.cli import main as typer_main

        return typer_main(args)
    return _run(*parsed)


def _terminate(signum: int, frame: object) -> None:
    # an exception, unlike the default handler, lets write_atomic remove its temporary file
    raise SystemExit(128 + signum)


def run() -> None:
    signal.signal(signal.SIGTERM, _terminate)
    sys.exit(main())
