"""CC307: a machine image pinned to an older dated tag (`ubuntu-2004:202107-02`).

CircleCI tags Linux VM images `current`, `edge`, `default` or by date as `<year>.<month>.<patch>`
(https://circleci.com/docs/guides/execution-managed/linux-vm-support-policy/); the older
`YYYYMM-NN` tags belong to images CircleCI has deprecated, browns out and removes, after which the
job is rejected (https://circleci.com/docs/guides/execution-managed/machine-convenience-image-lifecycle).
ciconf accepts them in a profile so an old config can be ported first and updated next; this rule
is the note that says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ciconf.lint.context import LintContext
from ciconf.lint.findings import Finding
from ciconf.lint.rule import CONFIG, PROFILE, Rule
from ciconf.profile.machine_images import LEGACY_MACHINE_TAG

ID = "CC307"
LEGACY = re.compile(r"[a-z0-9-]+:" + LEGACY_MACHINE_TAG)


def check(ctx: LintContext) -> Iterator[Finding]:
    if "machine" not in ctx.text:
        return
    for path, mark in ctx.written():
        if len(path) < 2 or path[-2:] != ("machine", "image"):
            continue
        image = ctx.value_at(path)
        if isinstance(image, str) and LEGACY.fullmatch(image):
            family = image.split(":", 1)[0]
            yield ctx.finding(
                ID,
                mark,
                f"machine image {image} uses an older dated tag, which CircleCI deprecates and "
                f"removes; use {family}:current (or a <year>.<month>.<patch> tag)",
            )


RULE = Rule(
    ID,
    "legacy-machine-image",
    "a machine image pinned to an older dated tag (YYYYMM-NN) CircleCI deprecates",
    check,
    frozenset({CONFIG, PROFILE}),
)
