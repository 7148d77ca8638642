"""The profile's validator from a core schema generated at build time, not on every run.

Pydantic builds a model's validator in two steps: Python code walks every field and annotation
to produce a *core schema* (a plain dict), then pydantic-core compiles that dict. The walk is most
of the cost of the first validation, and a `ciconf check` with an empty cache pays it every time.
ciconf/profile/_core_schema.py holds that dict, written by `generated_text()` from the models; this
module compiles it, so a run skips the walk (and pydantic's plugin loader: see plugins.py).

Why the validator is the one pydantic would build:
- The dict is pydantic's own output for `Profile` with the JSON-Schema-only "metadata" left out
  (the validator never reads it); tests/acceptance/test_prebuilt_schema.py asserts the module
  equals what `generated_text()` writes today, and that the dict it builds equals the live one.
- Functions and classes are not written as text: each one is a path from a model class (or a
  module) to the very object (`Address`), followed again at run time, so the dict holds the same
  objects a fresh build would.
- The module records the sha256 of every source file the models are built from, and the Python,
  pydantic and pydantic-core versions; when any differs (an edit, an upgrade), it is not used and
  pydantic builds the validator as always. Only the speed differs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import math
import os
import sys
import typing
from collections.abc import Iterator
from typing import Any

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARTIFACT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_core_schema.py")
ROOT_MODEL = "ciconf.profile.models:Profile"
# models that ciconf's own code instantiates while a profile is validated (a validator building
# the workflow); tests/acceptance/test_prebuilt_schema.py fails when a bundled profile needs
# another one
CONSTRUCTED = ("ciconf.profile.models:AccountImage", "ciconf.profile.models:Approval")
# plain values a schema dict holds; anything else is an object reached by an Address
_PLAIN = (str, int, float, bool, type(None))

Step = tuple  # ("field", name) | ("attr", name) | ("metadata", i) | ("arg", i) | ("item", key)
Address = tuple  # ("module:qualname", *steps)


def versions() -> str:
    import pydantic
    import pydantic_core

    return (
        f"python {sys.version_info[0]}.{sys.version_info[1]} pydantic {pydantic.VERSION} "
        f"pydantic-core {pydantic_core.__version__}"
    )


def sources_digest(sources: tuple[str, ...]) -> str | None:
    """sha256 over the named source files of the package (paths relative to it), None if one is
    missing or unreadable."""
    digest = hashlib.sha256()
    for name in sources:
        try:
            with open(os.path.join(_PACKAGE, name), "rb") as handle:
                digest.update(name.encode() + b"\0" + handle.read() + b"\0")
        except OSError:
            return None
    return digest.hexdigest()


# --- following an address -------------------------------------------------------------------------


def _named(name: str) -> Any:
    module, _, qualname = name.partition(":")
    found: Any = sys.modules.get(module)
    if found is None:
        import importlib

        found = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    return found


def follow(address: Address) -> Any:
    found = _named(address[0])
    for kind, key in address[1:]:
        if kind == "field":
            found = found.__pydantic_fields__[key]
        elif kind == "attr":
            found = getattr(found, key)
        elif kind == "metadata":
            found = found.metadata[key]
        elif kind == "arg":
            found = typing.get_args(found)[key]
        elif kind == "item":
            found = found[key]
        else:
            raise LookupError(f"unknown step {kind!r}")
    return found


# --- run time -------------------------------------------------------------------------------------


def install() -> bool:
    """Give Profile (and each model a default of it builds) the prebuilt validator, unless
    pydantic has built them or the prebuilt schemas are not for this source and these versions;
    True when installed."""
    from pydantic_core import SchemaValidator

    if os.environ.get("PYDANTIC_DISABLE_PLUGINS") not in ("__all__", "1", "true"):
        return False  # plugins may want to observe the validators: pydantic's own path
    built = _current()
    if built is None:
        return False
    try:
        models = [_named(name) for name in built.MODELS]
        if any(isinstance(model.__pydantic_validator__, SchemaValidator) for model in models):
            return False  # built already (by pydantic or by an earlier call)
        schemas = built.schemas([follow(address) for address in built.ADDRESSES])
    except (AttributeError, ImportError, LookupError, TypeError):
        return False
    for model, (schema, config) in zip(models, schemas, strict=True):
        model.__pydantic_validator__ = SchemaValidator(schema, config)
    return True


def _current() -> Any:
    """The generated module, if it was generated from these sources with these versions."""
    try:
        from ciconf.profile import _core_schema as built
    except ImportError:
        return None
    if versions() != built.VERSIONS or sources_digest(built.SOURCES) != built.DIGEST:
        return None
    return built


# --- build time -----------------------------------------------------------------------------------


def prebuilt_models() -> list[str]:
    """Profile, then every model class that a field's default_factory is (pydantic calls it, and
    so builds that model's validator, while it validates a profile) and CONSTRUCTED."""
    from pydantic import BaseModel

    names = [ROOT_MODEL, *CONSTRUCTED]
    for value in _reachable([(ROOT_MODEL,)]):
        factory = getattr(value, "default_factory", None)
        if isinstance(factory, type) and issubclass(factory, BaseModel):
            name = _qualified(factory)
            if name is None:
                raise LookupError(f"{factory!r}: a default factory without a module-level name")
            if name not in names:
                names.append(name)
    return [names[0], *sorted(names[1:])]


