"""A fork server for the AWS CLI: the harness's `aws` calls run the real CLI without its start-up.

Every `aws` call of a job step used to be a fresh interpreter importing awscli and botocore
(~0.6 s CPU). Here one long-lived server per test process has imported them once; per call it
forks, and the child runs the CLI's own entry point exactly as the venv's `bin/aws` script does,
with the caller's argv, environment, working directory, umask and file descriptors 0/1/2
(received over a unix socket, SCM_RIGHTS). The server itself never runs CLI code, so every call
starts from the same just-imported state and none can leak into the next.

What an import could have fixed from the server's own process state is put right in the child:
- strings derived from HOME (botocore's and awscli's cache folders are computed at import): the
  server runs with a HOME of its own, unique, so every such string is found by its prefix and
  rewritten to the caller's home;
- variables read at interpreter start or at import (PYTHON*, locale, AWS_DATA_PATH,
  BOTO_DISABLE_CRT, see STARTUP_VARIABLES): the server starts with its callers' values of these
  (and otherwise only PATH and its HOME); a caller whose values differ is told to exec the real
  `aws` itself (slow, still the real CLI).
tests/oracles/test_aws_forkserver.py checks both lists against the imported modules' source and
compares outputs with the real `aws` executable's, byte for byte.

The `aws` on a job's PATH is CLIENT: a `python -SI` script (no site: fast) that sends the request
and exits with the child's exit code; with the server gone it fails loudly (exit 255).
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import io
import json
import marshal
import os
import resource
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

# read before the CLI's code runs (interpreter start, or module level in awscli/botocore): a
# caller must agree with the server on these, or the fork would not be what `aws` is for it
STARTUP_VARIABLES = ("AWS_DATA_PATH", "BOTO_DISABLE_CRT", "LANG", "LANGUAGE")
STARTUP_PREFIXES = ("PYTHON", "LC_")
PRELOAD = ("awscli.clidriver", "awscli.handlers")  # awscli.handlers: every plugin, imported at load
HEADER = 8  # bytes of the request's length, sent with the file descriptors

CLIENT = '''#!{python} -SI
"""`aws` for a harness job: the AWS CLI, run by the fork server of tests/aws_forkserver.py."""
import marshal, os, sys

import _socket  # not socket.py: its imports would be most of this script's start-up

SOCKET = {socket_path!r}
REAL_AWS = {real_aws!r}


def fail(message):
    sys.stderr.write("aws (fork-server client): " + message + "\\n")
    sys.exit(255)


def open_fds():
    found = []
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            continue
        found.append(fd)
    return found


def environment():
    """The environment we were started with: os.environ has this interpreter's own additions
    (PEP 538 adds LC_CTYPE under the C locale), which the real aws would make for itself."""
    try:
        with open("/proc/self/environ", "rb") as started:
            items = started.read().split(b"\\0")
    except OSError:
        return dict(os.environ)
    pairs = (item.split(b"=", 1) for item in items if b"=" in item)
    return {{os.fsdecode(key): os.fsdecode(value) for key, value in pairs}}


umask = os.umask(0)
os.umask(umask)
fds = open_fds()
request = marshal.dumps((sys.argv, environment(), os.getcwd(), umask, fds))
conn = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
try:
    conn.connect(SOCKET)
except OSError as error:
    fail(f"the AWS CLI fork server at {{SOCKET}} is not there ({{error}}); the call did not run")
try:
    rights = b"".join(fd.to_bytes(4, sys.byteorder) for fd in fds)  # socket.send_fds, by hand
    header = len(request).to_bytes({header}, "big")
    conn.sendmsg([header], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, rights)])
    conn.sendall(request)
    reply = b""
    while chunk := conn.recv(65536):
        reply += chunk
except OSError as error:
    fail(f"the connection to the AWS CLI fork server broke ({{error}}); the call may have half run")
if not reply:
    fail("the fork server's child ended without an exit status; the call may have half run")
kind, value = marshal.loads(reply)
if kind == "exec":  # an interpreter setting differs from the server's: the real aws, here
    os.execv(REAL_AWS, [REAL_AWS, *sys.argv[1:]])
sys.exit(value)
'''


# --- the server ----------------------------------------------------------------------------------


def startup_environment(environ: dict[str, str]) -> dict[str, str]:
    return {
        key: value
        for key, value in environ.items()
        if key in STARTUP_VARIABLES or key.startswith(STARTUP_PREFIXES)
    }


def _differing(wanted: dict[str, str], have: dict[str, str]) -> list[str]:
    return sorted(key for key in wanted.keys() | have.keys() if wanted.get(key) != have.get(key))


def home_derived(home: str) -> list[tuple[Any, str, str]]:
    """(holder, attribute, rest) for every imported module- or class-level string under `home`."""
    found = []
    prefix = home.rstrip(os.sep) + os.sep
    for name, module in list(sys.modules.items()):
        holders: list[Any] = [module]
        holders += [
            value
            for value in vars(module).values()
            if isinstance(value, type) and getattr(value, "__module__", None) == name
        ]
        for holder in holders:
            for attribute, value in list(vars(holder).items()):
                if isinstance(value, str) and (value + os.sep).startswith(prefix):
                    found.append((holder, attribute, value[len(prefix) - 1 :]))
    return found


def _rehome(derived: list[tuple[Any, str, str]]) -> None:
    home = os.path.expanduser("~").rstrip(os.sep)  # as expanduser joins it to the rest
    for holder, attribute, rest in derived:
        setattr(holder, attribute, home + rest)


def _receive(conn: socket.socket) -> tuple[tuple, list[int]]:
    header, fds, _flags, _address = socket.recv_fds(conn, HEADER, 3)
    while len(header) < HEADER:
        header += conn.recv(HEADER - len(header))
    size = int.from_bytes(header, "big")
    data = bytearray()
    while len(data) < size:
        chunk = conn.recv(min(size - len(data), 1 << 20))
        if not chunk:
            raise EOFError("the client went away mid-request")
        data += chunk
    return marshal.loads(bytes(data)), fds


def _adopt_descriptors(received: list[int], wanted: list[int]) -> None:
    """The caller's 0/1/2 become ours; one the caller had closed is closed here too."""
    for fd in (0, 1, 2):
        if fd in wanted:
            os.dup2(received[wanted.index(fd)], fd)
        else:
            os.close(fd)
    for fd in received:
        if fd not in (0, 1, 2):
            os.close(fd)


