"""Policy size quotas through `ciconf cfn`: a deploy role over IAM's 10,240 characters, or a
lifecycle policy over ECR's 30,720, is refused and nothing is written (the quotas themselves:
tests/unit/cloudformation/test_policy_size.py).
"""

from __future__ import annotations

from pathlib import Path

from conftest import run_ciconf
from oracles.test_cfn_quotas import _profile


def _long_names(images: int) -> str:
    """The bench's oidc profile with repository names long enough to fill the deploy role."""
    return _profile(images).replace("team/service-", "team/a-rather-long-service-name-")


def test_a_deploy_role_over_10240_is_refused_and_nothing_written(tmp_path: Path):
    (tmp_path / "ciconf.yaml").write_text(_long_names(199))
    done = run_ciconf("cfn", "ciconf.yaml", "--all", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "DeployRole's inline policies" in done.stderr
    assert "(at most 10,240)" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "cloudformation").exists()


def test_the_same_profile_with_fewer_images_is_written(tmp_path: Path):
    (tmp_path / "ciconf.yaml").write_text(_long_names(100))
    done = run_ciconf("cfn", "ciconf.yaml", "--all", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "cloudformation" / "big-prod-bootstrap.yaml").exists()


def _release_tags(filters: int) -> str:
    """One account delivering on `filters` release tag names, each kept by a lifecycle rule."""
    tags = ", ".join(f"release-{number:03d}" for number in range(filters))
    return (
        "project: shop\n"
        "test: {image: cimg/base:2024.01, command: make}\n"
        "delivery:\n"
        "  region: eu-west-1\n"
        "  images: [{repository: shop/web}]\n"
        "  tags: {release: true}\n"
        "accounts:\n"
        f"  - {{name: prod, tags: [{tags}], credentials: {{mode: context, context: c}}}}\n"
    )


def test_a_lifecycle_policy_over_ecrs_30720_characters_is_refused_and_nothing_written(tmp_path):
    # a rule per release tag filter (ciconf/cloudformation/bootstrap.py): 90 are too many
    (tmp_path / "ciconf.yaml").write_text(_release_tags(90))
    done = run_ciconf("cfn", "ciconf.yaml", "--all", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "lifecycle policy of RepositoryShopWeb (ECR)" in done.stderr
    assert "(at most 30,720)" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "cloudformation").exists()
    (tmp_path / "ciconf.yaml").write_text(_release_tags(80))
    assert run_ciconf("cfn", "ciconf.yaml", "--all", cwd=tmp_path).returncode == 0
    assert (tmp_path / "cloudformation" / "shop-prod-bootstrap.yaml").exists()
