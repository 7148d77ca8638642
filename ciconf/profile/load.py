"""Load a profile file into a validated Profile, or raise one located InputError."""

from __future__ import annotations

import datetime
import re
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ciconf.defaults import PROFILE_MAX_BYTES
from ciconf.errors import InputError, closest, dotted, shown
from ciconf.profile.grammar import AWS_ACCESS_KEY_ID, AWS_SECRET_LIKE
from ciconf.profile.models import Profile
from ciconf.profile.plugins import plugins_disabled
from ciconf.profile.prebuilt import install as install_prebuilt
from ciconf.yamlkit.load import Document, Mark, load_text, read_text

# A real profile holds a few hundred values; the cap keeps validation and rendering of a hostile
# one (100,000 list items or keys) to a fraction of a second.
PROFILE_MAX_VALUES = 10_000


def load_profile(path: str) -> Profile:
    return load_profile_document(path)[1]


def load_profile_document(path: str) -> tuple[Document, Profile]:
    """The profile and the document it came from (for messages that point into the file)."""
    doc = load_text(
        read_text(path, max_bytes=PROFILE_MAX_BYTES), path, max_nodes=PROFILE_MAX_VALUES
    )
    return doc, validate_document(doc)


def parse_profile(text: str, source: str) -> Profile:
    return parse_profile_document(text, source)[1]


def parse_profile_document(text: str, source: str) -> tuple[Document, Profile]:
    doc = load_text(text, source, max_nodes=PROFILE_MAX_VALUES)
    return doc, validate_document(doc)


def validate_document(doc: Document) -> Profile:
    """The validated profile, or one InputError that lists every problem found (see
    InputError.collect)."""
    if not isinstance(doc.data, dict):
        raise InputError(
            doc.source,
            f"the profile is {_kind(doc.data)}",
            line=1,
            column=1,
            expected="a mapping with project, test, delivery and accounts",
        )
    secrets = _literal_secrets(doc)
    try:
        with plugins_disabled():  # the first validation builds the validators
            install_prebuilt()  # ... from the schema generated at build time, when it is current
            profile = Profile.model_validate(doc.data)
    except ValidationError as error:
        located, unexplained = _located(error, doc, {path for path, _ in secrets})
        raise InputError.collect(
            [problem for _, problem in secrets] + located, unexplained
        ) from None
    if secrets:
        raise InputError.collect([problem for _, problem in secrets])
    return profile


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    return f"a single value ({type(value).__name__})"


