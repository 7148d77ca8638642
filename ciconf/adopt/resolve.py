"""An existing CircleCI config with everything a profile cannot refer to spelled out.

A profile has no `commands:`, `executors:`, job parameters or pipeline parameters, so the
importer works on jobs where those are already substituted, the way CircleCI compiles the config
(https://circleci.com/docs/reusing-config/): a named executor becomes its keys, a command of the
config becomes its steps, `<< parameters.x >>` becomes the value the workflow entry gives (or the
parameter's default), `<< pipeline.parameters.x >>` the pipeline parameter's default, and a step
`when`/`unless` whose condition is then a literal keeps or loses its steps. What cannot be decided
this way is returned as a note, never silently lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ciconf.errors import InputError

MAX_DEPTH = 20  # commands calling commands
PARAMETER = re.compile(r"<<\s*parameters\.([A-Za-z_][A-Za-z0-9_-]*)\s*>>")
PIPELINE_PARAMETER = re.compile(r"<<\s*pipeline\.parameters\.([A-Za-z_][A-Za-z0-9_-]*)\s*>>")
# keys of a workflow job entry that are not parameters of the job
ENTRY_KEYS = {
    "requires",
    "filters",
    "context",
    "name",
    "type",
    "matrix",
    "serial-group",
    "when",
    "unless",
    "pre-steps",
    "post-steps",
    "override-with",
    "max_auto_reruns",
}
EXECUTOR_KEYS = ("docker", "machine", "macos", "resource_class", "working_directory", "shell")


@dataclass
class Job:
    """One job as it runs: executor keys, steps, and notes on what was substituted."""

    definition: str  # the `jobs:` key (or `alias/job` for an orb's job)
    body: dict  # docker/machine/resource_class/environment/working_directory/parallelism/...
    steps: list
    parameters: dict  # for an orb's job: the entry's parameters
    notes: list[str] = field(default_factory=list)

    @property
    def orb_job(self) -> bool:
        return "/" in self.definition


@dataclass
class Resolver:
    data: dict
    source: str
    notes: list[str] = field(default_factory=list)

    @property
    def commands(self) -> dict:
        return _mapping(self.data.get("commands"))

    @property
    def executors(self) -> dict:
        return _mapping(self.data.get("executors"))

    def pipeline_defaults(self) -> dict:
        found = {}
        for name, spec in _mapping(self.data.get("parameters")).items():
            if isinstance(spec, dict) and "default" in spec:
                found[str(name)] = spec["default"]
        return found

    def fill_pipeline(self, value: Any) -> Any:
        """`value` with pipeline parameters replaced by their defaults."""
        return self._fill(value, {}, [])

    def job(self, definition: str, entry: dict) -> Job:
        """The job `definition` as the workflow entry `entry` runs it."""
        notes: list[str] = []
        if "/" in definition and definition not in _mapping(self.data.get("jobs")):
            parameters = {k: v for k, v in entry.items() if k not in ENTRY_KEYS}
            return Job(definition, {}, [], self._fill(parameters, {}, notes), notes)
        spec = _mapping(self.data.get("jobs")).get(definition)
        if not isinstance(spec, dict):
            raise InputError(
                self.source, f"the workflows run job {definition!r}, which jobs: does not define"
            )
        values = self._parameter_values(spec.get("parameters"), entry)
        body = {k: v for k, v in spec.items() if k not in ("steps", "parameters", "executor")}
        if "executor" in spec:
            executor = self._fill(spec["executor"], values, notes)
            body = {**self._executor(executor, notes), **body}
        steps = [
            *_as_list(entry.get("pre-steps")),
            *_as_list(spec.get("steps")),
            *_as_list(entry.get("post-steps")),
        ]
        body = self._fill(body, values, notes)
        steps = self._steps(steps, values, notes, 0)
        return Job(definition, body, steps, {}, notes)

    def _executor(self, executor: Any, notes: list[str]) -> dict:
        if isinstance(executor, dict):  # {name: js, version: "20"}
            name, arguments = (
                executor.get("name"),
                {k: v for k, v in executor.items() if k != "name"},
            )
        else:
            name, arguments = executor, {}
        if not isinstance(name, str):
            return {}
        spec = self.executors.get(name)
        if not isinstance(spec, dict):
            notes.append(f"executor {name!r} comes from an orb; replaced by cimg/base:stable")
            return {"docker": [{"image": "cimg/base:stable"}]}
        values = self._parameter_values(spec.get("parameters"), arguments or {})
        body = {k: v for k, v in spec.items() if k != "parameters"}
        return self._fill(body, values, notes)

    def _parameter_values(self, declared: Any, given: dict) -> dict:
        values = {}
        for name, spec in _mapping(declared).items():
            if name in given:
                values[str(name)] = given[name]
            elif isinstance(spec, dict) and "default" in spec:
                values[str(name)] = spec["default"]
        return values

    def _steps(self, steps: list, values: dict, notes: list[str], depth: int) -> list:
        if depth > MAX_DEPTH:
            raise InputError(self.source, "commands call each other more than 20 deep (a cycle?)")
        result: list = []
        for item in steps:
            if isinstance(item, str) and PARAMETER.fullmatch(item.strip()):
                # a `steps` parameter: its steps go here
                name = PARAMETER.fullmatch(item.strip()).group(1)  # type: ignore[union-attr]
                result += self._steps(_as_list(values.get(name)), {}, notes, depth + 1)
                continue
            name, arguments = (item, {}) if isinstance(item, str) else _one(item)
            if name in ("when", "unless") and isinstance(arguments, dict):
                result += self._conditional(name, arguments, values, notes, depth)
                continue
            if isinstance(name, str) and name in self.commands:
                spec = self.commands[name]
                inner = self._parameter_values(
                    spec.get("parameters") if isinstance(spec, dict) else None,
                    self._fill(arguments or {}, values, notes)
                    if isinstance(arguments, dict)
                    else {},
                )
                steps_of = _as_list(spec.get("steps")) if isinstance(spec, dict) else []
                result += self._steps(steps_of, inner, notes, depth + 1)
                continue
            result.append(self._fill(item, values, notes))
        return result

    def _conditional(
        self, kind: str, spec: dict, values: dict, notes: list[str], depth: int
    ) -> list:
        condition = self._fill(spec.get("condition"), values, notes)
        truth = _literal_truth(condition)
        if truth is None:
            notes.append(
                f"a `{kind}` step's condition {condition!r} depends on pipeline values; "
                "its steps are kept and always run"
            )
            truth = kind == "when"
        if truth == (kind == "when"):
            return self._steps(_as_list(spec.get("steps")), values, notes, depth + 1)
        return []

    def _fill(self, value: Any, values: dict, notes: list[str]) -> Any:
        defaults = self.pipeline_defaults()

        def text(item: str) -> Any:
            whole = PARAMETER.fullmatch(item.strip()) or PIPELINE_PARAMETER.fullmatch(item.strip())
            if whole:  # a whole value keeps its type (a boolean parameter stays a boolean)
                table = values if whole.re is PARAMETER else defaults
                if whole.group(1) in table:
                    return table[whole.group(1)]
            item = PARAMETER.sub(lambda m: _text(values.get(m.group(1), m.group(0))), item)
            return PIPELINE_PARAMETER.sub(
                lambda m: _text(defaults.get(m.group(1), m.group(0))), item
            )

        def walk(item: Any) -> Any:
            if isinstance(item, str):
                return text(item)
            if isinstance(item, list):
                return [walk(inner) for inner in item]
            if isinstance(item, dict):
                return {key: walk(inner) for key, inner in item.items()}
            return item

        return walk(value)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _literal_truth(condition: Any) -> bool | None:  # noqa: PLR0911 - one return per condition form
    """A condition already reduced to literals: its truth; None when it still needs a value."""
    if isinstance(condition, bool):
        return condition
    if condition is None:
        return False
    if isinstance(condition, (int, float)):
        return condition != 0
    if isinstance(condition, str):
        return None if "<<" in condition else condition != ""
    if isinstance(condition, dict) and len(condition) == 1:
        operator, operand = next(iter(condition.items()))
        if operator == "equal" and isinstance(operand, list):
            if any(isinstance(x, str) and "<<" in x for x in operand):
                return None
            return all(x == operand[0] for x in operand)
        if operator == "not":
            inner = _literal_truth(operand)
            return None if inner is None else not inner
        if operator in ("and", "or") and isinstance(operand, list):
            parts = [_literal_truth(x) for x in operand]
            if None in parts:
                return None
            return all(parts) if operator == "and" else any(parts)
    return None


def _mapping(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _one(item: Any) -> tuple[Any, Any]:
    if isinstance(item, dict) and len(item) == 1:
        key, value = next(iter(item.items()))
        return key, ({} if value is None else value)
    return None, None
