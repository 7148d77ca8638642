"""`checkout: {method: full | blobless}` in a custom job's steps renders as CircleCI writes it.

CircleCI's checkout step takes `method: blobless` (contents on demand) or `method: full`:
https://intercom.ka-cci.com/en/articles/15090408-when-to-use-checkout-method-full-after-blobless-default
"""

from __future__ import annotations

import pytest

from ciconf.circleci.build import step
from ciconf.profile.models import Step


@pytest.mark.parametrize("method", ["full", "blobless"])
def test_checkout_method_is_rendered(method):
    assert step(Step.model_validate({"checkout": {"method": method}})) == {
        "checkout": {"method": method}
    }


def test_plain_checkout_stays_a_string():
    assert step(Step.model_validate("checkout")) == "checkout"


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="full"):
        Step.model_validate({"checkout": {"method": "shallow"}})


def test_a_method_in_a_subfolder_job_still_clones_at_the_root():
    from ciconf.circleci.build import Config, Fragments, _custom_job
    from ciconf.profile.models import CustomJob

    job = CustomJob.model_validate(
        {
            "image": "cimg/base:2024.01",
            "working_directory": "svc",
            "steps": [{"checkout": {"method": "full"}}, "make"],
        }
    )
    body = _custom_job(Fragments(Config(data={})), "build", job, set())
    assert body["steps"][0] == {"checkout": {"path": "~/project", "method": "full"}}
