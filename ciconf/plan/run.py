"""`ciconf plan`: read a profile or a config, plan one push, print it; the exit code."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ciconf.defaults import DEFAULT_PROFILE
from ciconf.errors import InputError, closest, shown
from ciconf.exitcodes import INPUT_ERROR, OK

if TYPE_CHECKING:
    from ciconf.plan.model import PipelinePlan

FORMATS = ("text", "json", "mermaid")


def parse_params(params: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in params:
        key, equals, value = item.partition("=")
        if not equals or not key:
            raise InputError(
                "--param", f"{shown(item)} is not KEY=VALUE", expected="for example deploy=true"
            )
        if key in found:
            raise InputError("--param", f"{shown(key)} is given twice")
        found[key] = value
    return found


@dataclass(frozen=True)
class PlanRequest:
    """What `ciconf plan` is asked: which config (a PROFILE, rendered, or a --config FILE) and
    which run (a push of `branch` or `tag`; with `schedule` a scheduled pipeline, with `api` an API
    trigger), with `params` (KEY=VALUE) for the pipeline's parameters."""

    profile: str | None
    config: str | None
    branch: str | None
    tag: str | None
    params: Sequence[str] = ()
    schedule: str | None = None
    api: bool = False


def build_plan(request: PlanRequest) -> PipelinePlan:
    """The plan for the arguments of `ciconf plan` (InputError on bad input)."""
    from ciconf.plan.compute import declared_parameters, plan_config
    from ciconf.plan.values import build_values, check_ref, check_run
    from ciconf.yamlkit.load import load_file, load_text

    profile, config, branch, tag = request.profile, request.config, request.branch, request.tag
    if (branch is None) == (tag is None):
        raise InputError("ciconf plan", "give exactly one of --branch NAME or --tag NAME")
    if profile is not None and config is not None:
        raise InputError("ciconf plan", "give either a PROFILE or --config FILE, not both")
    push = check_ref("branch", branch) if branch is not None else check_ref("tag", tag or "")
    push = check_run(push, request.schedule, request.api)
    wanted = parse_params(request.params)
    model = None
    if config is not None:
        doc = load_file(config, allow_duplicates=True)  # CircleCI accepts them: the last one wins
    else:
        from ciconf.plan.profile import rendered

        path = profile or DEFAULT_PROFILE
        model, text = rendered(path)
        doc = load_text(text, f"{path} (rendered)")
    values = build_values(push, declared_parameters(doc), wanted, doc.source)
    plan = plan_config(doc, values)
    if model is not None:
        from ciconf.plan.profile import deliveries

        plan.deliveries = deliveries(model, plan)
    return plan


def format_plan(plan: PipelinePlan, fmt: str) -> str:
    if fmt == "json":
        text = json.dumps(plan.as_json(), indent=2, ensure_ascii=False) + "\n"
        # non-printable characters (controls, bidi, U+2028/9) can only be inside strings: \u-escaped
        return text if text.replace("\n", "").isprintable() else _json_escaped(text)
    if fmt == "mermaid":
        from ciconf.plan.mermaid import format_mermaid

        return format_mermaid(plan)
    from ciconf.plan.text import format_text

    return format_text(plan)


def _json_escaped(text: str) -> str:
    return "".join(
        char if char.isprintable() or char == "\n" else json.dumps(char)[1:-1] for char in text
    )


def plan_command(request: PlanRequest, fmt: str = "text") -> int:
    """Print the plan for one push; 0 when computed, 2 on bad input (message on stderr)."""
    try:
        if fmt not in FORMATS:
            raise InputError(
                "--format",
                f"unknown format {shown(fmt)}",
                expected=" or ".join(FORMATS),
                suggestion=closest(fmt, FORMATS),
            )
        plan = build_plan(request)
        output = format_plan(plan, fmt)
        from ciconf.plan.caps import output_problem

        problem = output_problem(len(output))
        if problem:
            raise InputError(request.config or request.profile or DEFAULT_PROFILE, problem)
    except InputError as error:
        print(f"ciconf: error: {error}", file=sys.stderr)
        return INPUT_ERROR
    sys.stdout.write(output)
    return OK
