"""Positions in the config for messages: a path into the loaded document and its line:col."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ciconf.errors import InputError, dotted
from ciconf.yamlkit.load import Document


@dataclass(frozen=True)
class Where:
    doc: Document
    path: tuple

    def at(self, *more: Any) -> Where:
        return Where(self.doc, self.path + tuple(more))

    def error(self, message: str, **extra: Any) -> InputError:
        mark = self.doc.value_marks.get(self.path) or self.doc.mark_for(
            self.path
        )  # the value, not its key
        return InputError(
            self.doc.source,
            message,
            line=mark.line if mark else None,
            column=mark.column if mark else None,
            field=dotted(self.path),
            **extra,
        )
