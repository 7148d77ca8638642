"""A stateful stand-in for Amazon ECR, spoken to by the real AWS CLI, and a stand-in `docker`.

Why not moto: moto 5.2.5 (server or decorator) gives every image of `put_image` the digest of the
empty string (sha256:e3b0c4…), so "a rebuild is a new digest" and "the copy has the tested digest"
cannot be told apart, and it answers `describe-images --registry-id <other account>` with
RepositoryNotFoundException (no registry per account, no repository policy). Both are the behaviour
this harness exists to check, so this module serves ECR's JSON protocol itself, with ECR's rules, on
127.0.0.1, and the AWS CLI from the test extra talks to it through AWS_ENDPOINT_URL.
`tests/oracles/test_ecr_standin.py` checks these rules against ECR's API reference.

Rules kept (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutImage.html):
- a digest is sha256 of the manifest bytes; `imageDigest` given and different:
  ImageDigestDoesNotMatchException;
- a tag already on the same manifest: ImageAlreadyExistsException;
- a tag already on another manifest: ImageTagAlreadyExistsException when the tag is immutable —
  every tag of an IMMUTABLE repository, every tag no exclusion filter matches in an
  IMMUTABLE_WITH_EXCLUSION one (https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html);
  otherwise the tag moves;
- each account has its own registry; a call into another account's registry needs both the
  caller's identity policy and the repository's policy to allow the action, else
  AccessDeniedException (https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policies.html).
The caller is the account whose access key signed the request (AWS CLI) or whose login token
`docker` presents (GetAuthorizationToken's token is tied to the caller, as ECR's is).
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TARGET_PREFIX = "AmazonEC2ContainerRegistry_V20150921."
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
INDEX_TYPES = {OCI_INDEX, "application/vnd.docker.distribution.manifest.list.v2+json"}


class EcrError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def digest_of(manifest: str) -> str:
    return "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()


@dataclass
class Repository:
    account: str
    region: str
    name: str
    mutability: str = "MUTABLE"
    exclusions: tuple[str, ...] = ()  # WILDCARD filters of IMMUTABLE_WITH_EXCLUSION
    policy: dict | None = None
    manifests: dict[str, tuple[str, str]] = field(default_factory=dict)  # digest -> (text, type)
    tags: dict[str, str] = field(default_factory=dict)  # tag -> digest
    pushes: int = 0  # successful PutImage calls that created or moved a tag

    @property
    def arn(self) -> str:
        return f"arn:aws:ecr:{self.region}:{self.account}:repository/{self.name}"

    def immutable(self, tag: str) -> bool:
        if self.mutability == "IMMUTABLE":
            return True
        if self.mutability == "IMMUTABLE_WITH_EXCLUSION":
            return not any(fnmatch.fnmatchcase(tag, pattern) for pattern in self.exclusions)
        return False

    def tags_of(self, digest: str) -> list[str]:
        return sorted(tag for tag, named in self.tags.items() if named == digest)


@dataclass
class Ecr:
    """Every account's registries; identity policies say what each account's delivery job may do."""

    repositories: dict[tuple[str, str, str], Repository] = field(default_factory=dict)
    identity: dict[str, list[dict]] = field(default_factory=dict)  # account -> statements
    lock: threading.Lock = field(default_factory=threading.Lock)

    # --- set-up, as a bootstrap stack does it ---------------------------------------------

    def create_repository(
        self, account: str, region: str, name: str, **settings: Any
    ) -> Repository:
        repository = Repository(account, region, name, **settings)
        self.repositories[(account, region, name)] = repository
        return repository

    def repository(self, account: str, region: str, name: str) -> Repository:
        found = self.repositories.get((account, region, name))
        if found is None:
            raise EcrError(
                "RepositoryNotFoundException",
                f"The repository with name '{name}' does not exist in the registry with id "
                f"'{account}'",
            )
        return found

    # --- permissions -----------------------------------------------------------------------------

    def authorize(self, caller: str, action: str, repository: Repository) -> None:
        if not _allows(self.identity.get(caller, []), action, repository.arn, caller):
            raise _denied(caller, action, repository, "no identity-based policy allows")
        if caller != repository.account and not _allows(
            (repository.policy or {}).get("Statement", []), action, repository.arn, caller, True
        ):
            raise _denied(caller, action, repository, "no resource-based policy allows")

    # --- the API ---------------------------------------------------------------------------------

    def call(self, caller: str, region: str, operation: str, body: dict) -> dict:
        handler = getattr(self, "op_" + operation, None)
        if handler is None:
            raise EcrError("UnknownOperationException", operation)
        with self.lock:
            return handler(caller, region, body)

    def _target(self, caller: str, region: str, body: dict, action: str) -> Repository:
        repository = self.repository(
            body.get("registryId") or caller, region, body["repositoryName"]
        )
        self.authorize(caller, action, repository)
        return repository

    def op_GetAuthorizationToken(self, caller: str, region: str, body: dict) -> dict:
        if not _allows(self.identity.get(caller, []), "ecr:GetAuthorizationToken", "*", caller):
            raise EcrError("AccessDeniedException", "not authorized: ecr:GetAuthorizationToken")
        token = base64.b64encode(f"AWS:token-{caller}".encode()).decode()
        return {
            "authorizationData": [
                {
                    "authorizationToken": token,
                    "expiresAt": 4102444800,
                    "proxyEndpoint": f"https://{caller}.dkr.ecr.{region}.amazonaws.com",
                }
            ]
        }

    def op_DescribeImages(self, caller: str, region: str, body: dict) -> dict:
        repository = self._target(caller, region, body, "ecr:DescribeImages")
        details = []
        for digest in self._find(repository, body.get("imageIds") or [], strict=True):
            text, media_type = repository.manifests[digest]
            details.append(
                {
                    "registryId": repository.account,
                    "repositoryName": repository.name,
                    "imageDigest": digest,
                    "imageTags": repository.tags_of(digest),
                    "imageSizeInBytes": len(text),
                    "imageManifestMediaType": media_type,
                }
            )
        return {"imageDetails": details}

    def op_BatchGetImage(self, caller: str, region: str, body: dict) -> dict:
        repository = self._target(caller, region, body, "ecr:BatchGetImage")
        images, failures = [], []
        for image_id in body["imageIds"]:
            try:
                (digest,) = self._find(repository, [image_id], strict=True)
            except EcrError:
                failures.append(
                    {
                        "imageId": image_id,
                        "failureCode": "ImageNotFound",
                        "failureReason": "Requested image not found",
                    }
                )
                continue
            text, media_type = repository.manifests[digest]
            images.append(
                {
                    "registryId": repository.account,
                    "repositoryName": repository.name,
                    "imageId": {"imageDigest": digest, **_tag_of(image_id)},
                    "imageManifest": text,
                    "imageManifestMediaType": media_type,
                }
            )
        return {"images": images, "failures": failures}

    def op_PutImage(self, caller: str, region: str, body: dict) -> dict:
        repository = self._target(caller, region, body, "ecr:PutImage")
        text = body["imageManifest"]
        digest = digest_of(text)
        if body.get("imageDigest") and body["imageDigest"] != digest:
            raise EcrError(
                "ImageDigestDoesNotMatchException",
                f"Invalid parameter at 'imageDigest': {body['imageDigest']} is not {digest}",
            )
        media_type = body.get("imageManifestMediaType") or json.loads(text).get("mediaType")
        tag = body.get("imageTag")
        if tag is not None and tag in repository.tags:
            if repository.tags[tag] == digest:
                raise EcrError(
                    "ImageAlreadyExistsException",
                    f"Image with digest '{digest}' and tag '{tag}' already exists in the repository"
                    f" with name '{repository.name}' in registry with id '{repository.account}'",
                )
            if repository.immutable(tag):
                raise EcrError(
                    "ImageTagAlreadyExistsException",
                    f"The image tag '{tag}' already exists in the '{repository.name}' repository"
                    " and cannot be overwritten because the tag is immutable.",
                )
        repository.manifests.setdefault(digest, (text, media_type))
        if tag is not None:
            repository.tags[tag] = digest
        repository.pushes += 1
        return {
            "image": {
                "registryId": repository.account,
                "repositoryName": repository.name,
                "imageId": {"imageDigest": digest, **({"imageTag": tag} if tag else {})},
                "imageManifest": text,
                "imageManifestMediaType": media_type,
            }
        }

    def _find(self, repository: Repository, image_ids: list[dict], strict: bool) -> list[str]:
        if not image_ids:
            return sorted(repository.manifests)
        found = []
        for image_id in image_ids:
            digest = image_id.get("imageDigest")
            tag = image_id.get("imageTag")
            if tag is not None:
                named = repository.tags.get(tag)
                if named is None or (digest is not None and digest != named):
                    raise EcrError(
                        "ImageNotFoundException",
                        f"The image with imageId {{imageDigest:'{digest}', imageTag:'{tag}'}} "
                        "does not"
                        f" exist within the repository with name '{repository.name}' in the "
                        "registry"
                        f" with id '{repository.account}'",
                    )
                digest = named
            if digest not in repository.manifests:
                raise EcrError("ImageNotFoundException", f"The image {digest} does not exist")
            found.append(digest)
        return found


def _tag_of(image_id: dict) -> dict:
    return {"imageTag": image_id["imageTag"]} if "imageTag" in image_id else {}


def _denied(caller: str, action: str, repository: Repository, why: str) -> EcrError:
    return EcrError(
        "AccessDeniedException",
        f"User: arn:aws:iam::{caller}:user/circleci is not authorized to perform: {action} on"
        f" resource: {repository.arn} because {why} the {action} action",
    )


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _allows(
    statements: list[dict], action: str, arn: str, caller: str, resource_policy: bool = False
) -> bool:
    """IAM's Allow, for the statements ciconf writes: Action/Resource globs, AWS principals."""
    for statement in statements:
        if statement.get("Effect") != "Allow":
            continue
        if not any(
            fnmatch.fnmatchcase(action, pattern) for pattern in _as_list(statement["Action"])
        ):
            continue
        if resource_policy:
            principals = _as_list(statement.get("Principal", {}).get("AWS", []))
            if not any(p in (caller, f"arn:aws:iam::{caller}:root") for p in principals):
                continue
        elif not any(
            fnmatch.fnmatchcase(arn, pattern) for pattern in _as_list(statement.get("Resource", []))
        ):
            continue
        return True
    return False


