"""Where a job works and where its checkout clones, derived once from `working_directory`.

CircleCI runs every step in the job's working_directory (default ~/project) and resolves
checkout's `path` and every relative path (cache lockfiles, artifacts, test results, a run step's
own working_directory) against it:
https://circleci.com/docs/reference/configuration-reference/#checkout
"""

from __future__ import annotations

from dataclasses import dataclass

# CircleCI's default working directory; a job in a subfolder checks out here, then works below it
PROJECT_ROOT = "~/project"


@dataclass(frozen=True)
class JobFolders:
    """The executor's `working_directory` and the checkout's `path`; None leaves CircleCI's
    default (~/project, and the working directory itself)."""

    working_directory: str | None
    checkout_path: str | None


def job_folders(working_directory: str | None) -> JobFolders:
    """A relative folder is a subfolder of the repository cloned at ~/project; an absolute or
    ~/ folder is where the repository itself is cloned (relative paths then start at its root)."""
    if working_directory is None:
        return JobFolders(None, None)
    if working_directory.startswith(("/", "~")):
        return JobFolders(working_directory, None)
    return JobFolders(f"{PROJECT_ROOT}/{working_directory}", PROJECT_ROOT)
