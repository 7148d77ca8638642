"""Data flows one way: profile -> shell -> circleci -> cloudformation -> lint -> plan -> adopt ->
cli.

No package imports from a later stage; the foundations (errors, exitcodes, defaults, yamlkit,
fsutil, cache, javaregex, drift) import no stage at all. This test reads every module's imports
and fails on a reach back up the flow.
"""

from __future__ import annotations

import ast

from conftest import ROOT

FOUNDATIONS = {
    "errors",
    "exitcodes",
    "defaults",
    "yamlkit",
    "fsutil",
    "cache",
    "javaregex",
    "drift",
}
STAGES = ["profile", "shell", "circleci", "cloudformation", "lint", "plan", "adopt"]
FRONT = {"actions", "entry", "cli", "__main__", "__init__"}


def imported_parts(path) -> set[str]:
    """The top-level ciconf parts a module imports (ciconf.X...)."""
    parts = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            pieces = name.split(".")
            if pieces[0] == "ciconf" and len(pieces) > 1:
                parts.add(pieces[1])
    return parts


def allowed(part: str) -> set[str]:
    if part in FOUNDATIONS:
        return FOUNDATIONS
    if part in STAGES:
        return FOUNDATIONS | set(STAGES[: STAGES.index(part) + 1])
    return FOUNDATIONS | set(STAGES) | FRONT


def test_no_module_reaches_back_up_the_flow():
    package = ROOT / "ciconf"
    problems = []
    for path in sorted(package.rglob("*.py")):
        part = path.relative_to(package).parts[0].removesuffix(".py")
        for target in imported_parts(path) - allowed(part):
            problems.append(f"{path.relative_to(ROOT)} imports ciconf.{target}")
    assert problems == []


def test_the_check_detects_a_backward_import(tmp_path):
    module = tmp_path / "bad.py"
    module.write_text("from ciconf.circleci.render import render_config\n")
    assert imported_parts(module) - allowed("profile") == {"circleci"}