def live_schema(name: str) -> tuple[dict, dict]:
    """The model's core schema as pydantic builds it (see `comparable`), and its core config."""
    from pydantic._internal._config import ConfigWrapper

    from ciconf.profile.plugins import plugins_disabled

    model = _named(name)
    with plugins_disabled():
        model.model_rebuild(force=True)
    config = ConfigWrapper(model.model_config, check=False).core_config(title=model.__name__)
    return comparable(model.__pydantic_core_schema__), dict(config)


_REF_KEYS = ("ref", "schema_ref")


def comparable(schema: dict) -> dict:
    """`schema` without "metadata" and with references named without the id() pydantic appends
    to them (`module.Model:140234...`), which differs from one process to the next."""
    renamed: dict[str, str] = {}

    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                key: _stable(item, renamed) if key in _REF_KEYS else plain(item)
                for key, item in value.items()
                if key != "metadata"
            }
        if isinstance(value, list):
            return [plain(item) for item in value]
        return value

    return typing.cast(dict, plain(schema))


def _stable(ref: str, renamed: dict[str, str]) -> str:
    name, colon, number = ref.rpartition(":")
    stable = name if colon and number.isdigit() else ref
    if renamed.setdefault(stable, ref) != ref:
        raise ValueError(f"two references would both be named {stable!r}")
    return stable


def _edges(value: Any) -> Iterator[tuple[Step, Any]]:
    """The steps from `value` to the objects pydantic builds a schema from."""
    from pydantic import BaseModel
    from pydantic.fields import FieldInfo

    if isinstance(value, type) and issubclass(value, BaseModel):
        for name in value.__pydantic_fields__:
            yield ("field", name), value.__pydantic_fields__[name]
        yield ("attr", "__pydantic_decorators__"), value.__pydantic_decorators__
    elif isinstance(value, FieldInfo):
        yield ("attr", "annotation"), value.annotation
        yield ("attr", "default_factory"), value.default_factory
        for index, item in enumerate(value.metadata):
            yield ("metadata", index), item
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield ("attr", field.name), getattr(value, field.name)
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str):
                yield ("item", key), item
    elif not isinstance(value, _PLAIN):
        for index, item in enumerate(typing.get_args(value)):
            yield ("arg", index), item


def _reachable(roots: list[Address]) -> dict[Any, Address]:
    """Every object reachable from `roots` by `_edges`, with its shortest address."""
    found: dict[Any, Address] = {}
    seen: set[int] = set()
    queue = [(address, follow(address)) for address in roots]
    while queue:
        address, value = queue.pop(0)
        if id(value) in seen:
            continue
        seen.add(id(value))
        with contextlib.suppress(TypeError):  # an unhashable value is only a way through
            found.setdefault(value, address)
        queue += [((*address, step), item) for step, item in _edges(value)]
    return found


