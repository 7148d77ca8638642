"""Load a profile file into a validated Profile, or raise one located InputError."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from ciconf.errors import InputError, closest
from ciconf.profile.grammar import AWS_ACCESS_KEY_ID, AWS_SECRET_LIKE
from ciconf.profile.models import Profile
from ciconf.profile.plugins import plugins_disabled
from ciconf.yamlkit.load import Document, load_text, read_text

PROFILE_MAX_BYTES = 1024 * 1024


def load_profile(path: str) -> Profile:
    return parse_profile(read_text(path, max_bytes=PROFILE_MAX_BYTES), path)


def parse_profile(text: str, source: str) -> Profile:
    doc = load_text(text, source)
    return validate_document(doc)


def validate_document(doc: Document) -> Profile:
    if not isinstance(doc.data, dict):
        raise InputError(
            doc.source,
            f"the profile is a {_kind(doc.data)}",
            line=1,
            column=1,
            expected="a mapping with project, test, delivery and accounts",
        )
    _refuse_literal_secrets(doc)
    try:
        with plugins_disabled():  # the first validation builds the validators
            return Profile.model_validate(doc.data)
    except ValidationError as error:
        raise _located(error, doc) from None


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    return f"single value ({type(value).__name__})"


def _refuse_literal_secrets(doc: Document) -> None:
    """Profiles name variables, contexts and roles; a key or secret itself must never be in one."""
    stack: list[tuple[tuple, Any]] = [((), doc.data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            stack.extend((path + (key,), item) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((path + (index,), item) for index, item in enumerate(value))
        elif isinstance(value, str):
            words = value.replace("=", " ").replace(":", " ").split()
            if any(AWS_ACCESS_KEY_ID.fullmatch(w) or AWS_SECRET_LIKE.fullmatch(w) for w in words):
                mark = doc.mark_for(path)
                raise InputError(
                    doc.source,
                    "this looks like a literal AWS credential; store it in CircleCI (project "
                    "environment variable or context) and name the variable in the profile",
                    line=mark.line if mark else None,
                    column=mark.column if mark else None,
                    field=dotted(path),
                )


def dotted(path: tuple) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(root)"


def _data_path(loc: tuple, data: Any) -> tuple[tuple, bool]:
    """Map a pydantic error location onto the data; True when it ends on a mapping key."""
    path: list = []
    node = data
    on_key = False
    for part in loc:
        if part == "[key]":
            on_key = True
            continue
        if isinstance(node, dict) and part in node:
            path.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            path.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and loc and part == loc[-1]:
            path.append(part)  # an unknown or missing key
        # anything else is a union tag pydantic inserted; it has no place in the data
    return tuple(path), on_key


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The model class that owns the mapping at `loc` (for listing its allowed keys)."""
    current: Any = Profile
    for part in loc:
        current = _step(current, part)
        if current is None:
            return None
    return _as_model(current)


def _as_model(annotation: Any) -> type[BaseModel] | None:
    for candidate in _flatten(annotation):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _flatten(annotation: Any) -> list:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _flatten(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        result = []
        for arg in typing.get_args(annotation):
            result.extend(_flatten(arg))
        return result
    return [annotation]


def _step(annotation: Any, part: Any) -> Any:
    for candidate in _flatten(annotation):
        origin = typing.get_origin(candidate)
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            if part in candidate.model_fields:
                return candidate.model_fields[part].annotation
            tagged = _union_member(annotation, part)
            if tagged is not None:
                return tagged
        elif origin is list and isinstance(part, int):
            return typing.get_args(candidate)[0]
        elif origin is dict and isinstance(part, str):
            return typing.get_args(candidate)[1]
    return None


def _union_member(annotation: Any, tag: Any) -> Any:
    for candidate in _flatten(annotation):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            mode = candidate.model_fields.get("mode")
            if mode is not None and tag in typing.get_args(mode.annotation):
                return candidate
    return None


def _located(error: ValidationError, doc: Document) -> InputError:
    problems = []
    for item in error.errors(include_url=False):
        path, on_key = _data_path(tuple(item["loc"]), doc.data)
        mark = doc.key_marks.get(path) if on_key or item["type"] == "extra_forbidden" else None
        mark = mark or doc.mark_for(path)
        problems.append(((mark.line, mark.column) if mark else (0, 0), item, path))
    problems = _without_echoes(problems)
    # a missing key is usually the echo of a misspelt one, so report the misspelling first
    problems.sort(key=lambda problem: (problem[1]["type"] == "missing", problem[0]))
    (line, column), item, path = problems[0]
    message, expected, suggestion = _explain(item)
    return InputError(
        doc.source,
        message,
        line=line or None,
        column=column or None,
        field=dotted(path),
        expected=expected,
        suggestion=suggestion,
        more=len(problems) - 1,
    )


def _without_echoes(problems: list) -> list:
    """Drop 'missing key X' when the same mapping has an unknown key that is a typo of X."""
    typos = set()
    for _, item, _ in problems:
        loc = tuple(item["loc"])
        if item["type"] == "extra_forbidden":
            model = _model_at(loc[:-1])
            guess = closest(str(loc[-1]), list(model.model_fields) if model else [])
            typos.add(loc[:-1] + (guess,))
    return [p for p in problems if not (p[1]["type"] == "missing" and tuple(p[1]["loc"]) in typos)]


_TYPE_NAMES = {bool: "a boolean", int: "a number", float: "a number", type(None): "null"}


def _explain(item: dict) -> tuple[str, str | None, str | None]:
    kind = item["type"]
    value = item.get("input")
    ctx = item.get("ctx") or {}
    loc = tuple(item["loc"])
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        allowed = list(model.model_fields) if model else []
        return (
            f"unknown key {loc[-1]!r}",
            "one of " + ", ".join(allowed) if allowed else None,
            closest(str(loc[-1]), allowed),
        )
    if kind == "missing":
        return f"missing required key {loc[-1]!r}", None, None
    if kind == "string_type":
        got = _TYPE_NAMES.get(type(value), type(value).__name__)
        hint = ""
        if isinstance(value, bool):
            hint = "; YAML reads yes/no/on/off/true/false as booleans, so quote the value"
        elif isinstance(value, (int, float)):
            hint = "; quote the value to keep it a string"
        return f"got {got} ({value!r}){hint}", "a string", None
    if kind == "literal_error":
        expected = ctx.get("expected", "")
        options = [part.strip(" '\"") for part in expected.replace(" or ", ",").split(",") if part.strip()]
        return f"unknown value {value!r}", expected, closest(str(value), options)
    if kind == "union_tag_invalid":
        options = [part.strip(" '\"") for part in str(ctx.get("expected_tags", "")).split(",")]
        return (
            f"unknown {ctx.get('discriminator', 'mode')} {ctx.get('tag')!r}",
            "one of " + ", ".join(options),
            closest(str(ctx.get("tag")), options),
        )
    if kind == "union_tag_not_found":
        return f"missing key {ctx.get('discriminator', 'mode')!r}", "one of env-indirection, context, oidc", None
    message = item["msg"].removeprefix("Value error, ")
    if kind in ("int_type", "bool_type", "list_type", "dict_type", "model_type", "model_attributes_type"):
        return f"got {_TYPE_NAMES.get(type(value), type(value).__name__)} ({value!r:.60})", message.lower().removeprefix("input should be "), None
    return message, None, None
