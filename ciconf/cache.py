"""Digests of rendered configs, so `ciconf check` on unchanged inputs needs no render.

A pre-commit hook runs `check` on every commit while the profile rarely changes, and rendering
means importing pydantic and validating -- most of check's time. Comparing digests needs neither.
The key covers everything the rendered bytes depend on: the profile's bytes, the two paths as given
and the working directory (both are written in the header), ciconf's own source files and the
Python version. Entries live in $CICONF_CACHE_DIR, else $XDG_CACHE_HOME/ciconf, else
~/.cache/ciconf; CICONF_NO_CACHE=1 turns the cache off. A missing, unreadable or unwritable cache
only costs a render: it can make `check` faster, never change its answer.
"""

from __future__ import annotations

import hashlib
import os
import sys

_PACKAGE = os.path.dirname(os.path.abspath(__file__))
MAX_PROFILE_BYTES = 1024 * 1024  # larger profiles are refused by the loader anyway


def directory() -> str | None:
    if os.environ.get("CICONF_NO_CACHE"):
        return None
    explicit = os.environ.get("CICONF_CACHE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "ciconf")


def _source_digest() -> bytes:
    """ciconf's code, file by file: a changed renderer never reuses an old entry."""
    digest = hashlib.sha256()
    for folder, subfolders, files in os.walk(_PACKAGE):
        subfolders[:] = sorted(name for name in subfolders if name != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                digest.update(os.path.relpath(path, _PACKAGE).encode() + b"\0")
                with open(path, "rb") as handle:
                    digest.update(handle.read() + b"\0")
    return digest.digest()


def key(profile_path: str, output_path: str) -> str | None:
    """The entry name for rendering `profile_path` into `output_path` from here, or None."""
    if directory() is None:
        return None
    try:
        if os.path.getsize(profile_path) > MAX_PROFILE_BYTES:
            return None
        with open(profile_path, "rb") as handle:
            profile = handle.read()
    except OSError:
        return None
    digest = hashlib.sha256(_source_digest())
    for part in (sys.version, os.getcwd(), profile_path, output_path):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    digest.update(profile)
    return digest.hexdigest()


def file_digest(path: str) -> str | None:
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return None


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def lookup(entry: str | None) -> str | None:
    folder = directory()
    if entry is None or folder is None:
        return None
    try:
        with open(os.path.join(folder, entry), encoding="ascii") as handle:
            return handle.read().strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def store(entry: str | None, rendered_digest: str) -> None:
    folder = directory()
    if entry is None or folder is None:
        return
    try:
        os.makedirs(folder, exist_ok=True)
        temporary = os.path.join(folder, f".{entry}.{os.getpid()}.tmp")
        with open(temporary, "w", encoding="ascii") as handle:
            handle.write(rendered_digest + "\n")
        os.replace(temporary, os.path.join(folder, entry))
    except OSError:
        pass  # a read-only home only makes the next check slower
