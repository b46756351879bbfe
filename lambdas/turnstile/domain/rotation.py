"""Key rotation for one user: read its credentials fresh, decide (rotation_rules.due), act, record, notify.

Safe to run twice, and twice at once: every decision is taken from what IAM, the secret and the table say now, so a
second run (or a retried step) finds the work done and does nothing. A key a rotation creates is recorded as the
rotation's (its own KEY# record: `made_by_rotation`) before its secret is written, and only such a key, found
unstored, is ever discarded as half-made (nobody can have read it) — and only once it is older than any invocation
can run, so a rotation still in flight in another invocation is left to finish. A key Turnstile has no record of
making is the user's, whenever it was made: never taken for a half-made one.
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
MADE_BY_ROTATION = "made_by_rotation"  # on the record of a key a rotation created: when (the run's time)
DELETING = "deleting_since"  # on the record of a replaced key whose deletion has begun
# The Map's results share one state of at most 256 KiB (Step Functions): each user's result gets an equal share of
# this much (at max_users_per_run users), the rest is left to the run's and the plan's own fields.
RESULTS_BUDGET = 200_000


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
    user_path: str  # Turnstile's user path: a user elsewhere is none of its business

    def key_secret(self, username: str) -> str:
        return secrets_store.secret_name(self.secret_prefix, username, "access-key")


def process_user(ctx: Context, username: str) -> UserResult:
    """Decide and (unless dry run) act for one user. Raises on an AWS failure before anything changed (the workflow
    retries the step, then records the user as failed and goes on with the others); once something changed, a
    failure ends the user's step as failed, naming what was done."""
    return fitted(_process_user(ctx, username), ctx.policy.max_users_per_run)


def _process_user(ctx: Context, username: str) -> UserResult:
    facts = read_facts(ctx, username)
    if facts is None:
        return UserResult(username=username, outcome=Outcome.SKIPPED, note="the user no longer exists")
    not_ours = _not_ours(ctx, facts)
    if not_ours is not None:
        return UserResult(username=username, outcome=Outcome.SKIPPED, note=not_ours[:200])
    actions = rotation_rules.due(facts, ctx.policy, ctx.run.now)
    changes = [a for a in actions if a.kind.acts]
    if ctx.run.dry_run or not changes:
        return _report_only(ctx, facts, actions, changes)
    done: list[Action] = []
    try:
        _act_on(ctx, facts, actions, changes, done)
    except Exception as error:
        if not done:
            raise
        return _partly_done(ctx, username, done, changes, error)
    return UserResult(username=username, outcome=Outcome.ACTED, actions=tuple(_short(a) for a in actions))


def _not_ours(ctx: Context, facts: UserFacts) -> str | None:
    """Why the user is none of Turnstile's business now (the report may be hours old), or None."""
    if not facts.managed:
        return "not managed by Turnstile (no tag)"
    if not facts.path.startswith(ctx.user_path):
        return f"outside Turnstile's path {ctx.user_path} (now {facts.path})"
    return None


def _report_only(ctx: Context, facts: UserFacts, actions: list[Action], changes: list[Action]) -> UserResult:
    """A dry run's plan, or a user with nothing to change: skipped (and why) when something due is held back."""
    if ctx.run.dry_run and actions:
        _audit(ctx, facts.username, "KeyRotationPlanned", [a.model_dump() for a in actions])
    if not ctx.run.dry_run:
        _record_first_seen_inactive(ctx, facts, actions)
    why_not = next((a.reason for a in actions if a.kind == ActionKind.EXEMPT), None) or next(
        (a.reason for a in actions if a.kind == ActionKind.WAIT and a.reason != rotation_rules.DELETION_COUNTS), None
    )
    outcome = Outcome.PLANNED if changes else Outcome.SKIPPED if why_not else Outcome.NOTHING_DUE
    return UserResult(
        username=facts.username, outcome=outcome, actions=tuple(_short(a) for a in actions), note=_note(why_not)
    )


