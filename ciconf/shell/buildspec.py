"""The CodeBuild step between the ECR source and the deploy, as one bash script.

The ECR source action hands CodeBuild an ``imageDetail.json`` for the image whose deploy tag moved.
The other images of the same commit are found by the commit tag that image also carries (the
delivery job pushes every image at the commit tag before any deploy tag), and every image is pinned
by digest, so a later push cannot change what this run deploys.

Values come from validated profile fields (repository, container and tag grammars), and are still
single-quoted where they land. The script runs under ``bash`` (buildspec ``env.shell``).
"""

from __future__ import annotations

from ciconf.profile.derive import DeliveryPlan, ServicePlan
from ciconf.shell.commands import lines, literal

IMAGE_DETAIL = "imageDetail.json"
TASK_DEFINITION_TEMPLATE = "taskdef.json"
APPSPEC = "appspec.yaml"
SOURCE_PLACEHOLDER = "IMAGE1_NAME"  # CodeDeployToECS replaces <IMAGE1_NAME> with the source image
CLUSTER_VAR = "ECS_CLUSTER"  # set on the CodeBuild project from the stack's parameters

# describe-task-definition fields that register-task-definition rejects
READ_ONLY_TASK_FIELDS = (
    "taskDefinitionArn",
    "revision",
    "status",
    "requiresAttributes",
    "compatibilities",
    "registeredAt",
    "registeredBy",
    "deregisteredAt",
)


def _fail(message: str) -> str:
    return f'echo "ciconf: {message}" >&2; exit 1'


def read_source(delivery: DeliveryPlan) -> str:
    """The registry and the source image pinned by digest, from imageDetail.json."""
    return lines(
        "set -euo pipefail",
        "# <account>.dkr.ecr.<region>.amazonaws.com, the registry the delivery job pushed to",
        f"registry=\"$(jq -r '.ImageURI' {IMAGE_DETAIL} | cut -d/ -f1)\"",
        f"source_digest=\"$(jq -r '.ImageDigest' {IMAGE_DETAIL})\"",
        f'source_uri="${{registry}}/{delivery.source.repository}@${{source_digest}}"',
        'echo "ciconf: deploying ${source_uri}"',
    )


def read_commit_tag(delivery: DeliveryPlan) -> str:
    """The source image's commit tag: it finds the other images of the same commit."""
    source = delivery.source.repository
    pattern = literal(delivery.commit_tag_pattern)
    return lines(
        f"registry_id=\"$(jq -r '.RegistryId' {IMAGE_DETAIL})\"",
        "# The source image carries the deploy tag and the commit tag; deploy tags never "
        "look like one.",
        f"mapfile -t commit_tags < <(jq -r --arg pattern {pattern} \\",
        f"  '.ImageTags // [] | .[] | select(test($pattern))' {IMAGE_DETAIL})",
        'if [[ "${#commit_tags[@]}" -eq 0 ]]; then',
        "  # imageDetail.json may list only the watched tag: ask ECR for every tag of this digest",
        '  mapfile -t commit_tags < <(aws ecr describe-images --registry-id "${registry_id}" \\',
        f"    --repository-name {literal(source)} --image-ids "
        f'"imageDigest=${{source_digest}}" --output json \\',
        f"    | jq -r --arg pattern {pattern} '.imageDetails[0].imageTags // [] | .[] | "
        "select(test($pattern))')",
        "fi",
        'if [[ "${#commit_tags[@]}" -ne 1 ]]; then',
        "  "
        + _fail(
            f"{source}@${{source_digest}} carries ${{#commit_tags[@]}} commit tags"
            " (${commit_tags[*]:-none}); expected exactly one to find the other images of"
            " that commit. Push the images again from the commit to deploy."
        ),
        "fi",
        'commit_tag="${commit_tags[0]}"',
        'echo "ciconf: the other images at commit tag ${commit_tag}"',
    )


def resolve_siblings(delivery: DeliveryPlan) -> list[str]:
    """Lines that pin every other image at the source's commit tag (none for a single image)."""
    if not delivery.siblings:
        return []
    return [*read_commit_tag(delivery).splitlines(), *pin_function().splitlines()]


def pin_function() -> str:
    """`pin REPOSITORY`: the registry URI of REPOSITORY at the commit tag, by digest."""
    return lines(
        "pin() {",
        '  local repository="$1" digest',
        '  if ! digest="$(aws ecr describe-images --registry-id "${registry_id}" \\',
        '      --repository-name "${repository}" --image-ids "imageTag=${commit_tag}" \\',
        "      --query 'imageDetails[0].imageDigest' --output text)" + '" \\',
        '      || [[ ! "${digest}" =~ ^sha256:[0-9a-f]{64}$ ]]; then',
        "    "
        + _fail(
            "${repository}:${commit_tag} is not in ECR (or has no digest); the delivery job pushes"
            " every image at the commit tag before the deploy tag. Was it deleted or never pushed?"
        ),
        "  fi",
        "  printf '%s\\n' \"${registry}/${repository}@${digest}\"",
        "}",
    )


def resolve_images(delivery: DeliveryPlan, *, include_source: bool = True) -> str:
    """One shell variable per image, uri_1..uri_N in profile order, each pinned by digest."""
    out = []
    for number, image in enumerate(delivery.images, start=1):
        if image is delivery.source:
            if include_source:
                out.append(f'uri_{number}="${{source_uri}}"')
        else:
            out.append(f'uri_{number}="$(pin {literal(image.repository)})"')
    return lines(out)