def _standard_streams(settings: dict[str, tuple[str, str]], unbuffered: bool) -> None:
    """sys.stdin/out/err on the new 0/1/2, made as the interpreter makes them at start
    (Python/pylifecycle.c, create_stdio)."""
    for fd, name, mode in ((0, "stdin", "rb"), (1, "stdout", "wb"), (2, "stderr", "wb")):
        try:
            os.fstat(fd)
        except OSError:
            setattr(sys, name, None)
            setattr(sys, f"__{name}__", None)
            continue
        encoding, errors = settings[name]
        raw_writes = unbuffered and fd != 0
        stream = io.TextIOWrapper(
            open(fd, mode, 0 if raw_writes else -1, closefd=False),  # noqa: SIM115 - sys.stdout
            encoding=encoding,
            errors=errors,
            newline="\n",
            line_buffering=not unbuffered and (fd == 2 or os.isatty(fd)),
            write_through=raw_writes,
        )
        stream.mode = mode.replace("b", "")  # type: ignore[misc]
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)


def _exit_status(error: SystemExit) -> int:
    """What the interpreter makes of a SystemExit (None: 0; a message: printed, 1)."""
    if error.code is None:
        return 0
    if isinstance(error.code, int):
        return error.code
    print(error.code, file=sys.stderr)
    return 1


def _run_cli(argv: list[str]) -> int:
    """bin/aws, as the script does it: its LC_CTYPE fix, then awscli.clidriver.main()."""
    import awscli.clidriver  # type: ignore[import-untyped]

    if os.environ.get("LC_CTYPE", "") == "UTF-8":
        os.environ["LC_CTYPE"] = "en_US.UTF-8"
    sys.argv = list(argv)
    try:
        raise SystemExit(awscli.clidriver.main())
    except SystemExit as error:
        status = _exit_status(error)
    except BaseException:
        sys.excepthook(*sys.exc_info())
        status = 1
    return status


def _finish(status: int) -> int:
    """What the interpreter does at exit: join threads, atexit, flush (a failed flush: 120)."""
    import threading

    threading._shutdown()  # type: ignore[attr-defined]
    import atexit as exits

    exits._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except Exception as error:
            if stream is not sys.stderr and sys.stderr is not None:
                print(f"Exception ignored in: {stream!r}\n{error!r}", file=sys.stderr)
                sys.stderr.flush()
            status = 120
    return status


