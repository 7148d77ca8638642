"""What `ciconf render`, `check`, `schema` and `cfn` do once their arguments are parsed.

Kept apart from the typer app so that the fast entry point (ciconf/entry.py) can run them without
importing typer. Heavy modules are imported inside the functions: importing this module is free.
Each action returns its exit code; an InputError propagates to the caller.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from ciconf.defaults import (
    CONFIG_MAX_BYTES,
    DEFAULT_CONFIG,
    DEFAULT_PROFILE,
    DEFAULT_STACKS_DIR,
    PROFILE_MAX_BYTES,
)
from ciconf.exitcodes import FINDINGS as DRIFT
from ciconf.exitcodes import INPUT_ERROR, OK

# `typing` is not imported at run time: a cached `check` needs nothing else from it (~2 ms);
# importing the stacks costs the pydantic models: only `cfn` pays for it
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO

    from ciconf.cloudformation.stacks import CfnRequest

_QUIET = [False]  # -q/--quiet of the command running: `info` lines are not printed


def say(message: str) -> None:
    print(message, file=sys.stderr)


def info(message: str) -> None:
    """A line saying what went well ('wrote', 'up to date', 'in sync'), silenced by -q."""
    if not _QUIET[0]:
        say(message)


def set_quiet(on: bool) -> None:
    _QUIET[0] = on


def input_error(error: Exception) -> int:
    """Report a bad input on one line; the exit code for it."""
    say(f"ciconf: error: {error}")
    return INPUT_ERROR


def profile_path(profile: Path | None) -> str:
    """The profile given, else ./ciconf.yaml, else the nearest parent folder's ciconf.yaml (as
    ruff and black find their configuration): ciconf then works from that folder, so every
    default path (.circleci/config.yml, cloudformation/) is where a run there would put it."""
    if profile is not None:
        return str(profile)
    found = discover(Path.cwd())
    if found is not None and found != Path.cwd():
        import os

        os.chdir(found)
    return DEFAULT_PROFILE


def discover(start: Path) -> Path | None:
    """The nearest folder from `start` upwards holding ciconf.yaml; the search stops at the
    repository's root (a folder with .git), as a profile outside the repository is not its own."""
    for folder in (start, *start.parents):
        if (folder / DEFAULT_PROFILE).is_file():
            return folder
        if (folder / ".git").exists():
            return None
    return None


def usage(message: str) -> int:
    """A usage error found after parsing (both front ends print it the same way)."""
    say(f"ciconf: error: {message}")
    return INPUT_ERROR


def read_profile(path: str) -> bytes:
    """The profile's bytes, read once: the cache key and the render both use exactly these."""
    from ciconf.fsutil import read_regular

    return read_regular(path, PROFILE_MAX_BYTES)


def generated_files(
    raw: bytes, path: str, config: str | None, stacks_dir: str | None = None
) -> list[tuple[str | None, str]]:
    """Every file the profile generates, as (target path, text), rendered from `raw`: the CircleCI
    config, then (with `stacks_dir`) every CloudFormation stack of every account, so that one
    `check` keeps them all in step with the profile and one `render` rewrites them together."""
    from ciconf.circleci.render import render_config
    from ciconf.profile.load import parse_profile_document
    from ciconf.yamlkit.load import decode

    doc, profile = parse_profile_document(decode(path, raw), path)
    # the header's regenerate command names a stacks folder other than the default one
    moved = stacks_dir if stacks_dir not in (None, DEFAULT_STACKS_DIR) else None
    files: list[tuple[str | None, str]] = [(config, render_config(profile, path, config, moved))]
    if stacks_dir is not None:
        from ciconf.cloudformation.stacks import all_stacks
        from ciconf.profile.derive import plan

        files += all_stacks(doc, plan(profile), stacks_dir)
    return files


def cache_entry(
    raw: bytes, path: str, config: str, stacks_dir: str = DEFAULT_STACKS_DIR
) -> str | None:
    """The cache key of rendering `raw` with these options (both commands key the same way).

    It covers the inputs, not the outputs; the paths and digests of every generated file are
    what is stored under it."""
    from ciconf import cache

    return cache.key(raw, path, [config, stacks_dir])


