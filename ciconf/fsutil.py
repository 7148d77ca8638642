"""File access for every command: bounded reads of regular files only, atomic writes.

Inputs are opened with O_NONBLOCK and checked with fstat before anything is read, so a FIFO,
a device or a directory given as a profile or config is refused at once instead of hanging or
being read forever (/dev/zero). Outputs must be regular files (or not exist yet): `-o /dev/null`
or `-o /proc/self/fd/1` would otherwise replace a device node or a descriptor link with a file.
A write goes to a hidden temporary file in the same folder, then replaces the target in one
rename; readers see the old file or the new one. A process killed with SIGKILL cannot remove its
temporary file, so each write first sweeps stale ones left by dead ciconf processes.
"""

from __future__ import annotations

import contextlib
import os
import stat
import time
from collections.abc import Iterator

from ciconf.errors import InputError, printable

# flags POSIX has and other systems may lack (0: not available, the check is simply not made there)
O_NONBLOCK, O_NOFOLLOW, O_CLOEXEC = (
    getattr(os, name, 0) for name in ("O_NONBLOCK", "O_NOFOLLOW", "O_CLOEXEC")
)
STALE_SECONDS = 3600  # a temporary file this old, whose writer has gone, is a leftover
_RANDOM_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def not_regular(path: str, mode: int) -> InputError:
    return InputError(path, f"is {kind(mode)}, not a regular file")


STDIN = "-"  # as a path to read: standard input (`ciconf lint -`, `plan --config -`)


