"""The OIDC deploy role trusts exactly the pushes `ciconf plan` delivers for (issue 16 §1).

The oracle: an evaluator of IAM's StringEquals / StringLike / StringNotLike (below, tested on its
own against AWS's documented examples) runs over the rendered bootstrap's trust for every branch
and tag of a set of refs, plus forged ones, and must say "may assume" exactly when `ciconf plan`
(in-process) delivers to that account for that ref -- wider only where the trust says so.

CircleCI's `$CIRCLE_OIDC_TOKEN_V2` (the token the delivery job hands the AWS CLI) carries
`sub = org/<org>/project/<project>/user/<user>/vcs-origin/<origin>/vcs-ref/<ref>`, the ids UUIDs,
the origin the repository (documented example `github.com/organization-123/repo-1`), the ref the
one that triggered the pipeline ("similar to refs/heads/main"; a tag push's is the git ref
refs/tags/<tag>): https://circleci.com/docs/openid-connect-tokens/
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cfn_helpers import load_template, render
from conftest import FIXTURES, PROFILES, ciconf_in_process, run_ciconf

from ciconf.plan.run import PlanRequest, build_plan
from ciconf.profile.trust import regex_globs

ORG = "3f9c1a52-7d4e-4b8a-9e21-6c0d5b7a8f13"
PROJECT = "0d6f3b2a-9c4e-4f1a-8b7d-5e2c1a9f3b64"
USERS = ("6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b", "00000000-0000-4000-8000-000000000000")
ORIGIN = "github.com/acme/billing"
ISSUER = f"oidc.circleci.com/org/{ORG}"

# --- the evaluator -------------------------------------------------------------------------------


def like(pattern: str, value: str) -> bool:
    """IAM StringLike: `*` any run of characters (`/` included), `?` exactly one, case-sensitive."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.DOTALL) is not None


OPERATORS = {
    "StringEquals": lambda pattern, value: pattern == value,
    "StringLike": like,
}


def condition_holds(condition: dict, context: dict[str, str]) -> bool:
    """Operators and keys are ANDed, a key's values ORed; a negated operator holds when no value
    matches, and also when the key is missing; any other operator is false for a missing key
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html,
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html)."""
    for operator, keys in condition.items():
        negated = operator.startswith("StringNot")
        match = OPERATORS[operator.replace("Not", "", 1) if negated else operator]
        for key, given in keys.items():
            values = [given] if isinstance(given, str) else given
            if key not in context:
                if not negated:
                    return False
                continue
            hit = any(match(pattern, context[key]) for pattern in values)
            if hit == negated:
                return False
    return True


def may_assume(trust: dict, context: dict[str, str]) -> bool:
    """An Allow statement for sts:AssumeRoleWithWebIdentity whose condition holds (no Deny here)."""
    allowed = False
    for statement in trust["Statement"]:
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        holds = condition_holds(statement.get("Condition", {}), context)
        if holds and statement["Effect"] == "Deny":
            return False
        allowed = allowed or (holds and statement["Effect"] == "Allow")
    return allowed


# AWS: "The asterisk (*) character can expand to replace everything within a segment, including
# characters like a forward slash (/)", with this list of what `amzn-s3-demo-bucket/*/test/*`
# matches and does not (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html,
# "Using wildcards in resource ARNs"); StringLike uses the same two wildcards.
S3_PATTERN = "amzn-s3-demo-bucket/*/test/*"
S3_MATCHES = [
    "amzn-s3-demo-bucket/1/test/object.jpg",
    "amzn-s3-demo-bucket/1/2/test/object.jpg",
    "amzn-s3-demo-bucket/1/2/test/3/object.jpg",
    "amzn-s3-demo-bucket/1/2/3/test/4/object.jpg",
    "amzn-s3-demo-bucket/1///test///object.jpg",
    "amzn-s3-demo-bucket/1/test/.jpg",
    "amzn-s3-demo-bucket//test/object.jpg",
    "amzn-s3-demo-bucket/1/test/",
]
S3_MISSES = ["amzn-s3-demo-bucket/1-test/object.jpg", "amzn-s3-demo-bucket/test/object.jpg"]


def test_evaluator_star_spans_slashes_as_aws_documents():
    assert all(like(S3_PATTERN, name) for name in S3_MATCHES)
    assert not any(like(S3_PATTERN, name) for name in S3_MISSES)


