"""Key rotation for one user: read its credentials fresh, decide (rotation_rules.due), act, record, notify.

Safe to run twice: every decision is taken from what IAM, the secret and the table say now, so a second run (or a
retried step) finds the work done and does nothing. A rotation marks the key it replaces before creating the new
one, so a retry after a crash between CreateAccessKey and PutSecretValue recognises the half-made key as its own
and deletes it (nobody can have read it) instead of taking it for a key the user made.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from ..aws import error_code
from ..config import Rotation
from ..dal import table
from ..dal.iam_reads import MANAGED_TAG, absent_ok, access_keys, find_user, or_none
from ..dal.table import KeyRecord
from ..models.rotation import Action, ActionKind, LiveKey, Outcome, RunStart, UserFacts, UserResult
from ..observability import logger
from . import access_keys as key_issuer
from . import audit, notifications, rotation_rules, secrets_store

RECORD_RETENTION = dt.timedelta(days=400)
# A key created this long before the rotation mark still counts as the rotation's own (clock skew).
SKEW = dt.timedelta(seconds=5)


@dataclass(frozen=True)
class Context:
    """What acting on one user needs: clients, where things live, the rules' settings, and the run."""

    iam: Any
    sm: Any
    dynamodb: Any
    sns: Any
    table_name: str
    topic_arn: str
    secret_prefix: str
    policy: Rotation
    run: RunStart

    def key_secret(self, username: str) -> str:
        return secrets_store.secret_name(self.secret_prefix, username, "access-key")


def process_user(ctx: Context, username: str) -> UserResult:
    """Decide and (unless dry run) act for one user. Raises on an AWS failure: the workflow retries the step,
    then records the user as failed and goes on with the others."""
    facts = read_facts(ctx, username)
    if facts is None:
        return UserResult(username=username, outcome=Outcome.SKIPPED, note="the user no longer exists")
    if not facts.managed:
        return UserResult(username=username, outcome=Outcome.SKIPPED, note="not managed by Turnstile (no tag)")
    if _discard_half_made_keys(ctx, facts):
        facts = read_facts(ctx, username) or facts
    actions = rotation_rules.due(facts, ctx.policy, ctx.run.now)
    listed = tuple(_short(a) for a in actions)
    changes = [a for a in actions if a.kind.acts]
    if ctx.run.dry_run or not changes:
        outcome = Outcome.PLANNED if changes else Outcome.NOTHING_DUE
        exempt = next((a.reason for a in actions if a.kind == ActionKind.EXEMPT), None)
        if ctx.run.dry_run and actions:
            _audit(ctx, username, "KeyRotationPlanned", [a.model_dump() for a in actions])
        if not ctx.run.dry_run:
            _record_first_seen_inactive(ctx, facts, actions)
        return UserResult(
            username=username, outcome=Outcome.SKIPPED if exempt else outcome, actions=listed, note=_note(exempt)
        )
    done = [_act(ctx, facts, action) for action in changes]
    _record_first_seen_inactive(ctx, facts, actions)
    notes = [a for a in actions if not a.kind.acts]
    body = {
        "username": username,
        "run_id": ctx.run.run_id,
        "done": done,
        "noted": [_describe(a) for a in notes],
        "access_key_secret_arn": _secret_arn(ctx, username) if any("rotate" in d for d in done) else None,
    }
    _audit(ctx, username, "KeyRotationActed", body)
    notifications.publish(
        ctx.sns,
        ctx.topic_arn,
        event="CredentialsRotated",
        subject=f"Turnstile: credentials of {username} changed",
        body=body,
    )
    return UserResult(username=username, outcome=Outcome.ACTED, actions=listed)


