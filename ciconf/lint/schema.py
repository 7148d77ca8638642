"""CircleCI's official config schema, as vendored by the installed check-jsonschema package.

The schema is read from that package's files without importing it: importing check_jsonschema
loads its whole command line (about 0.8 s), and `ciconf lint` must be faster than running
check-jsonschema itself. The validator is built once per process and reused for every file.
"""

from __future__ import annotations

import datetime
import functools
import json
import re
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from ciconf.errors import InputError
from ciconf.lint.fastschema import Quick

SCHEMA_PACKAGE = "check_jsonschema"
SCHEMA_FILE = ("builtin_schemas", "vendor", "circle-ci.json")


def schema_path() -> Path:
    spec = find_spec(SCHEMA_PACKAGE)  # locates the package; does not run its __init__
    if spec is None or not spec.submodule_search_locations:
        raise InputError(SCHEMA_PACKAGE, "is not installed; it provides CircleCI's schema")
    return Path(next(iter(spec.submodule_search_locations))).joinpath(*SCHEMA_FILE)


@functools.cache
def circleci_schema() -> dict:
    return json.loads(schema_path().read_text(encoding="utf-8"))


@functools.cache
def quick_checker() -> Quick:
    """The quick yes/no checker of CircleCI's schema. A config it finds valid needs no validator
    at all (importing jsonschema and building one takes some 0.1 s of every `ciconf lint`)."""
    return Quick(circleci_schema(), lambda pattern, text: bool(_ecma_regex(pattern).find(text)))


@functools.cache
def circleci_validator() -> Any:
    """A validator for CircleCI configs. Formats are not asserted (as check-jsonschema's default).

    The schema's patterns are ECMA-262 regular expressions (`\\p{Cc}`, which Python's `re`
    rejects), so `pattern` and `patternProperties` use regress, as check-jsonschema does.
    """
    from jsonschema.validators import extend, validator_for

    schema = circleci_schema()
    validator_class = extend(
        validator_for(schema),
        validators={
            "pattern": _pattern,
            "patternProperties": _pattern_properties,
            "additionalProperties": _additional_properties,
        },
    )
    _ask_quick_first(validator_class, quick_checker())
    return validator_class(schema)


def quick(validator: Any) -> Quick:
    """The quick yes/no checker of a validator made by circleci_validator."""
    return validator.QUICK


def _ask_quick_first(validator_class: Any, checker: Quick) -> None:
    """Descend (and `is_valid`) only into what ciconf.lint.fastschema cannot show to be valid.

    jsonschema then walks just the invalid parts of a config, and its errors are unchanged:
    a part skipped here is one that jsonschema would have found no error in.
    """
    descend, iter_errors = validator_class.descend, validator_class.iter_errors

    def quick_descend(self: Any, instance: Any, schema: Any, *args: Any, **kwargs: Any) -> Any:
        if checker.valid(schema, instance) is True:
            return iter(())
        return descend(self, instance, schema, *args, **kwargs)

    def quick_iter_errors(self: Any, instance: Any, _schema: Any = None) -> Any:
        if _schema is None and checker.valid(self.schema, instance) is True:
            return iter(())
        return iter_errors(self, instance, _schema)

    validator_class.descend = quick_descend
    validator_class.iter_errors = quick_iter_errors
    validator_class.QUICK = checker


@functools.cache
def _ecma_regex(pattern: str) -> Any:
    import regress

    return regress.Regex(pattern, flags="u")


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema.exceptions import ValidationError

    if validator.is_type(instance, "string") and not _ecma_regex(pattern).find(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(
    validator: Any, properties: dict, instance: Any, schema: Any
) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in properties.items():
        regex = _ecma_regex(pattern)
        for key, value in instance.items():
            if regex.find(key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _additional_properties(
    validator: Any, allowed: Any, instance: Any, schema: Any
) -> Iterator[Any]:
    """jsonschema's draft-7 `additionalProperties`, visiting the extra keys in the config's order
    (jsonschema uses a set, whose order changes from run to run): lint shows the first findings
    (findings.CAP), which must be the same ones every time."""
    from jsonschema.exceptions import ValidationError

    if not validator.is_type(instance, "object"):
        return
    properties = schema.get("properties", {})
    patterns = "|".join(schema.get("patternProperties", {}))
    extras = [
        name
        for name in instance
        if name not in properties and not (patterns and re.search(patterns, name))
    ]
    if validator.is_type(allowed, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], allowed, path=extra)
    elif not allowed and extras:
        if "patternProperties" in schema:
            verb = "does" if len(extras) == 1 else "do"
            joined = ", ".join(repr(each) for each in sorted(extras))
            listed = ", ".join(repr(each) for each in sorted(schema["patternProperties"]))
            yield ValidationError(f"{joined} {verb} not match any of the regexes: {listed}")
        else:
            names = ", ".join(repr(extra) for extra in sorted(extras, key=str))
            yield ValidationError(
                f"Additional properties are not allowed ({names} "
                f"{'was' if len(extras) == 1 else 'were'} unexpected)"
            )


def json_compatible(value: Any) -> Any:
    """YAML data as JSON sees it: string keys, ISO dates.

    Equal parts come out as one shared object (10,000 jobs written alike are one job to check):
    the quick schema check remembers its answer per object. Aliased parts are converted once.
    """
    return _Sharing().convert(value)[0]


class _Sharing:
    """Hash-consing: each part gets a small token naming its exact JSON content (types included,
    so 1, 1.0, -0.0 and True never merge); a part whose token was seen is the earlier object."""

    def __init__(self) -> None:
        self.converted: dict[int, tuple[Any, Any]] = {}  # id(YAML part) -> (JSON part, token)
        self.canonical: dict[Any, tuple[Any, Any]] = {}  # content -> (JSON part, token)
        self.alive: list[Any] = []  # the YAML parts whose ids are in `converted`

    def convert(self, value: Any) -> tuple[Any, Any]:
        kind = type(value)
        if kind is str or kind is bool or kind is int or value is None:  # the common case first
            return value, (kind, value)
        if isinstance(value, (dict, list)):
            known = self.converted.get(id(value))
            if known is None:
                known = self.converted[id(value)] = self._collection(value)
                self.alive.append(value)
            return known
        if isinstance(value, (datetime.date, datetime.datetime)):
            value = value.isoformat()
        if isinstance(value, float):
            return value, (float, repr(value))
        if value is None or isinstance(
            value, (str, int)
        ):  # int covers bool: the type tells them apart
            return value, (type(value), value)
        return value, ("object", id(value))  # not from the YAML loader; kept as it is, never merged

    def _collection(self, value: Any) -> tuple[Any, Any]:
        if isinstance(value, dict):
            pairs = [(_json_key(key), self.convert(item)) for key, item in value.items()]
            result: Any = {key: item for key, (item, _) in pairs}
            content: Any = ("map", tuple((key, token) for key, (_, token) in pairs))
        else:
            items = [self.convert(item) for item in value]
            result = [item for item, _ in items]
            content = ("seq", tuple(token for _, token in items))
        known = self.canonical.get(content)
        if known is None:
            known = self.canonical[content] = (result, ("part", len(self.canonical)))
        return known


def _json_key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return str(key)
