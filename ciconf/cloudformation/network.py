"""The environment's VPC: public and private subnets per zone, NAT, and flow logs to an encrypted
log group."""

from __future__ import annotations

import ipaddress
import itertools

from ciconf.cloudformation.intrinsics import (
    account_administers_key,
    arn,
    get_att,
    policy,
    ref,
    statement,
    sub,
)
from ciconf.profile.environment import Network
from ciconf.yamlkit.emit import Tagged

# log groups live under the stack's name, so one key-policy condition covers all of them
LOG_PREFIX = "/${AWS::StackName}/"
FLOW_LOG_GROUP = LOG_PREFIX + "vpc-flow-logs"
PRIVATE_OFFSET = 10  # the seed's layout: public 10.0.0.0/24.., private 10.0.10.0/24..


def subnet_cidrs(network: Network) -> tuple[list[str], list[str]]:
    """(public, private) /24 networks, one of each per availability zone."""
    zones = range(network.availability_zones)
    # only the blocks used (a /16 has 256: making them all was most of an environment stack)
    wanted = PRIVATE_OFFSET + network.availability_zones
    blocks = list(
        itertools.islice(ipaddress.IPv4Network(network.cidr).subnets(new_prefix=24), wanted)
    )
    return [str(blocks[i]) for i in zones], [str(blocks[PRIVATE_OFFSET + i]) for i in zones]


def _name(text: str) -> list[dict]:
    return [{"Key": "Name", "Value": sub("${AWS::StackName}-" + text)}]


def _zone(index: int) -> Tagged:
    return Tagged("!Select", [index, Tagged("!GetAZs", "")])


def private_subnets(network: Network) -> list[Tagged]:
    return [ref(f"PrivateSubnet{i}") for i in range(network.availability_zones)]


def public_subnets(network: Network) -> list[Tagged]:
    return [ref(f"PublicSubnet{i}") for i in range(network.availability_zones)]


def log_key() -> dict:
    """One rotating key for every log group of the stack (flow logs, container logs)."""
    logs_use = [
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:Encrypt",
        "kms:GenerateDataKey*",
        "kms:ReEncrypt*",
    ]
    return {
        "Type": "AWS::KMS::Key",
        "Properties": {
            "Description": sub("Logs of ${AWS::StackName}"),
            "EnableKeyRotation": True,
            "KeyPolicy": policy(
                # AWS's default statement: the account manages the key through IAM (without it the
                # key becomes unmanageable); CloudWatch Logs may use it for this stack's groups
                # only.
                account_administers_key(),
                {
                    "Sid": "StackLogGroupsOnly",
                    "Effect": "Allow",
                    "Principal": {"Service": sub("logs.${AWS::Region}.amazonaws.com")},
                    "Action": logs_use,
                    "Resource": "*",
                    "Condition": {
                        "ArnLike": {
                            "kms:EncryptionContext:aws:logs:arn": arn(
                                "logs", f"log-group:{LOG_PREFIX}*"
                            )
                        }
                    },
                },
            ),
        },
    }


def log_group(name: str, retention_days: int) -> dict:
    return {
        "Type": "AWS::Logs::LogGroup",
        "Properties": {
            "LogGroupName": sub(name),
            "RetentionInDays": retention_days,
            "KmsKeyId": get_att("LogKey.Arn"),
        },
    }


def _flow_log_role() -> dict:
    group = arn("logs", f"log-group:{FLOW_LOG_GROUP}")
    streams = arn("logs", f"log-group:{FLOW_LOG_GROUP}:*")
    document = policy(
        {
            "Effect": "Allow",
            "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
            "Action": "sts:AssumeRole",
            # only flow logs of this account may use the role (confused deputy)
            "Condition": {"StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}},
        }
    )
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": document,
            "Policies": [
                {
                    "PolicyName": "flow-logs",
                    "PolicyDocument": policy(
                        statement(
                            [
                                "logs:CreateLogStream",
                                "logs:DescribeLogStreams",
                                "logs:PutLogEvents",
                            ],
                            [group, streams],
                        )
                    ),
                }
            ],
        },
    }


def _nat(network: Network, index: int) -> int:
    """The NAT gateway a private subnet routes through."""
    return index if network.nat == "per-az" else 0


