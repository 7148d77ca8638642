"""Every shell line ciconf generates comes from this module.

Values arriving here were validated against their grammars by the profile models (no quotes, no
``$``, no backquotes, no whitespace); they are still quoted where they land. Commands are written
for
CircleCI's default shell, ``/bin/bash -eo pipefail``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ciconf.profile.derive import (
    COMMIT_SHA_VAR,
    BuildArg,
    DeliveryPlan,
    ImagePlan,
    registry_host,
)

# Job environment variable names shared by the delivery job definition, its steps and the profile
# check that refuses project variables of the same name.
from ciconf.profile.jobvars import (  # noqa: F401 - re-exported for the job definition
    ACCESS_KEY_VAR,
    ACCOUNT_ID_VAR,
    BUILT_IMAGES_VAR,
    DEPLOY_TAG_VAR,
    IMAGE_TAG_VAR,
    OIDC_TOKEN_VAR,
    ROLE_ARN_VAR,
    ROLE_SESSION_NAME_VAR,
    SECRET_KEY_VAR,
    SOURCE_ACCOUNT_ID_VAR,
    WEB_IDENTITY_TOKEN_FILE_VAR,
)

_SAFE_IN_DOUBLE_QUOTES = re.compile(r'[^"$`\\\n]*')


def literal(value: str) -> str:
    """A single-quoted shell word: nothing inside is expanded."""
    return "'" + value.replace("'", "'\\''") + "'"


def expanding(text: str) -> str:
    """A double-quoted shell word for text that contains ${VAR} references on purpose."""
    if not _SAFE_IN_DOUBLE_QUOTES.fullmatch(text.replace("${", "").replace("}", "")):
        raise ValueError(f"unsafe text for a double-quoted shell word: {text!r}")
    return f'"{text}"'


def lines(*parts: str | Iterable[str]) -> str:
    """Join command lines into one run command (a literal block in the config)."""
    out: list[str] = []
    for part in parts:
        out.extend([part] if isinstance(part, str) else part)
    if len(out) == 1 and "\n" not in out[0]:
        return out[0]  # a one-liner stays on the 'command:' line
    return "\n".join(out) + "\n"


# --- test job -----------------------------------------------------------------------------------


def wait_for(host: str, port: int, timeout: int) -> str:
    # dockerize ships in every cimg/* image; the seed downloaded it on each run
    return f"dockerize -wait {literal(f'tcp://{host}:{port}')} -timeout {timeout}s"


def merge_base(base: str) -> str:
    """Merge origin/<base> into the checked-out branch, as CircleCI has no local <base> branch."""
    remote = f"origin/{base}"
    refspec = f"+refs/heads/{base}:refs/remotes/origin/{base}"
    return lines(
        f"git fetch --no-tags origin {literal(refspec)}",
        "# a throwaway identity: CircleCI has none, and git refuses to commit a merge without one",
        "if ! git -c user.name='ciconf merge test' -c user.email='merge-test@ciconf.invalid' \\",
        f"    merge --no-edit {literal(remote)}; then",
        "  git merge --abort || true",
        f'  echo "merge_test: ${{CIRCLE_BRANCH:-this branch}} conflicts with {base};'
        f' merge {base} into it and resolve the conflicts" >&2',
        "  exit 1",
        "fi",
    )


# --- delivery job -------------------------------------------------------------------------------


def _resolve(var: str) -> str:
    # The job environment holds a *name* such as $AWS_STG_ACCOUNT_ID (CircleCI does not expand
    # variables there); eval turns the name into the project variable's value.
    return f'$(eval "printf \'%s\' \\"${{{var}}}\\"")'


def credentials_env_indirection() -> str:
    return lines(
        "# The job environment holds project variable *names* (such as $AWS_STG_ACCOUNT_ID);",
        "# CircleCI does not expand them, so resolve them here.",
        f'account_id="{_resolve(ACCOUNT_ID_VAR)}"',
        'if ! [[ "${account_id}" =~ ^[0-9]{12}$ ]]; then',
        f'  echo "{ACCOUNT_ID_VAR}=${{{ACCOUNT_ID_VAR}}} does not resolve to a 12-digit account id;'
        ' set that variable in the project settings" >&2',
        "  exit 1",
        "fi",
        f'aws configure set aws_access_key_id "{_resolve(ACCESS_KEY_VAR)}"',
        f'aws configure set aws_secret_access_key "{_resolve(SECRET_KEY_VAR)}"',
        f'echo "export {ACCOUNT_ID_VAR}=${{account_id}}" >> "${{BASH_ENV}}"',
    )


def credentials_oidc() -> str:
    return lines(
        "# The AWS CLI exchanges this token for the role in AWS_ROLE_ARN on every call.",
        'token_file="${HOME}/.aws/circleci-oidc-token"',
        'mkdir -p "${HOME}/.aws"',
        f"printf '%s' \"${{{OIDC_TOKEN_VAR}:?no OIDC token: attach a context to this job}}\""
        ' > "${token_file}"',
        "{",
        f'  echo "export {WEB_IDENTITY_TOKEN_FILE_VAR}=${{token_file}}"',
        f'  echo "export {ROLE_SESSION_NAME_VAR}=circleci-${{CIRCLE_BUILD_NUM:-0}}"',
        '} >> "${BASH_ENV}"',
    )


def _registry(region: str) -> str:
    return registry_host(f"${{{ACCOUNT_ID_VAR}}}", region)


def ecr_login(region: str) -> str:
    return lines(
        f': "${{{ACCOUNT_ID_VAR}:?{ACCOUNT_ID_VAR} is not set for this job}}"',
        f"aws ecr get-login-password --region {literal(region)} \\",
        f"  | docker login --username AWS --password-stdin {expanding(_registry(region))}",
    )


def build_arg(arg: BuildArg) -> str:
    """`NAME=value` for --build-arg: literal text single-quoted, an env value double-quoted."""
    if arg.when_set:
        # CIRCLE_TAG on a branch push, CIRCLE_BRANCH on a tag push: unset there, so empty
        return expanding(f"{arg.name}=${{{arg.value}:-}}")
    if arg.from_env:
        # `?`: an unset variable (a typo, a missing project variable) stops the job; empty is
        # a value like any other
        return expanding(f"{arg.name}=${{{arg.value}?{arg.value} is not set for this job}}")
    return literal(f"{arg.name}={arg.value}")


def commit_tag(length: int, prefix: str = "") -> str:
    return f'{IMAGE_TAG_VAR}="{prefix}${{{COMMIT_SHA_VAR}:0:{length}}}"'


# The full commit SHA is a tag of every delivered image as well: a short commit tag can name another
# commit's image (two SHAs sharing a prefix), the full one cannot. Lookups go by the full SHA.
FULL_TAG = f"${{{COMMIT_SHA_VAR}}}"


def _digest_of(region: str) -> list[str]:
    """Shell function: the digest a tag names (empty: no image has it); other errors printed."""
    return [
        "# digest_of REGISTRY REPOSITORY TAG: the digest the tag names, empty when no image has "
        "it.",
        "# Any other error (AccessDenied, a missing repository) is AWS's own, printed as it is.",
        "digest_of() {",
        "  local errors",
        '  errors="$(mktemp)"',
        f'  if aws ecr describe-images --region {literal(region)} --registry-id "$1" \\',
        '      --repository-name "$2" --image-ids "imageTag=$3" \\',
        "      --query 'imageDetails[0].imageDigest' --output text 2> \"${errors}\"; then",
        "    return 0",
        "  fi",
        '  if grep -q ImageNotFoundException "${errors}"; then',
        "    return 0",
        "  fi",
        '  cat "${errors}" >&2',
        "  return 1",
        "}",
    ]


def _tag_image(region: str) -> list[str]:
    """Shell function: one more tag on an image of this account, its manifest (digest) unchanged."""
    get = (
        f"aws ecr batch-get-image --region {literal(region)}"
        ' --repository-name "$1" --image-ids "imageDigest=$2"'
    )
    return [
        "# tag_image REPOSITORY DIGEST TAG: put the image's own manifest back under TAG (ECR "
        "checks",
        "# that it still hashes to DIGEST), so the tag names exactly the image first delivered.",
        "tag_image() {",
        "  local manifest media_type",
        f"  manifest=\"$({get} \\\n    --query 'images[0].imageManifest' --output text)\"",
        f"  media_type=\"$({get} \\\n    --query 'images[0].imageManifestMediaType' --output "
        'text)"',
        f'  aws ecr put-image --region {literal(region)} --repository-name "$1" --image-tag "$3" '
        "\\",
        '    --image-digest "$2" --image-manifest "${manifest}" \\',
        '    --image-manifest-media-type "${media_type}" > /dev/null',
        "}",
    ]


def _commit_image(
    delivery: DeliveryPlan, create: list[str], verify: tuple[str, ...] = ()
) -> list[str]:
    """Make sure ${repository} holds this commit's image under both commit tags; `create` makes it.

    A rerun, a release branch cut from a delivered commit, a tag on it or a rollback delivers a
    commit that is already here: its tags are immutable, so the image first delivered (the one that
    was tested) is reused, never rebuilt.
    """
    account = f'"${{{ACCOUNT_ID_VAR}}}"'
    full = f'full="$(digest_of {account} "${{repository}}" "{FULL_TAG}")"'
    body = [full]
    short_tag = delivery.has_short_tag
    if short_tag:
        body += [
            f'short="$(digest_of {account} "${{repository}}" "${{{IMAGE_TAG_VAR}}}")"',
            'if [[ -n "${short}" && "${short}" != "${full}" ]]; then',
            f'  echo "${{repository}}:${{{IMAGE_TAG_VAR}}} is another image (${{short}}), not '
            "tagged"
            f" {FULL_TAG}: another commit starting with ${{{IMAGE_TAG_VAR}}}, or an image pushed"
            ' before ciconf tagged full commits; raise delivery.commit_tag_length" >&2',
            "  exit 1",
            "fi",
        ]
    body += [
        'if [[ -n "${full}" ]]; then',
        f'  echo "${{repository}}: commit {FULL_TAG} is already here (${{full}}); reused, not '
        'rebuilt"',
        "else",
        *("  " + line for line in create),
        f"  {full}",
        "fi",
        *verify,  # before the short tag is added: nothing names an image that failed the check
    ]
    if short_tag:
        body += [
            'if [[ -z "${short}" ]]; then',
            f'  tag_image "${{repository}}" "${{full}}" "${{{IMAGE_TAG_VAR}}}"',
            "fi",
        ]
    return body


def _registry_line(delivery: DeliveryPlan) -> str:
    return f"registry={expanding(_registry(delivery.region))}"


def _head(delivery: DeliveryPlan) -> list[str]:
    return [
        commit_tag(delivery.commit_tag_length, delivery.tags.commit_prefix),
        _registry_line(delivery),
    ]


# the name a build gives this commit's image: its push target
LOCAL_REFERENCE = expanding(f"${{registry}}/${{repository}}:{FULL_TAG}")


def _docker_build(image: ImagePlan) -> list[str]:
    build = ["docker build \\"]
    build += [f"  --build-arg {build_arg(arg)} \\" for arg in image.build_args]
    build += [
        f"  -f {literal(image.dockerfile)} \\",
        f"  -t {LOCAL_REFERENCE} \\",
        f"  {literal(image.context)}",
    ]
    return build


def _push_step(delivery: DeliveryPlan, image: ImagePlan, push: list[str]) -> str:
    """One image's step: `push` runs unless the account has this commit's image (then tagged)."""
    return lines(
        _head(delivery),
        f"repository={literal(image.repository)}",
        _digest_of(delivery.region),
        _tag_image(delivery.region),
        _commit_image(delivery, push),
    )


def build_and_push(delivery: DeliveryPlan, image: ImagePlan) -> str:
    return _push_step(delivery, image, [*_docker_build(image), f"docker push {LOCAL_REFERENCE}"])


def build_only(delivery: DeliveryPlan, image: ImagePlan) -> str:
    """Build this commit's image, unless the account has it, and add it to BUILT_IMAGES.

    The steps between build and push read BUILT_IMAGES; `push_built` then pushes what was built.
    An image already delivered is not rebuilt (its tags are immutable): it was checked when it
    was first delivered.
    """
    built = f"${{{BUILT_IMAGES_VAR}:+${{{BUILT_IMAGES_VAR}}} }}{LOCAL_REFERENCE[1:-1]}"
    return lines(
        _registry_line(delivery),
        f"repository={literal(image.repository)}",
        _digest_of(delivery.region),
        f'if [[ -n "$(digest_of "${{{ACCOUNT_ID_VAR}}}" "${{repository}}" "{FULL_TAG}")" ]]; then',
        f'  echo "${{repository}}: commit {FULL_TAG} is already here; reused, not rebuilt"',
        "else",
        *("  " + line for line in _docker_build(image)),
        "  # later steps of this job read it (CircleCI sources BASH_ENV before each step)",
        f'  echo "export {BUILT_IMAGES_VAR}=\'{built}\'" >> "${{BASH_ENV}}"',
        "fi",
    )


def push_built(delivery: DeliveryPlan, image: ImagePlan) -> str:
    """Push the image `build_only` built (nothing to push when the account already has it)."""
    return _push_step(delivery, image, [f"docker push {LOCAL_REFERENCE}"])


def _move_tag(account: str, tag: str) -> list[str]:
    """Lines that point the mutable tag `tag` (a ${VAR} expression) at ${digest} unless it does
    already."""
    return [
        f'if [[ "$(digest_of {account} "${{repository}}" "{tag}")" == "${{digest}}" ]]; then',
        f'  echo "${{repository}}:{tag} already names ${{digest}}"',
        "else",
        f'  tag_image "${{repository}}" "${{digest}}" "{tag}"',
        f'  echo "${{repository}}:{tag} now names ${{digest}}"',
        "fi",
    ]


def _release_tag_checks(delivery: DeliveryPlan) -> list[str]:
    """CIRCLE_TAG as an image tag, on tag pushes: refused when Docker cannot take it or it could
    be taken for a tag of another kind (the profile checks the fixed tags the same way)."""
    fixed = " ".join([*(literal(tag) for tag in delivery.tags.moving), f'"${{{DEPLOY_TAG_VAR}}}"'])
    checks = [
        ('! [[ "${release}" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]]', "is not a Docker tag"),
        (
            f'[[ "${{release}}" =~ {delivery.commit_tag_pattern} ]] || '
            '[[ "${release}" =~ ^[0-9a-f]{40}$ ]]',
            "looks like a commit tag",
        ),
    ]
    if delivery.tags.build_prefix is not None:
        pattern = f"^{delivery.tags.build_prefix}[0-9]+$"  # a prefix has no regex metacharacter
        checks.append((f'[[ "${{release}}" =~ {pattern} ]]', "looks like a build-number tag"))
    body = ['if [[ -n "${CIRCLE_TAG:-}" ]]; then', '  release="${CIRCLE_TAG}"']
    for test, why in checks:
        body += [
            f"  if {test}; then",
            f'    echo "git tag ${{release}} {why}, so it cannot be an image tag;'
            ' no tag moved" >&2',
            "    exit 1",
            "  fi",
        ]
    body += [
        f"  for fixed in {fixed}; do",
        '    if [[ "${release}" == "${fixed}" ]]; then',
        '      echo "git tag ${release} is a tag every delivery moves; no tag moved" >&2',
        "      exit 1",
        "    fi",
        "  done",
        '  once_tags+=("${release}")',
        "fi",
    ]
    return body


def _once_tags(delivery: DeliveryPlan, account: str) -> list[str]:
    """Immutable extra tags (build number, release): none may name another image of the set;
    checked for all before any is written, and written before any tag moves."""
    tags = delivery.tags
    if tags.build_prefix is None and not tags.release:
        return []
    body = ["once_tags=()"]
    if tags.build_prefix is not None:
        body.append(
            f'once_tags+=("{tags.build_prefix}${{CIRCLE_BUILD_NUM?CIRCLE_BUILD_NUM is not set}}")'
        )
    if tags.release:
        body += _release_tag_checks(delivery)
    each = ['for repository in "${repositories[@]}"; do', '  for tag in "${once_tags[@]}"; do']
    return [
        *body,
        "# These tags are immutable: one that names another image stops the job before any tag",
        "# is written; one that names this commit's image (a rerun) is left as it is.",
        *each,
        f'    found="$(digest_of {account} "${{repository}}" "${{tag}}")"',
        '    if [[ -n "${found}" && "${found}" != "${digests["${repository}"]}" ]]; then',
        '      echo "${repository}:${tag} names another image (${found}); no tag moved" >&2',
        "      exit 1",
        "    fi",
        "  done",
        "done",
        *each,
        '    digest="${digests["${repository}"]}"',
        '    if [[ -z "$(digest_of ' + account + ' "${repository}" "${tag}")" ]]; then',
        '      tag_image "${repository}" "${digest}" "${tag}"',
        '      echo "${repository}:${tag} now names ${digest}"',
        "    fi",
        "  done",
        "done",
    ]


def push_deploy_tags(delivery: DeliveryPlan) -> str:
    """Move every deploy tag to this commit's images once all are here; the source's last."""
    source = delivery.source.repository
    account = f'"${{{ACCOUNT_ID_VAR}}}"'
    names = " ".join(literal(image.repository) for image in delivery.deploy_tag_order)
    lookup = f'digest="$(digest_of {account} "${{repository}}" "{FULL_TAG}")"'
    if delivery.tags.moving:
        # the fixed moving tags, then the deploy tag: still the last tag written
        moving = " ".join(
            [*(literal(tag) for tag in delivery.tags.moving), f'"${{{DEPLOY_TAG_VAR}}}"']
        )
        move = [
            f"  for tag in {moving}; do",
            *("    " + line for line in _move_tag(account, "${tag}")),
            "  done",
        ]
    else:
        move = ["  " + line for line in _move_tag(account, f"${{{DEPLOY_TAG_VAR}}}")]
    return lines(
        _digest_of(delivery.region),
        _tag_image(delivery.region),
        f"repositories=({names})",
        "declare -A digests",
        "# No deploy tag moves unless every image of this commit is here.",
        'for repository in "${repositories[@]}"; do',
        f"  {lookup}",
        '  digests["${repository}"]="${digest}"',
        '  if [[ -z "${digest}" ]]; then',
        f'    echo "${{repository}}:{FULL_TAG} is not in this account; no deploy tag moved" >&2',
        "    exit 1",
        "  fi",
        "done",
        _once_tags(delivery, account),
        f"# {source}:${{{DEPLOY_TAG_VAR}}} is the tag an AWS pipeline from `ciconf cfn` watches, "
        "so it",
        "# goes last. A rollback (an older commit's delivery run again) moves it back to that "
        "commit.",
        'for repository in "${repositories[@]}"; do',
        '  digest="${digests["${repository}"]}"',
        *move,
        "done",
    )


# --- profile-written commands and test splitting
# ---------------------------------------------------


def user_command(command: str) -> str:
    """A command the profile wrote (custom steps): passed through as written, one run step."""
    return lines(command.rstrip("\n").split("\n"))


def split_tests(globs: tuple[str, ...] | list[str], command: str, by: str) -> str:
    """CircleCI test splitting: the file list goes to `command` on stdin, split across the parallel
    nodes.

    `circleci tests run` (not `split`) so a rerun of failed tests runs only those.
    """
    patterns = " ".join(literal(pattern) for pattern in globs)
    return lines(
        f"circleci tests glob {patterns} \\",
        f"  | circleci tests run --command={literal(command.rstrip(chr(10)))} --verbose "
        f"--split-by={by}",
    )


# --- promotion: copy this commit's images from an earlier account, by digest
# -------------------------


def _source_registry(region: str) -> str:
    return registry_host("${source_id}", region)


def _same_digest() -> tuple[str, ...]:
    return (
        'if [[ "${full}" != "${source_digest}" ]]; then',
        '  echo "${repository}: the image here (${full}) is not the one of account ${source_id}'
        ' (${source_digest}); no deploy tag moved" >&2',
        "  exit 1",
        "fi",
    )


def _source_names(delivery: DeliveryPlan, source: DeliveryPlan) -> tuple[str, list[str]]:
    """The shell variable holding an image's repository in the source account, and the lines
    that set it: `repository` itself, unless the two accounts name their repositories apart."""
    pairs = [
        (image.repository, mine.repository)
        for image, mine in zip(source.images, delivery.images, strict=True)
    ]
    if all(theirs == mine for theirs, mine in pairs):
        return "repository", []
    table = " ".join(f"[{literal(mine)}]={literal(theirs)}" for theirs, mine in pairs)
    return "from", [
        "# the source account names its repositories differently (accounts[].images)",
        f"declare -A source_repository=({table})",
    ]


def promote_images(delivery: DeliveryPlan, source_delivery: DeliveryPlan | None = None) -> str:
    """Copy every image of this commit from the source account, by digest, and check the digests.

    `source_delivery`: the source account's images (its repository names), in the same order."""
    region = literal(delivery.region)
    names = " ".join(literal(image.repository) for image in delivery.images)
    var, table = _source_names(delivery, source_delivery or delivery)
    source = expanding(f"{_source_registry(delivery.region)}/${{{var}}}@${{source_digest}}")
    target = expanding(f"${{registry}}/${{repository}}:{FULL_TAG}")
    copy = [
        "# --prefer-index=false copies the manifest as it is (by default a single manifest is "
        "wrapped",
        "# in a new index, whose digest is not the one that was tested)",
        f"docker buildx imagetools create --prefer-index=false --tag {target} \\",
        f"  {source}",
    ]
    body = [
        *(['from="${source_repository["${repository}"]}"'] if table else []),
        f'if ! source_digest="$(digest_of "${{source_id}}" "${{{var}}}" "' + FULL_TAG + '")"; then',
        f'  echo "cannot read ${{{var}}} in account ${{source_id}}: the AWS error above says '
        'why" >&2',
        "  exit 1",
        "fi",
        'if [[ -z "${source_digest}" ]]; then',
        f'  echo "${{{var}}}:{FULL_TAG} is not in account ${{source_id}};'
        ' deliver this commit there first" >&2',
        "  exit 1",
        "fi",
        *_commit_image(delivery, copy, _same_digest()),
    ]
    return lines(
        _head(delivery),
        f'source_id="{_resolve(SOURCE_ACCOUNT_ID_VAR)}"',
        'if ! [[ "${source_id}" =~ ^[0-9]{12}$ ]]; then',
        f'  echo "{SOURCE_ACCOUNT_ID_VAR}=${{{SOURCE_ACCOUNT_ID_VAR}}} does not resolve '
        'to a 12-digit account id" >&2',
        "  exit 1",
        "fi",
        "# ECR's login token is valid for every registry this role may read, the source's included",
        f"aws ecr get-login-password --region {region} \\",
        "  | docker login --username AWS --password-stdin "
        f"{expanding(_source_registry(delivery.region))}",
        _digest_of(delivery.region),
        _tag_image(delivery.region),
        table,
        f"repositories=({names})",
        'for repository in "${repositories[@]}"; do',
        *("  " + line for line in body),
        "done",
    )


def php_extension_check(extension: str) -> str:
    """Fail early when the image lacks a PHP extension (cimg/php ships the common ones, where the
    old circleci/php images compiled them with docker-php-ext-install)."""
    return f"php -m | grep -qix {literal(extension)}"


def encoded_script(script: str) -> str:
    """Run `script` as written without spelling it in the config: CircleCI reads any '<<' there
    (a heredoc too) as the start of a template, and ciconf's profiles refuse it."""
    import base64

    encoded = base64.b64encode(script.encode("utf-8")).decode("ascii")
    return f"bash -eo pipefail -c \"$(printf '%s' {literal(encoded)} | base64 -d)\""
