"""The linear matchers that replaced regular expressions built from config text.

Each is compared with the regular expression it replaced on small random inputs (where the
regex is harmless), and run on inputs that made that regex backtrack for minutes.
"""

from __future__ import annotations

import re
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from ciconf.lint.rules.ecr_get_login import _call_at
from ciconf.lint.suggest import MAX_LENGTH, Suggestions
from ciconf.lint.workflows import fills, template_parts

OLD_TEMPLATE = re.compile(r"<<.*?>>")
OLD_GET_LOGIN = re.compile(r"\baws\b[^\n;&|]*?\becr\s+get-login(?![\w-])")


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="<>a-\n", max_size=16))
def test_template_parts_split_like_the_old_regex(text):
    expected = OLD_TEMPLATE.split(text) if OLD_TEMPLATE.search(text) else None
    assert template_parts(text) == expected


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="<>ab-", max_size=14), st.text(alphabet="ab-", max_size=10))
def test_fills_matches_like_the_old_regex(name, required):
    parts = template_parts(name)
    if parts is None:
        return
    old = re.fullmatch(".+".join(re.escape(part) for part in parts), required, re.DOTALL)
    assert fills(parts, required) == (old is not None)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from(["aws", "ecr", "get-login", "-password", " ", ";", "|", "#", "$", "x"]),
        max_size=12,
    ).map("".join)
)
def test_get_login_is_found_where_the_old_regex_found_it(line):
    old = OLD_GET_LOGIN.search(line)
    old_active = old is not None and "#" not in line[: old.start()].replace("$#", "")
    new = _call_at(line)
    if new is not None:  # the new scan also ignores a call whose `ecr` follows a comment
        assert old_active and new == old.start()
    elif old_active:
        assert "#" in line[old.start() : old.end()]


def test_inputs_that_made_the_old_regexes_backtrack_take_milliseconds():
    start = time.process_time()
    parts = template_parts("-".join(["<< matrix.a >>"] * 30) + "x")
    assert not fills(parts, "-" * 10_000)
    assert template_parts("<" * 1_000_000) is None
    assert template_parts("<<\n" * 300_000 + ">>") is None
    assert _call_at("aws " * 250_000) is None
    assert _call_at("aws ecr " * 100_000 + " get-login") is not None
    assert time.process_time() - start < 1.0


def test_suggestions_are_difflibs_for_few_names_and_bounded_for_many():
    names = Suggestions(["test", "build", "deploy"])
    assert names.closest("tset") == "test"
    assert names.closest("zzzzzz") is None
    many = Suggestions(f"job-{number:05d}" for number in range(100_000))
    start = time.process_time()
    assert many.closest("job-0000x") is not None
    assert many.closest("j" * (MAX_LENGTH + 1)) is None
    assert time.process_time() - start < 1.0
