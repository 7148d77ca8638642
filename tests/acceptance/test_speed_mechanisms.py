"""The mechanisms behind issue 21 §4's speed targets each keep the answer (figures:
benchmarks/bench.py --release-only). The prebuilt validators have their own tests:
tests/acceptance/test_prebuilt_schema.py."""

from __future__ import annotations

import shutil
import subprocess
import sys

from conftest import PROFILES, cli_env

from ciconf.yamlkit import emit

# What a `ciconf check` process imported, and whether the cyclic collector ran, printed at exit.
PROBE = """
import atexit, gc, sys
def report():
    names = ("typing", "yaml", "pydantic")
    print(gc.isenabled(), *(name in sys.modules for name in names), file=sys.stderr)
atexit.register(report)
sys.argv = ["ciconf", "check"]
from ciconf.entry import run
run()
"""


def probe(folder, env) -> tuple[int, list[str], str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=folder, env=env, capture_output=True, text=True
    )
    return done.returncode, done.stderr.splitlines()[-1].split(), done.stderr


def test_a_cached_check_imports_neither_typing_nor_yaml_nor_pydantic(tmp_path):
    """The pre-commit case: unchanged inputs, answered from the digest cache."""
    shutil.copyfile(PROFILES / "ci-cd-example.yaml", tmp_path / "ciconf.yaml")
    env = {**cli_env(), "CICONF_CACHE_DIR": str(tmp_path / "cache")}
    subprocess.run([sys.executable, "-m", "ciconf", "render", "-q"], cwd=tmp_path, env=env)
    code, (collector, *imported), stderr = probe(tmp_path, env)
    assert code == 0 and "in sync" in stderr, stderr
    assert imported == ["False", "False", "False"]
    assert collector == "False"


def test_a_ciconf_process_runs_without_the_cyclic_collector(tmp_path):
    """A render from scratch (pydantic and all) still answers, with gc off for the process."""
    shutil.copyfile(PROFILES / "ci-cd-example.yaml", tmp_path / "ciconf.yaml")
    env = {**cli_env(), "CICONF_NO_CACHE": "1"}
    subprocess.run([sys.executable, "-m", "ciconf", "render", "-q"], cwd=tmp_path, env=env)
    code, (collector, *_), stderr = probe(tmp_path, env)
    assert code == 0 and "in sync" in stderr, stderr
    assert collector == "False"


TRICKY = [
    "yes",
    "No",
    "0755",
    "1e3",
    "0o17",
    ".inf",
    "~",
    "",
    "a: b",
    "a #b",
    "trailing ",
    "key:",
    "it's",
    "tab\there",
    "bell\x07",
    "line\u2028break",
    "[flow]",
    "plain/path.txt",
    "${AWS::Region}",
    "<< pipeline.git.tag >>",
]


def test_remembered_string_texts_are_the_computed_ones():
    """emit remembers each string's YAML text; asked again (in or out of a flow list), the text
    is the one a fresh computation gives, so generated files are byte-identical."""
    for in_flow in (False, True):
        for text in TRICKY:
            fresh = emit._string.__wrapped__(text, in_flow)
            assert emit.scalar(text, in_flow) == fresh
            assert emit.scalar(text, in_flow) == fresh  # the remembered one
    data = {"a": TRICKY, "b": {"yes": "no", "x": emit.Flow(["on", "1.0"])}}
    assert emit.dump(data) == emit.dump(data)
    assert emit._string.cache_info().maxsize == 4096  # bounded: a huge render stays small