# --- reading -----------------------------------------------------------------------------------------------
def read_facts(ctx: Context, username: str) -> UserFacts | None:
    """The user's credentials now: GetUser (path, tags, password use), ListAccessKeys, GetAccessKeyLastUsed per
    key, GetLoginProfile, the access-key secret's versions, and Turnstile's key records."""
    user = find_user(ctx.iam, username)
    if user is None:
        return None
    tags = {t["Key"]: t["Value"] for t in user.get("Tags", [])}
    secret = secrets_store.describe(ctx.sm, ctx.key_secret(username))
    stages = {} if secret is None or secret.get("DeletedDate") else secret.get("VersionIdsToStages") or {}
    keys = []
    for meta in access_keys(ctx.iam, username):
        key_id = meta["AccessKeyId"]
        used = ctx.iam.get_access_key_last_used(AccessKeyId=key_id)["AccessKeyLastUsed"].get("LastUsedDate")
        record = _record(ctx, key_id)
        labels = stages.get(secrets_store.version_token(key_id), [])
        keys.append(
            LiveKey(
                key_id=key_id,
                active=meta["Status"] == "Active",
                created=_utc(meta["CreateDate"]),
                last_used=_utc(used) if used else None,
                stored_as="current" if "AWSCURRENT" in labels else "previous" if "AWSPREVIOUS" in labels else None,
                deactivated_at=record.deactivated_at if record else None,
                reminded_at=record.reminded_at if record else None,
                rotating_since=record.rotating_since if record else None,
            )
        )
    profile = or_none(lambda: ctx.iam.get_login_profile(UserName=username)["LoginProfile"])
    password_used = user.get("PasswordLastUsed")
    return UserFacts(
        username=username,
        path=user["Path"],
        managed=tags.get(MANAGED_TAG) == "true",
        exemption=tags.get(ctx.policy.exemption_tag),
        keys=tuple(keys),
        login_profile_created=_utc(profile["CreateDate"]) if profile else None,
        password_last_used=_utc(password_used) if password_used else None,
        has_key_secret=bool(stages),
    )


def _record(ctx: Context, key_id: str) -> KeyRecord | None:
    item = ctx.dynamodb.get_item(TableName=ctx.table_name, Key=table.key_record_key(key_id), ConsistentRead=True).get(
        "Item"
    )
    return KeyRecord.from_item(item) if item else None


# --- acting ------------------------------------------------------------------------------------------------
def _act(ctx: Context, facts: UserFacts, action: Action) -> str:
    username, key_id = facts.username, str(action.key_id)
    if action.kind == ActionKind.ROTATE:
        return _rotate(ctx, username, key_id)
    if action.kind in {ActionKind.DEACTIVATE_OLD, ActionKind.DEACTIVATE_SELF_MADE, ActionKind.DEACTIVATE_UNUSED}:
        ctx.iam.update_access_key(UserName=username, AccessKeyId=key_id, Status="Inactive")
        _update_record(ctx, key_id, username, "deactivated_at")
        return f"{action.kind} {key_id}: {action.reason}"
    if action.kind == ActionKind.DELETE_OLD:
        with absent_ok():
            ctx.iam.delete_access_key(UserName=username, AccessKeyId=key_id)
        _unstage_previous(ctx, username, key_id)
        return f"{action.kind} {key_id}: {action.reason}"
    if action.kind == ActionKind.REMOVE_UNUSED_PASSWORD:
        with absent_ok():
            ctx.iam.delete_login_profile(UserName=username)
        deleted = secrets_store.delete(
            ctx.sm, secrets_store.secret_name(ctx.secret_prefix, username, "console-password")
        )
        suffix = " and its console-password secret" if deleted else ""
        return f"{action.kind}: login profile removed{suffix}: {action.reason}"
    if action.kind == ActionKind.REMIND:
        _update_record(ctx, key_id, username, "reminded_at")
        return f"{action.kind} {key_id}: {action.reason}"
    raise ValueError(f"no way to act on {action.kind}")


def _rotate(ctx: Context, username: str, old_key_id: str) -> str:
    """A new key, stored as the secret's current version (the old one stays readable as AWSPREVIOUS until the
    old key is deleted). The new secret key exists only here and in Secrets Manager."""
    _update_record(ctx, old_key_id, username, "rotating_since")
    key = ctx.iam.create_access_key(UserName=username)["AccessKey"]
    new_key_id = key["AccessKeyId"]
    version = secrets_store.version_token(new_key_id)
    try:
        ctx.sm.put_secret_value(
            SecretId=ctx.key_secret(username),
            SecretString=json.dumps(
                {"username": username, "access_key_id": new_key_id, "secret_access_key": key["SecretAccessKey"]}
            ),
            ClientRequestToken=version,
        )
    except Exception:
        key_issuer.discard(ctx.iam, username, new_key_id)
        raise
    _clear_rotation_mark(ctx, old_key_id)
    return f"rotate {old_key_id}: new key {new_key_id} stored as secret version {version}"


