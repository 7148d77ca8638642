"""CC303: `setup_remote_docker` pinned to a Docker version CircleCI has deprecated or retired.

CircleCI's remote Docker support policy keeps only the newest Docker majors (tags `default`,
`edge`, `previous` and `dockerNN`); the numbered 17.x, 18.x, 19.03.x, 20.10.x and 23.0.x
versions were deprecated and removed, and a job pinned to one fails to start its remote
environment. Versions are matched on those majors, so every patch release of them counts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ciconf.lint.context import LintContext
from ciconf.lint.findings import Finding
from ciconf.lint.rule import Rule

ID = "CC303"
RETIRED = re.compile(
    r"(17|18)\.\d+\.\d+(-ce)?|19\.03\.\d+|20\.10\.\d+|23\.0\.\d+|docker(17|18|19|20|23)"
)


def check(ctx: LintContext) -> Iterator[Finding]:
    if "setup_remote_docker" not in ctx.text:
        return
    for path, mark in ctx.written():
        if len(path) < 2 or path[-2:] != ("setup_remote_docker", "version"):
            continue
        version = str(ctx.value_at(path))
        if RETIRED.fullmatch(version):
            yield ctx.finding(
                ID,
                mark,
                f"remote Docker version {version} is deprecated by CircleCI; use `default` "
                "(or drop `version:`) or a supported `dockerNN` tag",
            )


RULE = Rule(
    ID,
    "retired-remote-docker",
    "setup_remote_docker is pinned to a Docker version CircleCI retired",
    check,
)
