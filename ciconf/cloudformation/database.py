"""The optional Aurora cluster: private subnets, encrypted, password managed by Secrets Manager."""

from __future__ import annotations

from dataclasses import dataclass, field

from ciconf.cloudformation.alb import no_egress
from ciconf.cloudformation.intrinsics import (
    account_administers_key,
    get_att,
    policy,
    ref,
    statement,
    sub,
)
from ciconf.cloudformation.network import private_subnets
from ciconf.profile.environment import Database, Network

MASTER_USER = "dbadmin"  # not a reserved name in either engine
PORTS = {"aurora-mysql": 3306, "aurora-postgresql": 5432}
# Aurora MySQL 3.10 is a long-term support release; cfn-lint (the tests) flags deprecated versions
DEFAULT_VERSIONS = {"aurora-mysql": "8.0.mysql_aurora.3.10.1", "aurora-postgresql": "16.9"}
LOG_EXPORTS = {"aurora-mysql": ["error", "slowquery"], "aurora-postgresql": ["postgresql"]}
SECRET = "${DatabaseCluster.MasterUserSecret.SecretArn}"


@dataclass(frozen=True)
class Wiring:
    """What the database hands the containers that use it."""

    containers: tuple[str, ...]
    environment: dict = field(default_factory=dict)
    secrets: dict = field(default_factory=dict)


def wiring(database: Database) -> Wiring:
    return Wiring(
        containers=tuple(database.containers),
        environment={
            "DB_HOST": get_att("DatabaseCluster.Endpoint.Address"),
            "DB_PORT": get_att("DatabaseCluster.Endpoint.Port"),
            "DB_DATABASE": database.name,
        },
        # read by ECS from the secret RDS manages (and rotates); never in the template
        secrets={
            "DB_USERNAME": sub(SECRET + ":username::"),
            "DB_PASSWORD": sub(SECRET + ":password::"),
        },
    )


def secret_access() -> list[dict]:
    """For an execution role whose containers read the managed master secret."""
    return [
        statement(
            ["secretsmanager:GetSecretValue"],
            [get_att("DatabaseCluster.MasterUserSecret.SecretArn")],
        ),
        statement(["kms:Decrypt"], [get_att("DatabaseKey.Arn")]),
    ]


def engine_version(database: Database) -> str:
    return database.engine_version or DEFAULT_VERSIONS[database.engine]


def parameter_family(database: Database) -> str:
    version = engine_version(database)
    if database.engine == "aurora-mysql":
        return "aurora-mysql5.7" if version.startswith("5.7") else "aurora-mysql8.0"
    return f"aurora-postgresql{version.split('.')[0]}"


def _parameters(database: Database) -> dict:
    if database.engine == "aurora-mysql":
        # the seed's utf8mb4 settings, plus TLS-only connections
        charset = {
            name: "utf8mb4"
            for name in (
                "character_set_client",
                "character_set_connection",
                "character_set_database",
                "character_set_results",
                "character_set_server",
            )
        }
        return {**charset, "require_secure_transport": "ON"}
    return {"rds.force_ssl": "1"}


# The cluster keeps its data when the stack deletes or replaces it: a final snapshot.
KEEP_DATA = {"DeletionPolicy": "Snapshot", "UpdateReplacePolicy": "Snapshot"}
# ... and the snapshot is encrypted with the key, which must then outlive the stack too: a deleted
# (scheduled for deletion) key leaves a snapshot nobody can restore.
KEEP_KEY = {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}


def _key() -> dict:
    return {
        "Type": "AWS::KMS::Key",
        **KEEP_KEY,
        "Properties": {
            "Description": sub(
                "Database storage, master secret and Performance Insights of ${AWS::StackName}"
            ),
            "EnableKeyRotation": True,
            # RDS and Secrets Manager use the key through grants made for the callers IAM allows
            "KeyPolicy": policy(account_administers_key()),
        },
    }