def _literal_secrets(doc: Document) -> list[tuple[tuple, InputError]]:
    """Profiles name variables, contexts and roles; a key or secret itself must never be in one.

    Each found secret comes with the data path it was found at: no other message about that path
    may be shown, as it could repeat the secret."""
    found = []
    stack: list[tuple[tuple, Any]] = [((), doc.data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and _holds_credential(key):
                    # name the mapping, not the key: the field name would repeat the secret
                    found.append(
                        (
                            (*path, key),
                            _credential_error(doc, path, doc.key_marks.get((*path, key))),
                        )
                    )
                stack.append(((*path, key), item))
        elif isinstance(value, list):
            stack.extend(((*path, index), item) for index, item in enumerate(value))
        elif isinstance(value, str) and _holds_credential(value):
            found.append(
                (
                    path,
                    _credential_error(doc, path, doc.value_marks.get(path) or doc.mark_for(path)),
                )
            )
    return found


def _holds_credential(text: str) -> bool:
    # split on anything a key or secret cannot contain, so quotes or ';' around one do not hide it
    ids = re.findall(r"[A-Za-z0-9]+", text)
    secrets = re.findall(r"[A-Za-z0-9/+]+", text)
    return any(AWS_ACCESS_KEY_ID.fullmatch(word) for word in ids) or any(
        AWS_SECRET_LIKE.fullmatch(word) for word in secrets
    )


def _credential_error(doc: Document, path: tuple, mark: Any) -> InputError:
    # the message never repeats the value: it would end up in CI logs
    return InputError(
        doc.source,
        "this looks like a literal AWS credential; store it in CircleCI (project "
        "environment variable or context) and name the variable in the profile",
        line=mark.line if mark else None,
        column=mark.column if mark else None,
        field=dotted(path),
    )


def _data_path(loc: tuple, data: Any) -> tuple[tuple, bool]:
    """Map a pydantic error location onto the data; True when it ends on a mapping key."""
    path: list = []
    node, annotation = data, Profile
    on_key = False
    for index, part in enumerate(loc):
        if part == "[key]":
            on_key = True
            continue
        if _is_tag(annotation, node, part):
            # pydantic names the union member it tried ('context'); that is not a key in the data
            annotation = _union_member(annotation, part)
            continue
        annotation = _step(annotation, part)
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and part < len(node)
        ):
            path.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and index == len(loc) - 1:
            path.append(part)  # an unknown or missing key
    return tuple(path), on_key


def _is_tag(annotation: Any, node: Any, part: Any) -> bool:
    members = [c for c in _flatten(annotation) if isinstance(c, type) and issubclass(c, BaseModel)]
    return len(members) > 1 and isinstance(node, dict) and node.get("mode") == part


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


# Problems explained in full (did-you-mean and all); the rest of a hostile file's thousands are
# counted.
MAX_EXPLAINED = 100


def _located(
    error: ValidationError, doc: Document, secret_paths: set[tuple]
) -> tuple[list[InputError], int]:
    """The first validation problems in file order as located InputErrors, and how many more there
    are.

    No problem is reported about a path that holds a secret: its message could repeat it."""
    problems = []
    for item in error.errors(include_url=False):
        path, on_key = _data_path(tuple(item["loc"]), doc.data)
        if item["type"] == "union_tag_invalid":
            path += (_discriminator(item),)  # point at the bad 'mode: odic', not at its mapping
        if secret_paths and any(path[:end] in secret_paths for end in range(1, len(path) + 1)):
            continue
        mark = _error_mark(doc, path, on_key or item["type"] == "extra_forbidden")
        problems.append(((mark.line, mark.column) if mark else (0, 0), item, path))
    problems = sorted(_without_echoes(problems), key=lambda problem: problem[0])
    located = []
    for (line, column), item, path in problems[:MAX_EXPLAINED]:
        message, expected, suggestion = _explain(item, quoted=path in doc.quoted)
        located.append(
            InputError(
                doc.source,
                message,
                line=line or None,
                column=column or None,
                field=dotted(path),
                expected=expected,
                suggestion=suggestion,
            )
        )
    return located, len(problems) - len(located)


def _without_echoes(problems: list) -> list:
    """Drop 'missing key X' when the same mapping has an unknown key that is a typo of X."""
    missing = {tuple(item["loc"][:-1]) for _, item, _ in problems if item["type"] == "missing"}
    typos = set()
    guesses = 0
    for _, item, _ in problems:
        loc = tuple(item["loc"])
        if item["type"] == "extra_forbidden" and loc[:-1] in missing and guesses < MAX_EXPLAINED:
            guesses += 1  # a guess only where it can matter, and a bounded number of them
            model = _model_at(loc[:-1])
            guess = closest(str(loc[-1]), list(model.model_fields) if model else [])
            typos.add((*loc[:-1], guess))
    return [p for p in problems if not (p[1]["type"] == "missing" and tuple(p[1]["loc"]) in typos)]


def _discriminator(item: ErrorDetails) -> str:
    return str((item.get("ctx") or {}).get("discriminator", "mode")).strip("'\"")


def _error_mark(doc: Document, path: tuple, on_key: bool) -> Mark | None:
    """Key errors point at the key; a bad scalar points at the value itself."""
    if on_key:
        return doc.key_marks.get(path) or doc.mark_for(path)
    if not isinstance(_value_at(doc.data, path), (dict, list)):
        return doc.value_marks.get(path) or doc.mark_for(path)
    return doc.mark_for(path)


def _value_at(data: Any, path: tuple) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


_TYPE_NAMES = {
    bool: "a boolean",
    int: "a number",
    float: "a number",
    str: "a string",
    datetime.date: "a date",
    datetime.datetime: "a timestamp",
    type(None): "null",
}


def _plain(text: str) -> Any:
    """What `text` would load as without its quotes (a number, a boolean, or the text itself)."""
    import yaml

    try:
        return yaml.safe_load(text) if len(text) < 100 and "\n" not in text else text
    except yaml.YAMLError:
        return text


def _got(value: Any) -> str:
    return f"got {_TYPE_NAMES.get(type(value), type(value).__name__)} ({shown(value)})"


def _explain(item: ErrorDetails, quoted: bool = False) -> tuple[str, str | None, str | None]:  # noqa: PLR0911, PLR0912 - one branch per case, read as a table
    """(message, expected, suggestion) for one pydantic error; `quoted`: the value had quotes in the
    file."""
    kind = item["type"]
    value = item.get("input")
    ctx = item.get("ctx") or {}
    loc = tuple(item["loc"])
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        allowed = list(model.model_fields) if model else []
        return (
            f"unknown key {shown(loc[-1])}",
            "one of " + ", ".join(allowed) if allowed else None,
            closest(str(loc[-1]), allowed),
        )
    if kind == "missing":
        return f"missing required key {loc[-1]!r}", None, None
    if kind == "ciconf_value":  # grammar.problem(): the checker says it all
        return ctx["message"], ctx.get("expected"), ctx.get("suggestion")
    if kind == "string_type":
        hint = ""
        if isinstance(value, bool):
            hint = "; YAML reads yes/no/on/off/true/false as booleans, so quote the value"
        elif isinstance(value, (int, float, datetime.date)):
            hint = "; quote the value to keep it a string"
        return _got(value) + hint, "a string", None
    if kind == "int_type" and isinstance(value, str):
        hint = (
            "; write the number without quotes" if quoted and isinstance(_plain(value), int) else ""
        )
        return _got(value) + hint, "a whole number", None
    if kind == "bool_type" and isinstance(value, str):
        hint = (
            "; write true or false without quotes"
            if quoted and isinstance(_plain(value), bool)
            else ""
        )
        return _got(value) + hint, "true or false", None
    if kind == "string_pattern_mismatch":
        return _got(value), f"text matching {ctx.get('pattern')}", None
    if kind == "literal_error":
        expected = ctx.get("expected", "")
        options = [
            part.strip(" '\"") for part in expected.replace(" or ", ",").split(",") if part.strip()
        ]
        return f"unknown value {shown(value)}", expected, closest(str(value), options)
    if kind == "union_tag_invalid":
        options = [part.strip(" '\"") for part in str(ctx.get("expected_tags", "")).split(",")]
        return (
            f"unknown {_discriminator(item)} {shown(ctx.get('tag'))}",
            "one of " + ", ".join(options),
            closest(str(ctx.get("tag")), options),
        )
    if kind == "union_tag_not_found":
        return (
            f"missing key {_discriminator(item)!r}",
            "one of env-indirection, context, oidc",
            None,
        )
    if kind in ("too_short", "too_long"):
        got = (
            f"got an empty {type(value).__name__}"
            if value in ([], {})
            else f"got {len(value)} items"
        )
        bound = (
            f"at least {ctx.get('min_length')}"
            if kind == "too_short"
            else f"at most {ctx.get('max_length')}"
        )
        return (
            got,
            f"{bound} item{'s' if (ctx.get('min_length') or ctx.get('max_length')) != 1 else ''}",
            None,
        )
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return _got(value), item["msg"].lower().removeprefix("input should be "), None
    message = item["msg"].removeprefix("Value error, ")
    if kind in (
        "int_type",
        "bool_type",
        "list_type",
        "dict_type",
        "model_type",
        "model_attributes_type",
    ):
        return _got(value), message.lower().removeprefix("input should be "), None
    return message, None, None
