"""Atomic file output: readers see the old file or the new one, never a half-written one."""

from __future__ import annotations

import os
import tempfile


def write_atomic(path: str, text: str) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    try:
        mode = os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    fd, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
        _sync_directory(directory)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise


def _sync_directory(directory: str) -> None:
    # the rename itself survives a power cut only once the directory entry is on disk
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a directory; the rename is still atomic
    finally:
        os.close(fd)


def holds(path: str, text: str) -> bool:
    """True when the file already contains exactly `text` (as write_atomic would write it).

    Compares bytes and reads at most one byte more than needed, so a huge, binary or unreadable
    file at `path` is simply "different" and gets replaced.
    """
    wanted = text.encode("utf-8")
    try:
        with open(path, "rb") as handle:
            return handle.read(len(wanted) + 1) == wanted
    except OSError:
        return False

