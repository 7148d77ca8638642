"""The digest cache on a full disk: an entry is written whole or not at all, and the reader
requires its checksum, so `check` never answers "in sync" from a cut entry.

The issue's case: an entry cut at a line boundary listed only some generated files, so `check`
said "in sync" with one stack tampered and another deleted. Shown here on a real full file system
(a 64 KiB tmpfs, mounted in a private mount namespace when the tests run as root), and, everywhere,
with short writes injected into `os.write`.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PROFILES, ROOT

from ciconf import actions, cache

STACKS = "stacks/" + "/".join(
    ["s" * 100] * 4
)  # long paths: an entry larger than the one free page of the tmpfs


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CICONF_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("CICONF_NO_CACHE", raising=False)
    shutil.copy(PROFILES / "ci-cd-example.yaml", "ciconf.yaml")
    return tmp_path


def render() -> None:
    assert actions.render(None, None, False, stacks_dir=Path(STACKS)) == actions.OK


def check(capsys) -> tuple[int, str]:
    code = actions.check(None, Path(actions.DEFAULT_CONFIG), stacks_dir=Path(STACKS))
    return code, capsys.readouterr().err


def tamper_and_delete() -> None:
    first, second = sorted(Path(STACKS).glob("*.yaml"))[:2]
    first.write_text(first.read_text().replace("Resources:", "Resources:\n  # tampered", 1))
    second.unlink()


def entries(folder: Path) -> list[Path]:
    return [path for path in folder.iterdir() if not path.name.startswith(".")]


def test_a_short_write_at_a_line_boundary_stores_no_entry(project, monkeypatch, capsys):
    real_write = os.write
    calls = []

    def full_after_two_lines(fd, data):
        calls.append(len(data))
        if len(calls) == 1:
            cut = bytes(data).index(b"\n", bytes(data).index(b"\n") + 1) + 1
            return real_write(fd, bytes(data)[:cut])  # what a filling disk does: a short count
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cache.os, "write", full_after_two_lines)
    render()
    monkeypatch.undo()
    monkeypatch.chdir(project)
    monkeypatch.setenv("CICONF_CACHE_DIR", str(project / "cache"))
    assert len(calls) == 2  # the short count was noticed and the rest retried
    assert entries(project / "cache") == []  # and the entry dropped, its temporary file removed
    assert os.listdir(project / "cache") == []
    tamper_and_delete()
    code, said = check(capsys)
    assert code == actions.DRIFT and "does not exist" in said and "has drifted" in said


def test_an_entry_cut_at_a_line_boundary_is_not_read(project, capsys):
    render()
    (entry,) = entries(project / "cache")
    lines = entry.read_bytes().splitlines(keepends=True)
    assert lines[-1].startswith(b"sha256 ") and len(lines) > 3
    entry.write_bytes(b"".join(lines[:2]))  # two whole lines, as a cut write leaves them
    assert cache.lookup(entry.name) is None
    entry.write_bytes(b"".join(lines[:2] + lines[-1:]))  # the checksum covers every line
    assert cache.lookup(entry.name) is None
    tamper_and_delete()
    code, said = check(capsys)
    assert code == actions.DRIFT and "does not exist" in said


def test_a_whole_entry_is_still_used(project, capsys):
    render()
    code, said = check(capsys)
    assert code == actions.OK and "in sync" in said
    (entry,) = entries(project / "cache")
    assert cache.lookup(entry.name) is not None


FULL_DISK = r"""
import os, shutil, subprocess, sys
from pathlib import Path
mount, work = Path(sys.argv[1]), Path(sys.argv[2])
subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], check=True)
filler = os.open(mount / "filler", os.O_WRONLY | os.O_CREAT)  # fill it, then free one page
try:
    while os.write(filler, b"x" * 4096) == 4096:
        pass
except OSError:
    pass
os.close(filler)
os.truncate(mount / "filler", os.path.getsize(mount / "filler") - 4096)
os.environ["CICONF_CACHE_DIR"] = str(mount / "cache")
os.chdir(work)
from ciconf import actions, cache
from pathlib import Path as P
stacks = P(sys.argv[3])
assert actions.render(None, None, False, stacks_dir=stacks) == 0
left = [name for name in os.listdir(mount / "cache")]
first, second = sorted(stacks.glob("*.yaml"))[:2]
first.write_text(first.read_text().replace("Resources:", "Resources:\n  # tampered", 1))
second.unlink()
code = actions.check(None, P(actions.DEFAULT_CONFIG), stacks_dir=stacks)
print("LEFT", left, "CODE", code)
"""


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or os.geteuid() != 0 or not shutil.which("unshare"),
    reason="mounting a tmpfs needs root on Linux (the injected short writes above run everywhere)",
)
def test_on_a_real_full_file_system(project, tmp_path):
    mount = tmp_path / "full"
    mount.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [
            "unshare",
            "-m",
            "--propagation",
            "private",
            sys.executable,
            "-c",
            FULL_DISK,
            str(mount),
            str(project),
            STACKS,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0 and "mount" in done.stderr and "permission" in done.stderr.lower():
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()[-200:]}")
    assert done.returncode == 0, done.stderr
    assert "LEFT [] CODE 1" in done.stdout, done.stdout + done.stderr
    assert "does not exist" in done.stderr and "has drifted" in done.stderr
