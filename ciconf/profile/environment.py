"""An account's environment: network, load balancer, ECS services and database (`ciconf cfn`).

The models hold only what the pipeline side does not already know. Container names, images and
the service names come from the delivery images and the account's pipeline (ciconf/profile/derive.py
and models.Pipeline); `problems()` checks that this section names only those.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from ciconf.errors import closest, shown
from ciconf.profile.grammar import EcsName, EcsServiceName, EnvName, Text, pattern_checker

if TYPE_CHECKING:  # models imports this module
    from ciconf.profile.derive import AccountPlan
    from ciconf.profile.models import Account


class _Model(BaseModel):
    # the same settings as models.Model (which imports this module, so it cannot be imported here)
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)


def _grammar(pattern: str, expected: str) -> AfterValidator:
    """The validator of a string type, written `Annotated[str, _grammar(...)]` so mypy reads it."""
    return AfterValidator(pattern_checker(pattern, expected))


_PARTITION = r"arn:aws(?:-[a-z]+)*"
SSM_PARAMETER_ARN = _PARTITION + r":ssm:[a-z0-9-]+:[0-9]{12}:parameter/[A-Za-z0-9_.\-/]{1,1011}"
SECRET_ARN = (
    _PARTITION + r":secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}"
    r"(?::[A-Za-z0-9_.-]*:[A-Za-z0-9_.-]*:[A-Za-z0-9_.-]*)?"
)
SecretArn = Annotated[
    str,
    _grammar(
        f"(?:{SSM_PARAMETER_ARN})|(?:{SECRET_ARN})",
        "an SSM parameter ARN (arn:aws:ssm:REGION:ACCOUNT:parameter/NAME) or a Secrets "
        "Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME, optionally "
        ":json-key:version-stage:version-id)",
    ),
]
CertificateArn = Annotated[
    str,
    _grammar(
        _PARTITION + r":acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]{36}",
        "an ACM certificate ARN like arn:aws:acm:ap-northeast-1:123456789012:certificate/<uuid>",
    ),
]
AlarmName = Annotated[str, _grammar(r"[A-Za-z0-9_.:/#+=@ -]{1,255}", "a CloudWatch alarm name")]
PathPattern = Annotated[
    str, _grammar(r"/[A-Za-z0-9_\-.$/~\"'@:+&*?]{0,127}", "an ALB path pattern like /* or /api/*")
]
HealthCheckPath = Annotated[
    str, _grammar(r"/[A-Za-z0-9_\-.$/~@:+&=?]{0,1023}", "a health check path like / or /health")
]
InstanceClass = Annotated[
    str, _grammar(r"db\.[a-z0-9]+\.[a-z0-9]+", "an RDS instance class like db.t4g.medium")
]
DatabaseName = Annotated[
    str,
    _grammar(r"[A-Za-z][A-Za-z0-9_]{0,62}", "a database name: a letter, then letters, digits, '_'"),
]
EngineVersion = Annotated[
    str,
    _grammar(
        r"[0-9][A-Za-z0-9._-]{0,63}", "an engine version like 8.0.mysql_aurora.3.08.0 or 16.6"
    ),
]

Port = Annotated[int, Field(ge=1, le=65535)]
# the values CloudWatch Logs accepts for RetentionInDays (the pipeline's log group too)
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
# Fargate task sizes: CPU units -> the memory sizes (MiB) AWS accepts with it
FARGATE_MEMORY = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
    8192: tuple(range(16384, 61441, 4096)),
    16384: tuple(range(32768, 122881, 8192)),
}


def _cidr(value: str) -> str:
    try:
        network = ipaddress.IPv4Network(value)
    except ValueError:
        raise ValueError(f"expected an IPv4 network like 10.0.0.0/16, got {shown(value)}") from None
    if str(network) != value:
        raise ValueError(f"expected the network address {network}, got {shown(value)}")
    return value


Cidr = Annotated[str, AfterValidator(_cidr)]


class Network(_Model):
    """The VPC: public subnets (load balancer, NAT) and private subnets (tasks, database), one each per AZ."""  # noqa: E501 - pydantic makes this docstring the schema's description

    cidr: Cidr = Field(
        "10.0.0.0/16", description="VPC network, /16 to /20; subnets are /24s inside it"
    )
    availability_zones: Literal[2, 3] = Field(
        3, description="How many availability zones the subnets span"
    )
    nat: Literal["per-az", "single"] = Field(
        "per-az",
        description="per-az: one NAT gateway per zone (a zone outage leaves the others online); "
        "single: one NAT gateway for all zones (cheaper, one zone's failure cuts every "
        "zone's egress)",
    )

    @model_validator(mode="after")
    def _room_for_subnets(self) -> Network:
        prefix = ipaddress.IPv4Network(self.cidr).prefixlen
        if not 16 <= prefix <= 20:
            raise ValueError(
                f"cidr must be a /16 to /20 network (room for the /24 subnets), got /{prefix}"
            )
        return self


class LoadBalancerTarget(_Model):
    """Where the load balancer sends this service's requests."""

    container: EcsName = Field(
        description="The container that receives the traffic (one of the images' containers)"
    )
    health_check_path: HealthCheckPath = "/"
    paths: list[PathPattern] = Field(
        default_factory=lambda: ["/*"],
        min_length=1,
        max_length=5,
        description="Path patterns routed to the service",
    )