def _objects(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _objects(item)
    elif isinstance(value, list):
        for item in value:
            yield from _objects(item)
    elif not isinstance(value, _PLAIN):
        yield value


def _qualified(value: Any) -> str | None:
    name = f"{getattr(value, '__module__', '')}:{getattr(value, '__qualname__', '')}"
    if "<" in name or not name.strip(":"):
        return None
    try:
        return name if _named(name) is value else None
    except (AttributeError, ImportError):
        return None


def addresses(schemas: list[dict]) -> list[Address]:
    """An address for every object in `schemas`, in order of first appearance."""
    roots: list[Address] = []
    order: list[Any] = []
    for value in _objects(schemas):
        if value not in order:
            order.append(value)
    for value in order:
        name = _qualified(value)
        if name and isinstance(value, type):
            roots.append((name,))
    reachable = _reachable(roots)
    result = []
    for value in order:
        name = _qualified(value)
        address = (name,) if name else reachable.get(value)
        if address is None:
            raise LookupError(f"no address for {value!r} in the profile's core schema")
        result.append(address)
    return result


def _source(value: Any, index: dict[Any, int]) -> str:
    if isinstance(value, dict):
        items = ", ".join(
            f"{_source(key, index)}: {_source(item, index)}" for key, item in value.items()
        )
        return "{" + items + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_source(item, index) for item in value) + "]"
    if isinstance(value, float) and not math.isfinite(value):
        return f"float({str(value)!r})"
    if isinstance(value, _PLAIN):
        return repr(value)
    return f"objects[{index[value]}]"


def model_sources() -> tuple[str, ...]:
    """The package's source files that the models are built from: every ciconf module loaded
    once ciconf.profile.models is imported (called first thing in a fresh interpreter)."""
    import ciconf.profile.models  # noqa: F401 - what it loads is the answer

    ours = (__name__, f"{__package__}._core_schema")
    paths = [
        getattr(module, "__file__", None)
        for name, module in sorted(sys.modules.items())
        if name.split(".")[0] == "ciconf" and name not in ours
    ]
    return tuple(sorted(os.path.relpath(path, _PACKAGE) for path in paths if path))


def in_fresh_interpreter(function: str) -> str:
    """What `function` of this module prints in a new interpreter. A core schema depends on
    which models are built already (a built one is reused), so it is taken where none is, as in
    a `ciconf` run."""
    import subprocess

    code = f"from ciconf.profile.prebuilt import {function}; print({function}(), end='')"
    env = {**os.environ, "PYTHONPATH": os.path.dirname(_PACKAGE)}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=os.path.dirname(_PACKAGE),  # `-c` imports from the working folder first
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def generated_text() -> str:
    """The text of ciconf/profile/_core_schema.py for the current models and versions."""
    return in_fresh_interpreter("_generated_text")


def mismatches() -> str:
    """The models whose prebuilt schema differs from a fresh build by pydantic, one a line."""
    return in_fresh_interpreter("_mismatches")


def _mismatches() -> str:
    from ciconf.profile import _core_schema as built

    schemas = built.schemas([follow(address) for address in built.ADDRESSES])
    return "\n".join(
        name
        for name, schema in zip(built.MODELS, schemas, strict=True)
        if schema != live_schema(name)
    )


def _generated_text() -> str:
    sources = model_sources()
    models = prebuilt_models()
    built = [live_schema(name) for name in models]
    found = addresses([schema for schema, _ in built])
    index = {follow(address): number for number, address in enumerate(found)}
    lines = [
        '"""Generated by ciconf.profile.prebuilt.generated_text(); do not edit.',
        "",
        "tests/acceptance/test_prebuilt_schema.py rewrites it with CICONF_UPDATE_GOLDEN=1.",
        '"""',
        "",
        "# ruff: noqa",
        "# fmt: off",
        f"VERSIONS = {versions()!r}",
        f"SOURCES = {sources!r}",
        f"DIGEST = {sources_digest(sources)!r}",
        f"MODELS = {tuple(models)!r}",
        "ADDRESSES = (",
        *(f"    {address!r}," for address in found),
        ")",
        "",
        "",
        "def schemas(objects: list) -> list[tuple[dict, dict]]:",
        "    return [",
        *(
            f"        ({_source(schema, index)}, {_source(config, index)}),"
            for schema, config in built
        ),
        "    ]",
        "",
    ]
    return "\n".join(lines)
