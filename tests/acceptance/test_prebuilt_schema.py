"""The profile's validators come from a core schema generated at build time
(ciconf/profile/prebuilt.py), and give exactly the answers pydantic's own build gives.

CICONF_UPDATE_GOLDEN=1 rewrites ciconf/profile/_core_schema.py after a change to the models.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PROFILES, ROOT, cli_env, every_valid_profile

from ciconf.profile import prebuilt

ARTIFACT = Path(prebuilt.ARTIFACT)

# The module is generated for one Python and pydantic version; under others it is not used (a
# fresh venv may get a newer pydantic than the one it was generated with).
_RECORDED = __import__("ciconf.profile._core_schema", fromlist=["VERSIONS"]).VERSIONS
generated_for_these_versions = pytest.mark.skipif(
    prebuilt.versions() != _RECORDED,
    reason=f"the module was generated for {_RECORDED}, this venv has {prebuilt.versions()}: "
    "pydantic builds the validators itself (test_the_generated_module_is_current checks it)",
)

# Loads each profile (argv[2:]) in a fresh interpreter; argv[1] "prebuilt" or "pydantic" says
# which validator to use. Prints, per profile, the profile or the error text, then what the run
# cost: core schemas pydantic generated, and whether importlib.metadata was imported.
LOAD = """
import json, sys
from pydantic._internal import _generate_schema
generated = []
original = _generate_schema.GenerateSchema.generate_schema
def counting(self, *args, **kwargs):
    generated.append(1)
    return original(self, *args, **kwargs)
_generate_schema.GenerateSchema.generate_schema = counting
from ciconf.profile import prebuilt
if sys.argv[1] == "pydantic":
    prebuilt._current = lambda: None
from ciconf.errors import InputError
from ciconf.profile.load import load_profile
answers = []
for path in sys.argv[2:]:
    try:
        answers.append(repr(load_profile(path)))
    except InputError as error:
        answers.append("error: " + str(error))
print(json.dumps({"answers": answers, "generated": len(generated),
                  "metadata": "importlib.metadata" in sys.modules}))