# ECS requires a bake time with the BLUE_GREEN strategy, so ciconf always writes one
# (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html).
DEFAULT_BAKE_MINUTES = 15


class Deployment(_Model):
    """How ECS replaces the service's tasks, and what rolls a deployment back."""

    strategy: Literal["rolling", "blue-green", "linear", "canary"] = Field(
        "rolling",
        description="rolling: replace tasks in place (circuit breaker with rollback); blue-green, "
        "linear, canary: "
        "ECS native blue/green, shifting load balancer traffic all at once, in steps, or "
        "a canary first",
    )
    bake_minutes: int | None = Field(
        None,
        ge=0,
        le=1440,
        description="blue-green/linear/canary: minutes both revisions run after the shift "
        f"(blue-green: default {DEFAULT_BAKE_MINUTES}; linear, canary: AWS's default)",
    )
    step_percent: float | None = Field(
        None, ge=3, le=100, description="linear: traffic shifted per step (default 10)"
    )
    step_bake_minutes: int | None = Field(
        None, ge=0, le=1440, description="linear: minutes between steps (default 6)"
    )
    canary_percent: float | None = Field(
        None, ge=0.1, le=100, description="canary: traffic shifted first (default 5)"
    )
    canary_bake_minutes: int | None = Field(
        None, ge=0, le=1440, description="canary: minutes before the rest shifts (default 10)"
    )
    alarms: list[AlarmName] = Field(
        default_factory=list,
        max_length=10,
        description="Existing CloudWatch alarms; ALARM during a deployment rolls it back",
    )
    target_5xx_alarm: int | None = Field(
        None,
        ge=1,
        description="Also create an alarm on the target group's 5xx responses (this many within a "
        "minute) that rolls back",
    )

    @model_validator(mode="after")
    def _settings_fit_strategy(self) -> Deployment:
        used = {
            "linear": ("step_percent", "step_bake_minutes"),
            "canary": ("canary_percent", "canary_bake_minutes"),
        }
        for strategy, fields in used.items():
            for name in fields:
                if getattr(self, name) is not None and self.strategy != strategy:
                    raise ValueError(f"{name} is only used with strategy: {strategy}")
        if self.bake_minutes is not None and self.strategy == "rolling":
            raise ValueError("bake_minutes is only used with strategy blue-green, linear or canary")
        for name in ("step_percent", "canary_percent"):
            value = getattr(self, name)
            if value is not None and round(value * 10) != value * 10:
                raise ValueError(f"{name} must be a multiple of 0.1")
        return self


