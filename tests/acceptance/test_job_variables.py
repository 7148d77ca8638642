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
    stderr = refused(tmp_path, EXAMPLE.replace(f"{field}: {original}", f"{field}: {name}"))
    assert f"{tmp_path / 'ciconf.yaml'}:{line}:" in stderr
    assert f"accounts[0].credentials.{field}: {name} is a variable ciconf writes" in stderr


def refused(tmp_path, text: str) -> str:
    """The stderr of rendering the example changed to `text`: exit 2, one message, nothing
    written."""
    assert text != EXAMPLE
    profile = tmp_path / "ciconf.yaml"
    profile.write_text(text)
    done = run_ciconf("render", profile, "--stdout", cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert not (tmp_path / ".circleci").exists()  # nothing written
    return done.stderr


def test_every_variable_the_rendered_delivery_jobs_set_is_in_the_refused_list(tmp_path):
    # the list cannot fall behind the renderer: read every delivery job's environment back
    from conftest import every_valid_profile

    seen: set[str] = set()
    for path in every_valid_profile():
        done = run_ciconf("render", path, "--stdout", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        config = yaml.safe_load(done.stdout)
        # the profile's own delivery.environment settings are its names, not ciconf's
        own = set((yaml.safe_load(path.read_text()).get("delivery") or {}).get("environment", {}))
        for name, job in config["jobs"].items():
            if name.startswith("delivery_"):
                seen |= set(job.get("environment", {})) - own
    assert seen  # the profiles do deliver
    assert seen <= set(WRITTEN_BY_CICONF)


def test_names_of_other_project_variables_still_render(tmp_path):
    profile = tmp_path / "ciconf.yaml"
    profile.write_text(EXAMPLE.replace("AWS_STG_ACCOUNT_ID", "AWS_ACCOUNT_ID_STG"))
    done = run_ciconf("render", profile, "--stdout", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "AWS_ACCOUNT_ID: $AWS_ACCOUNT_ID_STG" in done.stdout


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("AWS_ACCESS_KEY_ID", "is an AWS credential"),
        ("AWS_SECRET_ACCESS_KEY", "is an AWS credential"),
        ("AWS_SESSION_TOKEN", "is an AWS credential"),
        ("NPM_TOKEN", "names a secret"),
        ("DB_PASSWORD", "names a secret"),
        ("CIRCLE_SHA1", "is set by CircleCI itself"),
        ("DEPLOY_TAG", "is a variable ciconf writes"),
        ("BUILT_IMAGES", "is a variable ciconf writes"),
    ],
)
def test_delivery_environment_refuses_credentials_secrets_and_ciconfs_names(tmp_path, name, said):
    stderr = refused(
        tmp_path,
        EXAMPLE.replace(
            "  commit_tag_length: 6", f"  commit_tag_length: 6\n  environment: {{{name}: x}}"
        ),
    )
    assert f"delivery.environment.{name}: {name} {said}" in stderr


def test_delivery_environment_reaches_every_delivery_job_after_ciconfs_own(tmp_path):
    profile = tmp_path / "ciconf.yaml"
    profile.write_text(
        EXAMPLE.replace(
            "  commit_tag_length: 6",
            "  commit_tag_length: 6\n  environment: {NODE_ENV: production}",
        )
    )
    done = run_ciconf("render", profile, "--stdout", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    jobs = yaml.safe_load(done.stdout)["jobs"]
    for name in ("delivery_stg", "delivery_prod"):
        assert list(jobs[name]["environment"])[-1] == "NODE_ENV"
        assert jobs[name]["environment"]["NODE_ENV"] == "production"
        assert jobs[name]["environment"]["DEPLOY_TAG"] == name.removeprefix("delivery_")