def resources(network: Network, retention_days: int) -> dict:
    public, private = subnet_cidrs(network)
    found: dict = {
        "Vpc": {
            "Type": "AWS::EC2::VPC",
            "Properties": {
                "CidrBlock": network.cidr,
                "EnableDnsSupport": True,
                "EnableDnsHostnames": True,
                "Tags": _name("vpc"),
            },
        },
        "LogKey": log_key(),
        "FlowLogRole": _flow_log_role(),
        "FlowLogGroup": log_group(FLOW_LOG_GROUP, retention_days),
        "FlowLog": {
            "Type": "AWS::EC2::FlowLog",
            "Properties": {
                "ResourceId": ref("Vpc"),
                "ResourceType": "VPC",
                "TrafficType": "ALL",
                "LogDestinationType": "cloud-watch-logs",
                "LogGroupName": ref("FlowLogGroup"),
                "DeliverLogsPermissionArn": get_att("FlowLogRole.Arn"),
            },
        },
        "InternetGateway": {
            "Type": "AWS::EC2::InternetGateway",
            "Properties": {"Tags": _name("igw")},
        },
        "InternetGatewayAttachment": {
            "Type": "AWS::EC2::VPCGatewayAttachment",
            "Properties": {"VpcId": ref("Vpc"), "InternetGatewayId": ref("InternetGateway")},
        },
        "PublicRouteTable": {
            "Type": "AWS::EC2::RouteTable",
            "Properties": {"VpcId": ref("Vpc"), "Tags": _name("public")},
        },
        "PublicRoute": {
            "Type": "AWS::EC2::Route",
            "DependsOn": "InternetGatewayAttachment",
            "Properties": {
                "RouteTableId": ref("PublicRouteTable"),
                "DestinationCidrBlock": "0.0.0.0/0",
                "GatewayId": ref("InternetGateway"),
            },
        },
    }
    for i in range(network.availability_zones):
        found[f"PublicSubnet{i}"] = {
            "Type": "AWS::EC2::Subnet",
            "Properties": {
                "VpcId": ref("Vpc"),
                "CidrBlock": public[i],
                "AvailabilityZone": _zone(i),
                # only the load balancer and NAT live here, with their own addresses
                "MapPublicIpOnLaunch": False,
                "Tags": _name(f"public{i}"),
            },
        }
        found[f"PublicSubnet{i}RouteTableAssociation"] = {
            "Type": "AWS::EC2::SubnetRouteTableAssociation",
            "Properties": {
                "SubnetId": ref(f"PublicSubnet{i}"),
                "RouteTableId": ref("PublicRouteTable"),
            },
        }
        if _nat(network, i) == i:
            found[f"NatAddress{i}"] = {
                "Type": "AWS::EC2::EIP",
                "DependsOn": "InternetGatewayAttachment",
                "Properties": {"Domain": "vpc", "Tags": _name(f"nat{i}")},
            }
            found[f"NatGateway{i}"] = {
                "Type": "AWS::EC2::NatGateway",
                "Properties": {
                    "AllocationId": get_att(f"NatAddress{i}.AllocationId"),
                    "SubnetId": ref(f"PublicSubnet{i}"),
                    "Tags": _name(f"nat{i}"),
                },
            }
    for i in range(network.availability_zones):
        found[f"PrivateSubnet{i}"] = {
            "Type": "AWS::EC2::Subnet",
            "Properties": {
                "VpcId": ref("Vpc"),
                "CidrBlock": private[i],
                "AvailabilityZone": _zone(i),
                "MapPublicIpOnLaunch": False,
                "Tags": _name(f"private{i}"),
            },
        }
        found[f"PrivateRouteTable{i}"] = {
            "Type": "AWS::EC2::RouteTable",
            "Properties": {"VpcId": ref("Vpc"), "Tags": _name(f"private{i}")},
        }
        found[f"PrivateRoute{i}"] = {
            "Type": "AWS::EC2::Route",
            "Properties": {
                "RouteTableId": ref(f"PrivateRouteTable{i}"),
                "DestinationCidrBlock": "0.0.0.0/0",
                "NatGatewayId": ref(f"NatGateway{_nat(network, i)}"),
            },
        }
        found[f"PrivateSubnet{i}RouteTableAssociation"] = {
            "Type": "AWS::EC2::SubnetRouteTableAssociation",
            "Properties": {
                "SubnetId": ref(f"PrivateSubnet{i}"),
                "RouteTableId": ref(f"PrivateRouteTable{i}"),
            },
        }
    return found
