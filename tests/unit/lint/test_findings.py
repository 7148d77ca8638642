"""Findings are capped per rule and inert: what is left out is counted, control characters are
escaped, long names cut (through `ciconf lint`: tests/acceptance/test_lint_output.py)."""

from __future__ import annotations

from ciconf.lint.findings import Finding, capped, quoted


def test_capped_counts_what_it_leaves_out_and_escapes_what_it_keeps():
    found = [Finding("x.yml", number, 1, "CC999", f"m{number}\x1b") for number in range(1, 8)]
    kept = capped(iter(found), cap=3)
    assert [finding.message for finding in kept[:3]] == ["m1\\x1b", "m2\\x1b", "m3\\x1b"]
    assert (kept[3].line, kept[3].omitted, kept[3].stopped) == (4, 4, False)
    assert capped(iter(found[:3]), cap=3) == [
        Finding("x.yml", n, 1, "CC999", f"m{n}\\x1b") for n in (1, 2, 3)
    ]
    stopped = capped(iter(found[:4]), cap=3, stopped=lambda: True)
    assert stopped[3].stopped and "... and more CC999 findings" in stopped[3].message


def test_quoted_cuts_first_then_escapes():
    assert quoted("a\nb") == "'a\\nb'"
    assert quoted("x" * 1000, limit=10) == "'xxxxxxx...'"
