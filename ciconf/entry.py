"""Process entry point of `ciconf` and `python -m ciconf`.

The command line is defined once, with typer, in ciconf/cli.py. Importing typer and building its
commands costs more than a cached `ciconf check` itself (typer builds a pydantic adapter per
option), and pre-commit runs `check`, `render` and `lint` on every commit. So the plain
invocations of the commands cli.py declares with `@runs(action)` are parsed here, with SPEC, and
their action is called directly. SPEC is not written by hand: it is `ciconf.cli.fast_spec()`,
read off the typer app (test_entry_fastpath.py fails when they differ and rewrites it with
CICONF_UPDATE_GOLDEN=1). The parsing below accepts only spellings that click parses the same
way; anything else (help, -h, --version, repeated options, `-oFILE`, values starting with '-',
an invalid choice, shell completion ...) goes to the typer app, which answers it.
"""

from __future__ import annotations

import gc
import importlib
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

# `typing` is not imported at run time: a cached `check` needs nothing else from it (~2 ms)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_COMPLETION_VAR = "_CICONF_COMPLETE"  # click's shell-completion request; typer answers it

# BEGIN SPEC (generated from ciconf/cli.py by tests/acceptance/test_entry_fastpath.py; do not edit)
SPEC: dict[str, dict[str, Any]] = {
    "check": {
        "action": "ciconf.actions:check",
        "params": [
            {
                "name": "profile",
                "kind": "argument",
                "opts": [],
                "many": False,
                "path": True,
                "default": None,
                "choices": None,
            },
            {
                "name": "config",
                "kind": "option",
                "opts": ["--config", "--output", "-o"],
                "many": False,
                "path": True,
                "default": ".circleci/config.yml",
                "choices": None,
            },
            {
                "name": "color",
                "kind": "option",
                "opts": ["--color"],
                "many": False,
                "path": False,
                "default": "auto",
                "choices": ["auto", "always", "never"],
            },
            {
                "name": "stacks_dir",
                "kind": "option",
                "opts": ["--stacks-dir"],
                "many": False,
                "path": True,
                "default": "cloudformation",
                "choices": None,
            },
            {
                "name": "quiet",
                "kind": "flag",
                "opts": ["--quiet", "-q"],
                "many": False,
                "path": False,
                "default": False,
                "choices": None,
            },
        ],
    },
    "lint": {
        "action": "ciconf.lint.cli:lint",
        "params": [
            {
                "name": "paths",
                "kind": "argument",
                "opts": [],
                "many": True,
                "path": False,
                "default": None,
                "choices": None,
            },
            {
                "name": "profile",
                "kind": "flag",
                "opts": ["--profile"],
                "many": False,
                "path": False,
                "default": False,
                "choices": None,
            },
            {
                "name": "format",
                "kind": "option",
                "opts": ["--format"],
                "many": False,
                "path": False,
                "default": "text",
                "choices": ["text", "json"],
            },
            {
                "name": "list_rules",
                "kind": "flag",
                "opts": ["--list-rules"],
                "many": False,
                "path": False,
                "default": False,
                "choices": None,
            },
            {
                "name": "select",
                "kind": "option",
                "opts": ["--select"],
                "many": False,
                "path": False,
                "default": None,
                "choices": None,
            },
            {
                "name": "ignore",
                "kind": "option",
                "opts": ["--ignore"],
                "many": False,
                "path": False,
                "default": None,
                "choices": None,
            },
        ],
    },
    "plan": {
        "action": "ciconf.actions:plan",
        "params": [
            {
                "name": "profile",
                "kind": "argument",
                "opts": [],
                "many": False,
                "path": True,
                "default": None,
                "choices": None,
            },
            {
                "name": "config",
                "kind": "option",
                "opts": ["--config"],
                "many": False,
                "path": True,
                "default": None,
                "choices": None,
            },
            {
                "name": "branch",
                "kind": "option",
                "opts": ["--branch"],
                "many": False,
                "path": False,
                "default": None,
                "choices": None,
            },
            {
                "name": "tag",
                "kind": "option",
                "opts": ["--tag"],
                "many": False,
                "path": False,
                "default": None,
                "choices": None,
            },
            {
                "name": "fmt",
                "kind": "option",
                "opts": ["--format"],
                "many": False,
                "path": False,
                "default": "text",
                "choices": None,
            },
            {
                "name": "param",
                "kind": "option",
                "opts": ["--param"],
                "many": True,
                "path": False,
                "default": [],
                "choices": None,
            },
            {
                "name": "schedule",
                "kind": "option",
                "opts": ["--schedule"],
                "many": False,
                "path": False,
                "default": None,
                "choices": None,
            },
            {
                "name": "api",
                "kind": "flag",
                "opts": ["--api"],
                "many": False,
                "path": False,
                "default": False,
                "choices": None,
            },
        ],
    },
    "render": {
        "action": "ciconf.actions:render",
        "params": [
            {
                "name": "profile",
                "kind": "argument",
                "opts": [],
                "many": False,
                "path": True,
                "default": None,
                "choices": None,
            },
            {
                "name": "output",
                "kind": "option",
                "opts": ["--output", "-o"],
                "many": False,
                "path": True,
                "default": None,
                "choices": None,
            },
            {
                "name": "stdout",
                "kind": "flag",
                "opts": ["--stdout"],
                "many": False,
                "path": False,
                "default": False,
                "choices": None,
            },
            {
                "name": "exit_nonzero_on_change",
                "kind": "flag",
                "opts": ["--exit-nonzero-on-change"],
                "many": False,
                "path": False,
                "default": False,
                "choices": None,
            },
            {
                "name": "stacks_dir",
                "kind": "option",
                "opts": ["--stacks-dir"],
                "many": False,
                "path": True,
                "default": "cloudformation",
                "choices": None,
            },
            {
                "name": "quiet",
                "kind": "flag",
                "opts": ["--quiet", "-q"],
                "many": False,
                "path": False,
                "default": False,
                "choices": None,
            },
            {
                "name": "prune",
                "kind": "flag",
                "opts": ["--prune"],
                "many": False,
                "path": False,
                "default": False,
                "choices": None,
            },
            {
                "name": "force",
                "kind": "flag",
                "opts": ["--force"],
                "many": False,
                "path": False,
                "default": False,
                "choices": None,
            },
        ],
    },
    "schema": {
        "action": "ciconf.actions:schema",
        "params": [
            {
                "name": "output",
                "kind": "option",
                "opts": ["--output", "-o"],
                "many": False,
                "path": True,
                "default": None,
                "choices": None,
            },
        ],
    },
}
# END SPEC


