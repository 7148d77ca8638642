"""Safe, bounded YAML loading that remembers where every value came from.

We build data from the parser's *events* with an explicit stack instead of PyYAML's recursive
composer, so that:

- only plain data is constructed (str, int, float, bool, None, dates, lists, dicts); any other tag
  (``!!python/object`` …) is refused, nothing is executed;
- nesting depth and alias expansion are bounded (no recursion errors, no alias bombs);
- duplicate keys are caught instead of silently overwritten;
- every mapping value and key gets a 1-based (line, column), so validation errors can point at it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import yaml
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from ciconf.errors import InputError
from ciconf.fsutil import read_regular

MAX_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 200_000

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_resolver = Resolver()
_constructor = SafeConstructor()
_STANDARD_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:merge",
}
MERGE_TAG = "tag:yaml.org,2002:merge"
_YAML_TAG_PREFIX = "tag:yaml.org,2002:"
# A plain scalar whose first character starts no implicit resolver (and there is no wildcard one)
# is a string: the common case, answered without the resolver's regular expressions.
_IMPLICIT_FIRST = frozenset(key for key in Resolver.yaml_implicit_resolvers if key is not None)
_NO_WILDCARD = None not in Resolver.yaml_implicit_resolvers and not Resolver.yaml_path_resolvers

Path = tuple  # of str keys and int indexes


class Mark(NamedTuple):
    """A position; a tuple because one is made for every value (a frozen dataclass costs 3x
    more)."""

    line: int  # 1-based
    column: int  # 1-based


@dataclass(frozen=True)
class DuplicateKey:
    path: Path
    key: Any
    first: Mark
    again: Mark


@dataclass(frozen=True)
class UndefinedAlias:
    path: Path
    name: str
    mark: Mark


@dataclass
class Document:
    """Loaded data plus where each piece of it was written."""

    source: str
    data: Any
    value_marks: dict[Path, Mark] = field(default_factory=dict)
    key_marks: dict[Path, Mark] = field(default_factory=dict)
    duplicates: list[DuplicateKey] = field(default_factory=list)
    undefined_aliases: list[UndefinedAlias] = field(default_factory=list)
    anchor_paths: dict[str, Path] = field(
        default_factory=dict
    )  # where each anchor was (last) defined
    alias_paths: list[tuple[str, Path]] = field(default_factory=list)  # where each alias was used
    quoted: set[Path] = field(default_factory=set)  # values written in quotes ('3306', "yes")

    def mark_for(self, path: Path) -> Mark | None:
        """Closest known position for a path, falling back to its parents."""
        path = tuple(path)
        while True:
            mark = self.key_marks.get(path) or self.value_marks.get(path)
            if mark is not None or not path:
                return mark
            path = path[:-1]


def read_text(path: str, *, max_bytes: int = MAX_BYTES) -> str:
    """Read a UTF-8 regular file with a size limit; every failure (a FIFO too) is an InputError."""
    return decode(path, read_regular(path, max_bytes))


def decode(path: str, raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        before = raw[: error.start]
        line = before.count(b"\n") + 1
        column = error.start - (before.rfind(b"\n") + 1) + 1
        raise InputError(
            path,
            f"invalid UTF-8 (byte 0x{raw[error.start]:02x})",
            line=line,
            column=column,
            expected="a UTF-8 encoded text file",
        ) from None
    return text.removeprefix("\ufeff")


def load_file(path: str, **options: Any) -> Document:
    return load_text(read_text(path), path, **options)


def short_tag(tag: str) -> str:
    """A tag as the user wrote it: '!!python/object' rather than
    'tag:yaml.org,2002:python/object'."""
    return "!!" + tag.removeprefix(_YAML_TAG_PREFIX) if tag.startswith(_YAML_TAG_PREFIX) else tag


def _mark(event: Any) -> Mark:
    return Mark(event.start_mark.line + 1, event.start_mark.column + 1)


def _scalar(event: Any, source: str) -> Any:
    tag = event.tag
    if tag is None or tag == "!":
        if not event.implicit[0]:  # quoted: always a string
            return event.value
        value = event.value
        if _NO_WILDCARD and value and value[0] not in _IMPLICIT_FIRST:
            return value  # what the resolver (str) and construct_yaml_str would give
        tag = _resolver.resolve(yaml.ScalarNode, event.value, (True, False))
    if tag not in _STANDARD_TAGS:
        mark = _mark(event)
        raise InputError(
            source,
            f"tag {short_tag(tag)} is not allowed",
            line=mark.line,
            column=mark.column,
            expected="plain YAML data (strings, numbers, booleans, lists, mappings)",
        )
    if tag == MERGE_TAG:
        return _MERGE
    node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
    return _constructor.yaml_constructors[tag](_constructor, node)


class _MergeKey:
    def __repr__(self) -> str:
        return "<<"


_MERGE = _MergeKey()
_UNDEFINED = None  # what an alias to a not-yet-defined anchor reads as, when that is allowed


class _Frame:
    """A mapping or sequence under construction."""

    __slots__ = (
        "anchor",
        "explicit",
        "is_list",
        "key",
        "key_mark",
        "merges",
        "path",
        "size",
        "start",
        "value",
    )

    def __init__(self, value: Any, path: Path, anchor: str | None, start: Mark) -> None:
        self.value = value
        self.is_list = isinstance(value, list)
        self.path = path
        self.anchor = anchor
        self.start = start  # where the collection itself begins
        self.key: Any = _NO_KEY
        self.key_mark: Mark | None = None
        self.size = 1
        self.merges: list[dict] = []
        self.explicit: dict[Any, Mark] = {}


_NO_KEY = object()


@dataclass(frozen=True)
class _Options:
    """How one document is read: its bounds, and what linting collects instead of refusing."""

    max_nodes: int = MAX_NODES
    allow_duplicates: bool = False
    allow_undefined_aliases: bool = False
    max_depth: int = MAX_DEPTH


def load_text(
    text: str,
    source: str,
    *,
    max_nodes: int = MAX_NODES,
    allow_duplicates: bool = False,
    allow_undefined_aliases: bool = False,
) -> Document:
    """Parse one YAML document into plain data with positions. Raises InputError.

    The two ``allow_`` options are for linting: instead of raising, duplicate keys are collected
    in ``Document.duplicates`` (the last one wins) and aliases used before their anchor in
    ``Document.undefined_aliases`` (the alias reads as null, or merges nothing after ``<<``).
    """
    options = _Options(
        max_nodes=max_nodes,
        allow_duplicates=allow_duplicates,
        allow_undefined_aliases=allow_undefined_aliases,
    )
    try:
        return _build(text, source, options)
    except yaml.MarkedYAMLError as error:
        limit = _limit_before_error(error, text, source, options)
        raise (limit or _parse_error(error, source, text)) from None
    except yaml.YAMLError as error:  # pragma: no cover - libyaml reports marks for all we know
        raise InputError(source, f"malformed YAML: {error}") from None


class _LimitError(InputError):
    """A bound of ours (depth, values) was passed: reported even when the parser failed later on."""


def _limit_before_error(
    error: yaml.MarkedYAMLError, text: str, source: str, options: _Options
) -> InputError | None:
    """Our own limit, if one is passed before the point where the parser gave up.

    libyaml scans ahead of the events it has delivered: ``[[[[…`` fails inside libyaml at its own
    nesting limit (1000 in recent versions) before our 64-level check sees the 65th '['. The text up
    to the parser's error point yields the same events up to there, without the failure, so one more
    pass over that prefix (linear, and libyaml-fast) shows whether one of our limits comes first.
    """
    mark = error.problem_mark or error.context_mark
    end = getattr(mark, "index", None)
    if not end or end > len(text):
        return None
    try:
        _build(text[:end], source, options)
    except _LimitError as limit:
        return limit
    except (InputError, yaml.YAMLError):
        return None  # the prefix ends mid-document; the original error stands
    return None


def _build(text: str, source: str, options: _Options) -> Document:
    """The document built from parser events; InputError on anything we refuse."""
    loader = _Loader(text)
    try:
        return _build_from(loader.get_event, source, options)
    finally:
        loader.dispose()


def _build_from(  # noqa: PLR0912, PLR0915 - one pass over the node tree; splitting it costs speed (benchmarks)
    next_event: Any, source: str, options: _Options
) -> Document:
    """The loop of _build: one event at a time (None after the last), the common cases inline."""
    max_depth, max_nodes = options.max_depth, options.max_nodes  # locals: read once, not per event
    allow_duplicates = options.allow_duplicates
    allow_undefined_aliases = options.allow_undefined_aliases
    doc = Document(source, None)
    value_marks, key_marks = doc.value_marks, doc.key_marks
    resolved: dict[
        str, Any
    ] = {}  # plain scalar text -> its value ('yes' 80,000 times is one lookup)
    anchors: dict[str, tuple[Any, int]] = {}
    stack: list[_Frame] = []
    total = 0
    documents = 0
    root_set = False

    def fail(message: str, event: Any, **extra: Any) -> InputError:
        mark = _mark(event)
        return InputError(source, message, line=mark.line, column=mark.column, **extra)

    def limit(message: str, event: Any) -> InputError:
        mark = _mark(event)
        return _LimitError(source, message, line=mark.line, column=mark.column)

    def attach(value: Any, size: int, event: Any, mark: Mark) -> None:
        nonlocal root_set
        if not stack:
            doc.data = value
            root_set = True
            return
        frame = stack[-1]
        frame.size += size
        if frame.is_list:
            path = (*frame.path, len(frame.value))
            frame.value.append(value)
            value_marks[path] = mark
            return
        if frame.key is _NO_KEY:
            if isinstance(value, (dict, list)):
                raise fail("a mapping key must be a plain value, not a collection", event)
            frame.key, frame.key_mark = value, mark
            return
        key, frame.key = frame.key, _NO_KEY
        if key is _MERGE:
            sources = value if isinstance(value, list) else [value]
            if allow_undefined_aliases:  # an undefined alias merges nothing
                sources = [item for item in sources if item is not _UNDEFINED]
            if not all(isinstance(item, dict) for item in sources):
                raise fail("'<<' must merge a mapping or a list of mappings", event)
            if "<<" in frame.explicit and not allow_duplicates:
                raise _duplicate_error(frame, "<<", mark)
            if "<<" in frame.explicit:
                doc.duplicates.append(
                    DuplicateKey(frame.path, "<<", frame.explicit["<<"], frame.key_mark or mark)
                )
            frame.explicit["<<"] = frame.key_mark or mark
            frame.merges.extend(sources)
            return
        key_mark = frame.key_mark or mark
        explicit = frame.explicit
        try:
            seen = key in explicit
        except TypeError:  # unhashable
            raise fail("a mapping key must be a plain value", event) from None
        if seen:
            if not allow_duplicates:
                raise _duplicate_error(frame, key, key_mark)
            doc.duplicates.append(DuplicateKey(frame.path, key, explicit[key], key_mark))
        explicit[key] = key_mark
        frame.value[key] = value
        path = (*frame.path, key)
        key_marks[path] = key_mark
        value_marks[path] = mark

    def _duplicate_error(frame: _Frame, key: Any, mark: Mark) -> InputError:
        first = frame.explicit[key]
        where = ".".join(str(p) for p in (*frame.path, key))
        return InputError(
            source,
            f"duplicate key {key!r} (first defined at line {first.line})",
            line=mark.line,
            column=mark.column,
            field=where,
        )

    def current_path() -> Path:
        if not stack:
            return ()
        frame = stack[-1]
        if frame.is_list:
            return (*frame.path, len(frame.value))
        return (*frame.path, frame.key) if frame.key is not _NO_KEY else frame.path

    scalar_event = yaml.ScalarEvent
    while (event := next_event()) is not None:
        kind = type(event)
        if kind is scalar_event:
            total += 1
            if total > max_nodes:
                raise limit(f"the file holds more than {max_nodes:,} values", event)
            tag = event.tag
            if (tag is None or tag == "!") and event.implicit[
                0
            ]:  # plain: resolved from its text alone
                plain = event.value
                if _NO_WILDCARD and plain and plain[0] not in _IMPLICIT_FIRST:
                    value = plain
                else:
                    value = resolved.get(plain, _NO_KEY)
                    if value is _NO_KEY:
                        value = resolved[plain] = _scalar(event, source)  # immutable: safe to share
            else:
                value = _scalar(event, source)
            if event.style in ("'", '"'):
                doc.quoted.add(current_path())
            if event.anchor:
                anchors[event.anchor] = (value, 1)
                doc.anchor_paths[event.anchor] = current_path()
            start = event.start_mark
            mark = Mark(start.line + 1, start.column + 1)
            frame = stack[-1] if stack else None
            if frame is not None and not frame.is_list and frame.key is _NO_KEY:
                frame.size += 1  # a key: attach() would do just this
                frame.key, frame.key_mark = value, mark
            else:
                attach(value, 1, event, mark)
        elif kind is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise fail("expected a single YAML document, found another '---'", event)
        elif kind in (yaml.MappingStartEvent, yaml.SequenceStartEvent):
            total += 1
            if total > max_nodes:
                raise limit(f"the file holds more than {max_nodes:,} values", event)
            if len(stack) >= max_depth:
                raise limit(f"nesting is deeper than {max_depth} levels", event)
            if event.tag not in (None, "!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"):
                raise fail(
                    f"tag {short_tag(event.tag)} is not allowed",
                    event,
                    expected="plain YAML data (strings, numbers, booleans, lists, mappings)",
                )
            container: Any = {} if kind is yaml.MappingStartEvent else []
            stack.append(_Frame(container, current_path(), event.anchor, _mark(event)))
        elif kind in (yaml.MappingEndEvent, yaml.SequenceEndEvent):
            frame = stack.pop()
            if frame.merges:
                _apply_merges(frame)
            if frame.anchor:
                anchors[frame.anchor] = (frame.value, frame.size)
                doc.anchor_paths[frame.anchor] = frame.path
            attach(frame.value, frame.size, event, frame.start)
        elif kind is yaml.AliasEvent:
            doc.alias_paths.append((event.anchor, current_path()))
            if event.anchor not in anchors:
                if not allow_undefined_aliases:
                    raise fail(
                        f"alias *{event.anchor} is used before its anchor &{event.anchor}", event
                    )
                doc.undefined_aliases.append(
                    UndefinedAlias(current_path(), event.anchor, _mark(event))
                )
                attach(_UNDEFINED, 1, event, _mark(event))
                continue
            value, size = anchors[event.anchor]
            total += size
            if total > max_nodes:
                raise limit(
                    f"aliases expand to more than {max_nodes:,} values (an alias bomb?)", event
                )
            attach(value, size, event, _mark(event))
    if not root_set:
        raise InputError(source, "the file has no YAML content", expected="a YAML mapping")
    return doc


def _apply_merges(frame: _Frame) -> None:
    """YAML merge keys: explicit keys win, then earlier merge sources win over later ones."""
    merged: dict = {}
    for source in reversed(frame.merges):
        merged.update(source)
    merged.update(frame.value)
    frame.value.clear()
    frame.value.update(merged)


def _parse_error(error: yaml.MarkedYAMLError, source: str, text: str) -> InputError:
    mark = error.problem_mark or error.context_mark
    problem = error.problem or error.context or "malformed YAML"
    line = mark.line + 1 if mark else None
    column = mark.column + 1 if mark else None
    if _tab_at(text, mark) or "tab character" in str(problem):
        problem = "a tab character; YAML indentation must use spaces"
    return InputError(source, f"malformed YAML: {problem}", line=line, column=column)


def _tab_at(text: str, mark: Any) -> bool:
    """libyaml reports a tab as 'a character that cannot start any token'; look at the text."""
    if mark is None:
        return False
    lines = text.split("\n")
    if mark.line >= len(lines):
        return False
    line = lines[mark.line]
    return "\t" in line[: mark.column + 1] and not line[: mark.column].strip(" \t")
