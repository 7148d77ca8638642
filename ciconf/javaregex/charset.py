"""Sets of code points for Java character classes, and how one is written as a Python class.

A Java class (`[a-z&&[^x]]`, `\\w`, `\\p{Alpha}`) is computed here as a plain set of code-point
ranges, so union, intersection and negation are exact whatever the nesting, and the Python side
only ever sees `[...]` of escaped ranges: no Python class syntax (nested sets, `&&`, POSIX
brackets) can change its meaning.
"""

from __future__ import annotations

from collections.abc import Iterable

MAX_CODE_POINT = 0x10FFFF
Ranges = tuple[tuple[int, int], ...]


def normalized(ranges: Iterable[tuple[int, int]]) -> Ranges:
    merged: list[list[int]] = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], high)
        else:
            merged.append([low, high])
    return tuple((low, high) for low, high in merged)


def of(text: str) -> Ranges:
    """The set of the characters of `text` and `a-z` spans in it (for the tables below)."""
    ranges: list[tuple[int, int]] = []
    index = 0
    while index < len(text):
        if index + 2 < len(text) and text[index + 1] == "-":
            ranges.append((ord(text[index]), ord(text[index + 2])))
            index += 3
        else:
            ranges.append((ord(text[index]), ord(text[index])))
            index += 1
    return normalized(ranges)


def union(*sets: Ranges) -> Ranges:
    return normalized(pair for ranges in sets for pair in ranges)


def negate(ranges: Ranges) -> Ranges:
    result, start = [], 0
    for low, high in ranges:
        if low > start:
            result.append((start, low - 1))
        start = high + 1
    if start <= MAX_CODE_POINT:
        result.append((start, MAX_CODE_POINT))
    return tuple(result)


def intersect(left: Ranges, right: Ranges) -> Ranges:
    return negate(union(negate(left), negate(right)))


def contains(ranges: Ranges, code: int) -> bool:
    return any(low <= code <= high for low, high in ranges)


def ascii_case_folded(ranges: Ranges) -> Ranges:
    """Java's CASE_INSENSITIVE without UNICODE_CASE: an ASCII letter also matches its other case."""
    extra = [
        (code, code)
        for code in range(128)
        if chr(code).isalpha()
        and (contains(ranges, ord(chr(code).upper())) or contains(ranges, ord(chr(code).lower())))
    ]
    return union(ranges, tuple(extra))


def python_class(ranges: Ranges) -> str:
    """A Python regex matching one character of `ranges` (every character escaped)."""
    if not ranges:
        return "(?!)"
    if ranges == ((0, MAX_CODE_POINT),):
        return "(?s:.)"
    parts = []
    for low, high in ranges:
        parts.append(escaped(low) if low == high else f"{escaped(low)}-{escaped(high)}")
    return "[" + "".join(parts) + "]"


def escaped(code: int) -> str:
    char = chr(code)
    return char if char.isascii() and char.isalnum() else f"\\U{code:08x}"


# Java's predefined classes (java.util.regex.Pattern, "Predefined character classes" and "POSIX
# character classes (US-ASCII only)"): ASCII unless UNICODE_CHARACTER_CLASS is set.
DIGIT = of("0-9")
WORD = of("a-zA-Z_0-9")
SPACE = of(" \t\n\x0b\f\r")
HORIZONTAL = of(" \t\xa0\u1680\u180e\u2000-\u200a\u202f\u205f\u3000")
VERTICAL = of("\n\x0b\f\r\x85\u2028\u2029")
LINE_TERMINATORS = of("\n\r\x85\u2028\u2029")
PUNCT = of("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
POSIX = {
    "Lower": of("a-z"),
    "Upper": of("A-Z"),
    "ASCII": of("\x00-\x7f"),
    "Alpha": of("a-zA-Z"),
    "Digit": DIGIT,
    "Alnum": of("a-zA-Z0-9"),
    "Punct": PUNCT,
    "Graph": union(of("a-zA-Z0-9"), PUNCT),
    "Print": union(of("a-zA-Z0-9 "), PUNCT),
    "Blank": of(" \t"),
    "Cntrl": of("\x00-\x1f\x7f"),
    "XDigit": of("0-9a-fA-F"),
    "Space": SPACE,
}
