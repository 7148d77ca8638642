"""The emitter: strings survive YAML 1.1 and 1.2 readers, anchors are named and come first."""

from __future__ import annotations

import io

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from ciconf.yamlkit.emit import MERGE, Flow, Tagged, dump, expand

TRAPS = ["yes", "No", "ON", "off", "y", "n", "true", "False", "null", "~", "", "0755", "0o17", "0x1F",
         "1e3", "1_000", "12:30", "1:20:30", ".inf", "-.Inf", ".nan", "2001-12-14", "3.0", "<<", "=",
         "- item", "key: value", "# comment", "trailing ", " leading", "*alias", "&anchor", "!tag",
         "@at", "`tick", "%percent", "|pipe", ">folded", "'quote", '"double', "{brace", "[bracket",
         "a #b", "ends:", "tab\there", "multi\nline", "multi\nline\n", "multi\n\n", "\x85nel", "é"]


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


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_any_string_round_trips(value):
    data = {"k": value, "list": [value], "nested": {"x": value}}
    for loaded in load_both(dump(data)):
        assert loaded == data


def test_shared_objects_become_named_anchors_before_aliases():
    shared = {"docker": [{"image": "cimg/base:2024.01"}]}
    other = {"run": "make"}
    data = {"anchors": {"env": shared, "step": other},
            "jobs": {"a": {MERGE: [shared], "steps": [other]}, "b": {MERGE: [shared, other]}}}
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
    text = dump({"one": "a\nb\n", "strip": "a\nb", "keep": "a\n\n"})
    assert "one: |\n  a\n  b\n" in text and "strip: |-\n" in text and 'keep: "a\\n\\n"' in text
    for loaded in load_both(text):
        assert loaded == {"one": "a\nb\n", "strip": "a\nb", "keep": "a\n\n"}


def test_short_form_tags_and_flow_lists():
    text = dump({"A": Tagged("!Ref", "Bucket"), "B": Tagged("!GetAtt", "Role.Arn"),
                 "C": Tagged("!Join", ["", ["a", Tagged("!Ref", "X")]]), "D": Flow(["a", "b,c"])})
    assert "A: !Ref Bucket" in text and "B: !GetAtt Role.Arn" in text and "C: !Join\n" in text
    assert "D: [a, 'b,c']" in text


def test_output_is_deterministic():
    data = {"b": [1, 2.5, True, None], "a": {"z": "x", "y": "yes"}}
    assert dump(data) == dump(data) == "b:\n  - 1\n  - 2.5\n  - true\n  - null\n\na:\n  z: x\n  'y': 'yes'\n"
