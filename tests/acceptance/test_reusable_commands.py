"""Reusable `commands:`: steps with typed parameters, declared once and used as
`{command: name, parameters: {...}}` in test-job hooks and custom jobs, rendered as CircleCI's own
`commands:` (https://circleci.com/docs/reusing-config/#authoring-reusable-commands). Every
`<< parameters.NAME >>` names a declared parameter, and every value passed is checked against
its type and a grammar the shell reads as one plain word.
"""

from __future__ import annotations

import pytest
import yaml
from conftest import ROOT, planned_runs

from ciconf.circleci.render import render_config
from ciconf.errors import InputError
from ciconf.lint.schema import circleci_validator
from ciconf.profile.load import parse_profile

EXAMPLE = ROOT / "profiles" / "examples" / "reusable-commands.yaml"

COMMANDS = """\
project: ship
commands:
  deps:
    parameters:
      dir: {type: string, default: .}
      retries: {type: integer, default: 2}
      mode: {type: enum, enum: [ci, install]}
      quiet: {type: boolean, default: false}
    steps:
      - run: npm << parameters.mode >> -C << parameters.dir >> -r << parameters.retries >>
"""


def profile_with(use: str, command_steps: str = "") -> str:
    return (
        COMMANDS
        + command_steps
        + "test:\n  image: cimg/node:20.11\n  command: npm test\n  steps:\n    before_test:\n"
        + f"      - {use}\n"
    )


def rendered(text: str) -> dict:
    return yaml.safe_load(render_config(parse_profile(text, "p.yaml"), "p.yaml"))


def test_the_command_is_declared_once_and_invoked_with_its_parameters():
    data = rendered(profile_with("{command: deps, parameters: {mode: ci, dir: web, quiet: true}}"))
    assert data["commands"]["deps"] == {
        "parameters": {
            "dir": {"type": "string", "default": "."},
            "retries": {"type": "integer", "default": 2},
            "mode": {"type": "enum", "enum": ["ci", "install"]},
            "quiet": {"type": "boolean", "default": False},
        },
        "steps": [
            {"run": "npm << parameters.mode >> -C << parameters.dir >> -r << parameters.retries >>"}
        ],
    }
    assert {"deps": {"mode": "ci", "dir": "web", "quiet": True}} in data["jobs"]["test"]["steps"]
    errors = list(circleci_validator().iter_errors(data))
    assert errors == [], [error.message for error in errors]


@pytest.mark.parametrize(
    ("use", "says"),
    [
        ("{command: dep, parameters: {mode: ci}}", "unknown command 'dep'; did you mean 'deps'?"),
        ("{command: deps}", "'deps' needs parameter 'mode' (it has no default)"),
        ("{command: deps, parameters: {mode: ci, dirs: web}}", "did you mean 'dir'?"),
        ("{command: deps, parameters: {mode: add}}", "expected one of ci, install, got 'add'"),
        ("{command: deps, parameters: {mode: ci, retries: '3'}}", "expected a whole number"),
        ("{command: deps, parameters: {mode: ci, quiet: 1}}", "expected true or false"),
        (
            "{command: deps, parameters: {mode: ci, dir: 'web; curl x | sh'}}",
            "no spaces, quotes or $",
        ),
        ("{command: deps, parameters: {mode: ci, dir: $HOME}}", "no spaces, quotes or $"),
    ],
)
def test_an_invocation_that_does_not_fit_the_declaration_is_refused_at_its_line(use, says):
    with pytest.raises(InputError) as error:
        parse_profile(profile_with(use), "p.yaml")
    text = str(error.value)
    assert text.startswith("p.yaml:16:"), text
    assert "test.steps.before_test[0]" in text and says in text, text


def test_an_undeclared_parameter_in_the_steps_is_refused_with_the_declared_one():
    text = COMMANDS.replace("-C << parameters.dir >>", "-C << parameters.dri >>")
    with pytest.raises(InputError) as error:
        parse_profile(text + "test: {image: cimg/node:20.11, command: npm test}\n", "p.yaml")
    message = str(error.value)
    assert message.startswith("p.yaml:10:14: commands.deps.steps[0].run: "), message
    assert "<< parameters.dri >> is not a parameter of this command" in message
    assert "did you mean 'dir'?" in message


def test_outside_a_command_a_parameter_reference_is_still_refused():
    text = profile_with("run: echo << parameters.dir >>")
    with pytest.raises(InputError, match="CircleCI reads '<< … >>' as a pipeline value"):
        parse_profile(text, "p.yaml")


def test_a_command_cannot_use_another_command():
    text = COMMANDS + "  again:\n    steps: [{command: deps, parameters: {mode: ci}}]\n"
    with pytest.raises(InputError, match="a command's steps cannot use another command"):
        parse_profile(text + "test: {image: cimg/node:20.11, command: npm test}\n", "p.yaml")


@pytest.mark.parametrize(
    ("declaration", "says"),
    [
        ("  Deps:\n    steps: [make]\n", "CircleCI's rule for commands"),
        ("  checkout:\n    steps: [make]\n", "is CircleCI's own step"),
        ("  lint:\n    parameters: {Dir: {type: string}}\n    steps: [make]\n", "for parameters"),
        ("  lint:\n    parameters: {d: {type: enum}}\n    steps: [make]\n", "lists its values"),
        ("  lint:\n    parameters: {d: {type: integer, default: x}}\n    steps: [make]\n", "whole"),
    ],
)
def test_names_and_declarations_follow_circleci_rules(declaration, says):
    text = COMMANDS + declaration + "test: {image: cimg/node:20.11, command: npm test}\n"
    with pytest.raises(InputError, match=says):
        parse_profile(text, "p.yaml")


def test_the_example_runs_its_commands_in_test_and_custom_jobs():
    data = yaml.safe_load(render_config(parse_profile(EXAMPLE.read_text(), "e.yaml"), "e.yaml"))
    assert set(data["commands"]) == {"npm-install", "audit"}
    assert "npm-install" in data["jobs"]["api"]["steps"]  # no parameters: the plain name
    assert {"npm-install": {"dir": "web"}} in data["jobs"]["storybook"]["steps"]
    for branch, on_main in (("feature/x", False), ("main", True)):
        assert planned_runs(EXAMPLE, branch) == {
            "api": True,
            "web": True,
            "delivery_stg": on_main,
            "storybook": True,
        }
