"""A small, deterministic YAML emitter for generated files.

Why not ``yaml.dump``: we want readable anchor names (``&test_environment``, not ``&id001``), merge
keys (``<<: *a`` and ``<<: [*a, *b]``), short-form CloudFormation tags (``!Sub``), literal blocks
for
shell commands, and quoting that is safe for YAML 1.1 *and* 1.2 readers (``yes``, ``on``, ``0755``,
``1e3``, ``0o17`` …) -- and it must be fast and byte-stable.

Data model: dicts (str keys, plus the ``MERGE`` key whose value is a list of dicts), lists, ``Flow``
lists, ``Tagged`` values, str, int, float, bool and None. A dict or list object that appears more
than
once is written with an anchor at its first appearance and an alias afterwards; it must be named in
``anchors``.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.resolver import Resolver


class _MergeKey:
    def __repr__(self) -> str:
        return "MERGE"


MERGE = _MergeKey()  # dict key for YAML merge keys: {MERGE: [shared_dict, ...], ...}


@dataclass(frozen=True)
class Tagged:
    """A value with a local tag, e.g. Tagged("!Sub", "arn:${AWS::Partition}:...")."""

    tag: str
    value: Any


class Flow(list):
    """A list of scalars or aliases written on one line: [a, b]."""


_resolver = Resolver()
_STR_TAG = "tag:yaml.org,2002:str"
_TRAP_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", ""}
_NUMBER_12 = re.compile(
    r"[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|0o[0-7]+|0x[0-9a-fA-F]+|0b[01]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
)
_PLAIN = re.compile(r"[A-Za-z0-9_./$(][ -~]*")
_FLOW_UNSAFE = set(",[]{}")


def is_typed_in_yaml(text: str) -> bool:
    """True when a plain `text` would not load as this string in YAML 1.1 or 1.2."""
    if text.lower() in _TRAP_WORDS or _NUMBER_12.fullmatch(text):
        return True
    return _resolver.resolve(yaml.ScalarNode, text, (True, False)) != _STR_TAG


def _plain_ok(text: str, in_flow: bool) -> bool:
    if not _PLAIN.fullmatch(text) or text.endswith((" ", ":")):
        return False
    if ": " in text or " #" in text:
        return False
    if in_flow and _FLOW_UNSAFE & set(text):
        return False
    return not is_typed_in_yaml(text)


# Characters YAML cannot hold unescaped. One regex search per string: a Python call per
# character made emitting large configs slow.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\ufeff\ufffe\uffff]")
_UNPRINTABLE_IN_LITERAL = re.compile(  # the same, less tab and newline
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\ufeff\ufffe\uffff]"
)


def _printable(char: str) -> bool:
    return not _UNPRINTABLE.match(char)


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0"}


def _double_quoted(text: str) -> str:
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif _printable(char):
            out.append(char)
        elif ord(char) <= 0xFF:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(f"\\u{ord(char):04x}")
    return '"' + "".join(out) + '"'


def scalar(value: Any, in_flow: bool = False) -> str:  # noqa: PLR0911 - one return per case, read as a table
    """One-line YAML text for a scalar."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    if not isinstance(value, str):
        raise TypeError(f"cannot emit {type(value).__name__} as YAML")
    return _string(value, in_flow)


# Generated files repeat the same keys and values (Type, Properties, Ref, ...) thousands of times;
# the text of a string depends on nothing else, so each is worked out once per process.
@functools.lru_cache(maxsize=4096)
def _string(value: str, in_flow: bool) -> str:
    if _plain_ok(value, in_flow):
        return value
    if not _UNPRINTABLE.search(value):
        return "'" + value.replace("'", "''") + "'"
    return _double_quoted(value)


def _literal_ok(text: str) -> bool:
    """True when a literal block (`|`) holds `text` exactly, for PyYAML and ruamel alike.

    Not: a one-liner (it stays on the key's line), CR or other characters a block cannot hold raw,
    a line ending in a space or tab (editors and hooks strip them), or nothing but line breaks.
    """
    if "\n" not in text or "\r" in text or _UNPRINTABLE_IN_LITERAL.search(text):
        return False
    body = text.rstrip("\n")
    if not body.strip(" \t\n"):
        return False
    return not any(line.endswith((" ", "\t")) for line in body.split("\n"))


def _literal(text: str, indent: int) -> list[str]:
    """Header ('|', '|-', '|+', with '2' when the first line starts with a space or tab) and body
    lines."""
    body = text.rstrip("\n")
    trailing = len(text) - len(body)
    chomping = "-" if trailing == 0 else ("" if trailing == 1 else "+")
    lines = body.split("\n")
    first = next(line for line in lines if line)
    # an indented first line would set the block's indentation: say it explicitly instead
    indicator = "2" if first.startswith((" ", "\t")) else ""
    pad = " " * indent
    return [
        f"|{indicator}{chomping}",
        *(pad + line if line else "" for line in lines),
        *[""] * (trailing - 1),
    ]


