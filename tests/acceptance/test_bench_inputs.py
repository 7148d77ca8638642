"""benchmarks/bench.py stays runnable: its generated inputs are valid profiles that render.

The timings themselves live in the script, never in the test suite (machines are noisy).
"""

from __future__ import annotations

import importlib.util
import sys

from conftest import ROOT, run_ciconf

from ciconf.circleci.render import render_config
from ciconf.profile.load import load_profile, parse_profile


def load_bench():
    spec = importlib.util.spec_from_file_location("bench", ROOT / "benchmarks" / "bench.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_generated_profile_has_the_requested_images_and_accounts():
    bench = load_bench()
    profile = parse_profile(bench.big_profile(7), "big.yaml")
    assert len(profile.delivery.images) == 7
    assert [account.name for account in profile.accounts] == list(bench.ACCOUNTS)
    assert {account.credentials.mode for account in profile.accounts} == {"env-indirection"}


def test_inputs_render_and_compactness_is_measurable(tmp_path, monkeypatch):
    bench = load_bench()
    monkeypatch.chdir(tmp_path)
    inputs = bench.build_inputs(tmp_path)
    assert set(inputs) == {
        "example",
        "stacks-max",
        *(f"big{images}" for images in bench.BIG_IMAGES),
    }
    config = tmp_path / "example.config.yml"
    config.write_text(render_config(load_profile("example.yaml"), "example.yaml", str(config)))
    anchored, expanded, hand_written = bench.compactness(config)
    assert anchored < hand_written < expanded


def test_every_target_gets_a_verdict():
    bench = load_bench()
    medians = {
        "check-jsonschema": 1.0,
        "ciconf check": 0.4,
        "ciconf check (cold)": 0.7,
        "ciconf render 500x4": 0.5,
        "ciconf render 1000x4": 0.6,
    }
    lines = [
        v.line()
        for v in bench.verdicts(
            bench.Measured(medians, 40.0, 50, 100, has_lint=False, has_reference=True)
        )
    ]
    assert len(lines) == 7
    assert lines[0].endswith("-> met") and "lint: not available" in lines[1]
    assert lines[2] == "check without the digest cache: 0.70x (for information)"


def test_the_stack_writing_input_is_the_largest_the_quotas_accept(tmp_path):
    """The render-with-stacks figure and the cold-check series measure a profile ciconf accepts:
    one image more and the bootstrap's delivery policy is over IAM's managed-policy size."""
    bench = load_bench()
    for images, code in ((bench.STACK_IMAGES_MAX, 0), (bench.STACK_IMAGES_MAX + 1, 2)):
        (tmp_path / "p.yaml").write_text(bench.big_profile(images), encoding="utf-8")
        done = run_ciconf(
            "render", "-q", "p.yaml", "-o", "c.yml", "--stacks-dir", "s", cwd=tmp_path
        )
        assert done.returncode == code, done.stderr
        assert ("managed policy DeliveryPolicy" in done.stderr) == bool(code)
