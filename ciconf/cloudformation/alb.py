"""The internet-facing load balancer: HTTPS with the certificate parameter, HTTP redirected to
HTTPS."""

from __future__ import annotations

from ciconf.cloudformation.intrinsics import get_att, ref, skip_checkov, sub
from ciconf.cloudformation.network import public_subnets
from ciconf.profile.environment import Environment

# TLS 1.3 and 1.2 only (AWS's recommended policy for new HTTPS listeners)
SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"


# no egress at all unless a rule below adds it: an unreachable address stands in for the
# default allow-all rule, which CloudFormation otherwise adds
def no_egress() -> list[dict]:
    return [
        {
            "CidrIp": "127.0.0.1/32",
            "IpProtocol": "-1",
            "Description": "no egress unless a rule adds it",
        }
    ]


def _ingress(port: int, cidr: str, why: str) -> dict:
    return {
        "CidrIp": cidr,
        "IpProtocol": "tcp",
        "FromPort": port,
        "ToPort": port,
        "Description": why,
    }


def security_group(environment: Environment) -> dict:
    ingress = [
        _ingress(443, "0.0.0.0/0", "HTTPS from the internet"),
        _ingress(80, "0.0.0.0/0", "HTTP from the internet, answered with a redirect to HTTPS"),
    ]
    test = environment.test_listener
    if test is not None:
        for cidr in test.cidrs:
            ingress.append(_ingress(test.port, cidr, "blue/green test traffic"))
    return {
        "Type": "AWS::EC2::SecurityGroup",
        "Metadata": skip_checkov(
            (
                "CKV_AWS_260",
                "Port 80 is open so that plain-HTTP visitors get the listener's 301 "
                "redirect to HTTPS; no request on port 80 is forwarded to a task.",
            )
        ),
        "Properties": {
            "GroupDescription": sub("${AWS::StackName} load balancer"),
            "VpcId": ref("Vpc"),
            "SecurityGroupIngress": ingress,
            "SecurityGroupEgress": no_egress(),
        },
    }


def load_balancer(environment: Environment) -> dict:
    return {
        "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "Metadata": skip_checkov(
            (
                "CKV_AWS_91",
                "Access logs need an S3 bucket whose policy admits the region's Elastic "
                "Load Balancing "
                "account; this stack does not create one. Requests are visible in the "
                "target groups' metrics and the containers' logs.",
            )
        ),
        "Properties": {
            "Type": "application",
            "Scheme": "internet-facing",
            "IpAddressType": "ipv4",
            "Subnets": public_subnets(environment.network),
            "SecurityGroups": [ref("LoadBalancerSecurityGroup")],
            "LoadBalancerAttributes": [
                {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"},
                {"Key": "deletion_protection.enabled", "Value": "true"},
            ],
        },
    }


def _not_found() -> list[dict]:
    return [
        {
            "Type": "fixed-response",
            "FixedResponseConfig": {
                "StatusCode": "404",
                "ContentType": "text/plain",
                "MessageBody": "Not found",
            },
        }
    ]


def https_listener(port: int = 443) -> dict:
    return {
        "Type": "AWS::ElasticLoadBalancingV2::Listener",
        "Properties": {
            "LoadBalancerArn": ref("LoadBalancer"),
            "Port": port,
            "Protocol": "HTTPS",
            "SslPolicy": SSL_POLICY,
            "Certificates": [{"CertificateArn": ref("CertificateArn")}],
            "DefaultActions": _not_found(),  # a request no service's rule matches
        },
    }


def http_listener() -> dict:
    return {
        "Type": "AWS::ElasticLoadBalancingV2::Listener",
        "Properties": {
            "LoadBalancerArn": ref("LoadBalancer"),
            "Port": 80,
            "Protocol": "HTTP",
            "DefaultActions": [
                {
                    "Type": "redirect",
                    "RedirectConfig": {
                        "Protocol": "HTTPS",
                        "Port": "443",
                        "StatusCode": "HTTP_301",
                    },
                }
            ],
        },
    }


def resources(environment: Environment) -> dict:
    found = {
        "LoadBalancerSecurityGroup": security_group(environment),
        "LoadBalancer": load_balancer(environment),
        "HttpListener": http_listener(),
        "HttpsListener": https_listener(),
    }
    if environment.test_listener is not None:
        found["TestListener"] = https_listener(environment.test_listener.port)
    return found


def dns_output() -> dict:
    return {
        "Description": "Point your domain's DNS (CNAME or alias) here",
        "Value": get_att("LoadBalancer.DNSName"),
    }