def _discard_half_made_keys(ctx: Context, facts: UserFacts) -> bool:
    """A key created after a rotation mark that no secret version holds was made by that rotation, which died
    before storing it: nobody can have its secret half, so it is deleted (or, failing that, deactivated).
    Returns whether anything was removed."""
    removed = False
    for marked in (k for k in facts.keys if k.rotating_since is not None and k.stored_as == "current"):
        since = marked.rotating_since or ctx.run.now
        for orphan in (k for k in facts.keys if k.stored_as is None and k.created >= since - SKEW):
            if ctx.run.dry_run:
                continue
            outcome = key_issuer.discard(ctx.iam, facts.username, orphan.key_id)
            logger.warning("half-made rotation key removed", extra={"key": orphan.key_id, "done": outcome})
            _audit(ctx, facts.username, "HalfMadeKeyRemoved", {"access_key_id": orphan.key_id, "done": outcome})
            removed = True
        if not ctx.run.dry_run:
            _clear_rotation_mark(ctx, marked.key_id)
    return removed


def _unstage_previous(ctx: Context, username: str, key_id: str) -> None:
    """The deleted key's secret version loses AWSPREVIOUS: its value no longer works, so nobody should read it."""
    secret = secrets_store.describe(ctx.sm, ctx.key_secret(username))
    version = secrets_store.version_token(key_id)
    if secret and "AWSPREVIOUS" in (secret.get("VersionIdsToStages") or {}).get(version, []):
        ctx.sm.update_secret_version_stage(
            SecretId=ctx.key_secret(username), VersionStage="AWSPREVIOUS", RemoveFromVersionId=version
        )


def _record_first_seen_inactive(ctx: Context, facts: UserFacts, actions: list[Action]) -> None:
    for action in actions:
        if action.kind == ActionKind.WAIT and action.key_id and "deletion counts from now" in action.reason:
            _update_record(ctx, action.key_id, facts.username, "deactivated_at")


def _update_record(ctx: Context, key_id: str, username: str, field: str) -> None:
    """Set `field` to the run's time unless already set (a second run keeps the first date)."""
    try:
        ctx.dynamodb.update_item(
            TableName=ctx.table_name,
            Key=table.key_record_key(key_id),
            UpdateExpression="SET #f = :now, username = :u, expires_at = :exp",
            ConditionExpression="attribute_not_exists(#f)",
            ExpressionAttributeNames={"#f": field},
            ExpressionAttributeValues={
                ":now": {"S": ctx.run.now.isoformat()},
                ":u": {"S": username},
                ":exp": {"N": str(table.expires(ctx.run.now + RECORD_RETENTION))},
            },
        )
    except ClientError as error:
        if error_code(error) != "ConditionalCheckFailedException":
            raise


def _clear_rotation_mark(ctx: Context, key_id: str) -> None:
    try:
        ctx.dynamodb.update_item(
            TableName=ctx.table_name,
            Key=table.key_record_key(key_id),
            UpdateExpression="REMOVE rotating_since",
            ConditionExpression="attribute_exists(pk)",
        )
    except ClientError as error:
        if error_code(error) != "ConditionalCheckFailedException":
            raise


def _secret_arn(ctx: Context, username: str) -> str | None:
    secret = secrets_store.describe(ctx.sm, ctx.key_secret(username))
    return str(secret["ARN"]) if secret else None


def _audit(ctx: Context, username: str, action: str, details: Any) -> None:
    audit.record(
        ctx.dynamodb,
        ctx.table_name,
        subject=f"USER#{username}",
        action=action,
        details={"run_id": ctx.run.run_id, "dry_run": ctx.run.dry_run, "plan": details},
    )


def _short(action: Action) -> str:
    return f"{action.kind} {action.key_id}" if action.key_id else str(action.kind)


def _note(text: str | None) -> str | None:
    return text[:200] if text else None


def _describe(action: Action) -> str:
    return f"{action.kind} {action.key_id}: {action.reason}" if action.key_id else f"{action.kind}: {action.reason}"


def _utc(value: dt.datetime | str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)
