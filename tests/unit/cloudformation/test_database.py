"""The database's KMS key outlives the stack whenever the cluster's data does.

The cluster leaves a final snapshot when the stack deletes or replaces it (DeletionPolicy Snapshot),
and that snapshot is encrypted with DatabaseKey: a key deleted with the stack leaves a snapshot that
cannot be restored. DeletionPolicy / UpdateReplacePolicy semantics:
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html
"""

from __future__ import annotations

import pytest
from environment_helpers import env_template, environment_accounts

KEEPS_DATA = {"Snapshot", "Retain"}


def _with_database() -> list:
    found = []
    for profile, account in environment_accounts():
        if "DatabaseCluster" in env_template(profile, account)["Resources"]:
            found.append((profile, account))
    return found


@pytest.mark.parametrize(("profile", "account"), _with_database())
def test_database_key_is_retained_with_the_data(profile, account):
    resources = env_template(profile, account)["Resources"]
    cluster = resources["DatabaseCluster"]
    (key_id,) = {cluster["Properties"]["KmsKeyId"]["!Ref"]}
    key = resources[key_id]
    assert key["Type"] == "AWS::KMS::Key"
    for policy in ("DeletionPolicy", "UpdateReplacePolicy"):
        if cluster[policy] in KEEPS_DATA:
            assert key.get(policy) == "Retain", policy


def test_some_profile_has_a_database():
    assert _with_database()
