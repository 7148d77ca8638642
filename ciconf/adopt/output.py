"""How import and init speak and write: messages on stderr, files written atomically.

(The front end's ciconf.actions says the same things; adopt sits below it in the flow.)
"""

from __future__ import annotations

import sys

from ciconf.errors import InputError
from ciconf.exitcodes import INPUT_ERROR


def say(message: str) -> None:
    print(message, file=sys.stderr)


def error(message: object) -> int:
    """One line for a bad input or usage; the exit code for it."""
    say(f"ciconf: error: {message}")
    return INPUT_ERROR


def write(target: str, text: str) -> None:
    """Write `text` to `target` atomically (never through a FIFO or device)."""
    from ciconf.fsutil import refuse_special, write_atomic

    refuse_special(target)
    try:
        write_atomic(target, text)
    except OSError as problem:
        raise InputError(target, f"cannot write: {problem.strerror or problem}") from None
    say(f"ciconf: wrote {target}")
