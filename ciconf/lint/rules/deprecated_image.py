"""CC301: a legacy `circleci/` convenience image, deprecated on 2021-12-31 and no longer updated.

Only the legacy language and database images are flagged; other images under `circleci/`
(the CLI's own image, for one) are still maintained.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ciconf.lint.context import LintContext
from ciconf.lint.findings import Finding
from ciconf.lint.rule import Rule

ID = "CC301"

# legacy image -> its successor
SUCCESSORS = {
    "android": "cimg/android",
    "buildpack-deps": "cimg/base",
    "clojure": "cimg/clojure",
    "dynamodb": "amazon/dynamodb-local",
    "elixir": "cimg/elixir",
    "golang": "cimg/go",
    "jruby": "cimg/ruby",
    "mariadb": "cimg/mariadb",
    "mongo": "the official mongo image",
    "mysql": "cimg/mysql",
    "node": "cimg/node",
    "openjdk": "cimg/openjdk",
    "php": "cimg/php",
    "postgres": "cimg/postgres",
    "python": "cimg/python",
    "redis": "cimg/redis",
    "ruby": "cimg/ruby",
    "rust": "cimg/rust",
}


def check(ctx: LintContext) -> Iterator[Finding]:
    if "circleci/" not in ctx.text:
        return
    for path in sorted(_image_values(ctx), key=lambda path: _position(ctx, path)):
        image = ctx.value_at(path)
        name = image.removeprefix("circleci/").split(":", 1)[0].split("@", 1)[0]
        if name in SUCCESSORS:
            yield ctx.finding(
                ID,
                ctx.doc.value_marks[path],
                f"{image} is a legacy CircleCI image, deprecated since 2021-12-31 and no longer "
                f"updated; use {SUCCESSORS[name]}",
            )


def _position(ctx: LintContext, path: tuple) -> tuple[int, int]:
    mark = ctx.doc.value_marks[path]
    return mark.line, mark.column


def _image_values(ctx: LintContext) -> set[tuple]:
    """Where each `circleci/` image used in a `docker:` list is written, once.

    The loaded config is walked as CircleCI sees it (aliases and merge keys expanded), keeping
    for each value the path where it is written: an anchored collection is written at its
    anchor, a key that came through a merge key is written in the merged anchor. So an image in
    an anchor under `references:` or top-level `anchors:`, aliased into a job's `docker:` list
    (as the list, as one image, or merged into one), is found where it is written. The walk
    visits each expanded value once per use, which the loader bounds (MAX_NODES).
    """
    anchored = _anchored(ctx)
    merges = _merge_sources(ctx)
    found: set[tuple] = set()
    stack: list[tuple[Any, tuple | None, bool]] = [(ctx.data, (), False)]
    while stack:
        value, written, docker_item = stack.pop()
        if isinstance(value, (dict, list)) and id(value) in anchored:
            written = anchored[id(value)]
        if isinstance(value, dict):
            for key, item in value.items():
                where = _written_at(ctx, merges, written, key)
                if (
                    docker_item
                    and key == "image"
                    and isinstance(item, str)
                    and item.startswith("circleci/")
                ) and where is not None:
                    found.add(where)
                if key == "docker" and isinstance(item, list):
                    base = anchored.get(
                        id(item), where
                    )  # an anchored list: its items are written there
                    stack.extend(
                        (element, _child(base, index), True) for index, element in enumerate(item)
                    )
                elif isinstance(item, (dict, list)):
                    stack.append((item, where, False))
        elif isinstance(value, list):
            stack.extend((item, _child(written, index), False) for index, item in enumerate(value))
    return found


def _child(written: tuple | None, index: int) -> tuple | None:
    return None if written is None else (*written, index)


def _written_at(
    ctx: LintContext, merges: dict[tuple, list[tuple]], written: tuple | None, key: Any
) -> tuple | None:
    """The written path of `key` of the mapping written at `written`: there, or in the first
    merged anchor that has it (explicit keys win over merged ones, earlier merges over later)."""
    if written is None:
        return None
    here = (*written, key)
    if here in ctx.doc.value_marks:
        return here
    for source in merges.get(written, ()):
        there = (*source, key)
        if there in ctx.doc.value_marks:
            return there
    return None


def _is_merge_key(part: Any) -> bool:
    """The loader's marker for `<<` (a quoted '<<' is a plain string key)."""
    return not isinstance(part, str) and repr(part) == "<<"


def _anchored(ctx: LintContext) -> dict[int, tuple]:
    """id of each anchored collection -> the path where it is written."""
    found = {}
    for path in ctx.doc.anchor_paths.values():
        value = ctx.value_at(path)
        if isinstance(value, (dict, list)):
            found[id(value)] = path
    return found


def _merge_sources(ctx: LintContext) -> dict[tuple, list[tuple]]:
    """Written path of a mapping -> the anchor paths merged into it with `<<`, in order."""
    found: dict[tuple, list[tuple]] = {}
    for name, used_at in ctx.doc.alias_paths:
        cut = next((index for index, part in enumerate(used_at) if _is_merge_key(part)), None)
        if cut is not None and name in ctx.doc.anchor_paths:
            found.setdefault(tuple(used_at[:cut]), []).append(ctx.doc.anchor_paths[name])
    return found


RULE = Rule(
    ID,
    "deprecated-image",
    "a legacy circleci/ convenience image (deprecated, no longer updated)",
    check,
)
