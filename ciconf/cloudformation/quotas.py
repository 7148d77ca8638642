"""CloudFormation's quotas, checked on every stack ciconf generates before anything is written.

A stack over a quota is refused by CloudFormation at deploy time, long after `render` and `check`
said all was well; so each template is measured here, where it is produced, and a profile whose
stack would break one is refused with the quota named (exit 2, nothing written). One quota is not a
refusal: a template over 51,200 bytes deploys, but only through S3 (`aws cloudformation deploy
--s3-bucket`), which its header and `render` say.

Values from "Understand CloudFormation quotas" (QUOTAS_PAGE); cfn-lint checks the same ones
(cfnlint.helpers.LIMITS), and reads the S3 object's "1 MB" as 1,000,000 bytes, as here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ciconf.cloudformation import policy_size
from ciconf.errors import InputError, field_name
from ciconf.yamlkit.emit import dump
from ciconf.yamlkit.load import Document

QUOTAS_PAGE = (
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html"
)
INLINE_BYTES = 51_200  # template body in a request: what `deploy --template-file` sends without S3
S3_BYTES = 1_000_000  # template body in an S3 object ("1 MB")
COUNTS = {"Resources": 500, "Outputs": 200, "Parameters": 200, "Mappings": 200}
MAPPING_ATTRIBUTES = 200  # per mapping
NAME_CHARS = 255  # logical ids of resources, outputs, parameters; mapping and attribute names
DESCRIPTION_BYTES = 1024  # the template's description and each output's
PARAMETER_VALUE_BYTES = 4096  # a parameter's default is a value CloudFormation passes
STACK_NAME_CHARS = 128
SPACING = (0, 1)  # blank lines between top-level sections and between their entries

S3_NOTE = [
    f"Over {INLINE_BYTES:,} bytes, CloudFormation's limit for a template sent inline: deploy",
    "it with `aws cloudformation deploy --s3-bucket <a bucket in its region> ...` (it uploads it).",
]


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def needs_s3(text: str) -> bool:
    """True when `aws cloudformation deploy` takes this template only with --s3-bucket."""
    return _size(text) > INLINE_BYTES


@dataclass(frozen=True)
class Origin:
    """Where in the profile a stack comes from: the section it grows with, for the error."""

    source: str  # the profile's path
    doc: Document | None = None
    path: tuple = ()

    def error(self, message: str, expected: str) -> InputError:
        mark = self.doc.mark_for(self.path) if self.doc is not None else None
        return InputError(
            self.source,
            message,
            line=mark.line if mark else None,
            column=mark.column if mark else None,
            field=field_name(self.path) or None,
            expected=expected,
        )


def _names(template: dict) -> Iterator[tuple[str, str]]:
    for section in COUNTS:
        for name in template.get(section) or {}:
            yield section, name
    for mapping, entries in (template.get("Mappings") or {}).items():
        for key, attributes in entries.items():
            yield f"Mappings.{mapping}", key
            for attribute in attributes:
                yield f"Mappings.{mapping}.{key}", attribute


def _texts(template: dict) -> Iterator[tuple[str, object, int]]:
    """(where, value, byte limit) of the descriptions and parameter defaults."""
    yield "Description", template.get("Description"), DESCRIPTION_BYTES
    for name, output in (template.get("Outputs") or {}).items():
        yield f"Outputs.{name}.Description", output.get("Description"), DESCRIPTION_BYTES
    for name, parameter in (template.get("Parameters") or {}).items():
        yield f"Parameters.{name}.Default", parameter.get("Default"), PARAMETER_VALUE_BYTES


def _counts(template: dict) -> Iterator[str]:
    for section, limit in COUNTS.items():
        count = len(template.get(section) or {})
        if count > limit:
            yield f"{count} {section.lower()} (at most {limit} per template)"
    for mapping, entries in (template.get("Mappings") or {}).items():
        for key, attributes in entries.items():
            if len(attributes) > MAPPING_ATTRIBUTES:
                yield (
                    f"{len(attributes)} attributes in mapping {mapping}.{key} "
                    f"(at most {MAPPING_ATTRIBUTES})"
                )


def _lengths(template: dict) -> Iterator[str]:
    for where, name in _names(template):
        if len(name) > NAME_CHARS:
            yield f"a name of {len(name)} characters in {where} (at most {NAME_CHARS})"
    for where, value, limit in _texts(template):
        if isinstance(value, str) and _size(value) > limit:
            yield f"{where} of {_size(value):,} bytes (at most {limit:,})"


def breaches(stack: str, template: dict, text: str) -> list[str]:
    """What of `template` (written as `text`, stack `stack`) is over a quota; [] when nothing."""
    found = []
    if len(stack) > STACK_NAME_CHARS:
        found.append(f"stack name of {len(stack)} characters (at most {STACK_NAME_CHARS})")
    if _size(text) > S3_BYTES:
        found.append(f"{_size(text):,} bytes of template (at most {S3_BYTES:,}, through S3)")
    found += policy_size.breaches(template)
    return found + list(_counts(template)) + list(_lengths(template))


def check(stack: str, template: dict, text: str, origin: Origin) -> None:
    """Raise one InputError at the profile section the stack grows with, naming every quota the
    stack is over."""
    found = breaches(stack, template, text)
    if found:
        raise origin.error(
            f"stack {stack} would be over CloudFormation's quotas ({QUOTAS_PAGE}): "
            + "; ".join(found),
            expected="a smaller stack: fewer images or services, shorter names; a policy over "
            "its size: fewer repositories per account (split accounts) or shorter names",
        )


def written(template: dict, header: list[str], stack: str, origin: Origin) -> str:
    """The stack's YAML, its header noting --s3-bucket when it is over the inline limit; quotas
    checked first (see `check`), so nothing is written for a stack CloudFormation would refuse."""
    text = dump(template, header=header, spacing=SPACING)
    if needs_s3(text):
        text = dump(template, header=[*header, *S3_NOTE], spacing=SPACING)
    check(stack, template, text, origin)
    return text


def deploy_note(target: str | None, text: str) -> str | None:
    """What `render` and `cfn` say about a stack that deploys only through S3 (None otherwise)."""
    if not needs_s3(text):
        return None
    where = target or "the template"
    return (
        f"ciconf: note: {where} is {_size(text):,} bytes, over the {INLINE_BYTES:,} bytes "
        "CloudFormation takes inline: deploy it with `aws cloudformation deploy --s3-bucket "
        "<bucket> ...`"
    )
