"""Matrix jobs: one workflow entry with `matrix:` becomes one job per combination of parameters.

https://circleci.com/docs/using-matrix-jobs/ and .../configuration-reference/#matrix :
without `name`, each job is named `<job>-<value>-<value>...` with the values in the order of
the parameter *names* (`test` with os: [docker], node-version: ["14.17.6"] runs as
`test-14.17.6-docker`); a `name` template fills in `<< matrix.x >>`; `exclude` drops the listed
combinations; `alias` (default: the job's name) names all of them for `requires`. Strings in the
entry (`requires: [build-<< matrix.v >>]`) are filled per combination too.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from ciconf.errors import shown
from ciconf.plan.values import fill, render_scalar
from ciconf.plan.where import Where

MAX_COMBINATIONS = 1000


@dataclass(frozen=True)
class Instance:
    name: str
    options: dict  # the entry's options with matrix values filled in
    group: str | None  # the matrix alias; None for a job without a matrix


def expand(job: str, options: dict, where: Where) -> list[Instance]:
    matrix = options.get("matrix")
    if matrix is None:
        name = options.get("name", job)
        return [Instance(render_scalar(name), options, None)]
    where = where.at("matrix")
    if (
        not isinstance(matrix, dict)
        or not isinstance(matrix.get("parameters"), dict)
        or not matrix["parameters"]
    ):
        raise where.error("a matrix needs parameters:", expected="parameters: {name: [values...]}")
    parameters = matrix["parameters"]
    for key, choices in parameters.items():
        if not isinstance(choices, list) or not choices:
            raise where.at("parameters", key).error(
                f"matrix parameter values must be a non-empty list, got {shown(choices)}"
            )
    keys = sorted(parameters, key=str)
    count = 1
    for key in keys:
        count *= len(parameters[key])
    if count > MAX_COMBINATIONS:
        raise where.error(
            f"the matrix has {count} combinations; ciconf plans at most {MAX_COMBINATIONS}"
        )
    excluded = _excluded(matrix.get("exclude"), where.at("exclude"))
    alias = render_scalar(matrix.get("alias", job))
    instances = []
    for combination in itertools.product(*(parameters[key] for key in keys)):
        chosen = dict(zip(keys, combination, strict=True))
        if _key(chosen) in excluded:
            continue
        filled = _fill_options(options, chosen)
        if "name" in options:
            name = render_scalar(filled["name"])
        else:
            name = "-".join([job] + [render_scalar(value) for value in combination])
        instances.append(Instance(name, filled, alias))
    return instances


def _key(chosen: dict) -> tuple:
    return tuple(sorted((str(key), render_scalar(value)) for key, value in chosen.items()))


def _excluded(exclude: Any, where: Where) -> set[tuple]:
    if exclude is None:
        return set()
    if not isinstance(exclude, list) or not all(isinstance(item, dict) for item in exclude):
        raise where.error("exclude takes a list of parameter mappings")
    return {_key(item) for item in exclude}


def _fill_options(options: dict, chosen: dict) -> dict:
    def lookup(name: str) -> Any:
        if name.startswith("matrix.") and name[len("matrix.") :] in chosen:
            return chosen[name[len("matrix.") :]]
        raise KeyError(name)

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return fill(value, lookup)
        if isinstance(value, list):
            return [walk(item) for item in value]
        if isinstance(value, dict):
            return {key: walk(item) for key, item in value.items() if key != "matrix"}
        return value

    return walk(options)
