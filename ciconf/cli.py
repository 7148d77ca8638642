"""Command line: the one definition of every command, option and help text (typer).

Exit codes follow black and ruff: 0 ok, 1 drift or findings, 2 usage or input error.
Commands declared with `@runs(action)` have no body of their own: they call `action` with their
parameters. That is what lets ciconf/entry.py run their plain invocations without importing
typer (whose start-up builds a pydantic adapter per option): entry.py parses with a table that
`fast_spec()` reads off this app, and a test keeps the table equal to it.
"""

from __future__ import annotations

import functools
import importlib
import sys
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from ciconf import actions
from ciconf.actions import DEFAULT_CONFIG, DEFAULT_PROFILE, DEFAULT_STACKS_DIR, INPUT_ERROR, OK
from ciconf.errors import InputError

app = typer.Typer(
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Render and check an anchored .circleci/config.yml and its AWS pipeline from one profile.",
)

# options with a fixed set of values: validated here and by the fast entry point alike
CHOICES = {"color": ("auto", "always", "never"), "format": ("text", "json")}
# command name -> "module:function" it runs; the commands entry.py may run without typer
ACTIONS: dict[str, str] = {}


def _choice(name: str) -> Callable[[str], str]:
    allowed = CHOICES[name]

    def validate(value: str) -> str:
        if value not in allowed:
            raise typer.BadParameter(
                f"invalid choice: {value!r} (choose from {', '.join(allowed)})"
            )
        return value

    return validate


def action(reference: str) -> Callable[..., int]:
    module, _, name = reference.partition(":")
    return getattr(importlib.import_module(module), name)


def _finish(code: int) -> None:
    """End a command with `code`; typer exits 0 when a command returns."""
    if code != OK:
        raise typer.Exit(code)


