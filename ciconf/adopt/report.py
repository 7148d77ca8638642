"""The import report: each element of the original config and where it went."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ciconf.errors import printable


@dataclass
class Report:
    source: str
    version: str
    mapped: list[str] = field(default_factory=list)  # expressed through profile fields
    custom: list[str] = field(default_factory=list)  # kept verbatim as custom jobs and steps
    modernised: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)  # what the profile cannot hold, and why
    notes: list[str] = field(default_factory=list)
    renames: list[tuple[str, str, str]] = field(default_factory=list)  # workflow, old, new
    added: list[str] = field(default_factory=list)  # jobs the profile needs that the config lacks
    elements: int = 0
    in_fields: int = 0
    proof: list[str] = field(default_factory=list)  # pushes whose plans differ
    pushes: list[str] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.in_fields / self.elements if self.elements else 1.0

    def as_json(self) -> dict:
        return {
            "source": self.source,
            "version": self.version,
            "elements": self.elements,
            "in_profile_fields": self.in_fields,
            "share": round(self.share, 3),
            "mapped": self.mapped,
            "custom": self.custom,
            "modernised": self.modernised,
            "not_expressible": self.lost,
            "notes": self.notes,
            "added": self.added,
            "renames": [{"workflow": w, "from": a, "to": b} for w, a, b in self.renames],
            "proof": {"pushes": self.pushes, "differences": self.proof, "same": not self.proof},
        }


def format_json(report: Report) -> str:
    return json.dumps(report.as_json(), indent=2, ensure_ascii=False) + "\n"


def format_text(report: Report) -> str:
    lines = [f"import of {report.source} (version {report.version or '?'})", ""]
    sections = (
        ("expressed through profile fields", report.mapped),
        ("kept verbatim (custom jobs and steps)", report.custom),
        ("modernised", report.modernised),
        ("not expressible in a profile", report.lost),
        ("notes", report.notes),
        ("renamed jobs", [f"{w}: {a} -> {b}" for w, a, b in report.renames]),
        ("added (a profile needs a test job)", report.added),
    )
    for title, items in sections:
        if items:
            lines.append(f"{title}:")
            lines += [f"  - {item}" for item in items]
            lines.append("")
    lines.append(
        "share expressed through profile fields: "
        f"{report.in_fields}/{report.elements} elements ({report.share:.0%})"
    )
    if report.proof:
        lines.append("plan differs:")
        lines += [f"  - {item}" for item in report.proof]
    else:
        lines.append(f"plan: the same jobs run for every push tried ({', '.join(report.pushes)})")
    return "\n".join(printable(line) for line in lines) + "\n"