def remember(entry: str | None, files: list[tuple[str | None, str]]) -> None:
    from ciconf import cache

    cache.store(
        entry,
        [(str(target), cache.text_digest(text)) for target, text in files if target is not None],
    )


def render(  # noqa: PLR0913, PLR0917 - one parameter per command-line option
    profile: Path | None,
    output: Path | None,
    stdout: bool,
    exit_nonzero_on_change: bool = False,
    stacks_dir: Path = Path(DEFAULT_STACKS_DIR),
    quiet: bool = False,
    prune: bool = False,
    force: bool = False,
) -> int:
    """Write the config and every stack rendered from `profile` (or print the config); files
    already up to date are left untouched. With `prune`, remove the stacks generated from this
    profile that it no longer produces.

    With `exit_nonzero_on_change`, DRIFT when the file was rewritten (pre-commit then stops the
    commit so the new config can be staged)."""
    from ciconf.fsutil import refuse_special

    if stdout and output is not None:
        return usage("give either -o/--output or --stdout, not both")
    set_quiet(quiet)
    path = profile_path(profile)
    raw = read_profile(path)
    target = None if stdout else str(output or DEFAULT_CONFIG)
    if target is not None:
        refuse_special(target, hint="use --stdout to print the config")
    files = generated_files(raw, path, target, None if stdout else str(stacks_dir))
    if target is not None and not force and hand_written(target):
        return usage(
            f"{target}: {NOT_GENERATED}"
        )  # after the profile's own errors; a hand-written config is not ours
    if stdout:
        for _, text in files:
            sys.stdout.write(text)
        return OK
    for file_target, _ in files[1:]:
        refuse_special(str(file_target))  # before anything is written
    written = write_changed([(str(file_target), text) for file_target, text in files])
    note_s3_deploys(files[1:])
    remember(cache_entry(raw, path, str(target), str(stacks_dir)), files)
    stale = stale_stacks(path, str(stacks_dir), [str(name) for name, _ in files])
    for name in stale:
        if prune:
            Path(name).unlink()
            info(f"ciconf: removed {name} (no longer generated from {path})")
        else:
            say(f"ciconf: {name} is no longer generated from {path}; `--prune` removes it")
    changed = written or (prune and stale)
    return DRIFT if changed and exit_nonzero_on_change else OK


def note_s3_deploys(stacks: list[tuple[str | None, str]]) -> None:
    """Say which stacks `aws cloudformation deploy` takes only with --s3-bucket."""
    from ciconf.cloudformation.quotas import deploy_note

    for target, text in stacks:
        note = deploy_note(target, text)
        if note:
            say(note)


NOT_GENERATED = "this config was not generated by ciconf; `ciconf import` it, or pass `--force`"
GENERATED_MARK = "# Generated by ciconf from "  # the first line of ciconf.circleci.render.header
HEADER_BYTES = 4096


def hand_written(target: str) -> bool:
    """True when `target` holds a config that does not start with ciconf's header (an empty or
    missing file is nobody's work)."""
    import os

    if not os.path.isfile(target):
        return False
    with open(target, "rb") as handle:
        start = handle.read(HEADER_BYTES).decode("utf-8", errors="replace")
    if not start.strip():
        return False
    first = next((line for line in start.splitlines() if line.strip()), "")
    return not first.startswith(GENERATED_MARK)


def write_if_changed(target: str, text: str) -> bool:
    """Write `text` atomically unless the file already holds it; True when written."""
    return bool(write_changed([(target, text)]))


def write_changed(files: list[tuple[str, str]]) -> list[str]:
    """Write the files that do not already hold their text, all of them or none; their paths."""
    from ciconf.errors import InputError
    from ciconf.fsutil import holds, refuse_special, write_all_or_none

    changed = []
    for target, text in files:
        refuse_special(target)
        if holds(target, text):
            info(f"ciconf: {target} is up to date")
        else:
            changed.append((target, text))
    try:
        write_all_or_none(changed)
    except OSError as error:
        where = error.filename or (changed[0][0] if changed else "")
        raise InputError(str(where), f"cannot write: {error.strerror or error}") from None
    for target, _ in changed:
        info(f"ciconf: wrote {target}")
    return [target for target, _ in changed]