def runs(reference: str, **settings: Any) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Declare a command (name, parameters, help) whose body is `reference(**parameters)`."""

    def declare(function: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(function)
        def body(**parameters: Any) -> None:
            _finish(action(reference)(**parameters))

        ACTIONS[function.__name__] = reference
        app.command(**settings)(body)
        return function

    return declare


def _version(value: bool) -> None:
    if value:
        import ciconf

        typer.echo(f"ciconf {ciconf.__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(
        False,
        "--version",
        help="Print ciconf's version and exit.",
        callback=_version,
        is_eager=True,
    ),
) -> None:
    pass


def _stacks_dir_option() -> Any:
    return typer.Option(
        Path(DEFAULT_STACKS_DIR),
        "--stacks-dir",
        help="Folder of the CloudFormation stacks generated from the profile (see `ciconf cfn`).",
    )


def _quiet_option() -> Any:
    return typer.Option(
        False, "-q", "--quiet", help="Print only problems: no 'wrote', 'up to date', 'in sync'."
    )


def _profile_argument() -> Any:
    return typer.Argument(
        None,
        metavar="PROFILE",
        help=f"Profile to read (default: {DEFAULT_PROFILE} here or in the nearest parent folder).",
        show_default=False,
    )


@runs(
    "ciconf.actions:render",
    short_help="Write the config and stacks rendered from a profile.",
)
def render(  # noqa: PLR0913, PLR0917 - typer: one parameter per option
    profile: Path | None = _profile_argument(),
    output: Path | None = typer.Option(
        None, "-o", "--output", help=f"Where to write the config (default: {DEFAULT_CONFIG})."
    ),
    stdout: bool = typer.Option(False, "--stdout", help="Print the config instead of writing it."),
    exit_nonzero_on_change: bool = typer.Option(
        False,
        "--exit-nonzero-on-change",
        help="Exit 1 when the config was rewritten (for pre-commit: the commit stops so you "
        "can stage it).",
    ),
    stacks_dir: Path = _stacks_dir_option(),
    quiet: bool = _quiet_option(),
    prune: bool = typer.Option(
        False,
        "--prune",
        help="Remove the stacks generated from PROFILE that it no longer produces (an account "
        "removed or renamed); `check` reports them.",
    ),
    force: bool = typer.Option(
        False, "--force", help="Replace a config that ciconf did not generate (a hand-written one)."
    ),
) -> None:
    """Write the CircleCI config and every CloudFormation stack rendered from PROFILE (all of them
    or none; files already up to date are left untouched). --stdout prints the config only."""


@runs(
    "ciconf.actions:check",
    short_help="Exit 1 with a diff when a generated file has drifted.",
)
def check(
    profile: Path | None = _profile_argument(),
    config: Path = typer.Option(
        Path(DEFAULT_CONFIG),
        "-o",
        "--output",
        "--config",
        help="The generated config to compare, where `render -o` wrote it "
        "(--config: the old spelling, kept for existing hooks).",
    ),
    color: str = typer.Option(
        "auto",
        "--color",
        metavar="[auto|always|never]",
        callback=_choice("color"),
        help="Colour the diff: auto (on a terminal, unless NO_COLOR is set), always or never.",
    ),
    stacks_dir: Path = _stacks_dir_option(),
    quiet: bool = _quiet_option(),
) -> None:
    """Exit 1 with a diff when CONFIG or a CloudFormation stack in --stacks-dir differs from what
    PROFILE renders; never writes."""


@runs(
    "ciconf.lint.cli:lint",
    short_help="Lint CircleCI configs and ciconf profiles; exit 1 on findings.",
)
def lint(  # noqa: PLR0913, PLR0917 - typer: one parameter per option
    paths: list[str] | None = typer.Argument(
        None,
        metavar="PATH",
        help="Files to lint (default: .circleci/config.yml).",
        show_default=False,
    ),
    profile: bool = typer.Option(False, "--profile", help="Read every PATH as a ciconf profile."),
    format: str = typer.Option(
        "text",
        "--format",
        metavar="[text|json]",
        callback=_choice("format"),
        help="text: path:line:col: RULE message; json: a list of objects.",
    ),
    list_rules: bool = typer.Option(False, "--list-rules", help="List the rules and exit."),
    select: str | None = typer.Option(
        None, "--select", help="Only these rules: codes or prefixes, comma-separated (CC1,CP001)."
    ),
    ignore: str | None = typer.Option(
        None,
        "--ignore",
        help="Not these rules (codes or prefixes); one line: a `# ciconf: ignore[CC302]` comment.",
    ),
) -> None:
    """Check CircleCI configs against CircleCI's official schema and the rules of --list-rules, and
    ciconf profiles against the profile models. Never writes. A file is read as a profile with
    --profile, when it is named ciconf.yaml, ciconf.yml, *.ciconf.yaml or *.ciconf.yml, or when it
    sits in a folder named profiles; any other file is read as a CircleCI config."""


@runs(
    "ciconf.actions:schema",
    short_help="Print the profile's JSON Schema, or write it with -o.",
)
def schema(
    output: Path | None = typer.Option(
        None,
        "-o",
        "--output",
        help="Write the schema to this file (atomically) instead of printing it.",
    ),
) -> None:
    """Print the profile's JSON Schema, or write it to OUTPUT for the editor modeline
    `# yaml-language-server: $schema=<path to OUTPUT>` (see README)."""


@app.command(short_help="Write the CloudFormation pipeline stack of one account, or of all.")
def cfn(  # noqa: PLR0913, PLR0917 - typer: one parameter per option
    profile: Path | None = _profile_argument(),
    account: str | None = typer.Option(None, "--account", help="Account whose stack to write."),
    stack: str = typer.Option(
        "pipeline",
        "--stack",
        help="With --account: pipeline (default), bootstrap (ECR repositories, deploy role) or "
        "environment (VPC, load balancer, ECS services).",
    ),
    output: Path | None = typer.Option(
        None,
        "-o",
        "--output",
        help="Where to write it (default: cloudformation/<stack name>.yaml).",
    ),
    stdout: bool = typer.Option(
        False, "--stdout", help="Print the template instead of writing it."
    ),
    every: bool = typer.Option(
        False,
        "--all",
        help="Write every stack of every account (bootstrap, environment, pipeline).",
    ),
    directory: Path | None = typer.Option(
        None,
        "--stacks-dir",
        "--dir",
        help="With --all: the folder to write to (default: cloudformation; --dir: the old "
        "spelling).",
    ),
) -> None:
    """Write CloudFormation stacks: an account's bootstrap (ECR, deploy role), environment (VPC,
    load
    balancer, ECS services) or pipeline (ECR -> CodeBuild -> ECS)."""
    if every == (account is not None):
        _usage("give either --account NAME or --all")
    if every and (output is not None or stdout):
        _usage(
            "--all writes one file per account into --stacks-dir; -o and --stdout need --account"
        )
    if not every and directory is not None:
        _usage("--stacks-dir goes with --all; use -o with --account")
    if output is not None and stdout:
        _usage("give -o or --stdout, not both")
    if stack not in ("pipeline", "bootstrap", "environment"):
        _usage(f"--stack is pipeline, bootstrap or environment, not {stack!r}")
    if every and stack != "pipeline":
        _usage("--all writes every stack; --stack goes with --account")
    from ciconf.cloudformation.stacks import CfnRequest

    request = CfnRequest(
        account=None if every else (account or ""),
        stack=stack,
        output=None if output is None else str(output),
        stdout=stdout,
        directory=None if directory is None or not every else str(directory),
    )
    _finish(actions.cfn(profile, request))


@runs(
    "ciconf.actions:plan",
    short_help="Show which workflows and jobs run for a branch or tag push.",
)
def plan(  # noqa: PLR0913, PLR0917 - typer: one parameter per option
    profile: Path | None = _profile_argument(),
    config: Path | None = typer.Option(
        None,
        "--config",
        help="Plan this CircleCI config (any, hand-written too) instead of a profile.",
    ),
    branch: str | None = typer.Option(None, "--branch", help="The pushed branch."),
    tag: str | None = typer.Option(None, "--tag", help="The pushed tag."),
    fmt: str = typer.Option(
        "text", "--format", metavar="[text|json|mermaid]", help="text, json or mermaid."
    ),
    param: list[str] = typer.Option(
        [], "--param", help="KEY=VALUE: a pipeline parameter or value (repeatable)."
    ),
    schedule: str | None = typer.Option(
        None, "--schedule", help="Plan a scheduled pipeline of this name instead of a push."
    ),
    api: bool = typer.Option(
        False, "--api", help="Plan an API (or web app) trigger instead of a push."
    ),
) -> None:
    """Show which workflows and jobs run for a branch or tag push, and why the others do not."""


@app.command("import", short_help="Turn an existing CircleCI config into a profile, and prove it.")
def import_config(  # noqa: PLR0913, PLR0917 - typer: one parameter per option
    config: Path | None = typer.Argument(
        None,
        metavar="CONFIG",
        help=f"Config to import (default: {DEFAULT_CONFIG}).",
        show_default=False,
    ),
    output: Path | None = typer.Option(
        None, "-o", "--output", help=f"Where to write the profile (default: {DEFAULT_PROFILE})."
    ),
    stdout: bool = typer.Option(False, "--stdout", help="Print the profile instead of writing it."),
    report: Path | None = typer.Option(
        None, "--report", help="Also write the report to this file."
    ),
    fmt: str = typer.Option(
        "text", "--format", metavar="[text|json]", help="Report as text or json."
    ),
    check: bool = typer.Option(
        False, "--check", help="Only compare the plans of CONFIG and of the profile as it is now."
    ),
    force: bool = typer.Option(False, "--force", help="Replace an existing profile."),
) -> None:
    """Write a profile holding everything CONFIG does (what no profile field expresses goes,
    verbatim, into custom jobs and steps), report where each element went, and prove that the
    profile's config runs the same jobs for every branch and tag the filters name; exit 1 when it
    does not."""
    from ciconf.adopt.run import ImportOptions, import_command

    _finish(import_command(ImportOptions(config, output, stdout, report, fmt, check, force)))


@app.command(short_help="Scaffold a profile from the repository's files.")
def init(
    account: list[str] = typer.Option(
        [],
        "--account",
        metavar="NAME:BRANCH",
        help="An AWS account delivering from a branch (repeatable).",
    ),
    region: str = typer.Option("us-east-1", "--region", help="AWS region of the deliveries."),
    credentials: str = typer.Option(
        "context",
        "--credentials",
        metavar="[context|oidc|env-indirection]",
        help="How deliveries get AWS credentials (oidc: edit the role_arn it writes).",
    ),
    output: Path = typer.Option(
        Path(DEFAULT_PROFILE), "-o", "--output", help="Where to write the profile."
    ),
    force: bool = typer.Option(False, "--force", help="Replace an existing profile."),
) -> None:
    """Write ciconf.yaml for this repository without asking: lockfiles decide the image, cache,
    install and test commands; each Dockerfile becomes an image; compose services become service
    containers with a wait."""
    from ciconf.adopt.init import init_command

    _finish(init_command(account, region, credentials, output, force))


def _usage(message: str) -> None:
    raise typer.Exit(actions.usage(message))


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code instead of exiting."""
    try:
        app(args=argv, prog_name="ciconf")  # click's standalone mode always ends in SystemExit
    except SystemExit as done:
        code = done.code
        return code if isinstance(code, int) else (OK if code is None else INPUT_ERROR)
    except InputError as error:
        return actions.input_error(error)
    except KeyboardInterrupt:
        actions.say("ciconf: interrupted")
        return 130
    return OK