def test_evaluator_question_mark_is_exactly_one_character_and_matching_is_case_sensitive():
    # condition operators page: StringLike "case-sensitive match. The values can include multi-
    # character match wildcards (*) and single-character match wildcards (?) anywhere in the string"
    assert like("Sales:??", "Sales:NY") and not like("Sales:??", "Sales:N")
    assert not like("Sales:??", "Sales:NYC") and not like("Sales:??", "sales:NY")
    assert like("?", "/")  # one character of any kind
    assert like("home/*", "home/") and like("home/*", "home/a/b")


def test_evaluator_combines_values_keys_and_operators_as_aws_documents():
    condition = {
        "StringEquals": {"aud": "org", "team": ["a", "b"]},
        "StringNotLike": {"sub": ["*/x/*", "*/y/*"]},
    }
    assert condition_holds(condition, {"aud": "org", "team": "b", "sub": "1/z/2"})
    assert not condition_holds(condition, {"aud": "org", "team": "c", "sub": "1/z/2"})  # no value
    assert not condition_holds(condition, {"aud": "org", "team": "a", "sub": "1/y/2"})  # negated
    assert not condition_holds(condition, {"team": "a", "sub": "1/z/2"})  # missing key: false
    assert condition_holds({"StringNotLike": {"sub": "*"}}, {})  # negated, missing key: true
    assert condition_holds({"StringLike": {"sub": "a*"}}, {"sub": "abc"})
    assert not condition_holds({"StringEquals": {"sub": "a*"}}, {"sub": "abc"})  # no wildcards


# --- the oracle ----------------------------------------------------------------------------------

# the branches and tags of the plan tests' cases (tests/unit/plan/, tests/acceptance/test_plan_*),
# then names around these profiles' filters
BRANCHES = [
    "dev",
    "feat",
    "feature/.*",
    "feature/x",
    "hot-fix",
    "hotfix-12",
    "release/1.0",
    "release/frozen",
    "main",
    "develop",
    "release/1.4",
    "release/",
    "release",
    "releases/1.4",
    "feature/login",
    "v1.2.3",
    "smoke-1",
    # forged: a branch name that writes another ref (or origin) into the subject
    "evil/vcs-ref/refs/heads/main",
    "evil/vcs-ref/refs/heads/develop",
    "x/vcs-ref/refs/tags/v1.2.3",
    f"x/vcs-origin/{ORIGIN}/vcs-ref/refs/heads/main",
    "main/vcs-ref/refs/heads/main",
]
TAGS = [
    "release-7",
    "v1",
    "v1.4.0",
    "v1.4.0-rc1",
    "v1.2.3",
    "v10.20.30",
    "v1.2",
    "v1.2.3-rc1",
    "1.2.3",
    "va.b.c",
    "smoke-1",
    "main",
    "v1.2.3/vcs-ref/refs/heads/main",
]


# what prod's refs/tags/v?*.?*.?* accepts beyond /^v\d+\.\d+\.\d+$/ (its plan note says so)
WIDER_TAGS = [
    ("prod", "tag", "v1.4.0-rc1", False, True),
    ("prod", "tag", "v1.2.3-rc1", False, True),
    ("prod", "tag", "va.b.c", False, True),
    ("prod", "tag", "v1.2.3/vcs-ref/refs/heads/main", False, True),
]


def subject(ref: str, origin: str = ORIGIN, user: str = USERS[0]) -> str:
    return f"org/{ORG}/project/{PROJECT}/user/{user}/vcs-origin/{origin}/vcs-ref/{ref}"


# the issue's reproduction: the example with org_id, project_id (and vcs_origin) on both accounts
PROMOTION = (FIXTURES / "profiles" / "tag-release-promotion-oidc.yaml").read_text()
assert PROMOTION.count(f"project_id: {PROJECT}") == 2 and PROMOTION.count(ORIGIN) == 2


def _unpinned(text: str) -> str:
    return text.replace(f"      vcs_origin: {ORIGIN}\n", "")


# a job on tags that requires the staging delivery: CircleCI then runs delivery_stg on those tags
# too, so its role must trust them (one derived value feeds both)
SMOKE_JOB = """
jobs:
  smoke:
    image: cimg/base:2024.01
    steps: [{run: {command: ./smoke.sh}}]
    requires: [delivery_stg]
    tags: [/^smoke-.*/]
"""


