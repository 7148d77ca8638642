"""The profile's JSON Schema, for editors (yaml-language-server modelines) and other tools.

Deterministic text: sorted keys, 2-space indent, trailing newline, so the committed copy in
schema/profile.schema.json can be compared byte for byte.
"""

from __future__ import annotations

import json

from ciconf.profile.models import Profile


def profile_schema_text() -> str:
    return (
        json.dumps(Profile.model_json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )
