"""The deploy role's trust, compiled from the refs that deliver to the account (profile/refs.py).

CircleCI's `$CIRCLE_OIDC_TOKEN_V2` carries
`sub = org/<org id>/project/<project id>/user/<user id>/vcs-origin/<origin>/vcs-ref/<ref>`, the ids
being UUIDs, the origin the repository (github.com/<org>/<repo>), the ref the pushed git ref
(refs/heads/<branch>, refs/tags/<tag>) (https://circleci.com/docs/openid-connect-tokens/). IAM tests
it with `StringLike`, where `*` matches any run of characters *including `/`* and `?` exactly one
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
So no segment before the ref may hold a `*`, or a branch named `x/vcs-ref/refs/heads/main` slips
into it: the user id is 36 `?`-characters wide, the origin is the profile's `vcs_origin`. Without
one, a `StringNotLike` refuses any subject that names a ref twice.

Each branch or tag filter becomes one glob over the ref. A /regex/ becomes the tightest glob that
contains every name it matches (`/^v\\d+\\.\\d+\\.\\d+$/` -> `refs/tags/v?*.?*.?*`); where that glob
is wider, `wider` says so, and a wider glob that starts with a wildcard (names of any beginning) is
refused by the profile unless the account sets `wider_trust`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from ciconf.profile.refs import EVERY_NAME, RefFilter, Refs

HEADS = "refs/heads/"
TAGS = "refs/tags/"
USER_ID = "?" * 8 + "-" + "????-" * 3 + "?" * 12  # a UUID: 36 characters, whatever they are
DOUBLE_REF = "*/vcs-ref/*/vcs-ref/*"  # a subject whose branch name forges a second ref
RefKind = Literal["branch", "tag"]
OIDC_ISSUER_HOST = "oidc.circleci.com/org/"
# IAM's role trust policy length, whitespace not counted: 2,048 characters unless raised, at most
# 4,096 (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html)
TRUST_POLICY_QUOTA = 2048
TRUST_POLICY_MAX = 4096


@dataclass(frozen=True)
class RefGlob:
    """The IAM glob of one filter item; `exact`: it accepts exactly the names the filter does."""

    kind: RefKind
    source: RefFilter
    glob: str  # over the whole ref: refs/heads/main, refs/tags/v*
    exact: bool

    @property
    def unanchored(self) -> bool:
        """True when the glob is wider than the filter and starts with a wildcard: it then accepts
        names of any beginning (every branch, or nearly), not a family like v* or release/*."""
        body = self.glob.removeprefix(HEADS if self.kind == "branch" else TAGS)
        return not self.exact and (not body or body[0] in "*?")


@dataclass(frozen=True)
class OidcTrust:
    """The `sub` conditions of the deploy role: any of `subjects`, none of `not_subjects`."""

    subjects: tuple[str, ...]
    not_subjects: tuple[str, ...]
    wider: tuple[str, ...]  # where the trust accepts pushes the workflow never delivers for


# --- /regex/ -> glob ---------------------------------------------------------------------------

_FLAGS = set("aiLmsux-")
_CLASS_ESCAPES = set("dDwWsS")


class _Unbounded(Exception):
    """An inline flag changes how the rest of the pattern matches: only `*` contains it."""


def _class_end(body: str, pos: int) -> int:
    """Index after the `]` closing the class that starts at body[pos] == '['."""
    pos += 1
    if pos < len(body) and body[pos] == "^":
        pos += 1
    if pos < len(body) and body[pos] == "]":
        pos += 1
    while pos < len(body) and body[pos] != "]":
        pos += 2 if body[pos] == "\\" else 1
    return pos + 1


def _group_end(body: str, pos: int) -> int:
    """Index after the `)` closing the group that starts at body[pos] == '('."""
    if body.startswith("(?", pos) and pos + 2 < len(body) and body[pos + 2] in _FLAGS:
        raise _Unbounded
    depth = 0
    while pos < len(body):
        char = body[pos]
        if char == "\\":
            pos += 2
            continue
        if char == "[":
            pos = _class_end(body, pos)
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        pos += 1
        if depth == 0:
            break
    return pos


_SIMPLE_ATOMS = {".": ("one", "?"), "^": ("any", ""), "$": ("any", "")}


def _atom(body: str, pos: int) -> tuple[str, str, int]:
    """(kind, text, next index): kind is lit (one character), one (any one), class, or any.

    `.` is any character but a newline, which no ref holds; `^` or `$` inside the pattern match
    nothing more; a group may match anything (`*` contains it)."""
    char = body[pos]
    if char == "\\":
        escaped = body[pos + 1 : pos + 2]
        if escaped in _CLASS_ESCAPES:
            return "class", "?", pos + 2
        # \b, \A, \1...: zero-width or a back reference
        return ("any", "*", pos + 2) if escaped.isalnum() else ("lit", escaped, pos + 2)
    if char in _SIMPLE_ATOMS:
        return (*_SIMPLE_ATOMS[char], pos + 1)
    if char == "[":
        return "class", "?", _class_end(body, pos)
    if char == "(":
        return "any", "*", _group_end(body, pos)
    return "lit", char, pos + 1


def _quantifier(body: str, pos: int) -> tuple[int, int | None, int]:
    """(min, max or None for unbounded, next index) of the quantifier at body[pos], if any."""
    if pos >= len(body):
        return 1, 1, pos
    char = body[pos]
    low: int
    high: int | None
    if char in "*+?":
        low, high = {"*": (0, None), "+": (1, None), "?": (0, 1)}[char]
        pos += 1
    elif char == "{" and (close := body.find("}", pos)) > pos:
        low_text, comma, high_text = body[pos + 1 : close].partition(",")
        if not low_text.isdigit() or not (high_text.isdigit() or high_text == ""):
            return 1, 1, pos  # not a quantifier: Python reads `{` literally
        low = int(low_text)
        high = (int(high_text) if high_text else None) if comma else low
        pos = close + 1
    else:
        return 1, 1, pos
    if pos < len(body) and body[pos] in "?+":  # lazy or possessive: the same names match
        pos += 1
    return low, high, pos


def _alternatives(body: str) -> list[str]:
    """The top-level alternatives of a pattern (a|b|c)."""
    parts, start, pos = [], 0, 0
    while pos < len(body):
        char = body[pos]
        if char == "\\":
            pos += 2
        elif char == "[":
            pos = _class_end(body, pos)
        elif char == "(":
            pos = _group_end(body, pos)
        elif char == "|":
            parts.append(body[start:pos])
            start = pos = pos + 1
        else:
            pos += 1
    return [*parts, body[start:]]


def _alternative_glob(body: str) -> tuple[str, bool]:
    body = body.removeprefix("^")
    if body.endswith("$") and not body.endswith("\\$"):
        body = body[:-1]
    pieces: list[str] = []
    exact = True
    pos = 0
    while pos < len(body):
        kind, text, pos = _atom(body, pos)
        low, high, pos = _quantifier(body, pos)
        if kind == "any":
            pieces.append("*" if text or low or high != 1 else "")
            exact = False
            continue
        pieces.append(text * low)
        if high != low:
            pieces.append("*")
            # .* and .+ are exact; a* or [0-9]+ or x? accept more than the pattern does
            exact = exact and kind == "one" and high is None
        # a class accepts fewer characters than ?; a literal * or ? is a wildcard in IAM
        exact = exact and kind != "class" and not (kind == "lit" and text in ("*", "?"))
    glob = "".join(pieces)
    while "**" in glob:
        glob = glob.replace("**", "*")
    return glob, exact


def regex_globs(pattern: str) -> tuple[tuple[str, bool], ...]:
    """Globs over a name that together contain every full match of `pattern` (a /regex/ body)."""
    try:
        return tuple(_alternative_glob(part) for part in _alternatives(pattern))
    except _Unbounded:
        return (("*", False),)


# --- refs -> trust ----------------------------------------------------------------------------


def _filter_globs(kind: RefKind, item: RefFilter) -> list[RefGlob]:
    prefix = HEADS if kind == "branch" else TAGS
    value = item.value
    if len(value) >= 2 and value.startswith("/") and value.endswith("/"):
        return [
            RefGlob(kind, item, prefix + glob, exact) for glob, exact in regex_globs(value[1:-1])
        ]
    return [RefGlob(kind, item, prefix + value, True)]  # names hold no * or ? (git refuses them)


def ref_globs(refs: Refs) -> tuple[RefGlob, ...]:
    """One glob per branch and tag filter item (a /regex/ with alternatives: several)."""
    globs: list[RefGlob] = []
    if refs.every_branch:
        globs.append(RefGlob("branch", RefFilter(EVERY_NAME), HEADS + "*", True))
    for item in refs.branches:
        globs += _filter_globs("branch", item)
    for item in refs.tags:
        globs += _filter_globs("tag", item)
    return tuple(globs)


def unsafe_globs(refs: Refs) -> tuple[RefGlob, ...]:
    """Filter items whose tightest glob starts with a wildcard, although the filter is narrower."""
    return tuple(glob for glob in ref_globs(refs) if glob.unanchored)


def _wider(glob: RefGlob) -> str:
    return f"{glob.kind} filter {glob.source.value} is trusted as {glob.glob}"


def compile_trust(org_id: str, project_id: str, origin: str | None, refs: Refs | None) -> OidcTrust:
    """The trust for the refs (None: every ref of the project, `branch_only: false`)."""
    project = f"org/{org_id}/project/{project_id}"
    if refs is None:
        return OidcTrust(
            (f"{project}/user/*",),
            (),
            ("every branch and tag of the project (branch_only: false)",),
        )
    globs = ref_globs(refs)
    head = f"{project}/user/{USER_ID}/vcs-origin/{origin or '*'}/vcs-ref/"
    subjects = tuple(dict.fromkeys(head + glob.glob for glob in globs))
    wider = [_wider(glob) for glob in globs if not glob.exact]
    if origin is None:
        wider.append("any vcs-origin of the project, a fork's too (set credentials.vcs_origin)")
    return OidcTrust(subjects, () if origin else (DOUBLE_REF,), tuple(wider))


# --- the policy document ------------------------------------------------------------------------


def oidc_issuer(org_id: str) -> str:
    """CircleCI's issuer (and IAM provider URL without https://) for an organization."""
    return f"{OIDC_ISSUER_HOST}{org_id}"


def _one_or_list(values: tuple[str, ...]) -> str | list[str]:
    return values[0] if len(values) == 1 else list(values)


def trust_condition(org_id: str, trust: OidcTrust) -> dict:
    """The statement's Condition: IAM ANDs the operators and ORs the values of one key
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html):
    the token's audience is the organization, its `sub` like one subject and like none refused."""
    issuer = oidc_issuer(org_id)
    condition: dict = {
        "StringEquals": {f"{issuer}:aud": org_id},
        "StringLike": {f"{issuer}:sub": _one_or_list(trust.subjects)},
    }
    if trust.not_subjects:
        condition["StringNotLike"] = {f"{issuer}:sub": _one_or_list(trust.not_subjects)}
    return condition


def trust_policy_length(org_id: str, trust: OidcTrust) -> int:
    """Characters IAM counts for the role's trust policy (its longest provider ARN assumed)."""
    provider = f"arn:aws-us-gov:iam::123456789012:oidc-provider/{oidc_issuer(org_id)}"
    statement = {
        "Effect": "Allow",
        "Principal": {"Federated": provider},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": trust_condition(org_id, trust),
    }
    document = {"Version": "2012-10-17", "Statement": [statement]}
    return len(json.dumps(document, separators=(",", ":")))
