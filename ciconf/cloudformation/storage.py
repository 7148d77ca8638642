"""Where the pipeline keeps things: a KMS key, the artifact bucket and the build log group."""

from __future__ import annotations

from ciconf.cloudformation.intrinsics import (
    account_administers_key,
    arn,
    get_att,
    policy,
    ref,
    skip_checkov,
    statement,
    sub,
)

LOG_GROUP_NAME = "/aws/codebuild/${AWS::StackName}"
ARTIFACT_DAYS = 30  # artifacts only matter while an execution runs or is retried
KEY_USE = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]


# Retained: the retained bucket's objects stay readable (a deleted key is gone for good after
# its waiting period, and with it everything it encrypted).
KEY_POLICY = {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}
# Retained: deleting a stack (or replacing the bucket) must not fail on a non-empty bucket;
# its lifecycle rules keep emptying it, and you delete it when you no longer need it.
BUCKET_POLICY = {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}
# Deleted: build logs only explain recent builds, and a retained group with this fixed name would
# stop the stack from being created again under the same name.
LOG_GROUP_POLICY = {"DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete"}


def artifact_key() -> dict:
    logs_use = [
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:Encrypt",
        "kms:GenerateDataKey",
        "kms:GenerateDataKeyWithoutPlaintext",
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
    ]
    return {
        "Type": "AWS::KMS::Key",
        **KEY_POLICY,
        "Properties": {
            "Description": sub("Pipeline artifacts and build logs of ${AWS::StackName}"),
            "EnableKeyRotation": True,
            "KeyPolicy": policy(
                # AWS's default key policy: the account administers the key through IAM (without it
                # the key becomes unmanageable); the stack's roles are granted only KEY_USE.
                account_administers_key(),
                {
                    "Sid": "BuildLogGroupOnly",
                    "Effect": "Allow",
                    "Principal": {"Service": sub("logs.${AWS::Region}.amazonaws.com")},
                    "Action": sorted(logs_use),
                    "Resource": "*",
                    "Condition": {
                        "ArnEquals": {
                            "kms:EncryptionContext:aws:logs:arn": arn(
                                "logs", f"log-group:{LOG_GROUP_NAME}"
                            )
                        }
                    },
                },
            ),
        },
    }


def artifact_bucket() -> dict:
    return {
        "Type": "AWS::S3::Bucket",
        **BUCKET_POLICY,
        "Metadata": skip_checkov(
            (
                "CKV_AWS_18",
                "Holds only pipeline artifacts (expiring after 30 days) that this stack's "
                "roles write and "
                "read; server access logs would need a second bucket. Audit object access "
                "with CloudTrail S3 data events if required: they are not recorded by default.",
            )
        ),
        "Properties": {
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {
                        "ServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": get_att("ArtifactKey.Arn"),
                        },
                        "BucketKeyEnabled": True,
                    }
                ]
            },
            "VersioningConfiguration": {"Status": "Enabled"},
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            "LifecycleConfiguration": {
                "Rules": [
                    {
                        "Id": "ExpireOldArtifacts",
                        "Status": "Enabled",
                        "ExpirationInDays": ARTIFACT_DAYS,
                        "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
                        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                    }
                ]
            },
        },
    }


def artifact_bucket_policy() -> dict:
    bucket = get_att("ArtifactBucket.Arn")
    return {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {
            "Bucket": ref("ArtifactBucket"),
            "PolicyDocument": policy(
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [bucket, sub("${ArtifactBucket.Arn}/*")],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ),
        },
    }


def build_log_group(retention_days: int) -> dict:
    return {
        "Type": "AWS::Logs::LogGroup",
        **LOG_GROUP_POLICY,
        "Properties": {
            "LogGroupName": sub(LOG_GROUP_NAME),
            "RetentionInDays": retention_days,
            "KmsKeyId": get_att("ArtifactKey.Arn"),
        },
    }


def artifact_access() -> list[dict]:
    """Statements for a role that reads and writes pipeline artifacts."""
    return [
        statement(
            ["s3:GetBucketLocation", "s3:GetBucketVersioning"], [get_att("ArtifactBucket.Arn")]
        ),
        statement(
            ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
            [sub("${ArtifactBucket.Arn}/*")],
        ),
        statement(KEY_USE, [get_att("ArtifactKey.Arn")]),
    ]
