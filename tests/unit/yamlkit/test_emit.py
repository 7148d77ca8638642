"""The emitter: strings survive YAML 1.1 and 1.2 readers, anchors are named and come first."""

from __future__ import annotations

import io

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from ciconf.yamlkit.emit import MERGE, Flow, Tagged, dump, expand

TRAPS = [
    "yes",
    "No",
    "ON",
    "off",
    "y",
    "n",
    "true",
    "False",
    "null",
    "~",
    "",
    "0755",
    "0o17",
    "0x1F",
    "1e3",
    "1_000",
    "12:30",
    "1:20:30",
    ".inf",
    "-.Inf",
    ".nan",
    "2001-12-14",
    "3.0",
    "<<",
    "=",
    "- item",
    "key: value",
    "# comment",
    "trailing ",
    " leading",
    "*alias",
    "&anchor",
    "!tag",
    "@at",
    "`tick",
    "%percent",
    "|pipe",
    ">folded",
    "'quote",
    '"double',
    "{brace",
    "[bracket",
    "a #b",
    "ends:",
    "tab\there",
    "multi\nline",
    "multi\nline\n",
    "multi\n\n",
    "\x85nel",
    "é",
]


RUAMEL = YAML(typ="safe", pure=True)


def load_both(text: str):
    return yaml.safe_load(text), RUAMEL.load(io.StringIO(text))


@pytest.mark.parametrize("value", TRAPS)
def test_traps_stay_strings_for_both_readers(value):
    text = dump({"environment": {"VALUE": value}, value or "empty": 1})
    for loaded in load_both(text):
        assert loaded["environment"]["VALUE"] == value
        assert loaded[value or "empty"] == 1


def test_traps_are_quoted_not_plain():
    text = dump({"a": "yes", "b": "on", "c": "0755", "d": "1e3", "e": "127.0.0.1"})
    assert "a: 'yes'" in text and "b: 'on'" in text and "c: '0755'" in text and "d: '1e3'" in text
    assert "e: 127.0.0.1" in text  # harmless plain text stays readable


LINE_CHARACTERS = st.one_of(
    st.characters(blacklist_categories=("Cs",)), st.sampled_from(list(" \t#:-|>'\"\\"))
)


@st.composite
def multi_line(draw) -> str:
    """Text shaped like commands: lines (indented, blank, odd characters) and 0-3 trailing
    newlines."""
    lines = draw(st.lists(st.text(LINE_CHARACTERS, max_size=12), min_size=1, max_size=5))
    indents = draw(
        st.lists(
            st.sampled_from(["", "", " ", "  ", "\t"]), min_size=len(lines), max_size=len(lines)
        )
    )
    return "\n".join(i + line for i, line in zip(indents, lines, strict=True)) + "\n" * draw(
        st.integers(0, 3)
    )


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(st.characters(blacklist_categories=("Cs",)), max_size=40), multi_line()))
def test_any_string_round_trips(value):
    data = {"k": value, "list": [value], "nested": {"x": value}, "after": 1}
    text = dump(data, spacing=(0, 1))
    assert dump(data, spacing=(0, 1)) == text
    for loaded in load_both(text):
        assert loaded == data
    tagged = dump({"Value": Tagged("!Sub", value), "After": 1})
    assert yaml.load(tagged, Loader=TagsLoader) == {"Value": ("Sub", value), "After": 1}


class TagsLoader(yaml.SafeLoader):
    """PyYAML with short-form tags (!Sub …) read as (name, value)."""


TagsLoader.add_multi_constructor(
    "!", lambda loader, tag, node: (tag, loader.construct_scalar(node))
)


def test_shared_objects_become_named_anchors_before_aliases():
    shared = {"docker": [{"image": "cimg/base:2024.01"}]}
    other = {"run": "make"}
    data = {
        "anchors": {"env": shared, "step": other},
        "jobs": {"a": {MERGE: [shared], "steps": [other]}, "b": {MERGE: [shared, other]}},
    }
    text = dump(data, anchors={id(shared): "env", id(other): "step"})
    assert text.index("&env") < text.index("*env") and text.index("&step") < text.index("*step")
    assert "<<: [*env, *step]" in text and text.count("<<") == 2
    for loaded in load_both(text):
        assert loaded == expand(data)