def _act_on(ctx: Context, facts: UserFacts, actions: list[Action], changes: list[Action], done: list[Action]) -> None:
    username = facts.username
    described = [_act(ctx, facts, action, done) for action in changes]
    _record_first_seen_inactive(ctx, facts, actions)
    body = {
        "username": username,
        "run_id": ctx.run.run_id,
        "done": described,
        "noted": [_describe(a) for a in actions if not a.kind.acts],
        "access_key_secret_arn": _secret_arn(ctx, username) if any(a.kind == ActionKind.ROTATE for a in done) else None,
    }
    _audit(ctx, username, "KeyRotationActed", body)
    notifications.publish(
        ctx.sns,
        ctx.topic_arn,
        event="CredentialsRotated",
        subject=f"Turnstile: credentials of {username} changed",
        body=body,
    )
    for action in changes:
        if action.kind == ActionKind.REMIND:  # sent: now it counts as done (recorded before, it would never be)
            _update_record(ctx, str(action.key_id), username, "reminded_at")
            done.append(action)


def _partly_done(
    ctx: Context, username: str, done: list[Action], changes: list[Action], error: Exception
) -> UserResult:
    """Something changed, then a step failed: the user is reported as failed *with* what was done (the summary
    lists every change a run made); the next run re-reads and does what is still due."""
    name = error_code(error) if isinstance(error, ClientError) else type(error).__name__
    logger.exception("key rotation stopped part-way", extra={"username": username, "done": len(done)})
    try:
        _audit(ctx, username, "KeyRotationPartlyActed", {"done": [_describe(a) for a in done], "error": name})
    except Exception:  # the failure itself may be the table's; the run's summary still names what was done
        logger.exception("could not audit a partly done key rotation", extra={"username": username})
    return UserResult(
        username=username,
        outcome=Outcome.FAILED,
        actions=tuple(_short(a) for a in done),
        note=f"{name} after {len(done)} of {len(changes)} changes"[:200],
    )


def fitted(result: UserResult, users_per_run: int) -> UserResult:
    """The result cut to its share of the Map's state: the note shortened first, then the actions' key ids left
    out, then the last actions counted instead of listed (every change stays in the user's audit trail)."""
    budget = RESULTS_BUDGET // max(1, users_per_run)

    def size(candidate: UserResult) -> int:
        return len(json.dumps(candidate.model_dump(mode="json")).encode())

    note = result.note
    while note and size(result) > budget:
        note = note[: max(0, min(len(note), 200) - 2)].rstrip()
        result = result.model_copy(update={"note": note + "…" if note else None})
    if size(result) <= budget:
        return result
    kinds = [action.split(" ")[0] for action in result.actions]
    for keep in range(len(kinds), -1, -1):
        shown = kinds[:keep] + ([f"+{len(kinds) - keep} more"] if keep < len(kinds) else [])
        candidate = result.model_copy(update={"actions": tuple(shown)})
        if size(candidate) <= budget:
            return candidate
    return result.model_copy(update={"actions": ()})


# --- reading -----------------------------------------------------------------------------------------------
def read_facts(ctx: Context, username: str) -> UserFacts | None:
    """The user's credentials now: GetUser (path, tags, password use), ListAccessKeys, GetAccessKeyLastUsed per
    key, GetLoginProfile, the access-key secret's versions, and Turnstile's key records. A user that is not
    Turnstile's (untagged, or outside its path) is read no further: its keys are none of Turnstile's business."""
    user = find_user(ctx.iam, username)
    if user is None:
        return None
    tags = {t["Key"]: t["Value"] for t in user.get("Tags", [])}
    facts = UserFacts(
        username=username,
        path=user["Path"],
        managed=tags.get(MANAGED_TAG) == "true",
        exemption=tags.get(ctx.policy.exemption_tag),
        keys=(),
        login_profile_created=None,
        password_last_used=None,
        has_key_secret=False,
    )
    if not facts.managed or not facts.path.startswith(ctx.user_path):
        return facts
    secret = secrets_store.describe(ctx.sm, ctx.key_secret(username))
    stages = {} if secret is None or secret.get("DeletedDate") else secret.get("VersionIdsToStages") or {}
    keys = []
    for meta in access_keys(ctx.iam, username):
        key_id = meta["AccessKeyId"]
        used = ctx.iam.get_access_key_last_used(AccessKeyId=key_id)["AccessKeyLastUsed"].get("LastUsedDate")
        record = _record(ctx, key_id)
        labels = stages.get(secrets_store.version_token(key_id), [])
        if record and record.deleting_since and "AWSCURRENT" not in labels:
            labels = ["AWSPREVIOUS"]  # a replaced key whose deletion had begun: unstaged, still Turnstile's
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
                made_by_rotation=record.made_by_rotation if record else None,
            )
        )
    live_versions = {secrets_store.version_token(k.key_id) for k in keys}
    profile = or_none(lambda: ctx.iam.get_login_profile(UserName=username)["LoginProfile"])
    password_used = user.get("PasswordLastUsed")
    return facts.model_copy(
        update={
            "keys": tuple(keys),
            "login_profile_created": _utc(profile["CreateDate"]) if profile else None,
            "password_last_used": _utc(password_used) if password_used else None,
            "has_key_secret": bool(stages),
            "stale_previous": tuple(
                sorted(v for v, labels in stages.items() if "AWSPREVIOUS" in labels and v not in live_versions)
            ),
        }
    )