def _digest_of(path: str) -> str | None:
    """sha256 of a regular file's bytes, None when it is missing, special or too big."""
    from ciconf import cache
    from ciconf.errors import InputError
    from ciconf.fsutil import read_regular

    try:
        return cache.bytes_digest(read_regular(path, CONFIG_MAX_BYTES))
    except InputError:
        return None


def check(
    profile: Path | None,
    config: Path,
    color: str = "auto",
    stacks_dir: Path = Path(DEFAULT_STACKS_DIR),
    quiet: bool = False,
) -> int:
    """DRIFT with a diff on stdout when `config` or a stack differs from what `profile` renders;
    never writes."""
    from ciconf import cache
    from ciconf.fsutil import refuse_special

    set_quiet(quiet)

    path, target = profile_path(profile), str(config)
    raw = read_profile(path)
    refuse_special(target)  # a FIFO or device is an input error whatever the cache says
    entry = cache_entry(raw, path, target, str(stacks_dir))
    known = cache.lookup(entry)
    fix = regenerate_command(path, target, str(stacks_dir))
    if cache.matches(known, _digest_of):
        if _report_stale(path, str(stacks_dir), [name for name, _ in known or ()], fix):
            return DRIFT
        info(in_sync(target, path, len(known or ())))  # same inputs, same bytes as last render
        return OK
    files = generated_files(raw, path, target, str(stacks_dir))
    remember(entry, files)
    drifted = [_drifted(path, str(file_target), text, color, fix) for file_target, text in files]
    stale = _report_stale(path, str(stacks_dir), [str(name) for name, _ in files], fix)
    if any(drifted) or stale:
        return DRIFT
    info(in_sync(target, path, len(files)))
    return OK


def stale_stacks(path: str, stacks_dir: str, produced: list[str]) -> list[str]:
    """Stacks in `stacks_dir` that ciconf generated from this profile (their header says so) and
    that it no longer produces: an account removed or renamed leaves them behind."""
    import os

    from ciconf.fsutil import generated_from

    wanted = {os.path.abspath(name) for name in produced}
    return [
        name for name in generated_from(stacks_dir, path) if os.path.abspath(name) not in wanted
    ]


def _report_stale(path: str, stacks_dir: str, produced: list[str], fix: str) -> bool:
    stale = stale_stacks(path, stacks_dir, produced)
    for name in stale:
        say(
            f"ciconf: {name} was generated from {path}, which no longer produces it; "
            f"run `{fix} --prune` to remove it"
        )
    return bool(stale)


def in_sync(config: str, path: str, count: int) -> str:
    stacks = count - 1
    if stacks <= 0:
        return f"ciconf: {config} is in sync with {path}"
    return (
        f"ciconf: {config} and {stacks} CloudFormation stack{'s' if stacks > 1 else ''} are "
        f"in sync with {path}"
    )


def regenerate_command(path: str, config: str, stacks_dir: str) -> str:
    """The `ciconf render` that rewrites every generated file where `check` looked for it."""
    command = f"ciconf render {path}"
    if config != DEFAULT_CONFIG:
        command += f" -o {config}"
    if stacks_dir != DEFAULT_STACKS_DIR:
        command += f" --stacks-dir {stacks_dir}"
    return command


PRE_COMMIT_FIX = "pre-commit run ciconf-render --all-files"


def fix_hint(fix: str) -> str:
    return f"run `{fix}` (with the pre-commit hooks only: `{PRE_COMMIT_FIX}`)"


