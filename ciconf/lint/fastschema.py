"""A quick yes/no answer to "is this part of the config valid under this part of the schema?".

jsonschema spends some 50-150 microseconds per node it visits (a validator object per
subschema, an error object per failed `oneOf` branch), so a large config took seconds to
validate even when it was valid. `Quick.valid` answers the same question for draft-7 schemas
with plain recursion, remembers each (subschema, node) answer, and says `None` (don't know) on
a keyword it does not implement. The CC001 validator (ciconf.lint.schema) asks it first for
every node it descends into and lets jsonschema walk only the parts that are invalid (or not
understood), so errors and their messages are still jsonschema's own.

The answers follow jsonschema's draft-7 rules exactly for the keywords below; `pattern` and
`patternProperties` use the same ECMA-262 regular expressions (regress) as the validator, and
`additionalProperties` looks patterns up with `re.search`, as jsonschema does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

ANNOTATIONS = frozenset(
    {
        "$schema",
        "$id",
        "$comment",
        "title",
        "description",
        "markdownDescription",
        "default",
        "examples",
        "definitions",
        "readOnly",
        "writeOnly",
        "format",
        "contentMediaType",
        "contentEncoding",
        "then",
        "else",  # then/else are read with `if`
    }
)
# Draft-7 keywords not implemented here: a schema using one gets "don't know".
UNSUPPORTED = frozenset(
    {
        "uniqueItems",
        "contains",
        "dependencies",
        "additionalItems",
        "multipleOf",
        "exclusiveMinimum",
        "exclusiveMaximum",
    }
)


class Unknown(Exception):
    """A keyword this module does not implement: ask jsonschema."""


def _type_ok(name: str, value: Any) -> bool:  # noqa: PLR0911 - one return per case, read as a table
    if name == "object":
        return isinstance(value, dict)
    if name == "array":
        return isinstance(value, list)
    if name == "string":
        return isinstance(value, str)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "null":
        return value is None
    if isinstance(value, bool):
        return False
    if name == "number":
        return isinstance(value, (int, float))
    if name == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    raise Unknown(name)


_PYTHON_TYPES = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "boolean": (bool,),
    "null": (type(None),),
    "number": (int, float),
}


def _python_types(names: Any) -> tuple[type, ...] | None:
    """The Python types of JSON type names; None for "integer" (a float can be one) or a typo."""
    found: tuple[type, ...] = ()
    for name in names if isinstance(names, list) else [names]:
        if name not in _PYTHON_TYPES:
            return None
        found += _PYTHON_TYPES[name]
    return found


def _equal(one: Any, two: Any) -> bool:
    if isinstance(one, (dict, list)) or isinstance(two, (dict, list)):
        raise Unknown("enum of collections")
    if isinstance(one, bool) or isinstance(two, bool):
        return type(one) is type(two) and one == two
    return one == two


class Quick:
    def __init__(self, root: dict, find: Callable[[str, str], bool]) -> None:
        self.root = root
        self.find = find  # find(pattern, text): the ECMA-262 `pattern` test
        self.memo: dict[tuple[int, int], tuple[bool | None, Any, Any]] = {}
        self.refs: dict[str, Any] = {}
        self.plans: dict[
            int, list
        ] = {}  # id(schema) -> its checks, for as long as the validator lives
        self.keep: list = []  # the planned schemas, so that no id in `plans` is ever reused

    def forget(self) -> None:
        """Drop remembered answers (they are keyed by object identity: one config at a time)."""
        self.memo.clear()

    def valid(self, schema: Any, value: Any) -> bool | None:
        """True or False as jsonschema would decide, or None when this module cannot tell."""
        try:
            return self._valid(schema, value)
        except Unknown:
            return None
        except RecursionError:  # the loader bounds depth; a self-referencing schema could not
            return None

    def _valid(self, schema: Any, value: Any) -> bool:
        if schema is True or schema is False:
            return schema
        plan = self.plans.get(id(schema))
        if plan is None:
            if not isinstance(schema, dict):
                raise Unknown("schema")
            plan = self.plans[id(schema)] = self._plan(schema)
            self.keep.append(schema)  # its id stays its own
        kind = type(value)
        if kind is not dict and kind is not list and not isinstance(value, (dict, list)):
            return all(check(self, argument, value, schema) for check, argument in plan)
        key = (id(schema), id(value))
        known = self.memo.get(key)
        if known is None:
            try:
                answer: bool | None = self._check(schema, value)
            except Unknown:
                answer = None
            known = self.memo[key] = (
                answer,
                schema,
                value,
            )  # the objects stay alive with their ids
        if known[0] is None:
            raise Unknown("remembered")
        return known[0]

    def _check(self, schema: dict, value: Any) -> bool:
        for check, argument in self.plans[id(schema)]:
            if not check(self, argument, value, schema):
                return False
        return True

    def _plan(self, schema: dict) -> list[tuple[Callable[..., bool], Any]]:
        """The keyword checks of `schema`, worked out once per schema."""
        if "$ref" in schema:  # draft 7: a $ref's siblings are ignored
            return [(Quick._ref, self._resolve(schema["$ref"]))]
        plan = []
        for keyword, argument in schema.items():
            if keyword in ANNOTATIONS:
                continue
            check = _KEYWORDS.get(keyword)
            if check is None:
                if keyword in UNSUPPORTED:
                    return [(Quick._unknown, keyword)]
                continue  # jsonschema ignores keywords it does not know
            if keyword == "type":
                check, argument = Quick._types, _python_types(argument)  # noqa: PLW2901 - as Python types
            plan.append((check, argument))
        return plan

    def _ref(self, target: Any, value: Any, schema: dict) -> bool:
        return self._valid(target, value)

    def _unknown(self, keyword: str, value: Any, schema: dict) -> bool:
        raise Unknown(keyword)

    def _types(self, accepted: tuple[type, ...] | None, value: Any, schema: dict) -> bool:
        """`type` with the JSON types as Python types (None: one needs a closer look)."""
        if accepted is None:
            return self._type(schema["type"], value, schema)
        return isinstance(value, accepted) and not (
            isinstance(value, bool) and bool not in accepted
        )

    def _resolve(self, ref: str) -> Any:
        if ref not in self.refs:
            if not ref.startswith("#"):
                raise Unknown(ref)
            node: Any = self.root
            for escaped in ref[1:].split("/")[1:]:
                part = escaped.replace("~1", "/").replace("~0", "~")
                if not isinstance(node, dict) or part not in node:
                    raise Unknown(ref)
                node = node[part]
            self.refs[ref] = node
        return self.refs[ref]

    # --- keywords: each returns whether `value` passes -------------------------------------

    def _type(self, argument: Any, value: Any, schema: dict) -> bool:
        names = argument if isinstance(argument, list) else [argument]
        return any(_type_ok(name, value) for name in names)

    def _enum(self, argument: Any, value: Any, schema: dict) -> bool:
        return any(_equal(value, option) for option in argument)

    def _const(self, argument: Any, value: Any, schema: dict) -> bool:
        return _equal(value, argument)

    def _pattern(self, argument: str, value: Any, schema: dict) -> bool:
        return not isinstance(value, str) or self.find(argument, value)

    def _min_length(self, argument: int, value: Any, schema: dict) -> bool:
        return not isinstance(value, str) or len(value) >= argument

    def _max_length(self, argument: int, value: Any, schema: dict) -> bool:
        return not isinstance(value, str) or len(value) <= argument

    def _minimum(self, argument: Any, value: Any, schema: dict) -> bool:
        return not _type_ok("number", value) or value >= argument

    def _maximum(self, argument: Any, value: Any, schema: dict) -> bool:
        return not _type_ok("number", value) or value <= argument

    def _one_of(self, argument: list, value: Any, schema: dict) -> bool:
        passed = 0
        for sub in argument:
            if self._valid(sub, value):
                passed += 1
                if passed == 2:  # jsonschema's answer is known: not exactly one
                    return False
        return passed == 1

    def _any_of(self, argument: list, value: Any, schema: dict) -> bool:
        return any(self._valid(sub, value) for sub in argument)

    def _all_of(self, argument: list, value: Any, schema: dict) -> bool:
        return all(self._valid(sub, value) for sub in argument)

    def _not(self, argument: Any, value: Any, schema: dict) -> bool:
        return not self._valid(argument, value)

    def _if(self, argument: Any, value: Any, schema: dict) -> bool:
        if self._valid(argument, value):
            return "then" not in schema or self._valid(schema["then"], value)
        return "else" not in schema or self._valid(schema["else"], value)

    def _properties(self, argument: dict, value: Any, schema: dict) -> bool:
        if not isinstance(value, dict):
            return True
        return all(self._valid(sub, value[name]) for name, sub in argument.items() if name in value)

    def _pattern_properties(self, argument: dict, value: Any, schema: dict) -> bool:
        if not isinstance(value, dict):
            return True
        for pattern, sub in argument.items():
            for name, item in value.items():
                if self.find(pattern, name) and not self._valid(sub, item):
                    return False
        return True

    def _additional_properties(self, argument: Any, value: Any, schema: dict) -> bool:
        if not isinstance(value, dict):
            return True
        properties = schema.get("properties", {})
        patterns = "|".join(schema.get("patternProperties", {}))
        extras = [
            name
            for name in value
            if name not in properties and not (patterns and re.search(patterns, name))
        ]
        if isinstance(argument, dict):
            return all(self._valid(argument, value[name]) for name in extras)
        return bool(argument) or not extras

    def _required(self, argument: list, value: Any, schema: dict) -> bool:
        return not isinstance(value, dict) or all(name in value for name in argument)

    def _min_properties(self, argument: int, value: Any, schema: dict) -> bool:
        return not isinstance(value, dict) or len(value) >= argument

    def _max_properties(self, argument: int, value: Any, schema: dict) -> bool:
        return not isinstance(value, dict) or len(value) <= argument

    def _property_names(self, argument: Any, value: Any, schema: dict) -> bool:
        return not isinstance(value, dict) or all(self._valid(argument, name) for name in value)

    def _items(self, argument: Any, value: Any, schema: dict) -> bool:
        if not isinstance(value, list):
            return True
        if isinstance(argument, list):
            return all(self._valid(sub, item) for sub, item in zip(argument, value, strict=False))
        return all(self._valid(argument, item) for item in value)

    def _min_items(self, argument: int, value: Any, schema: dict) -> bool:
        return not isinstance(value, list) or len(value) >= argument

    def _max_items(self, argument: int, value: Any, schema: dict) -> bool:
        return not isinstance(value, list) or len(value) <= argument


_KEYWORDS: dict[str, Callable[[Quick, Any, Any, dict], bool]] = {
    "type": Quick._type,
    "enum": Quick._enum,
    "const": Quick._const,
    "pattern": Quick._pattern,
    "minLength": Quick._min_length,
    "maxLength": Quick._max_length,
    "minimum": Quick._minimum,
    "maximum": Quick._maximum,
    "oneOf": Quick._one_of,
    "anyOf": Quick._any_of,
    "allOf": Quick._all_of,
    "not": Quick._not,
    "if": Quick._if,
    "properties": Quick._properties,
    "patternProperties": Quick._pattern_properties,
    "additionalProperties": Quick._additional_properties,
    "required": Quick._required,
    "minProperties": Quick._min_properties,
    "maxProperties": Quick._max_properties,
    "propertyNames": Quick._property_names,
    "items": Quick._items,
    "minItems": Quick._min_items,
    "maxItems": Quick._max_items,
}