# --- the HTTP side: ECR's JSON 1.1 protocol for the AWS CLI, a bearer token for `docker` ---------

_CREDENTIAL = re.compile(r"Credential=([^/]+)/\d{8}/([^/]+)/")


class _Handler(BaseHTTPRequestHandler):
    server: EcrServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        operation = self.headers.get("X-Amz-Target", "").removeprefix(TARGET_PREFIX)
        try:
            caller, region = self._caller()
            self._answer(200, self.server.ecr.call(caller, region, operation, body))
        except EcrError as error:
            self._answer(400, {"__type": error.code, "message": error.message})

    def _caller(self) -> tuple[str, str]:
        authorization = self.headers.get("Authorization", "")
        if authorization.startswith("Bearer "):  # the stand-in docker: a login token
            token = authorization.removeprefix("Bearer ")
            return token.removeprefix("token-"), self.headers.get("X-Region", "")
        found = _CREDENTIAL.search(authorization)
        if found is None or found.group(1) not in self.server.keys:
            raise EcrError(
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            )
        return self.server.keys[found.group(1)], found.group(2)

    def _answer(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class EcrServer(ThreadingHTTPServer):
    """The stand-in on 127.0.0.1 (a free port); `keys` maps access key ids to accounts."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.ecr = Ecr()
        self.keys: dict[str, str] = {}
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> EcrServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