class _Writer:
    def __init__(self, anchors: dict[int, str], spacing: Iterable[int]) -> None:
        self.anchors = anchors
        self.spacing = set(spacing)
        self.counts: dict[int, int] = {}
        self.emitted: set[int] = set()
        self.lines: list[str] = []
        self.kept_at = -1  # len(lines) after a '|+' block: a blank line there would join its text

    # pass 1: find shared objects
    def count(self, value: Any) -> None:
        stack = [value]
        while stack:
            item = stack.pop()
            if isinstance(item, Tagged):
                stack.append(item.value)
                continue
            if not isinstance(item, (dict, list)):
                continue
            key = id(item)
            seen = self.counts.get(key, 0)
            self.counts[key] = seen + 1
            if seen:
                continue
            if isinstance(item, dict):
                stack.extend(item.values())
            else:
                stack.extend(item)

    def _ref(self, value: Any) -> tuple[str, bool]:
        """(' &name' or ' *name' or '', is_alias) for a container value."""
        key = id(value)
        if self.counts.get(key, 0) < 2:
            return "", False
        name = self.anchors.get(key)
        if name is None:
            raise ValueError(f"shared {type(value).__name__} has no anchor name: {value!r:.80}")
        if key in self.emitted:
            return f"*{name}", True
        self.emitted.add(key)
        return f"&{name}", False

    def _inline(self, value: Any) -> str | None:  # noqa: PLR0911 - one return per case, read as a table
        """Text that fits after 'key: ' or '- ', or None when the value needs block lines."""
        if isinstance(value, Tagged):
            inner = self._inline(value.value)
            if inner is not None and not isinstance(value.value, (dict, list)):
                return f"{value.tag} {inner}"
            return None
        if isinstance(value, (dict, list)):
            ref, alias = self._ref_peek(value)
            if alias:
                return ref
            if isinstance(value, Flow):
                return self._flow(value)
            if not value and self.counts.get(id(value), 0) < 2:
                return "{}" if isinstance(value, dict) else "[]"
            return None
        if isinstance(value, str) and _literal_ok(value):
            return None
        return scalar(value)

    def _ref_peek(self, value: Any) -> tuple[str, bool]:
        key = id(value)
        if self.counts.get(key, 0) >= 2 and key in self.emitted:
            return f"*{self.anchors[key]}", True
        return "", False

    def _flow(self, items: list) -> str:
        parts = []
        for item in items:
            if isinstance(item, (dict, list)):
                ref, alias = self._ref(item)
                if not alias:
                    raise ValueError("flow lists hold only scalars and aliases")
                parts.append(ref)
            else:
                parts.append(scalar(item, in_flow=True))
        return "[" + ", ".join(parts) + "]"

    def _key(self, key: Any) -> str:
        if key is MERGE:
            return "<<"
        return scalar(key)

    def value_after(self, prefix: str, value: Any, indent: int) -> None:
        """Write `value` whose first line starts with `prefix` ('key:' or '-')."""
        if isinstance(value, str) and "\n" in value and _literal_ok(value):
            self._literal_block(prefix, value, indent)
            return
        if isinstance(value, Tagged) and isinstance(value.value, (dict, list)):
            self.lines.append(f"{prefix} {value.tag}")
            self.block(value.value, indent + 2)
            return
        if (
            isinstance(value, Tagged)
            and isinstance(value.value, str)
            and "\n" in value.value
            and _literal_ok(value.value)
        ):
            self._literal_block(f"{prefix} {value.tag}", value.value, indent)
            return
        inline = self._inline(value)
        if inline is not None:
            if isinstance(value, Flow):
                self._ref(value)
            self.lines.append(f"{prefix} {inline}")
            return
        ref, _ = self._ref(value)
        if ref or not prefix.endswith("-"):
            self.lines.append(f"{prefix} {ref}" if ref else prefix)
            self.block(value, indent + 2)
            return
        # '- key: value': the first line of the block joins the dash
        start = len(self.lines)
        self.block(value, indent + 2)
        self.lines[start] = f"{prefix} {self.lines[start].lstrip()}"

    def _literal_block(self, prefix: str, text: str, indent: int) -> None:
        header, *body = _literal(text, indent + 2)
        self.lines.append(f"{prefix} {header}")
        self.lines.extend(body)
        if header.endswith("+"):
            self.kept_at = len(self.lines)

    def block(self, value: Any, indent: int) -> None:
        pad = " " * indent
        if isinstance(value, dict):
            depth = indent // 2
            for number, (key, item) in enumerate(value.items()):
                if number and depth in self.spacing and self.kept_at != len(self.lines):
                    self.lines.append("")
                if key is MERGE:
                    self._merge(item, pad)
                    continue
                self.value_after(f"{pad}{self._key(key)}:", item, indent)
        else:
            for item in value:
                self.value_after(f"{pad}-", item, indent)

    def _merge(self, sources: list, pad: str) -> None:
        refs = []
        for source in sources:
            ref, alias = self._ref(source)
            if not alias:
                raise ValueError("a merge source must be anchored earlier in the document")
            refs.append(ref)
        text = refs[0] if len(refs) == 1 else "[" + ", ".join(refs) + "]"
        self.lines.append(f"{pad}<<: {text}")


def dump(
    data: dict,
    *,
    anchors: dict[int, str] | None = None,
    header: Iterable[str] = (),
    spacing: Iterable[int] = (0,),
) -> str:
    """YAML text for `data`, a mapping at the root."""
    writer = _Writer(anchors or {}, spacing)
    writer.count(data)
    for line in header:
        writer.lines.append(f"# {line}".rstrip())
    writer.block(data, 0)
    return "\n".join(writer.lines) + "\n"


def expand(value: Any) -> Any:
    """The plain data a YAML loader builds from `value`: merges applied, tags dropped."""
    if isinstance(value, Tagged):
        return {"tag": value.tag, "value": expand(value.value)}
    if isinstance(value, dict):
        result: dict = {}
        for source in reversed(value.get(MERGE, [])):
            result.update(expand(source))
        for key, item in value.items():
            if key is not MERGE:
                result[key] = expand(item)
        return result
    if isinstance(value, list):
        return [expand(item) for item in value]
    return value
