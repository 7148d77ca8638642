"""The README's before/after of `ciconf import` is what the import writes for the seed's config."""

from __future__ import annotations

import re
import shutil

from conftest import ROOT, run_ciconf

README = (ROOT / "README.md").read_text(encoding="utf-8")
SEED = ROOT / "tests" / "fixtures" / "adopt" / "ci-cd-example" / ".circleci" / "config.yml"


def test_the_readmes_after_is_the_imported_profile(tmp_path):
    section = README[README.index("## Moving an existing config to ciconf") :]
    (after,) = [b for b in re.findall(r"```yaml\n(.*?)```", section, flags=re.S)][:1]
    repo = tmp_path / "ci-cd-example"
    (repo / ".circleci").mkdir(parents=True)
    shutil.copy(SEED, repo / ".circleci" / "config.yml")
    result = run_ciconf("import", "--stdout", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert result.stdout == after
    assert "share expressed through profile fields: 19/19 elements (100%)" in result.stderr
    assert (
        "plan: the same jobs run for every push tried (branch main, branch master, branch develop, "
        "branch feature/ciconf-import, tag v1.2.3)"
    ) in result.stderr
