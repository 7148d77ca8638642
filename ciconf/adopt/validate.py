"""Each imported job checked against the profile's own models before it goes into the profile.

What a model refuses is taken out of the job (a step, a service, an environment variable, an
option), said so in the report, and the job checked again: one odd step never fails an import.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from ciconf.adopt.steps import FALLBACK_IMAGE, Notes

MAX_ROUNDS = 200


def fit(model: Any, fields: dict, notes: Notes, name: str) -> dict:
    """`fields` with whatever `model` refuses taken out (the job is valid afterwards, or empty)."""
    fields = dict(fields)
    for _ in range(MAX_ROUNDS):
        try:
            model.model_validate(fields)
            return fields
        except ValidationError as error:
            problem = error.errors()[0]
            if not _remove(fields, tuple(problem["loc"]), problem["msg"], notes, name):
                notes.lost.append(f"{name}: {problem['msg']}")
                return {}
    return {}


def _remove(fields: dict, loc: tuple, message: str, notes: Notes, name: str) -> bool:  # noqa: PLR0911 - one return per kind of refused field
    if not loc:
        return False
    head = loc[0]
    if head == "steps" and len(loc) > 1 and isinstance(loc[1], int):
        removed = fields["steps"].pop(loc[1])
        notes.lost.append(f"{name}: step {_short(removed)} ({message})")
        if not fields["steps"]:
            fields["steps"] = ["checkout"]
        return True
    if head == "image" and fields.get("image") != FALLBACK_IMAGE:
        notes.lost.append(
            f"{name}: image {fields.get('image')!r} ({message}); runs on {FALLBACK_IMAGE}"
        )
        fields["image"] = FALLBACK_IMAGE
        return True
    if head in ("services", "environment") and len(loc) > 1 and head in fields:
        container = fields[head]
        key = loc[1]
        if isinstance(container, list) and isinstance(key, int) and key < len(container):
            notes.lost.append(f"{name}: service {_short(container.pop(key))} ({message})")
            return True
        if isinstance(container, dict) and key in container:
            notes.lost.append(f"{name}: environment {key} ({message})")
            container.pop(key)
            return True
    if head in fields and head not in ("steps", "image", "machine", "command"):
        notes.lost.append(f"{name}: {head} {_short(fields.pop(head))} ({message})")
        return True
    return False


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
