"""FIFOs, devices, directories and descriptor links as profile, config or output: refused, exit 2.

Every command runs in a subprocess with a timeout, so a command that would wait on a FIFO or read
/dev/zero forever fails the test instead of hanging it. And: stale temporary files are swept.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import PROFILES, ciconf_in_process, cli_env, run_ciconf

from ciconf import fsutil

TIMEOUT = 30


@pytest.fixture
def project(tmp_path):
    (tmp_path / "ciconf.yaml").write_bytes((PROFILES / "ci-cd-example.yaml").read_bytes())
    # the committed config and stacks every test starts from (in this process: it is set-up)
    assert ciconf_in_process("render", cwd=tmp_path).returncode == 0
    os.mkfifo(tmp_path / "fifo.yaml")
    (tmp_path / "folder.yaml").mkdir()
    return tmp_path


def refused(result: subprocess.CompletedProcess, path: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith(f"ciconf: error: {path}: is "), result.stderr
    assert "not a regular file" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["check", "fifo.yaml"],
        ["render", "fifo.yaml"],
        ["render", "fifo.yaml", "--stdout"],
        ["cfn", "fifo.yaml", "--account", "stg", "--stdout"],
        ["lint", "--profile", "fifo.yaml"],
        ["lint", "fifo.yaml"],
    ],
    ids=" ".join,
)
def test_a_fifo_as_input_is_refused_at_once(project, args):
    refused(run_ciconf(*args, cwd=project), "fifo.yaml")


@pytest.mark.parametrize(
    "args",
    [["check", "folder.yaml"], ["render", "folder.yaml"], ["lint", "folder.yaml"]],
    ids=" ".join,
)
def test_a_directory_as_input_is_refused(project, args):
    refused(run_ciconf(*args, cwd=project), "folder.yaml")


@pytest.mark.parametrize("cached", [True, False], ids=["warm cache", "no cache"])
@pytest.mark.parametrize("config", ["/dev/zero", "fifo.yaml", "folder.yaml", "/dev/null"])
def test_check_refuses_a_special_config_whatever_the_cache_holds(project, config, cached):
    env = cli_env()
    if not cached:
        env["CICONF_NO_CACHE"] = "1"
    assert run_ciconf("check", cwd=project).returncode == 0  # the entry is there
    result = subprocess.run(
        [sys.executable, "-m", "ciconf", "check", "--config", config],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    refused(result, config)
    assert "MiB" not in result.stderr


def test_lint_refuses_dev_zero_without_reading_it():
    result = run_ciconf("lint", "/dev/zero")
    refused(result, "/dev/zero")
    assert "MiB" not in result.stderr


@pytest.mark.parametrize(
    "target", ["/dev/null", "/proc/self/fd/1", "/dev/stdout", "fifo.yaml", "folder.yaml"]
)
@pytest.mark.parametrize(
    "command", [["render"], ["schema"], ["cfn", "--account", "stg"]], ids=" ".join
)
def test_a_special_output_is_refused_and_left_as_it_is(project, target, command):
    lasting = target in (
        "/dev/null",
        "fifo.yaml",
        "folder.yaml",
    )  # the others name the child's stdout
    names = sorted(p.name for p in project.iterdir())
    before = os.stat(project / target) if lasting else None
    result = run_ciconf(*command, "-o", target, cwd=project)
    refused(result, target)
    assert result.stdout == ""
    if before is not None:
        after = os.stat(project / target)
        assert (stat.S_IFMT(after.st_mode), after.st_ino) == (
            stat.S_IFMT(before.st_mode),
            before.st_ino,
        )
    assert sorted(p.name for p in project.iterdir()) == names


def test_render_to_dev_stdout_into_a_pipe_does_not_deadlock_and_stdout_is_the_way(project):
    reader = subprocess.Popen(
        [sys.executable, "-m", "ciconf", "render", "-o", "/dev/stdout"],
        cwd=project,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = reader.communicate(timeout=TIMEOUT)
    assert reader.returncode == 2 and "use --stdout" in err and out == ""
    printed = run_ciconf("render", "--stdout", cwd=project)
    assert (
        printed.returncode == 0
        and printed.stdout == (project / ".circleci" / "config.yml").read_text()
    )


def test_a_symlink_to_a_regular_file_is_still_a_fine_input(project):
    (project / "link.yaml").symlink_to(project / "ciconf.yaml")
    result = run_ciconf("render", "link.yaml", "--stdout", cwd=project)
    assert result.returncode == 0, result.stderr


# --- temporary files left by a killed writer ------------------------------------------------------


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_only_our_old_temporaries_of_dead_writers_are_swept(tmp_path):
    now = time.time()
    old = now - 2 * fsutil.STALE_SECONDS
    gone, alive = dead_pid(), os.getppid()

    def make(name: str, mtime: float = old) -> Path:
        path = tmp_path / name
        path.write_text("partial")
        os.utime(path, (mtime, mtime))
        return path

    stale = make(f".config.yml.{gone}.abcd1234.tmp")
    kept = [
        make(f".config.yml.{gone}.efgh5678.tmp", mtime=now),  # young: its writer may be slow
        make(f".config.yml.{alive}.abcd1234.tmp"),  # its writer still runs
        make(".config.yml.tmp"),  # not our pattern
        make(f".config.yml.{gone}.abcd123.tmp"),
        make(f".config.yml.{gone}x.abcd1234.tmp"),
        make(f".other.yml.{gone}.abcd1234.tmp"),  # another target's
        make(f"config.yml.{gone}.abcd1234.tmp"),
    ]
    foreign = make(f".config.yml.{gone}.zzzz9999.tmp")
    os.chown(foreign, 65534, 65534)
    kept.append(foreign)
    link = tmp_path / f".config.yml.{gone}.link0000.tmp"
    link.symlink_to(stale)
    folder = tmp_path / f".config.yml.{gone}.fold0000.tmp"
    folder.mkdir()
    os.utime(folder, (old, old))
    assert fsutil.sweep_stale_temporaries(str(tmp_path), "config.yml", now=now) == [stale.name]
    assert not stale.exists()
    assert all(path.exists() for path in kept) and link.is_symlink() and folder.is_dir()


def test_temporary_names_carry_the_writer_pid():
    name = fsutil.temporary_name("config.yml")
    assert fsutil.owner_pid(name, "config.yml") == os.getpid()
    assert fsutil.owner_pid(name, "other.yml") is None


def test_a_planted_symlink_at_the_temporary_name_is_not_followed(tmp_path, monkeypatch):
    victim = tmp_path / "victim"
    victim.write_text("untouched\n")
    names = iter([".config.yml.1.planted1.tmp", ".config.yml.1.freshnam.tmp"])
    monkeypatch.setattr(fsutil, "temporary_name", lambda base: next(names))
    (tmp_path / ".config.yml.1.planted1.tmp").symlink_to(victim)
    fsutil.write_atomic(str(tmp_path / "config.yml"), "new\n")
    assert victim.read_text() == "untouched\n"
    assert (tmp_path / "config.yml").read_text() == "new\n"
    assert (tmp_path / ".config.yml.1.planted1.tmp").is_symlink()


def test_a_symlinked_output_is_written_through_and_stays_a_link(project):
    real = project / "real.yml"
    real.write_text("# Generated by ciconf from an old profile.\n")
    (project / "link.yml").symlink_to(real)
    assert run_ciconf("render", "-o", "link.yml", cwd=project).returncode == 0
    assert (project / "link.yml").is_symlink()
    assert real.read_text().startswith("# Generated by ciconf")


def test_dev_stdout_redirected_to_a_file_is_written_through_never_replaced(project):
    before = os.lstat("/dev/stdout")
    with open(project / "out.yml", "w") as out:
        result = subprocess.run(
            [sys.executable, "-m", "ciconf", "render", "-o", "/dev/stdout"],
            cwd=project,
            env=cli_env(),
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            timeout=TIMEOUT,
        )
    after = os.lstat("/dev/stdout")
    assert stat.S_ISLNK(after.st_mode) and after.st_ino == before.st_ino  # still the system's link
    assert result.returncode in (0, 2), result.stderr
    if result.returncode == 0:
        written = (project / "out.yml").read_text()
        assert written.startswith("# Generated by ciconf") and "\nversion: 2.1\n" in written
    assert not any(name.startswith(".stdout.") for name in os.listdir("/dev"))
