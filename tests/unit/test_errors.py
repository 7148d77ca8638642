"""ciconf.errors.dotted: the one way a path into a document is named in a message."""

from __future__ import annotations

from ciconf.errors import dotted


def test_keys_are_dotted_and_indexes_bracketed():
    assert dotted(("jobs", "build", "steps", 2)) == "jobs.build.steps[2]"
    assert dotted(("accounts", 0, "credentials", "mode")) == "accounts[0].credentials.mode"


def test_the_empty_path_is_the_root():
    assert dotted(()) == "(root)"


def test_an_odd_key_is_quoted_so_it_cannot_split_or_blur_the_path():
    assert dotted(("jobs", "a.b")) == "jobs['a.b']"
    assert dotted(("env", "X\nY")) == "env['X\\nY']"
    assert dotted(("flags", True)) == "flags[True]"
