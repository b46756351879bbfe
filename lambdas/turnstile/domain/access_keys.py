"""Programmatic access: one access key whose secret half exists only in Secrets Manager.

A key counts as stored only when the access-key secret's *current version* holds it. The version id is derived
from the key id (`secrets_store.version_token`), so that is read from the secret's metadata, never from its value
and never from a tag written before the value. A live key without a stored value (a crash between CreateAccessKey
and PutSecretValue) is deleted before a new one is issued, or, failing that, deactivated.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ..dal.iam_reads import absent_ok, key_ids
from ..errors import TurnstileError
from ..models.onboarding import AccessKeyResult, Hire
from ..observability import logger
from ..settings import Settings
from . import secrets_store

IAM_KEY_LIMIT = 2


class AccessKeyLimitReached(TurnstileError):
    """The user already holds IAM's maximum of two access keys, none of them stored by Turnstile."""


class UnstoredKeyLeftActive(TurnstileError):
    """A key whose secret half was never stored could be neither deleted nor deactivated."""


def stored_key(metadata: dict[str, Any] | None, live: list[str]) -> str | None:
    """The live key the secret's current version holds, if any."""
    current = secrets_store.current_version(metadata)
    return next((k for k in live if secrets_store.version_token(k) == current), None) if current else None


def ensure_access_key(iam: Any, sm: Any, hire: Hire, env: Settings) -> AccessKeyResult:
    """Issue a key and store it as the secret's current version; a second run finds it stored and does nothing."""
    name = secrets_store.secret_name(env.secret_prefix, hire.username, "access-key")
    live = key_ids(iam, hire.username)
    existing = secrets_store.describe(sm, name)
    stored = stored_key(existing, live)
    if stored is not None and existing is not None:
        return AccessKeyResult(access_key_id=stored, secret_arn=existing["ARN"], created=False)
    for unstored in live:
        discard(iam, hire.username, unstored)
    if len(key_ids(iam, hire.username)) >= IAM_KEY_LIMIT:
        raise AccessKeyLimitReached(f"user {hire.username} already has {IAM_KEY_LIMIT} access keys")

    key = iam.create_access_key(UserName=hire.username)["AccessKey"]
    try:
        arn = secrets_store.store(
            sm,
            name=name,
            value={
                "username": hire.username,
                "access_key_id": key["AccessKeyId"],
                "secret_access_key": key["SecretAccessKey"],
            },
            kms_key_id=env.kms_key_id,
            readers=env.secret_readers,
            existing=existing,
            tags={
                "turnstile:managed": "true",
                "turnstile:username": hire.username,
                "turnstile:employee-id": hire.employee_id,
            },
            description=f"Access key of IAM user {hire.username}",
            version_id=secrets_store.version_token(key["AccessKeyId"]),
        )
    except Exception:
        discard(iam, hire.username, key["AccessKeyId"])
        raise
    return AccessKeyResult(access_key_id=key["AccessKeyId"], secret_arn=arn, created=True)


def discard(iam: Any, username: str, key_id: str) -> str:
    """Delete a key nobody can retrieve; if that fails, deactivate it. Returns what was done."""
    try:
        with absent_ok():
            iam.delete_access_key(UserName=username, AccessKeyId=key_id)
        logger.warning("deleted an access key whose secret was never stored", extra={"access_key_id": key_id})
        return "deleted"
    except ClientError as delete_error:
        try:
            iam.update_access_key(UserName=username, AccessKeyId=key_id, Status="Inactive")
        except ClientError as error:
            raise UnstoredKeyLeftActive(
                f"access key {key_id} of {username} has no stored secret and could not be deleted or deactivated"
            ) from error
        logger.error(
            "deactivated an access key whose secret was never stored (delete failed)",
            extra={"access_key_id": key_id, "error": str(delete_error)},
        )
        return "deactivated"
