"""A stand-in `docker` for the delivery harness: builds are not reproducible, pushes go to ECR's
stand-in.

Commands: login, build, tag, push, buildx imagetools create. Every call is appended to $STUB_LOG as
in tests/jobsim.py. `build` makes a new manifest each time (a fresh layer digest), as real builds
do (timestamps, base-image updates). `push` and `imagetools create` write through the stand-in's
PutImage as the account whose login token `docker login` stored for that registry. FAIL_PUSH=<repo>
makes every push to that repository fail, as a network error in the middle of a delivery would.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import sys
from pathlib import Path

STATE = Path(os.environ["DOCKER_STANDIN_DIR"])
REFERENCE = re.compile(
    r"(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/"
    r"(?P<repository>[^:@]+)(?::(?P<tag>[^@]+)|@(?P<digest>sha256:[0-9a-f]{64}))$"
)
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def load(name: str) -> dict:
    path = STATE / name
    return json.loads(path.read_text()) if path.exists() else {}


def save(name: str, data: dict) -> None:
    STATE.mkdir(parents=True, exist_ok=True)
    (STATE / name).write_text(json.dumps(data, indent=1, sort_keys=True))


def fail(message: str) -> None:
    print(message, file=sys.stderr)
    sys.exit(1)


def parse(reference: str) -> re.Match:
    found = REFERENCE.match(reference)
    if found is None:
        fail(f"invalid reference format: {reference}")
    assert found is not None
    return found


def ecr(reference: re.Match, operation: str, body: dict) -> dict:
    # imported here: urllib.request is most of a call's start-up, and only pushes speak HTTP
    import urllib.error
    import urllib.request

    host = reference.group(0).split("/", 1)[0]
    token = load("logins.json").get(host)
    if token is None:
        fail(f"no basic auth credentials for {host}")
    request = urllib.request.Request(
        os.environ["ECR_STANDIN_URL"],
        data=json.dumps(body).encode(),
        headers={
            "X-Amz-Target": "AmazonEC2ContainerRegistry_V20150921." + operation,
            "Authorization": f"Bearer {token}",
            "X-Region": reference.group("region"),
        },
    )
    try:
        with urllib.request.urlopen(request) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        answer = json.loads(error.read())
        fail(f"{reference.group(0)}: {answer['__type']}: {answer['message']}")
    raise AssertionError


def put(reference: re.Match, manifest: str, media_type: str) -> None:
    if os.environ.get("FAIL_PUSH") == reference.group("repository"):
        fail(f"{reference.group(0)}: connection reset by peer (FAIL_PUSH)")
    ecr(
        reference,
        "PutImage",
        {
            "registryId": reference.group("account"),
            "repositoryName": reference.group("repository"),
            "imageManifest": manifest,
            "imageManifestMediaType": media_type,
            "imageTag": reference.group("tag"),
        },
    )


def option_values(args: list[str], *names: str) -> list[str]:
    return [args[i + 1] for i, arg in enumerate(args[:-1]) if arg in names]


def main(args: list[str]) -> None:
    entry: dict = {"argv": ["docker", *args]}
    images = load("images.json")
    if args[:1] == ["login"]:
        entry["stdin"] = sys.stdin.read()
        logins = load("logins.json")
        logins[args[-1]] = entry["stdin"].strip()
        save("logins.json", logins)
    elif args[:1] == ["build"]:
        layer = "sha256:" + secrets.token_hex(32)  # not reproducible: every build is new
        manifest = {
            "schemaVersion": 2,
            "mediaType": DOCKER_MANIFEST,
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 1,
                "digest": layer,
            },
            "layers": [],
            "build_args": option_values(args, "--build-arg"),
        }
        for tag in option_values(args, "-t", "--tag"):
            images[tag] = json.dumps(manifest, indent=3)
        save("images.json", images)
    elif args[:1] == ["tag"]:
        if args[1] not in images:
            fail(f"No such image: {args[1]}")
        images[args[2]] = images[args[1]]
        save("images.json", images)
    elif args[:1] == ["push"]:
        if args[1] not in images:
            fail(f"An image does not exist locally with the tag: {args[1]}")
        put(parse(args[1]), images[args[1]], DOCKER_MANIFEST)
    elif args[:3] == ["buildx", "imagetools", "create"]:
        imagetools_create(args[3:])
    else:
        fail(f"docker stand-in: unsupported command {args}")
    with open(os.environ["STUB_LOG"], "a") as log:
        log.write(json.dumps(entry) + "\n")


def imagetools_create(args: list[str]) -> None:
    """Docker's documented default: one single-manifest source becomes a new index (a new digest);
    --prefer-index=false copies the manifest as it is.
    https://docs.docker.com/reference/cli/docker/buildx/imagetools/create/"""
    targets = option_values(args, "--tag", "-t")
    sources = [arg for arg in args if REFERENCE.match(arg) and arg not in targets]
    (source,) = sources
    found = parse(source)
    answer = ecr(
        found,
        "BatchGetImage",
        {
            "registryId": found.group("account"),
            "repositoryName": found.group("repository"),
            "imageIds": [{"imageDigest": found.group("digest")}],
        },
    )
    if not answer["images"]:
        fail(f"{source}: not found")
    image = answer["images"][0]
    manifest, media_type = image["imageManifest"], image["imageManifestMediaType"]
    if "--prefer-index=false" not in args and media_type != OCI_INDEX:
        media_type = OCI_INDEX
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": OCI_INDEX,
                "manifests": [
                    {"mediaType": image["imageManifestMediaType"], "digest": found.group("digest")}
                ],
            }
        )
    for target in targets:
        put(parse(target), manifest, media_type)


if __name__ == "__main__":
    main(sys.argv[1:])