def test_unnamed_shared_object_is_a_programming_error():
    shared = {"a": 1}
    with pytest.raises(ValueError, match="no anchor name"):
        dump({"x": shared, "y": shared})


def test_merge_source_must_already_be_anchored():
    shared = {"a": 1}
    with pytest.raises(ValueError, match="anchored earlier"):
        dump({"job": {MERGE: [shared]}, "later": shared}, anchors={id(shared): "s"})


def test_literal_blocks_and_chomping():
    data = {
        "one": "a\nb\n",
        "strip": "a\nb",
        "keep": "a\n\n",
        "indented": "  a\nb",
        "blank": "\n\na\n",
    }
    text = dump(data)
    assert "one: |\n  a\n  b\n" in text and "strip: |-\n  a\n  b\n" in text
    assert "keep: |+\n  a\n\n" in text and "indented: |2-\n    a\n  b\n" in text
    assert "blank: |\n\n\n  a\n" in text
    for loaded in load_both(text):
        assert loaded == data


def test_a_keep_block_gets_no_spacing_line_that_would_join_its_text():
    data = {"first": "a\n\n", "second": {"run": "x\n\n\n"}, "third": 1}
    text = dump(data, spacing=(0, 1))
    assert text == "first: |+\n  a\n\nsecond:\n  run: |+\n    x\n\n\nthird: 1\n"
    for loaded in load_both(text):
        assert loaded == data


@pytest.mark.parametrize(
    "value", ["a \nb", "a\t\nb", "a\r\nb", "a\n\x85b", "\n\n", " \n", "a\u2028b"]
)
def test_text_a_literal_block_cannot_hold_is_quoted(value):
    text = dump({"k": value})
    assert text.startswith(("k: '", 'k: "'))
    for loaded in load_both(text):
        assert loaded == {"k": value}


def test_multi_line_commands_render_as_literal_blocks():
    """A '|' block in a profile's install/setup/command becomes a literal block, not a quoted
    string."""
    from ciconf.circleci.render import render_config
    from ciconf.profile.load import parse_profile

    profile = parse_profile(
        "project: demo\ntest:\n  image: cimg/python:3.12\n"
        "  install: |\n    pip install -r requirements.txt\n    pip install -e .\n"
        "  setup:\n    - |\n      echo one\n      echo two\n    - echo three\n"
        "  command: |\n    pytest\n",
        "p.yaml",
    )
    text = render_config(profile, "p.yaml")
    assert (
        "      command: |\n        pip install -r requirements.txt\n        pip install -e .\n\n"
        in text
    )
    assert "      command: |\n        echo one\n        echo two\n        echo three\n\n" in text
    assert (
        "      command: pytest\n" in text
    )  # the newline ending a one-line '|' block means nothing
    assert "\\n" not in text
    anchors = yaml.safe_load(text)["anchors"].values()
    steps = {step["run"]["name"]: step["run"]["command"] for step in anchors if "run" in step}
    assert steps["Install dependencies"] == "pip install -r requirements.txt\npip install -e .\n"
    assert steps["Initialize"] == "echo one\necho two\necho three\n"


def test_short_form_tags_and_flow_lists():
    text = dump(
        {
            "A": Tagged("!Ref", "Bucket"),
            "B": Tagged("!GetAtt", "Role.Arn"),
            "C": Tagged("!Join", ["", ["a", Tagged("!Ref", "X")]]),
            "D": Flow(["a", "b,c"]),
        }
    )
    assert "A: !Ref Bucket" in text and "B: !GetAtt Role.Arn" in text and "C: !Join\n" in text
    assert "D: [a, 'b,c']" in text


def test_output_is_deterministic():
    data = {"b": [1, 2.5, True, None], "a": {"z": "x", "y": "yes"}}
    assert (
        dump(data)
        == dump(data)
        == "b:\n  - 1\n  - 2.5\n  - true\n  - null\n\na:\n  z: x\n  'y': 'yes'\n"
    )