# --- the table ciconf/entry.py parses with
# ----------------------------------------------------------


def fast_spec() -> dict[str, dict[str, Any]]:
    """For each `@runs` command: its action and parameters, as entry.SPEC spells them."""
    group = typer.main.get_command(app)
    spec = {}
    for name, reference in sorted(ACTIONS.items()):
        command = group.commands[name]  # type: ignore[attr-defined]
        hints = typing.get_type_hints(sys.modules[__name__].__dict__[name])
        params = [
            _param_spec(param, hints[param.name])
            for param in command.params
            if param.name != "help"
        ]
        spec[name] = {"action": reference, "params": params}
    return spec


def _param_spec(param: Any, hint: Any) -> dict[str, Any]:
    kind = (
        "argument" if param.param_type_name == "argument" else "flag" if param.is_flag else "option"
    )
    default = list(param.default) if isinstance(param.default, (list, tuple)) else param.default
    return {
        "name": param.name,
        "kind": kind,
        "opts": [] if kind == "argument" else sorted(param.opts),
        "many": (kind == "argument" and param.nargs == -1) or bool(getattr(param, "multiple", 0)),
        "path": Path in (hint, *typing.get_args(hint)),
        "default": str(default) if isinstance(default, Path) else default,
        "choices": list(CHOICES[param.name]) if param.name in CHOICES else None,
    }


def spec_source() -> str:
    """fast_spec() as the Python source of entry.SPEC, one parameter per line."""
    lines = ["SPEC: dict[str, dict[str, Any]] = {"]
    for name, command in fast_spec().items():
        lines += [
            f"    {name!r}: {{",
            f"        'action': {command['action']!r},",
            "        'params': [",
        ]
        lines += [f"            {param!r}," for param in command["params"]]
        lines += ["        ],", "    },"]
    return "\n".join([*lines, "}"]) + "\n"


def write_spec(entry_path: str) -> None:
    """Rewrite the SPEC block of ciconf/entry.py from this app."""
    with open(entry_path, encoding="utf-8") as handle:
        text = handle.read()
    start, end = text.index("SPEC: dict"), text.index("# END SPEC")
    with open(entry_path, "w", encoding="utf-8") as handle:
        handle.write(text[:start] + spec_source() + text[end:])