def _child(conn: socket.socket, state: dict[str, Any]) -> None:
    """One call: never returns (os._exit), whatever happens."""
    status = 255
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the CLI may wait for its own children
        (argv, environ, cwd, umask, wanted), received = _receive(conn)
        differing = _differing(startup_environment(environ), state["startup"])
        if differing:
            os.write(2, f"exec: {' '.join(differing)}\n".encode())
            for fd in received:
                os.close(fd)
            conn.sendall(marshal.dumps(("exec", None)))
            os._exit(0)
        _adopt_descriptors(received, wanted)
        os.chdir(cwd)
        os.umask(umask)
        _standard_streams(state["streams"], bool(state["startup"].get("PYTHONUNBUFFERED")))
        os.environ.clear()
        os.environ.update({**environ, **state["added"]})
        _rehome(state["home_derived"])
        status = _finish(_run_cli(argv))
    except BaseException as error:  # the server's own failure: said on the caller's stderr
        with contextlib.suppress(OSError):
            os.write(2, f"aws fork server: {error!r}\n".encode())
    try:
        with contextlib.suppress(OSError):  # what a call costs (logged before the caller goes on)
            used = resource.getrusage(resource.RUSAGE_SELF)
            os.write(state["log"], f"fork cpu={used.ru_utime + used.ru_stime:.3f}s\n".encode())
        conn.sendall(marshal.dumps(("exit", status)))
    finally:
        os._exit(0)


def serve(socket_path: str, real_aws: str, startup: dict[str, str]) -> None:
    """Import the CLI, then fork a child per connection until stdin (our parent) closes.

    `startup`: the startup variables we were given; the interpreter may have added some (PEP 538
    sets LC_CTYPE=C.UTF-8 under the C locale), and would add them to a caller's `aws` too."""
    sys.path[0] = os.path.dirname(real_aws)  # what the script's interpreter puts first
    for module in PRELOAD:
        __import__(module)
    state = {
        "startup": startup,
        "added": {
            k: v for k, v in startup_environment(dict(os.environ)).items() if k not in startup
        },
        "streams": {
            name: (getattr(sys, name).encoding, getattr(sys, name).errors)
            for name in ("stdin", "stdout", "stderr")
        },
        "home_derived": home_derived(os.environ["HOME"]),
    }
    state["log"] = os.dup(2)  # the server's stderr, once a child's 2 is its caller's
    gc.freeze()  # the imported objects: never collected, so never touched (copied) by a child
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path)
    listener.listen(64)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while True:
        readable, _, _ = select.select([listener, sys.stdin], [], [])
        if sys.stdin in readable and not os.read(sys.stdin.fileno(), 1):
            return
        if listener in readable:
            conn, _ = listener.accept()
            if os.fork() == 0:
                listener.close()
                _child(conn, state)
            conn.close()


# --- the test process's side ---------------------------------------------------------------------


class ForkServer:
    """One server process (started by subprocess, not forked from the threaded test process)."""

    def __init__(self, real_aws: Path, startup: dict[str, str]) -> None:
        """`startup`: the STARTUP_VARIABLES the callers have (a caller with others execs aws)."""
        self.real_aws = real_aws
        self.folder = Path(tempfile.mkdtemp(prefix="awsfork-", dir="/tmp"))  # AF_UNIX: ~108 bytes
        self.socket_path = str(self.folder / "s")
        home = self.folder / "server-home"  # unique: every string derived from it is recognisable
        home.mkdir()
        self.log = self.folder / "server.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, __file__, self.socket_path, str(real_aws), json.dumps(startup)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                # what an import can read is the callers' (their HOME follows them, see above)
                env={"PATH": os.environ.get("PATH", os.defpath), "HOME": str(home), **startup},
            )
        assert self.process.stdout is not None
        if self.process.stdout.readline() != b"ready\n":
            self.process.wait()
            raise RuntimeError(f"the AWS CLI fork server did not start:\n{self.log.read_text()}")

    def client(self) -> str:
        """The text of an `aws` script that runs the CLI through this server."""
        return CLIENT.format(
            python=sys.executable,
            socket_path=self.socket_path,
            real_aws=str(self.real_aws),
            header=HEADER,
        )

    def install_client(self, path: Path) -> None:
        path.write_text(self.client())
        path.chmod(0o755)

    def stop(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()  # the server's signal to stop
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)

    def calls(self) -> list[str]:
        """A line per call so far: `fork cpu=SECONDS` (the child's CPU: the CLI's work, about
        0.2 s for an ECR call, against ~0.6 s for the executable), or `exec: NAMES` (the startup
        variables that differed)."""
        return [
            line for line in self.log.read_text().splitlines() if line.startswith(("fork", "exec"))
        ]


_SHARED: dict[tuple[Path, frozenset], ForkServer] = {}


def running_servers() -> list[ForkServer]:
    return [server for server in _SHARED.values() if server.process.poll() is None]


def shared_server(real_aws: Path, environ: dict[str, str]) -> ForkServer:
    """This process's server for `real_aws` and callers with `environ`'s startup variables,
    started on first use and stopped at exit."""
    key = (real_aws, frozenset(startup_environment(environ).items()))
    if key not in _SHARED or _SHARED[key].process.poll() is not None:
        _SHARED[key] = ForkServer(real_aws, startup_environment(environ))
        atexit.register(_SHARED[key].stop)
    return _SHARED[key]


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2], json.loads(sys.argv[3]))
