"""ciconf.javaregex against Java itself: every row of data/java_regex/table.tsv (made by
JavaRegexTable.java with Java 17, see that file) gets Java's answer, or "undecided" for a pattern
listed in UNDECIDED below with the reason ciconf gives; never a different answer.

CircleCI requires a filter regex to match the entire name
(https://circleci.com/docs/configuration-reference/#branches : "Regular expressions must match
the entire string"), which is Java's Pattern.matches, what the table records.
"""

from __future__ import annotations

import contextlib
import warnings
from pathlib import Path

import pytest

from ciconf.javaregex import Budget, JavaSyntaxError, TooDeep, Undecided, compile_java

TABLE = Path(__file__).parent / "data" / "java_regex" / "table.tsv"

# pattern -> the start of the reason ciconf gives for not answering (some only on some refs)
UNDECIDED = {
    "(?<=a*)b": "a lookbehind of unbounded length",
    "(?<=a+)b": "a lookbehind of unbounded length",
    "(?U)\\d": "Unicode character classes (?U) on non-ASCII text",
    "(?U)\\w+": "Unicode character classes (?U) on non-ASCII text",
    "(?U)\\p{Alpha}": "the Unicode property \\p{Alpha}",
    "(?c)a": "canonical equivalence",
    "(?i)(?<x>A)\\k<x>": "a case-insensitive back-reference",
    "(?i)\\p{Lower}": "a case-insensitive property",
    "(?iu)\\u212a": "Unicode case folding",
    "(?iu)k": "Unicode case folding",
    "(?iu)s": "Unicode case folding",
    "(?iu)é": "Unicode case folding",
    "(?m)^a$": "a multiline (?m) $ on text with line terminators",
    "(?m)a$": "a multiline (?m) $ on text with line terminators",
    ".*\\B.*": "a word boundary",
    "\\bmain\\b": "a word boundary",
    "a\\b": "a word boundary",
    "\\N{LATIN SMALL LETTER E WITH ACUTE}": "\\N",
    "\\X": "\\X",
    "\\pL+": "the Unicode property \\p{L}",
    "\\p{L}+": "the Unicode property \\p{L}",
    "\\p{Lu}": "the Unicode property \\p{Lu}",
    "\\p{Nd}+": "the Unicode property \\p{Nd}",
    "\\p{IsAlphabetic}+": "the Unicode property",
    "\\p{IsDigit}+": "the Unicode property",
    "\\p{IsLatin}+": "the Unicode property",
    "\\p{javaLowerCase}+": "the Unicode property",
    "\\p{Foo}": "the property \\p{Foo}",
    "\\p{InGreek}": "the property \\p{InGreek}",
    "x{2}{3}": "a quantifier after a quantifier",
    "{1}": "a '{' where Java expects",
}


def unescape(text: str) -> str:
    """The ref escapes of cases.txt: \\n \\r \\t \\\\ and \\uXXXX."""
    out, index = [], 0
    simple = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\"}
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text) and text[index + 1] in simple:
            out.append(simple[text[index + 1]])
            index += 2
        elif char == "\\" and text[index + 1 : index + 2] == "u":
            out.append(chr(int(text[index + 2 : index + 6], 16)))
            index += 6
        else:
            out.append(char)
            index += 1
    return "".join(out)


def rows() -> list[tuple[str, str, str]]:
    found = []
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        pattern, ref, answer = line.split("\t")
        found.append((pattern, unescape(ref), answer))
    return found


def ciconf_answer(pattern: str, ref: str) -> str:
    try:
        return "match" if Budget().full_match(pattern, ref) else "nomatch"
    except JavaSyntaxError:
        return "error"
    except Undecided as undecided:
        return f"undecided: {undecided}"


def test_the_table_is_big_and_covers_the_issue():
    table = rows()
    patterns = {pattern for pattern, _, _ in table}
    assert len(table) >= 800
    for pattern in (r"^feature\/[\w-]+$", "[a-z&&[^x]]", "[0-9[a-f]]+", "[[:alpha:]]", "a++a"):
        assert pattern in patterns
    assert ("^feature\\/[\\w-]+$", "feature/café", "nomatch") in table  # \w is ASCII in Java


def test_ciconf_agrees_with_java_on_every_row():
    wrong, undecided = [], {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no FutureWarning (nested sets) or any other reaches anyone
        for pattern, ref, java in rows():
            got = ciconf_answer(pattern, ref)
            if got.startswith("undecided: "):
                undecided[pattern] = got[len("undecided: ") :]
            elif got != java:
                wrong.append((pattern, ref, java, got))
    assert wrong == []
    for pattern, reason in undecided.items():
        assert pattern in UNDECIDED, (pattern, reason)
        assert reason.startswith(UNDECIDED[pattern]), (pattern, reason)
    assert len(undecided) == len(UNDECIDED)  # the list documents nothing that is now decided


@pytest.mark.parametrize(
    ("pattern", "ref", "answer"),
    [
        (r"[[:alpha:]]", ":", True),  # a class of [ : a l p h, not letters
        (r"[[:alpha:]]", "b", False),
        (r"[a-z&&[^x]]+", "abc", True),
        (r"[a-z&&[^x]]+", "axc", False),
        (r"[0-9[a-f]]+", "09af", True),
        (r"\d", "\u0663", False),  # ARABIC-INDIC DIGIT THREE: not \d in Java
        (r"\s", "\u00a0", False),
        (r"(?i)é", "É", False),  # (?i) folds ASCII only
        (r"a.", "a\r", False),  # . stops at \r too
        (r"a$\n", "a\n", True),
        (r"(?>a+)a", "aaa", False),
        (r"a++a", "aaa", False),
    ],
)
def test_java_meanings(pattern, ref, answer):
    assert Budget().full_match(pattern, ref) is answer


def test_java_syntax_errors_are_errors():
    for pattern in ("a**", "a{,2}", "[z-a]", "(", "\\y", "[]"):
        with pytest.raises(JavaSyntaxError):
            compile_java(pattern)


def test_deep_nesting_is_refused_without_recursion_error():
    with pytest.raises(TooDeep):
        compile_java("(" * 400 + "a" + ")" * 400)
    with pytest.raises(TooDeep):
        compile_java("[" * 400 + "a" + "]" * 400)


def test_a_hung_match_is_undecided_within_its_budget():
    budget = Budget(per_match=0.05, total=0.2)
    with pytest.raises(Undecided, match=r"the regex did not finish in 0\.05 s"):
        budget.full_match("^(a|aa)+$", "a" * 60 + "b")
    while budget.left > 0:  # the plan's total is shared: once used up, matching stops at once
        with contextlib.suppress(Undecided):
            budget.full_match("^(a|aa)+$", "a" * 60 + "b")
    with pytest.raises(Undecided, match="is used up"):
        budget.full_match("a", "a")


def test_profile_filter_patterns_are_checked_with_java_syntax():
    from ciconf.profile.grammar import check_branch_filter

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_branch_filter("/[a-z&&[^x]]+/") == "/[a-z&&[^x]]+/"  # Java: fine
    with pytest.raises(ValueError, match="not a valid regular expression in Java's syntax"):
        check_branch_filter("/a{,2}/")  # Python reads {0,2}; Java refuses it