class EcsServiceSettings(_Model):
    """One ECS service of the pipeline: its task size, ports, traffic, configuration and deployment."""  # noqa: E501 - pydantic makes this docstring the schema's description

    cpu: Literal[256, 512, 1024, 2048, 4096, 8192, 16384] = Field(
        256, description="Fargate CPU units of a task"
    )
    memory: int = Field(512, description="MiB of a task; must fit the CPU (Fargate's table)")
    desired_count: int = Field(
        2, ge=1, le=1000, description="Tasks once images are delivered (see images_delivered)"
    )
    ports: dict[EcsName, Port] = Field(
        default_factory=dict,
        description="Container -> the port it listens on (containers without one take no traffic)",
    )
    load_balancer: LoadBalancerTarget | None = Field(
        None, description="Route load balancer traffic to one container (its port from `ports`)"
    )
    environment: dict[EcsName, dict[EnvName, Text]] = Field(
        default_factory=dict, description="Container -> plain environment variables (never secrets)"
    )
    secrets: dict[EcsName, dict[EnvName, SecretArn]] = Field(
        default_factory=dict,
        description="Container -> variables read from SSM or Secrets Manager by ARN at start",
    )
    deployment: Deployment = Field(default_factory=Deployment)

    @model_validator(mode="after")
    def _consistent(self) -> EcsServiceSettings:
        if self.memory not in FARGATE_MEMORY[self.cpu]:
            sizes = FARGATE_MEMORY[self.cpu]
            raise ValueError(
                f"memory {self.memory} does not fit cpu {self.cpu} on Fargate (expected "
                f"{sizes[0]} to {sizes[-1]} in steps of {sizes[1] - sizes[0]})"
            )
        if self.load_balancer is not None and self.load_balancer.container not in self.ports:
            raise ValueError(
                f"load_balancer.container {self.load_balancer.container!r} needs a port in `ports`"
            )
        if self.deployment.strategy != "rolling" and self.load_balancer is None:
            raise ValueError(
                f"strategy {self.deployment.strategy} shifts load balancer traffic: set "
                "load_balancer"
            )
        if self.deployment.target_5xx_alarm is not None and self.load_balancer is None:
            raise ValueError(
                "target_5xx_alarm watches the service's target group: set load_balancer"
            )
        for container, names in self.secrets.items():
            clash = sorted(set(names) & set(self.environment.get(container, {})))
            if clash:
                raise ValueError(
                    f"{container}: {', '.join(clash)} is both a secret and a plain variable"
                )
        return self


class Database(_Model):
    """An Aurora cluster in the private subnets, reachable only from the services' tasks."""

    engine: Literal["aurora-mysql", "aurora-postgresql"] = "aurora-mysql"
    engine_version: EngineVersion | None = Field(
        None, description="Default: 8.0.mysql_aurora.3.10.1 or 16.9"
    )
    instance_class: InstanceClass = "db.t4g.medium"
    instances: int = Field(
        2, ge=1, le=15, description="Writer plus readers; 2 or more fail over to another zone"
    )
    name: DatabaseName = Field("app", description="The database created in the cluster")
    backup_retention_days: int = Field(7, ge=1, le=35)
    containers: list[EcsName] = Field(
        default_factory=list,
        description="Containers given DB_HOST, DB_PORT, DB_DATABASE, and DB_USERNAME/DB_PASSWORD "
        "from the managed secret",
    )


class TestListener(_Model):
    """A second HTTPS port where blue/green services show their new revision before the shift."""

    port: Port = 8443
    cidrs: list[Cidr] = Field(
        min_length=1, max_length=20, description="Who may reach the test port"
    )