def _drifted(path: str, target: str, expected: str, color: str, fix: str) -> bool:
    """Report `target` when it differs from `expected` (a diff on stdout); True if it does.

    The message is the same with or without the cache: whether the profile or the file changed,
    the cure is the profile, so it names the profile key behind the first changed line too."""
    import os

    from ciconf.fsutil import holds, read_regular

    if not os.path.lexists(target):
        say(f"ciconf: {target} does not exist; {fix_hint(fix)}")
        return True
    if holds(target, expected):
        return False
    import difflib

    # whatever is there (even binary) is shown as a diff
    actual = read_regular(target, CONFIG_MAX_BYTES).decode("utf-8", errors="replace")
    diff = difflib.unified_diff(
        actual.splitlines(keepends=True),
        expected.splitlines(keepends=True),
        fromfile=f"{target} (committed)",
        tofile=f"{target} (rendered from {path})",
    )
    paint = painter(color, sys.stdout)
    lines = list(diff)
    sys.stdout.writelines(paint(_visible(line)) for line in lines)
    say(f"ciconf: {target} has drifted from {path}; {fix_hint(fix)}")
    if actual.startswith("# Generated by ciconf"):
        from ciconf.drift import profile_key

        key = profile_key(actual.splitlines(), lines)
        say(
            f"ciconf: if you edited {target} by hand, the edit will be lost at the next render: "
            f"change {key} in {path} instead"
        )
    return True


_COLORS = {"+": "\x1b[32m", "-": "\x1b[31m", "@": "\x1b[36m"}
_BOLD, _RESET = "\x1b[1m", "\x1b[0m"


# C0/C1 controls of a committed file shown as \xNN (as the diff always has); the rest of what
# printable() escapes (bidi controls, U+2028/9) it escapes as \uXXXX
_CONTROL = {
    code: f"\\x{code:02x}"
    for code in [*range(0x20), 0x7F, *range(0x80, 0xA0)]
    if chr(code) not in "\t\n"
}


def _visible(line: str) -> str:
    """Control characters, bidi controls and U+2028/9 of a committed file are shown escaped, never
    sent to the terminal (escape sequences, lines that read differently); tabs stay."""
    from ciconf.errors import printable

    body = line[:-1] if line.endswith("\n") else line
    return printable(body.translate(_CONTROL), keep="\t") + line[len(body) :]


def use_color(choice: str, stream: TextIO) -> bool:
    """--color always/never; auto: a terminal, unless NO_COLOR is set (https://no-color.org)."""
    import os

    if choice in ("always", "never"):
        return choice == "always"
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def painter(choice: str, stream: TextIO) -> Callable[[str], str]:
    """A function that colours one diff line (identity when colour is off)."""
    if not use_color(choice, stream):
        return lambda line: line

    def paint(line: str) -> str:
        body = line.rstrip("\n")
        start = _BOLD if line.startswith(("+++", "---")) else _COLORS.get(line[:1])
        return f"{start}{body}{_RESET}{line[len(body) :]}" if start and body else line

    return paint


def plan(  # noqa: PLR0913, PLR0917 - one parameter per command-line option
    profile: Path | None,
    config: Path | None,
    branch: str | None,
    tag: str | None,
    fmt: str = "text",
    param: list[str] | None = None,
    schedule: str | None = None,
    api: bool = False,
) -> int:
    """What runs for one push or trigger (ciconf/plan/run.py); a given config is planned as it
    is, found in no parent folder."""
    from ciconf.plan.run import PlanRequest, plan_command

    chosen = None if config is not None and profile is None else profile_path(profile)
    given = None if config is None else str(config)
    return plan_command(PlanRequest(chosen, given, branch, tag, param or [], schedule, api), fmt)


def schema(output: Path | None) -> int:
    """Print the profile's JSON Schema, or write it (atomically) to `output`."""
    from ciconf.profile.schema import profile_schema_text

    text = profile_schema_text()
    if output is None:
        sys.stdout.write(text)
    else:
        write_if_changed(str(output), text)
    return OK


def cfn(profile: Path | None, request: CfnRequest) -> int:
    """Write (or print) one account's stack, or every stack of every account (--all)."""
    from ciconf.cloudformation import stacks
    from ciconf.profile.derive import plan as derive_plan
    from ciconf.profile.load import load_profile_document

    path = profile_path(profile)
    doc, loaded = load_profile_document(path)
    plan = derive_plan(loaded)
    rendered = stacks.cfn_outputs(doc, plan, request)
    for target, text in rendered:  # everything is rendered before anything is written
        if target is None:
            sys.stdout.write(text)
        else:
            write_if_changed(target, text)
    note_s3_deploys(rendered)
    for skipped in (a for a in plan.accounts if request.every and a.pipeline is None):
        say(
            f"ciconf: account {skipped.name} has no pipeline section; no pipeline stack "
            "was written for it"
        )
    return OK
