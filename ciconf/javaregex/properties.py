"""`\\p{...}` names of Java's regex syntax that ciconf can translate, as code-point sets.

The POSIX names (`\\p{Alpha}`, `\\p{Punct}` ...) are US-ASCII in Java and exact here. Unicode
properties (`\\pL`, `\\p{IsLatin}`, `\\p{javaLowerCase}` ...) depend on the Unicode version of the
JVM, so they are computed on ASCII only and the translation is exact only for ASCII input: a
non-ASCII name makes the answer undecided (`Translation.ascii_only`). Any other name is undecided,
never guessed (Java may accept it with a meaning ciconf does not know).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

from ciconf.javaregex import charset
from ciconf.javaregex.charset import Ranges

_ASCII = range(128)
CATEGORIES = {
    "L", "Lu", "Ll", "Lt", "Lm", "Lo", "M", "Mn", "Mc", "Me", "N", "Nd", "Nl", "No",
    "P", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "S", "Sm", "Sc", "Sk", "So",
    "Z", "Zs", "Zl", "Zp", "C", "Cc", "Cf", "Co", "Cn", "Cs",
}  # fmt: skip


def _ascii_where(test: Callable[[str], bool]) -> Ranges:
    return charset.normalized((code, code) for code in _ASCII if test(chr(code)))


def _category(name: str) -> Ranges:
    return _ascii_where(lambda char: unicodedata.category(char).startswith(name))


_BINARY: dict[str, Callable[[str], bool]] = {
    # ASCII members of Java's binary properties and java.lang.Character predicates
    "Alphabetic": str.isalpha,
    "Letter": str.isalpha,
    "Digit": str.isdigit,
    "Lowercase": str.islower,
    "Uppercase": str.isupper,
    "White_Space": lambda char: char in " \t\n\x0b\f\r",
    "WhiteSpace": lambda char: char in " \t\n\x0b\f\r",
    "Latin": str.isalpha,
}
_JAVA: dict[str, Callable[[str], bool]] = {
    "javaLowerCase": str.islower,
    "javaUpperCase": str.isupper,
    "javaDigit": str.isdigit,
    "javaLetter": str.isalpha,
    "javaLetterOrDigit": str.isalnum,
    "javaAlphabetic": str.isalpha,
    "javaWhitespace": lambda char: char in " \t\n\x0b\f\r\x1c\x1d\x1e\x1f",
}


def lookup(name: str, unicode_classes: bool) -> tuple[Ranges, bool] | None:
    """(set, ascii_only) for a `\\p{name}`; None when ciconf does not translate the name.

    `unicode_classes`: Java's UNICODE_CHARACTER_CLASS (`(?U)`), under which the POSIX names are
    Unicode properties (equal to the ASCII tables on ASCII input)."""
    if name in charset.POSIX:
        return charset.POSIX[name], unicode_classes
    bare = name[2:] if name.startswith("Is") else name
    for prefix in ("general_category=", "gc="):
        if bare.startswith(prefix):
            bare = bare[len(prefix) :]
    if bare in CATEGORIES:
        return _category(bare), True
    if name.startswith("Is") and bare in _BINARY:
        return _ascii_where(_BINARY[bare]), True
    if name in _JAVA:
        return _ascii_where(_JAVA[name]), True
    if name in ("InBasicLatin", "InBasic_Latin"):
        return charset.of("\x00-\x7f"), True
    return None
