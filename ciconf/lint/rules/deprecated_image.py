"""CC301: a legacy `circleci/` convenience image, deprecated on 2021-12-31 and no longer updated.

Only the legacy language and database images are flagged; other images under `circleci/`
(the CLI's own image, for one) are still maintained.
"""

from __future__ import annotations

from typing import Iterator

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
    for path, mark in ctx.written():
        if len(path) < 3 or path[-1] != "image" or path[-3] != "docker":
            continue
        image = ctx.value_at(path)
        if not isinstance(image, str) or not image.startswith("circleci/"):
            continue
        name = image.removeprefix("circleci/").split(":", 1)[0].split("@", 1)[0]
        if name in SUCCESSORS:
            yield ctx.finding(
                ID,
                mark,
                f"{image} is a legacy CircleCI image, deprecated since 2021-12-31 and no longer "
                f"updated; use {SUCCESSORS[name]}",
            )


RULE = Rule(ID, "deprecated-image", "a legacy circleci/ convenience image (deprecated, no longer updated)", check)