def parse(args: Sequence[str]) -> tuple[str, dict[str, Any]] | None:
    """(command, the values given) for a plain invocation of a SPEC command, or None for typer."""
    if not args or args[0] not in SPEC or _COMPLETION_VAR in os.environ:
        return None
    params = SPEC[args[0]]["params"]
    options = {spelling: param for param in params for spelling in param["opts"]}
    positional = next((param for param in params if param["kind"] == "argument"), None)
    tokens = iter(args[1:])
    found: dict[str, Any] = {}
    value: bool | str | None
    for token in tokens:
        name, equals, inline = token.partition("=")
        if token and not token.startswith("-"):
            param, value = positional, token
        elif token in options:
            param = options[token]
            value = True if param["kind"] == "flag" else next(tokens, None)
        elif (
            token.startswith("--")
            and equals
            and name in options
            and options[name]["kind"] == "option"
        ):
            param, value = options[name], inline
        else:
            return None
        if (
            param is None
            or value is None
            or (isinstance(value, str) and (not value or value.startswith("-")))
        ):
            return None
        if param["choices"] and value not in param["choices"]:
            return None  # typer reports it
        if param["many"]:
            found.setdefault(param["name"], []).append(value)
        elif param["name"] in found:
            return None
        else:
            found[param["name"]] = value
    return args[0], found


def arguments(command: str, found: dict[str, Any]) -> dict[str, Any]:
    """The action's keyword arguments, typed as typer passes them: a Path for a Path parameter."""
    values = {}
    for param in SPEC[command]["params"]:
        value = found.get(param["name"], param["default"])
        if param["path"] and value is not None:
            value = [Path(item) for item in value] if isinstance(value, list) else Path(value)
        values[param["name"]] = value
    return values


def action(command: str) -> Any:
    module, _, name = SPEC[command]["action"].partition(":")
    return getattr(importlib.import_module(module), name)


def _run(command: str, found: dict[str, Any]) -> int:
    """Run an action with the outcomes the typer path gives (see cli.main and typer's main)."""
    from ciconf.errors import InputError

    try:
        return action(command)(**arguments(command, found))
    except InputError as error:
        from ciconf.actions import input_error

        return input_error(error)
    except KeyboardInterrupt:
        return 130  # typer's answer to Ctrl-C inside a command
    except BrokenPipeError:
        # typer exits 1 when the reader of our stdout went away; keep Python quiet about it at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    parsed = parse(args)
    if parsed is None:
        from ciconf.cli import main as typer_main

        return typer_main(args)
    return _run(*parsed)


def _terminate(signum: int, frame: object) -> None:
    # an exception, unlike the default handler, lets write_atomic remove its temporary file
    raise SystemExit(128 + signum)


def run() -> None:
    # One command per process, on capped inputs (a 2 MiB config, a 10,000-value profile):
    # reference counting frees what a command drops, and the cyclic collector would mostly walk,
    # again and again, the modules, classes and validators that live until exit (~3% of a
    # `check` with an empty cache). Peak memory stays within ~2 MB (benchmarks/bench.py).
    gc.disable()
    signal.signal(signal.SIGTERM, _terminate)
    sys.exit(main())
