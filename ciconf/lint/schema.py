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
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Iterator

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
def circleci_validator() -> Any:
    """A validator for CircleCI configs. Formats are not asserted (as check-jsonschema's default).

    The schema's patterns are ECMA-262 regular expressions (`\\p{Cc}`, which Python's `re`
    rejects), so `pattern` and `patternProperties` use regress, as check-jsonschema does.
    """
    from jsonschema.validators import extend, validator_for

    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    validator_class = extend(
        validator_for(schema),
        validators={
            "pattern": _pattern,
            "patternProperties": _pattern_properties,
            "additionalProperties": _additional_properties,
        },
    )
    _ask_quick_first(validator_class, Quick(schema, lambda pattern, text: bool(_ecma_regex(pattern).find(text))))
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


def _pattern_properties(validator: Any, properties: dict, instance: Any, schema: Any) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in properties.items():
        regex = _ecma_regex(pattern)
        for key, value in instance.items():
            if regex.find(key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _additional_properties(validator: Any, allowed: Any, instance: Any, schema: Any) -> Iterator[Any]:
    """jsonschema's draft-7 `additionalProperties`, visiting the extra keys in the config's order
    (jsonschema uses a set, whose order changes from run to run): lint shows the first findings
    (findings.CAP), which must be the same ones every time."""
    from jsonschema.exceptions import ValidationError

    if not validator.is_type(instance, "object"):
        return
    properties = schema.get("properties", {})
    patterns = "|".join(schema.get("patternProperties", {}))
    extras = [name for name in instance if name not in properties and not (patterns and re.search(patterns, name))]
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
            yield ValidationError(f"Additional properties are not allowed ({names} {'was' if len(extras) == 1 else 'were'} unexpected)")


def json_compatible(value: Any, _seen: dict[int, Any] | None = None) -> Any:
    """YAML data as JSON sees it: string keys, ISO dates. Shared (aliased) parts stay shared."""
    seen = {} if _seen is None else _seen
    if isinstance(value, (dict, list)) and id(value) in seen:
        return seen[id(value)]
    if isinstance(value, dict):
        result: Any = {}
        seen[id(value)] = result
        for key, item in value.items():
            result[_json_key(key)] = json_compatible(item, seen)
        return result
    if isinstance(value, list):
        result = []
        seen[id(value)] = result
        result.extend(json_compatible(item, seen) for item in value)
        return result
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


def _json_key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return str(key)
