"""The bounded loader records where each value starts."""

from __future__ import annotations

import pytest
import yaml

from ciconf.errors import InputError
from ciconf.yamlkit import load as loader
from ciconf.yamlkit.load import Mark, load_text


def test_collection_marks_point_at_their_own_start():
    text = "accounts:\n  - name: stg\n    branch: develop\n  - name: prod\n    branch: master\n"
    doc = load_text(text, "p.yaml")
    assert doc.value_marks[("accounts", 0)] == Mark(2, 5)
    assert doc.value_marks[("accounts", 1)] == Mark(4, 5)
    assert doc.key_marks[("accounts", 1, "branch")] == Mark(5, 5)
    assert doc.value_marks[("accounts",)] == Mark(2, 3)


# --- ciconf's own limits win over the parser's, whatever libyaml is installed
# ----------------------

PARSERS = {"libyaml": getattr(yaml, "CSafeLoader", None), "pure-python": yaml.SafeLoader}
DEEP = {
    # libyaml >= 0.2.5 scans '[[[[' ahead and stops at its own depth limit (1000) before any event
    "flow-sequences": ("[" * 5_000 + "]" * 5_000, "1:65"),
    "flow-mappings": ("{a: " * 5_000 + "}" * 5_000, "1:257"),
    "block-sequences": ("- " * 5_000 + "x\n", "1:129"),
    "after-a-prefix": ("project: demo\nlist: " + "[" * 5_000, "2:70"),
}


def refusal(text: str) -> InputError:
    with pytest.raises(InputError) as caught:
        load_text(text, "p.yaml")
    return caught.value


@pytest.mark.parametrize("parser", [name for name, cls in PARSERS.items() if cls is not None])
@pytest.mark.parametrize("case", sorted(DEEP))
def test_our_depth_limit_is_the_one_reported_by_every_parser(monkeypatch, parser, case):
    monkeypatch.setattr(loader, "_Loader", PARSERS[parser])
    text, at = DEEP[case]
    error = refusal(text)
    assert str(error) == f"p.yaml:{at}: nesting is deeper than 64 levels"


def test_finding_the_depth_limit_after_the_parser_failed_costs_one_more_pass_at_most(monkeypatch):
    """Counted, not timed: the parser's failure costs one more pass, over a prefix of the text."""
    passes = []
    build = loader._build

    def counted(text, *rest):
        passes.append(len(text))
        return build(text, *rest)

    monkeypatch.setattr(loader, "_build", counted)
    body = "".join(f"k{number}: value {number}\n" for number in range(20_000))
    text = body + "deep: " + "[" * 3_000 + "]" * 3_000 + "\n"
    error = refusal(text)
    assert error.line == 20_001 and "nesting is deeper than 64 levels" in error.message
    assert len(passes) == 2 and passes[0] == len(text) and passes[1] <= len(text)


def test_a_plain_syntax_error_is_still_reported_as_such():
    error = refusal("project: [demo\ntest: {\n")
    assert error.message.startswith("malformed YAML") and (error.line, error.column) == (2, 5)


def test_shallow_nesting_inside_a_broken_file_is_not_blamed():
    error = refusal("a: " + "[" * 10 + "\n b: ]]\n: : :")
    assert "nesting" not in error.message and error.message.startswith("malformed YAML")


def test_quoted_scalars_are_remembered():
    doc = load_text("a: '1'\nb: 2\nc: [\"x\", y]\nd: |\n  z\n", "p.yaml")
    assert doc.quoted == {("a",), ("c", 0)}