def read_regular(path: str, max_bytes: int) -> bytes:
    """The bytes of the regular file at `path`; an InputError for anything else or a larger file.
    `-` is standard input, read up to the same limit."""
    if path == STDIN:
        return _read_stdin(max_bytes)
    try:
        fd = os.open(path, os.O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except OSError as error:
        refuse_special(path)  # a socket cannot even be opened
        raise InputError(path, f"cannot read: {error.strerror or error}") from None
    try:
        return _read_open(path, fd, max_bytes)
    finally:
        os.close(fd)


def _read_open(path: str, fd: int, max_bytes: int) -> bytes:
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        raise not_regular(path, info.st_mode)
    if info.st_size > max_bytes:
        raise too_big(path, info.st_size, max_bytes)
    chunks, size = [], 0
    try:
        while size <= max_bytes:
            chunk = os.read(fd, max_bytes + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as error:
        raise InputError(path, f"cannot read: {error.strerror or error}") from None
    if size > max_bytes:  # it grew while we read
        raise too_big(path, os.fstat(fd).st_size, max_bytes)
    return b"".join(chunks)


def _read_stdin(max_bytes: int) -> bytes:
    import sys

    try:
        data = sys.stdin.buffer.read(max_bytes + 1)
    except (OSError, ValueError, AttributeError) as error:
        raise InputError(STDIN, f"cannot read standard input: {error}") from None
    if len(data) > max_bytes:
        raise InputError(
            STDIN, f"standard input is over the limit of {max_bytes / 1_048_576:.0f} MiB"
        )
    return data


def too_big(path: str, size: int, max_bytes: int) -> InputError:
    return InputError(
        path, f"file is {size / 1_048_576:.1f} MiB; the limit is {max_bytes / 1_048_576:.0f} MiB"
    )


def refuse_special(path: str, hint: str | None = None) -> None:
    """An InputError when `path` exists and is not a regular file (links are followed).

    Used for outputs and for the config `check` compares: a FIFO, a device, a directory or a
    descriptor link such as /proc/self/fd/1 is never read, replaced or written through.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return
    if not stat.S_ISREG(mode):
        error = not_regular(path, mode)
        if hint:
            error.message += f"; {hint}"
        raise error


def write_atomic(path: str, text: str) -> None:
    write_all_or_none([(path, text)])


def write_all_or_none(files: list[tuple[str, str]]) -> None:
    """Write every (path, text), or none of them: all are staged as temporary files (written and
    synced) before the first rename, so a full disk or a failed write leaves every target as it
    was. Each target then changes in one rename."""
    staged: list[tuple[str, str]] = []  # (temporary, target)
    try:
        for path, text in files:
            with _naming(path):
                staged.append(_stage(path, text))
        for (temporary, target), (path, _) in zip(staged, files, strict=True):
            with _naming(path):
                os.replace(temporary, target)
        for directory in sorted({os.path.dirname(target) for _, target in staged}):
            _sync_directory(directory)
    except BaseException:
        for temporary, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
        raise


@contextlib.contextmanager
def _naming(path: str) -> Iterator[None]:
    """An OSError inside names `path`, the target the user gave, not our temporary file."""
    try:
        yield
    except OSError as error:
        error.filename = path
        raise


def _stage(path: str, text: str) -> tuple[str, str]:
    """(temporary file holding `text` with the target's mode, the real target) for `path`."""
    refuse_special(path)
    if os.path.islink(path):
        # write through the link, as editors do: replacing the link itself would turn
        # /dev/stdout or /proc/self/fd/1 (redirected to a file) into a regular file
        path = os.path.realpath(path)
        refuse_special(path)
    path = os.path.abspath(path)
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    try:
        mode = os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    base = os.path.basename(path)
    sweep_stale_temporaries(directory, base)
    fd, temporary = _create_temporary(directory, base)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return temporary, path


def temporary_name(base: str) -> str:
    """`.config.yml.<pid>.<8 random characters>.tmp`: the pid tells a sweep whether its writer
    lives."""
    random = os.urandom(5).hex()[:8]
    return f".{base}.{os.getpid()}.{random}.tmp"


def _create_temporary(directory: str, base: str) -> tuple[int, str]:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | O_NOFOLLOW | O_CLOEXEC
    for _ in range(100):
        temporary = os.path.join(directory, temporary_name(base))
        try:
            return os.open(temporary, flags, 0o600), temporary
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name in {directory}")


def owner_pid(name: str, base: str) -> int | None:
    """The pid in one of our temporary names for `base`, or None when `name` is not one."""
    prefix, suffix = f".{base}.", ".tmp"
    if not (name.startswith(prefix) and name.endswith(suffix)) or len(name) <= len(prefix) + len(
        suffix
    ):
        return None
    pid, dot, random = name[len(prefix) : -len(suffix)].partition(".")
    if not (
        dot
        and pid.isascii()
        and pid.isdigit()
        and len(random) == 8
        and set(random) <= _RANDOM_CHARS
    ):
        return None
    return int(pid)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True  # someone else's process, or a number we cannot ask about: leave the file
    return True


def sweep_stale_temporaries(directory: str, base: str, now: float | None = None) -> list[str]:
    """Remove our temporary files for `base` older than STALE_SECONDS whose writer has gone."""
    removed: list[str] = []
    limit = (time.time() if now is None else now) - STALE_SECONDS
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        pid = owner_pid(entry.name, base)
        if pid is None or pid == os.getpid():
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if (
            not stat.S_ISREG(info.st_mode)
            or info.st_uid != getattr(os, "getuid", lambda info=info: info.st_uid)()
            or info.st_mtime > limit
            or _running(pid)
        ):
            continue
        try:
            os.unlink(entry.path)
            removed.append(entry.name)
        except OSError:
            pass
    return removed


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
    file at `path` is simply "different" and gets replaced. Never blocks on a FIFO.
    """
    wanted = text.encode("utf-8")
    try:
        fd = os.open(path, os.O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read(len(wanted) + 1) == wanted
    except OSError:
        return False
    finally:
        os.close(fd)


def display_path(path: str) -> str:
    """A stable, portable spelling of a path for headers: relative to the cwd, with '/'."""
    relative = os.path.relpath(os.path.abspath(path))
    return printable(relative.replace(os.sep, "/"))  # a newline in a name must not end the comment


def generated_from(folder: str, profile_path: str, marker: str = " for account ") -> list[str]:
    """The *.yaml files directly in `folder` whose header says ciconf generated them from this
    profile (`# Generated by ciconf from PROFILE for account ...`), sorted. Reads one line each."""
    prefix = f"# Generated by ciconf from {display_path(profile_path)}{marker}".encode()
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    found = []
    for name in names:
        path = os.path.join(folder, name)
        if not name.endswith((".yaml", ".yml")) or not os.path.isfile(path):
            continue
        try:
            with open(path, "rb") as handle:
                first = handle.read(len(prefix))
        except OSError:
            continue
        if first == prefix:
            found.append(path)
    return found
