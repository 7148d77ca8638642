"""Digests of rendered files, so `ciconf check` on unchanged inputs needs no render.

A pre-commit hook runs `check` on every commit while the profile rarely changes, and rendering
means importing pydantic and validating -- most of check's time. Comparing digests needs neither.

Why an answer from the cache is the answer a render would give:
- The key is computed from the very bytes that are rendered: the caller reads the profile once,
  keys on those bytes and renders from them (never a second read that could see an edit).
- The key covers every other input of the rendered bytes: ciconf's source files, the versions
  and install of PyYAML, pydantic and pydantic-core, the Python version, the working directory
  and the paths as given (both appear in the header), and PYDANTIC_DISABLE_PLUGINS.
- Only we can write entries: the folder must be a directory (not a symlink) owned by the
  current user and writable by nobody else; it is created 0700 and used through one open
  descriptor, so swapping the path afterwards changes nothing. Anything else is not used at all.
- Entries are created as 0600 temporary files with O_CREAT|O_EXCL|O_NOFOLLOW, written until every
  byte is down (a short write on a full disk is retried, a failed one drops the entry), synced and
  renamed into place; they are read with O_NOFOLLOW and must be small regular files owned by us.
- An entry ends with the sha256 of everything before it; the reader requires it, so an entry cut
  short at any byte, a line boundary included, is no entry (a render answers instead).
An entry lists, per generated file, the digest of its bytes and its path. Entries live in
$CICONF_CACHE_DIR, else $XDG_CACHE_HOME/ciconf, else ~/.cache/ciconf; CICONF_NO_CACHE=1 turns the
cache off. A missing, refused, unreadable or unwritable cache only costs a render.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import sys
from collections.abc import Callable, Iterable

_PACKAGE = os.path.dirname(os.path.abspath(__file__))
VERSION = b"ciconf digest cache 3\0"
ENTRY_MAX_BYTES = 64 * 1024
# import name, distribution name as it appears in a *.dist-info folder
DEPENDENCIES = (("yaml", "PyYAML"), ("pydantic", "pydantic"), ("pydantic_core", "pydantic_core"))
_PRIVATE = (
    os.O_RDONLY
    | getattr(os, "O_DIRECTORY", 0)
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
# the guarantees below rest on POSIX owners, modes, O_NOFOLLOW and *at() calls
_SUPPORTED = os.name == "posix" and hasattr(os, "O_NOFOLLOW") and os.open in os.supports_dir_fd

Files = list  # of (target path, sha256 hex digest of its bytes)


def directory() -> str | None:
    if os.environ.get("CICONF_NO_CACHE") or not _SUPPORTED:
        return None
    explicit = os.environ.get("CICONF_CACHE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "ciconf")


def open_private(create: bool) -> int | None:
    """A descriptor of the cache folder if it is ours alone (made so when created), else None."""
    folder = directory()
    if folder is None:
        return None
    if create:
        try:
            os.makedirs(os.path.dirname(os.path.abspath(folder)), mode=0o700, exist_ok=True)
            os.mkdir(folder, 0o700)
        except FileExistsError:
            pass
        except OSError:
            return None
    try:
        fd = os.open(folder, _PRIVATE)
    except OSError:
        return None  # missing, a symlink, or not a directory
    try:
        if _private(fd):
            return fd
    except OSError:
        pass
    os.close(fd)
    return None


def _private(fd: int) -> bool:
    info = os.fstat(fd)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        return False
    if info.st_mode & 0o022:
        return False  # others could have written entries into it: never trust it
    if info.st_mode & 0o077:
        os.fchmod(fd, 0o700)  # readable by others only (an older ciconf made it so): close it
    return True


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


def dependency_versions() -> list[str]:
    """Where each dependency is installed, its file's stat, and its *.dist-info names (versions).

    importlib.metadata would cost more than the whole cached check; the dist-info folder next to
    the package names the same version. Nothing is imported.
    """
    from importlib.util import find_spec

    found = []
    for module, distribution in DEPENDENCIES:
        spec = find_spec(module)
        origin = spec.origin if spec is not None else None
        if not origin:
            found.append(f"{module}: not found")
            continue
        info = os.stat(origin)
        site = os.path.dirname(os.path.dirname(origin))
        prefix = distribution.lower() + "-"
        infos = sorted(
            name
            for name in os.listdir(site)
            if name.lower().startswith(prefix) and name.endswith((".dist-info", ".egg-info"))
        )
        found.append(f"{module}: {origin} {info.st_size} {info.st_mtime_ns} {infos}")
    return found


def key(profile: bytes, profile_path: str, targets: Iterable[str]) -> str | None:
    """The entry name for rendering these profile bytes from here into `targets`, or None."""
    if directory() is None:
        return None
    try:
        digest = hashlib.sha256(VERSION + _source_digest())
        parts = [sys.version, sys.implementation.cache_tag or "", *dependency_versions()]
        parts += [
            os.environ.get("PYDANTIC_DISABLE_PLUGINS", "(unset)"),
            os.getcwd(),
            profile_path,
            *targets,
        ]
    except (OSError, ValueError):
        return None
    for part in parts:
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    digest.update(profile)
    return digest.hexdigest()


def bytes_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def text_digest(text: str) -> str:
    return bytes_digest(text.encode("utf-8"))


def lookup(entry: str | None) -> Files | None:
    """The files and digests stored under `entry`, or None."""
    if entry is None:
        return None
    folder = open_private(create=False)
    if folder is None:
        return None
    try:
        fd = os.open(
            entry, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=folder
        )
    except OSError:
        return None
    finally:
        os.close(folder)
    try:
        info = os.fstat(fd)
        if (
            not stat.S_ISREG(info.st_mode)
            or info.st_uid != os.getuid()
            or info.st_size > ENTRY_MAX_BYTES
        ):
            return None
        return _parse(os.read(fd, ENTRY_MAX_BYTES + 1))
    except OSError:
        return None
    finally:
        os.close(fd)


def seal(body: bytes) -> bytes:
    """The entry: its lines, then a line holding the sha256 of those lines."""
    return body + b"sha256 " + hashlib.sha256(body).hexdigest().encode("ascii") + b"\n"


def _unseal(data: bytes) -> bytes | None:
    """The lines of an entry whose closing checksum matches them, else None."""
    body, found, trailer = data.rpartition(b"sha256 ")
    if not found or not trailer.endswith(b"\n") or (body and not body.endswith(b"\n")):
        return None
    if trailer[:-1] != hashlib.sha256(body).hexdigest().encode("ascii"):
        return None
    return body


def _parse(data: bytes) -> Files | None:
    body = _unseal(data)
    if body is None:
        return None  # truncated or damaged
    files = []
    for line in body.split(b"\n")[:-1] if body.endswith(b"\n") else [None]:
        if line is None:
            return None  # truncated
        digest, _, path = line.partition(b" ")
        if len(digest) != 64 or not set(digest) <= set(b"0123456789abcdef") or not path:
            return None
        try:
            files.append((os.fsdecode(bytes.fromhex(path.decode("ascii"))), digest.decode("ascii")))
        except ValueError:
            return None
    return files or None


def store(entry: str | None, files: Files) -> None:
    """Remember `files` under `entry`; silently nothing when the cache is off or not ours."""
    if entry is None:
        return
    folder = open_private(create=True)
    if folder is None:
        return
    data = seal(
        b"".join(f"{digest} {os.fsencode(path).hex()}\n".encode("ascii") for path, digest in files)
    )
    temporary = temporary_name(entry)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(temporary, flags, 0o600, dir_fd=folder)
    except OSError:
        os.close(folder)  # something is at that name already: leave it alone, follow nothing
        return
    try:
        try:
            write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, entry, src_dir_fd=folder, dst_dir_fd=folder)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary, dir_fd=folder)  # the file we created, nothing else
    finally:
        os.close(folder)


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of `data`; OSError when the file system takes no more (ENOSPC, EIO ...)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:
            raise OSError("short write")
        view = view[written:]


def temporary_name(entry: str) -> str:
    return f".{entry}.{os.getpid()}.{os.urandom(4).hex()}.tmp"


def matches(files: Files | None, digest_of: Callable[[str], str | None]) -> bool:
    """True when every remembered file still has the remembered digest (`digest_of(path)`)."""
    if not files:
        return False
    return all(digest_of(path) == digest for path, digest in files)