class Environment(_Model):
    """The account's environment stack: VPC, ALB, ECS cluster and services, optional database."""

    network: Network = Field(default_factory=Network)
    certificate_arn: CertificateArn | None = Field(
        None,
        description="Default of the stack's CertificateArn parameter (the HTTPS listener's ACM "
        "certificate)",
    )
    log_retention_days: int = Field(
        30, description="Days the VPC flow logs and container logs are kept"
    )
    services: dict[EcsServiceName, EcsServiceSettings] = Field(
        min_length=1, description="Keyed by the ECS service names of the account's pipeline"
    )
    database: Database | None = None
    test_listener: TestListener | None = Field(
        None, description="Test traffic port for blue/green services"
    )

    @model_validator(mode="after")
    def _valid(self) -> Environment:
        if self.log_retention_days not in LOG_RETENTION_DAYS:
            raise ValueError(
                f"log_retention_days must be one of {', '.join(map(str, LOG_RETENTION_DAYS))}"
            )
        seen: dict[str, str] = {}
        for name, service in self.services.items():
            for path in service.load_balancer.paths if service.load_balancer else []:
                if path in seen:
                    raise ValueError(f"services {seen[path]} and {name} both route path {path}")
                seen[path] = name
        logical = [logical_name(name) for name in self.services]
        if len(set(logical)) != len(logical):
            raise ValueError(
                "service names must differ in more than '-' and '_' (they name the "
                "stack's resources)"
            )
        return self


def logical_name(name: str) -> str:
    """A CloudFormation logical id part from an ECS name: example-stg-web -> ExampleStgWeb."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_]", name) if part)


# --- what the environment shares with the pipeline -------------------------------------------


def _pipeline_services(account: Account | AccountPlan) -> list | None:
    # `pipeline.services` (several services, each naming its containers) where the model has it
    pipeline = account.pipeline
    return getattr(pipeline, "services", None) if pipeline is not None else None


def service_names(account: Account | AccountPlan) -> list[str]:
    """The ECS service names the account's pipeline deploys to (the keys environment.services
    uses)."""
    if account.pipeline is None:
        return []
    several = _pipeline_services(account)
    if several:
        return [service.name for service in several]
    assert account.pipeline.service is not None  # validated: `service` when not `services`
    return [account.pipeline.service]


def service_containers(
    account: Account | AccountPlan, containers: list[str]
) -> dict[str, list[str]]:
    """Service name -> the delivered containers its task runs, in delivery order.

    One service runs every delivered container; with several, each runs the ones it lists.
    """
    several = _pipeline_services(account)
    if not several:
        return {name: list(containers) for name in service_names(account)}
    return {service.name: [c for c in containers if c in service.containers] for service in several}


@dataclass(frozen=True)
class Problem:
    path: tuple  # below the account, e.g. ("environment", "services", "web", "ports", "nginx")
    message: str
    expected: str | None = None
    suggestion: str | None = None


def _unknown(path: tuple, kind: str, name: str, known: list[str]) -> Problem:
    return Problem(
        path, f"{name!r} is not one of the {kind}", ", ".join(known) or "none", closest(name, known)
    )


def problems(account: Account | AccountPlan, containers: list[str]) -> list[Problem]:
    """What the environment section names that the pipeline and the images do not have."""
    environment = account.environment
    if environment is None:
        return []
    if account.pipeline is None:
        return [
            Problem(
                ("environment",),
                "an environment needs the account's pipeline section (cluster and service names)",
                "pipeline: {cluster: ..., service: ...}",
            )
        ]
    if account.pipeline.strategy != "rolling":
        return [
            Problem(
                ("pipeline", "strategy"),
                "the environment's services deploy through ECS (rolling or ECS "
                "blue/green); CodeDeploy blue/green services are not generated",
                "strategy: rolling, with environment.services.<name>.deployment.strategy: "
                "blue-green",
            )
        ]
    found: list[Problem] = []
    wanted = service_containers(account, containers)
    for name, service in environment.services.items():
        base = ("environment", "services", name)
        if name not in wanted:
            found.append(_unknown(base, "pipeline's ECS services", name, list(wanted)))
            continue
        own = wanted[name]
        for field, named in (
            ("ports", service.ports),
            ("environment", service.environment),
            ("secrets", service.secrets),
        ):
            found += [
                _unknown((*base, field, c), "service's containers", c, own)
                for c in named
                if c not in own
            ]
    database = environment.database
    for index, container in enumerate(database.containers if database else []):
        if container not in containers:
            found.append(
                _unknown(
                    ("environment", "database", "containers", index),
                    "images' containers",
                    container,
                    containers,
                )
            )
    return found