def task_definition_functions() -> str:
    """`fetch_task_definition SERVICE FILE` (the service's current task definition, ARN in
    ${task_definition}) and `has_container FILE NAME`; both return non-zero instead of exiting so
    that every problem can be reported in one message."""
    return lines(
        "fetch_task_definition() {",
        '  task_definition="$(aws ecs describe-services --cluster "${'
        + CLUSTER_VAR
        + '}" --services "$1" \\',
        "    --query 'services[0].taskDefinition' --output text)\"",
        '  [[ -n "${task_definition}" && "${task_definition}" != None ]] || return 1',
        '  aws ecs describe-task-definition --task-definition "${task_definition}" \\',
        '    --query taskDefinition --output json > "$2"',
        "}",
        "has_container() {",
        '  jq -e --arg name "$2" \'any(.containerDefinitions[]; .name == $name)\' "$1" > /dev/null',
        "}",
    )


def current_task_definition_file(service: ServicePlan) -> str:
    return f"task-definition-{service.name}.json"


def verify_services(services: tuple[ServicePlan, ...]) -> str:
    """Every delivered container must exist in its service's current task definition.

    Checked for all services before any deploy file is written; one message lists every problem.
    """
    out = ["problems=()"]
    for service in services:
        name = f"${{{service.env_var}}}"
        file = current_task_definition_file(service)
        out.append(f'if fetch_task_definition "{name}" {file}; then')
        for image in service.images:
            out += [
                f"  has_container {file} {literal(image.container)} \\",
                f'    || problems+=("container {image.container} is not in '
                f'${{task_definition}} (service {name})")',
            ]
        out += [
            "else",
            f'  problems+=("ECS service {name} not found in cluster ${{{CLUSTER_VAR}}}")',
            "fi",
        ]
    out += [
        'if [[ "${#problems[@]}" -gt 0 ]]; then',
        "  printf -v joined '%s; ' \"${problems[@]}\"",
        "  "
        + _fail(
            "cannot deploy: ${joined%; }. Each delivered container must run in its service's task"
            " definition (pipeline.services in the profile)."
        ),
        "fi",
    ]
    return lines(out)


def write_image_definitions(service: ServicePlan, delivery: DeliveryPlan) -> str:
    """The ECS deploy action's file for one service: [{"name": container, "imageUri": uri}, ...]."""
    args = ["jq -n \\"]
    objects = []
    for image in service.images:
        number = delivery.images.index(image) + 1
        args.append(
            f"  --arg name_{number} {literal(image.container)} --arg uri_{number} "
            f'"${{uri_{number}}}" \\'
        )
        objects.append(f"{{name: $name_{number}, imageUri: $uri_{number}}}")
    args.append(f"  {literal('[' + ', '.join(objects) + ']')} > {service.definitions_file}")
    return lines(args, f"cat {service.definitions_file}")


def rolling_script(delivery: DeliveryPlan, services: tuple[ServicePlan, ...]) -> str:
    return lines(
        read_source(delivery).splitlines(),
        resolve_siblings(delivery),
        resolve_images(delivery).splitlines(),
        task_definition_functions().splitlines(),
        verify_services(services).splitlines(),
        *(write_image_definitions(service, delivery).splitlines() for service in services),
    )


# --- blue/green (CodeDeployToECS) -----------------------------------------------------------------


def write_task_definition_template(delivery: DeliveryPlan, service: ServicePlan) -> str:
    """taskdef.json: the blue/green service's current task definition with this commit's images.

    If the source image runs in this service it becomes the <IMAGE1_NAME> placeholder, which
    CodeDeployToECS fills from the ECR source artifact; the other images are pinned here by digest.
    Containers the profile does not deliver (sidecars) keep their image.
    """
    args = ["jq \\"]
    branches = []
    for image in service.images:
        number = delivery.images.index(image) + 1
        if image is delivery.source:
            value = f'"<{SOURCE_PLACEHOLDER}>"'
        else:
            value = f"$uri_{number}"
            args.append(f'  --arg uri_{number} "${{uri_{number}}}" \\')
        args.append(f"  --arg name_{number} {literal(image.container)} \\")
        branches.append(f"if .name == $name_{number} then .image = {value}")
    program = "del(" + ", ".join(f".{field}" for field in READ_ONLY_TASK_FIELDS) + ")"
    program += " | .containerDefinitions |= map(" + " el".join(branches) + " else . end)"
    args.append(f"  {literal(program)} \\")
    args.append(f"  {current_task_definition_file(service)} > {TASK_DEFINITION_TEMPLATE}")
    return lines(
        "# The service's running task definition is the template: CloudFormation no "
        "longer updates it",
        "# once the service uses the CODE_DEPLOY deployment controller.",
        args,
    )


def write_appspec(appspec_yaml: str) -> str:
    """appspec.yaml, written verbatim (quoted heredoc: nothing inside is expanded)."""
    return lines(f"cat > {APPSPEC} <<'APPSPEC'", appspec_yaml.rstrip("\n").splitlines(), "APPSPEC")


def blue_green_script(
    delivery: DeliveryPlan,
    services: tuple[ServicePlan, ...],
    traffic: ServicePlan,
    appspec_yaml: str,
) -> str:
    """taskdef.json and appspec.yaml for the traffic service; definitions files for the others."""
    placeholder = delivery.source in traffic.images
    return lines(
        read_source(delivery).splitlines(),
        resolve_siblings(delivery),
        resolve_images(delivery, include_source=not placeholder).splitlines(),
        task_definition_functions().splitlines(),
        verify_services(services).splitlines(),
        write_task_definition_template(delivery, traffic).splitlines(),
        write_appspec(appspec_yaml).splitlines(),
        *(write_image_definitions(s, delivery).splitlines() for s in services if s != traffic),
    )