def _profile(tmp_path: Path, text: str, name: str = "ciconf.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _trusts(profile: Path) -> dict[str, dict]:
    """Each account's deploy-role trust document from its rendered bootstrap stack."""
    from ciconf.profile.derive import plan as derive_plan
    from ciconf.profile.load import load_profile

    found = {}
    for account in derive_plan(load_profile(str(profile))).accounts:
        template = load_template(render(profile, account.name, "bootstrap"))
        role = template["Resources"]["DeployRole"]["Properties"]
        found[account.name] = role["AssumeRolePolicyDocument"]
    return found


def _delivers(profile: Path, kind: str, name: str) -> dict[str, bool]:
    branch, tag = (name, None) if kind == "branch" else (None, name)
    plan = build_plan(PlanRequest(str(profile), None, branch, tag, ()))
    assert plan.deliveries is not None
    runs = {delivery.account: delivery.runs for delivery in plan.deliveries}
    assert None not in runs.values()  # filters alone decide these profiles
    return runs  # type: ignore[return-value]


def _plan_says(profile: Path, option: str, name: str, why: str) -> None:
    """`ciconf plan` for that push prints the trust note under the delivery."""
    done = ciconf_in_process("plan", profile, option, name, cwd=profile.parent)
    assert done.returncode == 0, done.stderr
    assert f"    deploy role trusts more than the filters: {why}" in done.stdout.splitlines()


def _context(sub: str) -> dict[str, str]:
    return {f"{ISSUER}:aud": ORG, f"{ISSUER}:sub": sub}


def _oracle(profile: Path) -> list[tuple[str, str, str, bool, bool]]:
    """(account, kind, name, delivers, may assume) for every ref that disagrees."""
    trusts = _trusts(profile)
    wrong = []
    for kind, names in (("branch", BRANCHES), ("tag", TAGS)):
        for name in names:
            ref = ("refs/heads/" if kind == "branch" else "refs/tags/") + name
            delivers = _delivers(profile, kind, name)
            for account, trust in trusts.items():
                assumes = {may_assume(trust, _context(subject(ref, user=u))) for u in USERS}
                assert len(assumes) == 1  # whoever pushed
                if assumes.pop() != delivers[account]:
                    wrong.append((account, kind, name, delivers[account], not delivers[account]))
    return wrong


def test_single_branch_accounts_trust_exactly_their_branch(tmp_path):
    profile = PROFILES / "bluegreen-example.yaml"
    text = profile.read_text().replace("b7e2d4c1-0a9f-4e3b-8c56-2d1f7a9e4b60", PROJECT)
    text = text.replace("github.com/acme/orders-api", ORIGIN)
    assert text.count(f"vcs_origin: {ORIGIN}") == 2
    path = _profile(tmp_path, text)
    assert _oracle(path) == []


def test_branches_and_tags_accounts_trust_what_plan_delivers(tmp_path):
    # issue 16: `branches:` / `tags:` accounts got `user/*`: every branch could assume prod's role
    path = _profile(tmp_path, PROMOTION)
    wrong = _oracle(path)
    # the tag regex /^v\d+\.\d+\.\d+$/ has no exact glob: prod's trust (refs/tags/v?*.?*.?*) is
    # wider for tags that start with v and have two dots, and nowhere else
    assert wrong == WIDER_TAGS
    _plan_says(
        path,
        "--tag",
        "va.b.c",
        "tag filter /^v\\d+\\.\\d+\\.\\d+$/ is trusted as refs/tags/v?*.?*.?*",
    )
    trust = _trusts(path)["prod"]["Statement"][0]["Condition"]
    assert trust["StringLike"] == {
        f"{ISSUER}:sub": f"org/{ORG}/project/{PROJECT}/user/????????-????-????-????-????????????"
        f"/vcs-origin/{ORIGIN}/vcs-ref/refs/tags/v?*.?*.?*"
    }
    assert "StringNotLike" not in trust  # the pinned origin leaves no `*` before the ref


def test_a_tag_job_downstream_of_a_delivery_is_trusted_like_its_filter(tmp_path):
    path = _profile(tmp_path, PROMOTION + SMOKE_JOB)
    assert _delivers(path, "tag", "smoke-1")["stg"] is True  # CircleCI runs it for the tag
    assert _oracle(path) == WIDER_TAGS
    stg = _trusts(path)["stg"]["Statement"][0]["Condition"]["StringLike"][f"{ISSUER}:sub"]
    assert [s.rsplit("/vcs-ref/", 1)[1] for s in stg] == [
        "refs/heads/main",
        "refs/heads/release/*",
        "refs/tags/smoke-*",
    ]


def test_a_forged_origin_is_refused_when_the_origin_is_pinned(tmp_path):
    path = _profile(tmp_path, PROMOTION)
    trusts = _trusts(path)
    for origin in ("github.com/attacker/billing", "github.com/acme/billing-fork", "*"):
        for account, ref in (("stg", "refs/heads/main"), ("prod", "refs/tags/v1.2.3")):
            assert not may_assume(trusts[account], _context(subject(ref, origin)))
            assert may_assume(trusts[account], _context(subject(ref)))
    # a token of another project or organization, or for another audience
    sub = subject("refs/heads/main").replace(PROJECT, "11111111-2222-4333-8444-555555555555")
    assert not may_assume(trusts["stg"], _context(sub))
    assert not may_assume(trusts["stg"], {f"{ISSUER}:aud": "other", f"{ISSUER}:sub": subject("x")})


def test_without_vcs_origin_forged_refs_are_still_refused_and_the_wider_origin_is_said(tmp_path):
    path = _profile(tmp_path, _unpinned(PROMOTION))
    # forged names included: the StringNotLike refuses any subject naming a second ref
    assert _oracle(path) == WIDER_TAGS[:3]
    trusts = _trusts(path)
    # what it cannot refuse: a pipeline of this project from another origin (a fork)
    assert may_assume(trusts["stg"], _context(subject("refs/heads/main", "github.com/fork/x")))
    header = render(path, "stg", "bootstrap").splitlines()[2]
    assert header == (
        "# The deploy role trusts more than the filters: any vcs-origin of the project, a fork's"
        " too (set credentials.vcs_origin)."
    )


def test_the_issue_reproduction_no_longer_trusts_every_branch(tmp_path):
    # `ciconf cfn … --all` on the example with org_id/project_id (issue 16 §1, first bullet)
    _profile(tmp_path, PROMOTION)
    done = run_ciconf("cfn", "--all", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "cloudformation" / "billing-prod-bootstrap.yaml").read_text()
    subs = [line.split(":sub: ", 1)[1] for line in text.splitlines() if ":sub: " in line]
    assert subs and all("/user/*" not in sub and sub.count("*") <= 3 for sub in subs)


# --- filters with no safe glob -------------------------------------------------------------------


def _unsafe(tmp_path: Path, extra: str = "") -> Path:
    text = PROMOTION.replace(
        "branches: [main, /^release\\/.*/]", "branches: [main, /(release|hotfix)\\/.*/]"
    )
    assert "hotfix" in text
    return _profile(tmp_path, text.replace(f"      vcs_origin: {ORIGIN}\n", extra, 1))


def test_a_filter_that_would_trust_every_branch_is_refused_at_its_line(tmp_path):
    path = _unsafe(tmp_path, f"      vcs_origin: {ORIGIN}\n")
    done = run_ciconf("cfn", "--all", cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "hotfix" in text)
    assert f"ciconf.yaml:{line}:" in done.stderr
    assert (
        "accounts[0].branches[1]: /(release|hotfix)\\/.*/ has no IAM pattern with a literal start:"
        " the tightest, refs/heads/*/*, would let the deploy role of 'stg' trust branch pushes of"
        " any name"
    ) in done.stderr
    assert "accounts[0].credentials.wider_trust: true" in done.stderr
    assert not (tmp_path / "cloudformation").exists()
    # the CircleCI side refuses it as well: the profile is one input
    assert run_ciconf("render", path, "--stdout", cwd=tmp_path).returncode == 2


def test_wider_trust_accepts_it_and_says_so(tmp_path):
    path = _unsafe(tmp_path, f"      vcs_origin: {ORIGIN}\n      wider_trust: true\n")
    done = run_ciconf("cfn", "--all", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    # stg now trusts every branch with a '/' in its name: said in the header, and the oracle
    # finds exactly those
    assert (
        _oracle(path)
        == [
            ("stg", "branch", branch, False, True)
            for branch in BRANCHES
            if "/" in branch and not re.fullmatch(r"(release|hotfix)/.*", branch)
        ]
        + WIDER_TAGS
    )
    header = render(path, "stg", "bootstrap").splitlines()[2]
    assert header == (
        "# The deploy role trusts more than the filters: branch filter /(release|hotfix)\\/.*/ is"
        " trusted as refs/heads/*/*."
    )


def test_branch_only_false_trusts_the_whole_project_and_plan_says_so(tmp_path):
    text = PROMOTION.replace(
        f"      vcs_origin: {ORIGIN}\n", f"      vcs_origin: {ORIGIN}\n      branch_only: false\n"
    )
    path = _profile(tmp_path, text)
    _plan_says(
        path, "--branch", "feature/x", "every branch and tag of the project (branch_only: false)"
    )


# --- regex -> glob -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "globs"),
    [
        (r"^release\/.*", [("release/*", True)]),
        (r"^v\d+\.\d+\.\d+$", [("v?*.?*.?*", False)]),
        (r".*", [("*", True)]),
        (r"^hotfix/.+$", [("hotfix/?*", True)]),
        (r"main|develop", [("main", True), ("develop", True)]),
        (r"^feature-[0-9]{3}$", [("feature-???", False)]),
        (r"(main|dev)", [("*", False)]),
        (r"(?i)main", [("*", False)]),  # a flag changes every later atom: only * contains it
        (r"a\.b", [("a.b", True)]),
        (r"x{2,}", [("xx*", False)]),
        (r"v\*", [("v*", False)]),  # a literal * is an IAM wildcard
        (r"rc-?1", [("rc*1", False)]),
    ],
)
def test_a_regex_gets_the_tightest_glob_that_contains_it(pattern, globs):
    assert [tuple(g) for g in regex_globs(pattern)] == globs


NAMES = [
    "main",
    "develop",
    "dev",
    "release/1",
    "release/",
    "v1.2.3",
    "v1.2",
    "va.b.c",
    "feature-123",
    "feature-12a",
    "hotfix/x",
    "hotfix/",
    "x",
    "xx",
    "xxx",
    "MAIN",
    "rc1",
    "rc-1",
    "rc--1",
    "a.b",
    "axb",
    "",
]


@pytest.mark.parametrize(
    "pattern",
    [
        r"^release\/.*",
        r"^v\d+\.\d+\.\d+$",
        r"^hotfix/.+$",
        r"main|develop",
        r"^feature-[0-9]{3}$",
        r"(main|dev)",
        r"(?i)main",
        r"a\.b",
        r"x{2,}",
        r"rc-?1",
    ],
)
def test_every_name_the_regex_matches_its_glob_accepts_and_exact_means_exact(pattern):
    globs = regex_globs(pattern)
    for name in NAMES:
        matched = re.fullmatch(pattern, name) is not None
        accepted = any(like(glob, name) for glob, _ in globs)
        assert accepted or not matched, name  # contains
        if all(exact for _, exact in globs):
            assert accepted == matched, name  # exactly


# --- IAM's trust policy length --------------------------------------------------------------------


def _branches(tmp_path: Path, count: int) -> Path:
    names = ", ".join(f"team-{n:02d}" for n in range(count))
    text = PROMOTION.replace("branches: [main, /^release\\/.*/]", f"branches: [{names}]")
    assert f"team-{count - 1:02d}" in text
    return _profile(tmp_path, text)


def _policy_length(profile: Path, account: str) -> int:
    """Characters of the trust policy as IAM counts them (no whitespace), the provider resolved."""
    import json

    trust = _trusts(profile)[account]
    provider = f"arn:aws-us-gov:iam::123456789012:oidc-provider/{ISSUER}"
    (statement,) = trust["Statement"]
    statement = {**statement, "Principal": {"Federated": provider}}
    return len(json.dumps({**trust, "Statement": [statement]}, separators=(",", ":")))


def test_a_trust_over_iams_default_length_says_so_in_the_header(tmp_path):
    path = _branches(tmp_path, 12)
    length = _policy_length(path, "stg")
    assert 2048 < length <= 4096
    lines = render(path, "stg", "bootstrap").splitlines()
    assert (
        f"# The trust policy has {length} characters, over IAM's default quota of 2048: raise"
        " 'Role trust policy length' before deploying."
    ) in lines
    (tmp_path / "few").mkdir()
    assert _policy_length(_branches(tmp_path / "few", 3), "stg") < 2048


def test_a_trust_over_iams_maximum_length_is_refused(tmp_path):
    path = _branches(tmp_path, 24)
    done = run_ciconf("cfn", "--all", cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "accounts[0]: the deploy role's trust policy would have" in done.stderr
    assert "over IAM's maximum of 4096 (24 sub patterns" in done.stderr
    assert path.exists() and not (tmp_path / "cloudformation").exists()
