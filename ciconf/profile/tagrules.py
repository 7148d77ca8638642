"""Which image tags can be mistaken for one another: the rules behind the derived tag set.

A commit tag is `<prefix><first N hex digits of the commit>`, a build tag
`<prefix><CIRCLE_BUILD_NUM>`. The delivery job and the AWS pipeline find a commit's images by its
commit tag, so no other tag may ever look like one, and a fixed tag (moved on each delivery) may
never be one that a later run writes as an immutable tag. These are plain string tests: no regex is
built from what a profile writes.
"""

from __future__ import annotations

HEX = frozenset("0123456789abcdef")
FULL_SHA_LENGTH = 40


def is_hex(text: str) -> bool:
    return all(char in HEX for char in text)


def looks_like_commit_tag(tag: str, prefix: str, length: int) -> bool:
    """`tag` is `prefix` + `length` hex digits (the form of every commit tag), or a full SHA."""
    if len(tag) == FULL_SHA_LENGTH and is_hex(tag):
        return True
    rest = tag[len(prefix) :]
    return tag.startswith(prefix) and len(rest) == length and is_hex(rest)


def check_tag_prefix(value: str) -> str:
    """A tag prefix: tag characters without '.', and one that is not a hex digit.

    Without '.', the prefix is literal text inside the commit-tag regex the AWS pipeline matches;
    a non-hex character keeps `<prefix><hex digits>` from ever being a full commit SHA.
    """
    allowed = value[:1].isalnum() or value[:1] == "_"
    if not (1 <= len(value) <= 40 and allowed and all(c.isalnum() or c in "_-" for c in value)):
        raise ValueError(
            f"expected a tag prefix such as 'git-' (letters, digits, _ and -, at most 40,"
            f" not starting with -), got {value!r}"
        )
    if not value.isascii():
        raise ValueError(f"expected ASCII letters and digits in a tag prefix, got {value!r}")
    if is_hex(value):
        raise ValueError(
            f"tag prefix {value!r} is all hex digits, so its tags could be taken for commit tags;"
            " end it with '-' (such as {value}-)".replace("{value}", value)
        )
    return value


def looks_like_build_tag(tag: str, prefix: str) -> bool:
    """`tag` is `prefix` + a build number (one or more decimal digits)."""
    rest = tag[len(prefix) :]
    return tag.startswith(prefix) and rest.isascii() and rest.isdigit()


def build_tags_can_look_like_commit_tags(build_prefix: str, prefix: str, length: int) -> bool:
    """Some `build_prefix` + digits is a commit tag: the build prefix is the commit prefix plus
    fewer than `length` hex digits (decimal digits are hex digits too)."""
    rest = build_prefix[len(prefix) :]
    return build_prefix.startswith(prefix) and len(rest) < length and is_hex(rest)
