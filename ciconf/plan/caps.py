"""Bounds on the whole plan, so that any config (anyone's pull request) plans in bounded time,
memory and output: a few matrices of 1000 combinations each, chained by `requires`, would
otherwise be millions of requirement edges and hundreds of megabytes of output.

Each cap is on the whole plan (every workflow together), not per matrix, and exceeding one is an
input error naming the cap (exit 2); nothing is printed but the message.
"""

from __future__ import annotations

from ciconf.plan.where import Where

MAX_JOBS = 5000  # expanded jobs (matrix combinations included) in all workflows
MAX_EDGES = 50_000  # `requires` edges after matrix aliases are expanded to their jobs
MAX_OUTPUT = 8_000_000  # characters of printed plan


class Caps:
    """What the plan has used so far of MAX_JOBS and MAX_EDGES."""

    def __init__(self) -> None:
        self.used = {"jobs": 0, "edges": 0}

    def add_jobs(self, count: int, where: Where) -> None:
        self._add("jobs", count, MAX_JOBS, "jobs (matrix combinations included)", where)

    def add_edges(self, count: int, where: Where) -> None:
        what = "requires edges (a requirement on a matrix alias is one per job of the matrix)"
        self._add("edges", count, MAX_EDGES, what, where)

    def _add(self, kind: str, count: int, cap: int, what: str, where: Where) -> None:
        self.used[kind] += count
        if self.used[kind] > cap:
            raise where.error(
                f"the plan has more than {cap} {what}, all workflows together; "
                f"ciconf plans at most {cap} (cap MAX_{kind.upper()})"
            )


def output_problem(size: int) -> str | None:
    if size <= MAX_OUTPUT:
        return None
    return (
        f"the plan would print {size} characters; ciconf prints at most {MAX_OUTPUT} "
        "(cap MAX_OUTPUT)"
    )
