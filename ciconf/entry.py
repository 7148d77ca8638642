"""Process entry point of `ciconf` and `python -m ciconf`.

The invocations a pre-commit hook makes -- `ciconf check [PROFILE] [--config FILE]` and
`ciconf render [PROFILE] [-o FILE | --stdout]` -- run here without importing typer, whose start-up
and per-parameter setup are a large share of a check. Anything else (help, unknown or repeated
options, `--opt=` on short options, values starting with '-', ...) goes to the typer app in
ciconf/cli.py, which stays the one full definition of the command line. The accepted spellings
parse exactly as click parses them; tests run both paths on the same arguments and compare.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Callable, Optional, Sequence

from ciconf import actions

# option spelling -> keyword of the action, per command; FLAGS take no value
_OPTIONS = {
    "check": {"--config": "config"},
    "render": {"-o": "output", "--output": "output", "--stdout": "stdout"},
}
_FLAGS = {"stdout"}
_COMPLETION_VAR = "_CICONF_COMPLETE"  # click's shell-completion request; typer answers it


def parse(args: Sequence[str]) -> Optional[tuple[str, dict[str, object]]]:
    """(command, keyword arguments) for a plain check/render invocation, or None for typer."""
    if not args or args[0] not in _OPTIONS or _COMPLETION_VAR in os.environ:
        return None
    command, options = args[0], _OPTIONS[args[0]]
    tokens = iter(args[1:])
    found: dict[str, object] = {}
    for token in tokens:
        name, equals, inline = token.partition("=")
        if not token.startswith("-"):
            key, value = "profile", token
        elif token in options:
            key = options[token]
            value = True if key in _FLAGS else next(tokens, None)
        elif token.startswith("--") and equals and name in options and options[name] not in _FLAGS:
            key, value = options[name], inline
        else:
            return None
        if key in found or value is None or (isinstance(value, str) and (not value or value.startswith("-"))):
            return None
        found[key] = value
    if "output" in found and "stdout" in found:
        return None  # typer reports the conflict as a usage error
    return command, found


def _arguments(command: str, found: dict[str, object]) -> dict[str, object]:
    """The action's arguments, typed as typer would pass them (typer makes a Path of a path)."""
    profile = found.get("profile")
    arguments: dict[str, object] = {"profile": Path(str(profile)) if profile is not None else None}
    if command == "check":
        arguments["config"] = Path(str(found.get("config", actions.DEFAULT_CONFIG)))
    else:
        output = found.get("output")
        arguments["output"] = Path(str(output)) if output is not None else None
        arguments["stdout"] = bool(found.get("stdout", False))
    return arguments


_ACTIONS: dict[str, Callable[..., int]] = {"check": actions.check, "render": actions.render}


def _run(command: str, found: dict[str, object]) -> int:
    """Run an action with the same outcomes the typer path gives (see cli.main and typer)."""
    from ciconf.errors import InputError

    try:
        return _ACTIONS[command](**_arguments(command, found))
    except InputError as error:
        return actions.input_error(error)
    except KeyboardInterrupt:
        return 130  # typer's answer to Ctrl-C inside a command
    except BrokenPipeError:
        # typer exits 1 when the reader of our stdout went away; keep Python from complaining at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    parsed = parse(args)
    if parsed is None:
        from ciconf.cli import main as typer_main

        return typer_main(args)
    return _run(*parsed)


def run() -> None:
    sys.exit(main())
