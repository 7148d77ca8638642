"""The share of an import expressed through profile fields (rather than kept verbatim).

An element is a job's executor, each of its steps, and each approval. Test jobs, merge tests and
deliveries express theirs through fields, except the custom steps a test job keeps at its named
points; a custom job keeps its steps verbatim (its executor is still a typed field).
"""

from __future__ import annotations

from typing import Any


def count(result: Any) -> None:
    from ciconf.adopt.importer import Imported

    assert isinstance(result, Imported)
    report = result.report
    total = fields = 0
    profile = result.profile
    tests = profile.get("tests") or ({"test": profile["test"]} if "test" in profile else {})
    jobs = profile.get("jobs") or {}
    added = {item.split(":", 1)[0] for item in report.added}
    for name, job in tests.items():
        if name in added:
            continue  # the stand-in test job: no element of the original
        custom = sum(len(items) for items in (job.get("steps") or {}).values())
        steps = custom + _test_fields(job)
        total += 1 + steps
        fields += 1 + steps - custom
        if custom:
            report.custom.append(f"{name}: {custom} custom step(s) at named points of the test job")
    for name, job in jobs.items():
        steps = len(job.get("steps") or [])
        total += 1 + steps + (1 if job.get("approval") else 0)
        # the executor is typed fields (an orb's job brings its own: the whole job is verbatim)
        fields += (0 if "orb_job" in job else 1) + (1 if job.get("approval") else 0)
        what = f"orb job {job['orb_job']}" if "orb_job" in job else f"{steps} step(s) verbatim"
        report.custom.append(f"{name}: custom job ({what})")
    for account in profile.get("accounts") or []:
        images = len((profile.get("delivery") or {}).get("images") or [])
        approvals = len(account.get("approvals") or [])
        total += 3 + images + approvals  # executor, credentials, login, each image, approvals
        fields += 3 + images + approvals
    merge = 1 if profile.get("merge_test") else 0
    total += merge
    fields += merge
    report.elements, report.in_fields = total, fields


def _test_fields(job: dict) -> int:
    """Steps a test job expresses through fields: checkout, cache, install, setup, test, uploads."""
    steps = 2  # checkout and the test command
    if job.get("cache"):
        steps += 2
    if job.get("install"):
        steps += 1
    if job.get("setup") or job.get("wait_for"):
        steps += 1
    steps += len(job.get("artifacts") or []) + (1 if job.get("test_results") else 0)
    return steps