def _monitoring_role() -> dict:
    # AmazonRDSEnhancedMonitoringRole written out: RDS writes OS metrics to its own RDSOSMetrics
    # group
    groups = sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:RDS*")
    streams = sub(
        "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:RDS*:log-stream:*"
    )
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": policy(
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "monitoring.rds.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ),
            "Policies": [
                {
                    "PolicyName": "enhanced-monitoring",
                    "PolicyDocument": policy(
                        statement(["logs:CreateLogGroup", "logs:PutRetentionPolicy"], [groups]),
                        statement(
                            [
                                "logs:CreateLogStream",
                                "logs:DescribeLogStreams",
                                "logs:GetLogEvents",
                                "logs:PutLogEvents",
                            ],
                            [streams],
                        ),
                    ),
                }
            ],
        },
    }


def resources(database: Database, network: Network, client_groups: list[tuple[str, str]]) -> dict:
    """`client_groups`: (logical id prefix, security group) of each service that may connect."""
    port = PORTS[database.engine]
    found: dict = {
        "DatabaseKey": _key(),
        "DatabaseSecurityGroup": {
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {
                "GroupDescription": sub("${AWS::StackName} database"),
                "VpcId": ref("Vpc"),
                "SecurityGroupEgress": no_egress(),
            },
        },
    }
    for prefix, group in client_groups:
        found[f"DatabaseFrom{prefix}"] = {
            "Type": "AWS::EC2::SecurityGroupIngress",
            "Properties": {
                "GroupId": ref("DatabaseSecurityGroup"),
                "IpProtocol": "tcp",
                "FromPort": port,
                "ToPort": port,
                "SourceSecurityGroupId": ref(group),
                "Description": f"from the {prefix} tasks",
            },
        }
        found[f"{prefix}ToDatabase"] = {
            "Type": "AWS::EC2::SecurityGroupEgress",
            "Properties": {
                "GroupId": ref(group),
                "IpProtocol": "tcp",
                "FromPort": port,
                "ToPort": port,
                "DestinationSecurityGroupId": ref("DatabaseSecurityGroup"),
                "Description": "to the database",
            },
        }
    found["DatabaseSubnetGroup"] = {
        "Type": "AWS::RDS::DBSubnetGroup",
        "Properties": {
            "DBSubnetGroupDescription": sub("${AWS::StackName} private subnets"),
            "SubnetIds": private_subnets(network),
        },
    }
    found["DatabaseParameterGroup"] = {
        "Type": "AWS::RDS::DBClusterParameterGroup",
        "Properties": {
            "Description": sub("${AWS::StackName} cluster parameters"),
            "Family": parameter_family(database),
            "Parameters": _parameters(database),
        },
    }
    found["DatabaseMonitoringRole"] = _monitoring_role()
    found["DatabaseCluster"] = {
        "Type": "AWS::RDS::DBCluster",
        **KEEP_DATA,
        "Properties": {
            "Engine": database.engine,
            "EngineVersion": engine_version(database),
            "DatabaseName": database.name,
            "MasterUsername": MASTER_USER,
            "ManageMasterUserPassword": True,
            "MasterUserSecret": {"KmsKeyId": ref("DatabaseKey")},
            "StorageEncrypted": True,
            "KmsKeyId": ref("DatabaseKey"),
            "DBSubnetGroupName": ref("DatabaseSubnetGroup"),
            "VpcSecurityGroupIds": [ref("DatabaseSecurityGroup")],
            "DBClusterParameterGroupName": ref("DatabaseParameterGroup"),
            "Port": port,
            "BackupRetentionPeriod": database.backup_retention_days,
            "DeletionProtection": True,
            "CopyTagsToSnapshot": True,
            "EnableIAMDatabaseAuthentication": True,
            "EnableCloudwatchLogsExports": LOG_EXPORTS[database.engine],
        },
    }
    for index in range(database.instances):
        found[f"DatabaseInstance{index}"] = {
            "Type": "AWS::RDS::DBInstance",
            "Properties": {
                "Engine": database.engine,
                "DBClusterIdentifier": ref("DatabaseCluster"),
                "DBInstanceClass": database.instance_class,
                "PubliclyAccessible": False,
                "AutoMinorVersionUpgrade": True,
                "MonitoringInterval": 60,
                "MonitoringRoleArn": get_att("DatabaseMonitoringRole.Arn"),
                "EnablePerformanceInsights": True,
                "PerformanceInsightsKMSKeyId": ref("DatabaseKey"),
                "PerformanceInsightsRetentionPeriod": 7,
            },
        }
    return found