"""


def load(how: str, paths: list[Path], env: dict[str, str] | None = None, cwd: Path = ROOT) -> dict:
    """The LOAD script's report, run in `cwd` (`-c` imports from there first)."""
    done = subprocess.run(
        [sys.executable, "-c", LOAD, how, *map(str, paths)],
        cwd=cwd,
        env=env or cli_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_generated_module_is_current():
    """The committed module is what the models and installed versions generate today. Under
    other pydantic or Python versions than the recorded ones (a newer release in a fresh venv) it
    is never used, and its model sources must still be the committed ones."""
    from ciconf.profile import _core_schema as built

    if os.environ.get("CICONF_UPDATE_GOLDEN") == "1":
        ARTIFACT.write_text(prebuilt.generated_text(), encoding="utf-8")
    stale = (
        "ciconf/profile/_core_schema.py is stale (the models or pydantic changed); rerun with "
        "CICONF_UPDATE_GOLDEN=1 to regenerate it (until then pydantic builds the validators)"
    )
    assert prebuilt.sources_digest(built.SOURCES) == built.DIGEST, stale
    if prebuilt.versions() != built.VERSIONS:
        assert prebuilt._current() is None  # pydantic builds the validators itself
        return
    assert ARTIFACT.read_text(encoding="utf-8") == prebuilt.generated_text(), stale


@generated_for_these_versions
def test_the_prebuilt_schemas_are_the_ones_pydantic_builds():
    """Followed addresses give the very objects, so the dicts compare equal to a fresh build
    (in a new interpreter, where no model is built yet)."""
    from ciconf.profile import _core_schema as built

    assert built.MODELS[0] == prebuilt.ROOT_MODEL
    assert len(built.schemas([prebuilt.follow(a) for a in built.ADDRESSES])) == len(built.MODELS)
    assert prebuilt.mismatches() == ""


def invalid_profiles(folder: Path) -> list[Path]:
    """Profiles each with several mistakes: unknown keys, wrong types, a bad mode."""
    text = (PROFILES / "ci-cd-example.yaml").read_text(encoding="utf-8")
    variants = {
        "typo": text.replace("accounts:", "acounts:", 1),
        "types": text.replace("project: ", "project: [", 1).replace("\n", "]\n", 1)
        + "extra_key: 1\n",
        "mode": text.replace("mode: ", "mode: odic-", 1),
        "list": "- just\n- a list\n",
    }
    paths = []
    for name, variant in variants.items():
        path = folder / f"{name}.yaml"
        path.write_text(variant, encoding="utf-8")
        paths.append(path)
    return paths


@generated_for_these_versions
def test_same_answers_as_pydantics_own_validators(tmp_path):
    """Every valid profile loads to the same value, every invalid one fails with the same
    message, with the prebuilt validators and with pydantic's; and the prebuilt run generates no
    core schema and never imports importlib.metadata (pydantic's plugin loader)."""
    paths = every_valid_profile() + invalid_profiles(tmp_path)
    fast, slow = load("prebuilt", paths), load("pydantic", paths)
    assert fast["answers"] == slow["answers"]
    assert sum(answer.startswith("error: ") for answer in fast["answers"]) == 4
    assert (fast["generated"], fast["metadata"]) == (0, False)
    assert slow["generated"] > 0  # the comparison is with pydantic's own build


def test_a_users_plugin_setting_gets_pydantics_own_build():
    """PYDANTIC_DISABLE_PLUGINS naming one plugin: others may observe validators, so pydantic
    builds them as it always does."""
    env = {**cli_env(), "PYDANTIC_DISABLE_PLUGINS": "some-plugin"}
    ran = load("prebuilt", [PROFILES / "ci-cd-example.yaml"], env)
    assert ran["generated"] > 0


@pytest.fixture
def package_copy(tmp_path):
    """A copy of the package whose sources a test may edit."""
    shutil.copytree(
        ROOT / "ciconf", tmp_path / "ciconf", ignore=shutil.ignore_patterns("__pycache__")
    )
    env = {**cli_env(), "PYTHONPATH": str(tmp_path)}
    return tmp_path / "ciconf", env


def test_an_edited_model_is_never_validated_by_the_stale_schema(package_copy, tmp_path):
    """After an edit to a model source (here: unknown keys allowed) the generated module no longer
    matches its recorded digest, so the edited models answer, not the old schema."""
    package, env = package_copy
    models = package / "profile" / "models.py"
    source = models.read_text(encoding="utf-8")
    assert source.count('extra="forbid"') == 1
    models.write_text(source.replace('extra="forbid"', 'extra="ignore"'), encoding="utf-8")
    profile = tmp_path / "extra.yaml"
    profile.write_text(
        (PROFILES / "ci-cd-example.yaml").read_text(encoding="utf-8") + "surprise: 1\n",
        encoding="utf-8",
    )
    ran = load("prebuilt", [profile], env, cwd=package.parent)
    assert not ran["answers"][0].startswith("error: "), ran["answers"][0]
    assert ran["generated"] > 0
    original = load("prebuilt", [profile])  # the unedited package refuses the key
    assert "unknown key 'surprise'" in original["answers"][0]


@generated_for_these_versions
def test_a_cold_check_builds_no_schema_and_skips_the_plugin_loader(tmp_path):
    """`ciconf check` with an empty cache, the way pre-commit runs it after a profile edit."""
    shutil.copyfile(PROFILES / "ci-cd-example.yaml", tmp_path / "ciconf.yaml")
    env = {**cli_env(), "CICONF_NO_CACHE": "1"}
    render = subprocess.run(
        [sys.executable, "-m", "ciconf", "render", "-q"], cwd=tmp_path, env=env, timeout=120
    )
    assert render.returncode == 0
    probe = (
        "import sys\n"
        "from ciconf.entry import main\n"
        "code = main(['check'])\n"
        "print(code, 'importlib.metadata' in sys.modules, "
        "'pydantic.plugin._loader' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout.split() == ["0", "False", "False"], done.stderr
    assert "in sync" in done.stderr