def _record(ctx: Context, key_id: str) -> KeyRecord | None:
    """Turnstile's record of a key: when it was made inactive, reminded, made by a rotation, being deleted."""
    key = table.key_record_key(key_id)
    item = ctx.dynamodb.get_item(TableName=ctx.table_name, Key=key, ConsistentRead=True).get("Item")
    return KeyRecord.from_item(item) if item else None


# --- acting ------------------------------------------------------------------------------------------------
def _act(ctx: Context, facts: UserFacts, action: Action, done: list[Action]) -> str:
    """Do one action; `done` gets it as soon as what it changes has changed (before its bookkeeping), so a failure
    after that still reports it."""
    username, key_id = facts.username, str(action.key_id)
    described = _describe(action)
    if action.kind == ActionKind.DISCARD_HALF_MADE:
        outcome = key_issuer.discard(ctx.iam, username, key_id)
        done.append(action)
        logger.warning("half-made rotation key removed", extra={"key": key_id, "done": outcome})
        for marked in (k for k in facts.keys if k.rotating_since is not None):
            _clear_rotation_mark(ctx, marked.key_id)
        return f"{described} ({outcome})"
    if action.kind == ActionKind.ROTATE:
        return _rotate(ctx, username, key_id, action, done)
    if action.kind in {ActionKind.DEACTIVATE_OLD, ActionKind.DEACTIVATE_SELF_MADE, ActionKind.DEACTIVATE_UNUSED}:
        ctx.iam.update_access_key(UserName=username, AccessKeyId=key_id, Status="Inactive")
        done.append(action)
        # Always this deactivation's date: a key someone turned back on gets its full delay again.
        _update_record(ctx, key_id, username, "deactivated_at", keep_first=False)
        return described
    if action.kind == ActionKind.DELETE_OLD:
        # Recorded as being deleted, then off the secret's AWSPREVIOUS, then deleted: a deletion that fails after
        # the unstaging is still known for Turnstile's replaced key (and done by the next run); deleted first, a
        # failure to unstage would leave a dead key readable as AWSPREVIOUS, on a user no report flags again.
        _update_record(ctx, key_id, username, DELETING)
        _unstage_previous(ctx, username, key_id)
        with absent_ok():
            ctx.iam.delete_access_key(UserName=username, AccessKeyId=key_id)
        done.append(action)
        return described
    if action.kind == ActionKind.UNSTAGE_PREVIOUS:
        for version in facts.stale_previous:
            _unstage(ctx, username, version)
        done.append(action)
        return described
    if action.kind == ActionKind.REMOVE_UNUSED_PASSWORD:
        with absent_ok():
            ctx.iam.delete_login_profile(UserName=username)
        done.append(action)
        deleted = secrets_store.delete(
            ctx.sm, secrets_store.secret_name(ctx.secret_prefix, username, "console-password")
        )
        suffix = " and its console-password secret" if deleted else ""
        return f"{action.kind}: login profile removed{suffix}: {action.reason}"
    if action.kind == ActionKind.REMIND:
        return described  # sent with the user's notification, recorded once that is published
    raise ValueError(f"no way to act on {action.kind}")


