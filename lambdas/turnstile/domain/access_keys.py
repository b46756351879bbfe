"""Programmatic access: one access key whose secret half exists only in Secrets Manager."""

from __future__ import annotations

from typing import Any

from ..errors import TurnstileError
from ..models.onboarding import AccessKeyResult, Hire
from ..settings import Settings
from . import secrets_store

KEY_ID_TAG = "turnstile:access-key-id"
IAM_KEY_LIMIT = 2


class AccessKeyLimitReached(TurnstileError):
    """The user already holds IAM's maximum of two access keys, none of them recorded by Turnstile."""


def key_ids(iam: Any, username: str) -> list[str]:
    ids: list[str] = []
    for page in iam.get_paginator("list_access_keys").paginate(UserName=username):
        ids += [k["AccessKeyId"] for k in page["AccessKeyMetadata"]]
    return ids


def ensure_access_key(iam: Any, sm: Any, hire: Hire, env: Settings) -> AccessKeyResult:
    """Issue a key and store it; a second run finds the stored key still live and does nothing.

    The key id is kept as a tag on the secret so idempotency never needs to read the secret value.
    If storing fails, the new key is deleted again: no key ever exists that nobody can retrieve.
    """
    name = secrets_store.secret_name(env.secret_prefix, hire.username, "access-key")
    live = key_ids(iam, hire.username)
    existing = secrets_store.describe(sm, name)
    if existing is not None:
        stored_id = secrets_store.tags_of(existing).get(KEY_ID_TAG)
        if stored_id in live and not existing.get("DeletedDate"):
            return AccessKeyResult(access_key_id=stored_id, secret_arn=existing["ARN"], created=False)
    if len(live) >= IAM_KEY_LIMIT:
        raise AccessKeyLimitReached(f"user {hire.username!r} already has {len(live)} access keys")

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
                KEY_ID_TAG: key["AccessKeyId"],
            },
            description=f"Access key of IAM user {hire.username}",
        )
    except Exception:
        iam.delete_access_key(UserName=hire.username, AccessKeyId=key["AccessKeyId"])
        raise
    return AccessKeyResult(access_key_id=key["AccessKeyId"], secret_arn=arn, created=True)
