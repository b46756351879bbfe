"""Where a user's credentials live: `<prefix>/<username>/<kind>`, encrypted with Turnstile's key.

Only this module writes secret values. Callers get ARNs back, never values.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, Literal

from botocore.exceptions import ClientError

from ..aws import error_code

Kind = Literal["console-password", "access-key"]
VERSION_NAMESPACE = uuid.UUID("6f6b3c1e-8c1d-4f44-9d0c-7475726e7374")  # Turnstile's, for version ids


def secret_name(prefix: str, username: str, kind: Kind) -> str:
    return f"{prefix}/{username}/{kind}"


def describe(sm: Any, name: str) -> dict[str, Any] | None:
    """The secret's metadata, or None if it does not exist. A secret scheduled for deletion has `DeletedDate`."""
    try:
        return dict(sm.describe_secret(SecretId=name))
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return None
        raise


def tags_of(metadata: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in metadata.get("Tags", [])}


def current_version(metadata: dict[str, Any] | None) -> str | None:
    """The version id staged AWSCURRENT: the value a reader gets. None for a secret with no value yet, or one
    scheduled for deletion (its value can no longer be read)."""
    if metadata is None or metadata.get("DeletedDate"):
        return None
    stages = metadata.get("VersionIdsToStages") or {}
    return next((version for version, labels in stages.items() if "AWSCURRENT" in labels), None)


def version_token(content_id: str) -> str:
    """A version id derived from what the version holds (e.g. an access key id): whether the current version holds
    it is then read from the secret's metadata, never from its value."""
    return str(uuid.uuid5(VERSION_NAMESPACE, content_id))


def read_only_for(readers: list[str]) -> str:
    """Resource policy: the configured readers may read the value; every other principal is denied, whatever
    its own IAM policies say (Turnstile's own roles included: they write credentials, never read them)."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "OnlyConfiguredReaders",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:PrincipalArn": readers or ["(nobody)"]}},
        }
    ]
    if readers:
        statements.insert(
            0,
            {
                "Sid": "ConfiguredReadersRead",
                "Effect": "Allow",
                "Principal": {"AWS": readers},
                "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                "Resource": "*",
            },
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def store(
    sm: Any,
    *,
    name: str,
    value: dict[str, Any],
    kms_key_id: str,
    tags: dict[str, str],
    description: str,
    readers: list[str],
    existing: dict[str, Any] | None,
    version_id: str | None = None,
) -> str:
    """Write the secret's value; returns the ARN. `existing` is what `describe` returned for the name.

    A new secret is created empty and its resource policy put before any value exists, so there is no moment
    when a value is readable by anyone but the configured readers. An existing one gets a new version; one
    scheduled for deletion is restored first (AWS refuses to create a secret under that name). `version_id` names
    the new version (the same id and value twice is one version: Secrets Manager's idempotency token).
    """
    tag_list = [{"Key": k, "Value": v} for k, v in tags.items()]
    if existing is None:
        try:
            sm.create_secret(Name=name, KmsKeyId=kms_key_id, Description=description, Tags=tag_list)
        except ClientError as error:
            if error_code(error) != "ResourceExistsException":  # anything but "created meanwhile"
                raise
    elif existing.get("DeletedDate"):
        sm.restore_secret(SecretId=name)
    sm.tag_resource(SecretId=name, Tags=tag_list)
    sm.put_resource_policy(SecretId=name, ResourcePolicy=read_only_for(readers), BlockPublicPolicy=True)
    return str(
        sm.put_secret_value(
            SecretId=name, SecretString=json.dumps(value), ClientRequestToken=version_id or str(uuid.uuid4())
        )["ARN"]
    )


def delete(sm: Any, name: str) -> bool:
    """Delete at once (no recovery window): the credentials it held are revoked with the user."""
    try:
        sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
        return True
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return False
        raise