def _rotate(ctx: Context, username: str, old_key_id: str, action: Action, done: list[Action]) -> str:
    """A new key, stored as the secret's current version (the old one stays readable as AWSPREVIOUS until the
    old key is deleted). The new secret key exists only here and in Secrets Manager.

    The new key is recorded as this rotation's before its secret is written: if this invocation dies before the
    write, a later run knows the key for a half-made one (and nothing else for one). If the write fails, the key is
    discarded at once — unless the secret holds it after all (a write whose answer was lost)."""
    _update_record(ctx, old_key_id, username, "rotating_since")
    key = ctx.iam.create_access_key(UserName=username)["AccessKey"]
    new_key_id = key["AccessKeyId"]
    version = secrets_store.version_token(new_key_id)
    try:
        _update_record(ctx, new_key_id, username, MADE_BY_ROTATION)
    except Exception:
        key_issuer.discard(ctx.iam, username, new_key_id)
        raise
    try:
        ctx.sm.put_secret_value(
            SecretId=ctx.key_secret(username),
            SecretString=json.dumps(
                {"username": username, "access_key_id": new_key_id, "secret_access_key": key["SecretAccessKey"]}
            ),
            ClientRequestToken=version,
        )
    except Exception:
        if not _holds_current(ctx, username, version):  # (if this read fails, a later run discards the key)
            key_issuer.discard(ctx.iam, username, new_key_id)
            raise
        logger.warning("PutSecretValue failed, but the secret holds the new key", extra={"key": new_key_id})
    done.append(action)
    _clear_rotation_mark(ctx, old_key_id)
    return f"rotate {old_key_id}: new key {new_key_id} stored as secret version {version}"


def _holds_current(ctx: Context, username: str, version: str) -> bool:
    return secrets_store.current_version(secrets_store.describe(ctx.sm, ctx.key_secret(username))) == version


def _unstage_previous(ctx: Context, username: str, key_id: str) -> None:
    """The deleted key's secret version loses AWSPREVIOUS: its value no longer works, so nobody should read it."""
    _unstage(ctx, username, secrets_store.version_token(key_id))


def _unstage(ctx: Context, username: str, version: str) -> None:
    secret = secrets_store.describe(ctx.sm, ctx.key_secret(username))
    if secret and "AWSPREVIOUS" in (secret.get("VersionIdsToStages") or {}).get(version, []):
        ctx.sm.update_secret_version_stage(
            SecretId=ctx.key_secret(username), VersionStage="AWSPREVIOUS", RemoveFromVersionId=version
        )


def _record_first_seen_inactive(ctx: Context, facts: UserFacts, actions: list[Action]) -> None:
    for action in actions:
        if action.kind == ActionKind.WAIT and action.key_id and action.reason == rotation_rules.DELETION_COUNTS:
            _update_record(ctx, action.key_id, facts.username, "deactivated_at")


def _update_record(ctx: Context, key_id: str, username: str, field: str, *, keep_first: bool = True) -> None:
    """Set `field` to the run's time; with `keep_first`, unless already set (a second run keeps the first date)."""
    condition = {"ConditionExpression": "attribute_not_exists(#f)"} if keep_first else {}
    table.unless_condition_fails(
        lambda: ctx.dynamodb.update_item(
            TableName=ctx.table_name,
            Key=table.key_record_key(key_id),
            UpdateExpression="SET #f = :now, username = :u, expires_at = :exp",
            ExpressionAttributeNames={"#f": field},
            ExpressionAttributeValues={
                ":now": {"S": ctx.run.now.isoformat()},
                ":u": {"S": username},
                ":exp": {"N": str(table.expires(ctx.run.now + RECORD_RETENTION))},
            },
            **condition,
        )
    )


def _clear_rotation_mark(ctx: Context, key_id: str) -> None:
    table.unless_condition_fails(
        lambda: ctx.dynamodb.update_item(
            TableName=ctx.table_name,
            Key=table.key_record_key(key_id),
            UpdateExpression="REMOVE rotating_since",
            ConditionExpression="attribute_exists(pk)",
        )
    )


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
