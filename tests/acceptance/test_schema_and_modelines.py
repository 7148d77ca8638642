"""`ciconf schema` and the committed schema/profile.schema.json that editors read via modelines."""

from __future__ import annotations

import json
import re

from tests.conftest import ROOT, all_profiles, example_profiles, run_ciconf

COMMITTED = ROOT / "schema" / "profile.schema.json"
MODELINE = re.compile(r"# yaml-language-server: \$schema=(\S+)")


def test_committed_schema_is_what_ciconf_schema_prints():
    result = run_ciconf("schema")
    assert result.returncode == 0, result.stderr
    assert COMMITTED.read_text(encoding="utf-8") == result.stdout, (
        "schema/profile.schema.json is stale; regenerate it with `ciconf schema > "
        "schema/profile.schema.json`"
    )


def test_schema_output_is_deterministic_sorted_json_with_a_trailing_newline():
    first, second = run_ciconf("schema").stdout, run_ciconf("schema").stdout
    assert first == second
    assert first.endswith("}\n") and not first.endswith("\n\n")
    assert (
        first == json.dumps(json.loads(first), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )
    schema = json.loads(first)
    assert schema["title"] == "ciconf profile"
    # a profile has test (one job) or tests (several): the loader enforces one of the two
    assert set(schema["required"]) == {"project"}
    assert {"test", "tests", "jobs", "orbs"} <= set(schema["properties"])
    assert schema["additionalProperties"] is False


def test_every_profile_starts_with_a_modeline_pointing_at_the_committed_schema():
    profiles = all_profiles() + example_profiles()
    assert profiles and example_profiles()
    for profile in profiles:
        first_line = profile.read_text(encoding="utf-8").splitlines()[0]
        match = MODELINE.fullmatch(first_line)
        assert match, f"{profile.name}: first line is not a yaml-language-server modeline"
        target = (profile.parent / match.group(1)).resolve()
        assert target == COMMITTED.resolve(), f"{profile.name}: modeline points at {target}"
        assert target.is_file()
