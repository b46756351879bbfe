"""Where a user's credentials live: `<prefix>/<username>/<kind>`, encrypted with Turnstile's key.

Only this module writes secret values. Callers get ARNs back, never values.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from botocore.exceptions import ClientError

from ..aws import error_code

Kind = Literal["console-password", "access-key"]


def secret_name(prefix: str, username: str, kind: Kind) -> str:
    return f"{prefix}/{username}/{kind}"


def describe(sm: Any, name: str) -> dict[str, Any] | None:
    """The secret's metadata, or None if it does not exist. A secret pending deletion is restored."""
    try:
        found = dict(sm.describe_secret(SecretId=name))
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return None
        raise
    if found.get("DeletedDate"):
        sm.restore_secret(SecretId=name)
    return found


def tags_of(metadata: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in metadata.get("Tags", [])}


def store(sm: Any, *, name: str, value: dict[str, Any], kms_key_id: str, tags: dict[str, str], description: str) -> str:
    """Create the secret, or put a new version if it exists; tags are (re)applied. Returns the ARN."""
    secret_string = json.dumps(value)
    tag_list = [{"Key": k, "Value": v} for k, v in tags.items()]
    try:
        return str(
            sm.create_secret(
                Name=name, SecretString=secret_string, KmsKeyId=kms_key_id, Description=description, Tags=tag_list
            )["ARN"]
        )
    except ClientError as error:
        if error_code(error) != "ResourceExistsException":
            raise
    describe(sm, name)  # restores it if it was pending deletion
    arn = str(sm.put_secret_value(SecretId=name, SecretString=secret_string)["ARN"])
    sm.tag_resource(SecretId=name, Tags=tag_list)
    return arn


def delete(sm: Any, name: str) -> bool:
    """Delete at once (no recovery window): the credentials it held are revoked with the user."""
    try:
        sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
        return True
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return False
        raise
