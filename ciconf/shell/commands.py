"""Every shell line ciconf generates comes from this module.

Values arriving here were validated against their grammars by the profile models (no quotes, no
``$``, no backquotes, no whitespace); they are still quoted where they land. Commands are written
for
CircleCI's default shell, ``/bin/bash -eo pipefail``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ciconf.profile.derive import COMMIT_SHA_VAR, DeliveryPlan, ImagePlan, registry_host

# Job environment variable names shared by the delivery job definition, its steps and the profile
# check that refuses project variables of the same name.
from ciconf.profile.jobvars import (  # noqa: F401 - re-exported for the job definition
    ACCESS_KEY_VAR,
    ACCOUNT_ID_VAR,
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


def commit_tag(length: int) -> str:
    return f'{IMAGE_TAG_VAR}="${{{COMMIT_SHA_VAR}:0:{length}}}"'


def build_and_push(delivery: DeliveryPlan, image: ImagePlan) -> str:
    reference = expanding(f"{_registry(delivery.region)}/{image.repository}:${{{IMAGE_TAG_VAR}}}")
    build = ["docker build \\"]
    build += [f"  --build-arg {literal(f'{name}={value}')} \\" for name, value in image.build_args]
    build += [
        f"  -f {literal(image.dockerfile)} \\",
        f"  -t {reference} \\",
        f"  {literal(image.context)}",
    ]
    return lines(commit_tag(delivery.commit_tag_length), build, f"docker push {reference}")


def _retag(repository: str) -> list[str]:
    """Tag and push one repository's commit image with the deploy tag; `repository` may be
    ${var}."""
    source = expanding(f"${{registry}}/{repository}:${{{IMAGE_TAG_VAR}}}")
    target = expanding(f"${{registry}}/{repository}:${{{DEPLOY_TAG_VAR}}}")
    return [f"docker tag {source} {target}", f"docker push {target}"]


def push_deploy_tags(delivery: DeliveryPlan) -> str:
    source = delivery.source.repository
    order = delivery.deploy_tag_order
    head = [
        commit_tag(delivery.commit_tag_length),
        f"registry={expanding(_registry(delivery.region))}",
    ]
    if len(order) == 1:  # no loop over a single word (shellcheck SC2041)
        comment = (
            f"# {source}:${{{DEPLOY_TAG_VAR}}} is the tag an AWS pipeline from `ciconf cfn` "
            "watches."
        )
        return lines(head, comment, _retag(source))
    names = " ".join(literal(image.repository) for image in order)
    return lines(
        head,
        f"# {source}:${{{DEPLOY_TAG_VAR}}} is the tag an AWS pipeline from `ciconf cfn` "
        "watches, so it",
        "# goes last, after every image of this commit is in ECR.",
        f"for repository in {names}; do",
        *("  " + line for line in _retag("${repository}")),
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


def promote_images(delivery: DeliveryPlan) -> str:
    """Log in to the source account's registry and copy every image of this commit, by digest."""
    region = literal(delivery.region)
    names = " ".join(literal(image.repository) for image in delivery.images)
    source = expanding(f"{_source_registry(delivery.region)}/${{repository}}@${{digest}}")
    target = expanding(f"${{registry}}/${{repository}}:${{{IMAGE_TAG_VAR}}}")
    return lines(
        commit_tag(delivery.commit_tag_length),
        f'source_id="{_resolve(SOURCE_ACCOUNT_ID_VAR)}"',
        'if ! [[ "${source_id}" =~ ^[0-9]{12}$ ]]; then',
        f'  echo "{SOURCE_ACCOUNT_ID_VAR}=${{{SOURCE_ACCOUNT_ID_VAR}}} does not resolve '
        'to a 12-digit account id" >&2',
        "  exit 1",
        "fi",
        f"registry={expanding(_registry(delivery.region))}",
        "# ECR's login token is valid for every registry this role may read, the source's included",
        f"aws ecr get-login-password --region {region} \\",
        "  | docker login --username AWS --password-stdin "
        f"{expanding(_source_registry(delivery.region))}",
        f"for repository in {names}; do" if len(delivery.images) > 1 else f"repository={names}",
        *_indent(
            len(delivery.images) > 1,
            [
                f'if ! digest="$(aws ecr describe-images --region {region} --registry-id '
                f'"${{source_id}}" \\',
                '    --repository-name "${repository}" --image-ids "imageTag=${IMAGE_TAG}" \\',
                "    --query 'imageDetails[0].imageDigest' --output text)"
                + '" || [[ "${digest}" != sha256:* ]]; then',
                '  echo "${repository}:${IMAGE_TAG} is not in account ${source_id}; '
                'deliver this commit there first" >&2',
                "  exit 1",
                "fi",
                "# the manifest is copied as it is, so the digest in this account is the "
                "digest that was tested",
                f"docker buildx imagetools create --tag {target} {source}",
            ],
        ),
        *(["done"] if len(delivery.images) > 1 else []),
    )


def _indent(inside_loop: bool, body: list[str]) -> list[str]:
    return ["  " + line for line in body] if inside_loop else body


def promote_deploy_tags(delivery: DeliveryPlan) -> str:
    """Point each deploy tag at the copied manifest (no local image to `docker tag`); the source's
    last."""
    source = delivery.source.repository
    order = delivery.deploy_tag_order
    target = expanding(f"${{registry}}/${{repository}}:${{{DEPLOY_TAG_VAR}}}")
    commit = expanding(f"${{registry}}/${{repository}}:${{{IMAGE_TAG_VAR}}}")
    retag = f"docker buildx imagetools create --tag {target} {commit}"
    head = [
        commit_tag(delivery.commit_tag_length),
        f"registry={expanding(_registry(delivery.region))}",
    ]
    comment = (
        f"# {source}:${{{DEPLOY_TAG_VAR}}} is the tag an AWS pipeline from `ciconf cfn` "
        "watches, so it goes last."
    )
    if len(order) == 1:
        return lines(head, comment, f"repository={literal(source)}", retag)
    names = " ".join(literal(image.repository) for image in order)
    return lines(head, comment, f"for repository in {names}; do", f"  {retag}", "done")


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
