"""CC305: an orb pinned to `@volatile`.

`namespace/orb@volatile` is "the most recent release" (CircleCI's schema, `orbs`), whatever its
major version: a breaking release of the orb changes the build without a commit, and a rerun of
an old commit may not run what ran then. A semantic version (`@5`, `@5.1`, `@5.1.2`) keeps the
build reproducible.
"""

from __future__ import annotations

from collections.abc import Iterator

from ciconf.lint.context import LintContext
from ciconf.lint.findings import Finding, quoted
from ciconf.lint.rule import Rule

ID = "CC305"
VOLATILE = "@volatile"


def check(ctx: LintContext) -> Iterator[Finding]:
    orbs = ctx.data.get("orbs") if isinstance(ctx.data, dict) else None
    if not isinstance(orbs, dict):
        return
    for name, reference in orbs.items():
        if isinstance(reference, str) and reference.strip().endswith(VOLATILE):
            orb = reference.strip()[: -len(VOLATILE)]
            yield ctx.finding(
                ID,
                ctx.doc.mark_for(("orbs", name)),
                f"orb {quoted(name)} is pinned to {quoted(reference.strip())}, the latest release "
                f"whatever its major version; pin a version ({quoted(orb + '@X')}, @X.Y or @X.Y.Z)",
            )


RULE = Rule(ID, "volatile-orb", "an orb is pinned to @volatile (whatever release is newest)", check)
