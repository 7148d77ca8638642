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
    def __init__(self) -> None:
        self.jobs = 0
        self.edges = 0

    def add_jobs(self, count: int, where: Where) -> None:
        self.jobs += count
        if self.jobs > MAX_JOBS:
            raise where.error(
                f"the plan has more than {MAX_JOBS} jobs (matrix combinations included, all "
                f"workflows together); ciconf plans at most {MAX_JOBS} jobs (cap MAX_JOBS)"
            )

    def add_edges(self, count: int, where: Where) -> None:
        self.edges += count
        if self.edges > MAX_EDGES:
            raise where.error(
                f"the plan has more than {MAX_EDGES} requires edges (a requirement on a matrix "
                f"alias is one per job of the matrix); ciconf plans at most {MAX_EDGES} "
                "(cap MAX_EDGES)"
            )


def output_problem(size: int) -> str | None:
    if size <= MAX_OUTPUT:
        return None
    return (
        f"the plan would print {size} characters; ciconf prints at most {MAX_OUTPUT} "
        "(cap MAX_OUTPUT)"
    )
