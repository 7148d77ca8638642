"""Build our pydantic validators without pydantic's plugin discovery.

On the first validation pydantic looks for plugins by reading the entry points of every installed
distribution, which costs more than building the profile models themselves; `ciconf check` pays it
on every commit. The models are internal to ciconf, so no plugin has business observing them
(typer builds its own adapters the same way). A user's explicit setting is left alone.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

SETTING = "PYDANTIC_DISABLE_PLUGINS"


@contextmanager
def plugins_disabled() -> Iterator[None]:
    if SETTING in os.environ:
        yield
        return
    os.environ[SETTING] = "__all__"
    try:
        yield
    finally:
        os.environ.pop(SETTING, None)
