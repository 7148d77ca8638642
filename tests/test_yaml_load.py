"""The bounded loader records where each value starts."""

from __future__ import annotations

from ciconf.yamlkit.load import Mark, load_text


def test_collection_marks_point_at_their_own_start():
    text = "accounts:\n  - name: stg\n    branch: develop\n  - name: prod\n    branch: master\n"
    doc = load_text(text, "p.yaml")
    assert doc.value_marks[("accounts", 0)] == Mark(2, 5)
    assert doc.value_marks[("accounts", 1)] == Mark(4, 5)
    assert doc.key_marks[("accounts", 1, "branch")] == Mark(5, 5)
    assert doc.value_marks[("accounts",)] == Mark(2, 3)
