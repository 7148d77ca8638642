"""Project-variable names the delivery job's own environment would shadow are refused (issue 16 §4).

CircleCI does not expand `$VAR` in a job's `environment:`
(https://circleci.com/docs/set-environment-variable/ : "You cannot use a built-in environment
variable to define another environment variable"), and a job environment variable takes
precedence over a project variable of the same name
(https://circleci.com/docs/env-vars/#order-of-precedence). So `account_id_var: AWS_ACCOUNT_ID`
renders `AWS_ACCOUNT_ID: $AWS_ACCOUNT_ID`: the job sees that literal text, never the project value.
"""

from __future__ import annotations

import pytest
import yaml
from conftest import PROFILES, run_ciconf

from ciconf.profile.jobvars import WRITTEN_BY_CICONF

EXAMPLE = (PROFILES / "ci-cd-example.yaml").read_text()


@pytest.mark.parametrize(
    ("field", "original", "line"),
    [
        ("account_id_var", "AWS_STG_ACCOUNT_ID", 54),
        ("access_key_var", "AWS_STG_ACCESS_KEY", 55),
        ("secret_key_var", "AWS_STG_SECRET_KEY", 56),
    ],
)
@pytest.mark.parametrize("name", ["AWS_ACCOUNT_ID", "AWS_ACCESS_KEY", "DEPLOY_TAG", "IMAGE_TAG"])
def test_a_name_ciconf_writes_is_refused_at_its_line(tmp_path, field, original, line, name):
    profile = tmp_path / "ciconf.yaml"
    text = EXAMPLE.replace(f"{field}: {original}", f"{field}: {name}")
    assert text != EXAMPLE
    profile.write_text(text)
    done = run_ciconf("render", profile, "--stdout", cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert f"{profile}:{line}:" in done.stderr
    assert f"accounts[0].credentials.{field}: {name} is a variable ciconf writes" in done.stderr
    assert not (tmp_path / ".circleci").exists()  # nothing written


def test_every_variable_the_rendered_delivery_jobs_set_is_in_the_refused_list(tmp_path):
    # the list cannot fall behind the renderer: read every delivery job's environment back
    from conftest import every_valid_profile

    seen: set[str] = set()
    for path in every_valid_profile():
        done = run_ciconf("render", path, "--stdout", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        config = yaml.safe_load(done.stdout)
        for name, job in config["jobs"].items():
            if name.startswith("delivery_"):
                seen |= set(job.get("environment", {}))
    assert seen  # the profiles do deliver
    assert seen <= set(WRITTEN_BY_CICONF)


def test_names_of_other_project_variables_still_render(tmp_path):
    profile = tmp_path / "ciconf.yaml"
    profile.write_text(EXAMPLE.replace("AWS_STG_ACCOUNT_ID", "AWS_ACCOUNT_ID_STG"))
    done = run_ciconf("render", profile, "--stdout", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "AWS_ACCOUNT_ID: $AWS_ACCOUNT_ID_STG" in done.stdout
