"""A key-rotation run: one at a time (a lease in the table), a plan from the credential report, a summary.

The lease is taken with a conditional write. A scheduled run that finds another run holding it exits as a
duplicate — unless Step Functions says the holder is no longer running (aborted, timed out), in which case the
lease is taken over; it also lapses after a day (TTL) and is released when a run ends, however it ends.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from botocore.exceptions import ClientError

from ..aws import error_code
from ..config import Rotation
from ..dal import credential_report, table
from ..models.rotation import Candidate, Outcome, PlanOutput, PlanResults, RunStart
from . import audit, notifications, rotation_rules

LEASE_LAPSES = dt.timedelta(days=1)
RUN_SUBJECT = "RUN#key-rotation"
# Step Functions holds a state of at most 256 KiB: the plan's users get this much of it (an equal share each, at
# max_users_per_run users; the Map's results get theirs: rotation.RESULTS_BUDGET).
PLAN_BUDGET = 200_000


def begin(dynamodb: Any, sfn: Any, table_name: str, *, execution_id: str, now: dt.datetime, dry_run: bool) -> RunStart:
    """Take the run lease for `execution_id`, or say which run holds it."""
    run = RunStart(run_id=execution_id, dry_run=dry_run, now=now)
    free = "attribute_not_exists(pk) OR expires_at < :now"  # TTL deletes lapsed items only eventually
    holder = _take(dynamodb, table_name, execution_id, now, condition=free)
    if holder == "":  # released between the write and the read: try once more
        holder = _take(dynamodb, table_name, execution_id, now, condition=free)
    if holder is None or holder == execution_id:
        return run
    if holder and not _running(sfn, holder):
        taken_over = _take(dynamodb, table_name, execution_id, now, condition="execution_id = :holder", holder=holder)
        if taken_over is None:
            audit.record(dynamodb, table_name, subject=RUN_SUBJECT, action="LeaseTakenOver", details={"from": holder})
            return run
        holder = taken_over
    return run.model_copy(update={"duplicate_of": holder or "another run"})


def release(dynamodb: Any, table_name: str, execution_id: str) -> bool:
    """Give the lease back if this run holds it (a run that never held it releases nothing)."""
    return table.unless_condition_fails(
        lambda: dynamodb.delete_item(
            TableName=table_name,
            Key=table.ROTATION_LEASE,
            ConditionExpression="execution_id = :me",
            ExpressionAttributeValues={":me": {"S": execution_id}},
        )
    )


def plan(iam: Any, policy: Rotation, user_path: str, now: dt.datetime) -> PlanOutput:
    """The users to look at, from one credential report (at most `max_users_per_run`, most overdue first), each
    with its reasons cut to its share of the state."""
    report = credential_report.fetch(iam)
    flagged = rotation_rules.candidates(report, policy, user_path, now)
    share = PLAN_BUDGET // policy.max_users_per_run
    return PlanOutput(
        report_generated=report.generated,
        users_in_report=len(report.rows),
        managed_path_users=sum(row.path.startswith(user_path) for row in report.rows),
        users=tuple(_fitted(candidate, share) for candidate in flagged[: policy.max_users_per_run]),
        deferred=max(0, len(flagged) - policy.max_users_per_run),
    )


def _fitted(candidate: Candidate, budget: int) -> Candidate:
    """The candidate with as many of its reasons as fit `budget` bytes, the others counted ("+2 more")."""

    def size(reasons: tuple[str, ...]) -> int:
        return len(json.dumps(candidate.model_copy(update={"why": reasons}).model_dump(mode="json")).encode())

    why = candidate.why
    for keep in range(len(why), -1, -1):
        reasons = why[:keep] + ((f"+{len(why) - keep} more",) if keep < len(why) else ())
        if size(reasons) <= budget:
            return candidate.model_copy(update={"why": reasons})
    return candidate.model_copy(update={"why": ()})


def finish(
    dynamodb: Any,
    sns: Any,
    table_name: str,
    topic_arn: str,
    *,
    run: RunStart,
    plan: PlanResults | None,
    error: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Summarise every user's outcome, audit and publish the summary, release the lease."""
    by_outcome: dict[str, list[dict[str, Any]]] = {outcome.value: [] for outcome in Outcome}
    results = plan.users if plan else ()
    for result in results:
        by_outcome[result.outcome.value].append(
            {"username": result.username, "actions": list(result.actions), "note": result.note}
        )
    summary: dict[str, Any] = {
        "run_id": run.run_id,
        "dry_run": run.dry_run,
        "as_of": run.now.isoformat(),
        "report_generated": plan.report_generated.isoformat() if plan else None,
        "users_in_report": plan.users_in_report if plan else None,
        "users_looked_at": len(results),
        "deferred_to_next_run": plan.deferred if plan else None,
        "counts": {outcome: len(entries) for outcome, entries in by_outcome.items()},
        **{outcome: entries for outcome, entries in by_outcome.items() if outcome != Outcome.NOTHING_DUE},
    }
    if error is not None:
        summary["run_failed"] = {
            "error": str(error.get("Error", ""))[:200],
            "cause": str(error.get("Cause", ""))[:1000],
        }
    action = "KeyRotationDryRun" if run.dry_run else "KeyRotationRun"
    audit.record(dynamodb, table_name, subject=RUN_SUBJECT, action=action, details=summary)
    counts = summary["counts"]
    verdict = "FAILED" if error else "plan (dry run)" if run.dry_run else "done"
    notifications.publish(
        sns,
        topic_arn,
        event=action,
        subject=f"Turnstile key rotation {verdict}: {counts['acted'] + counts['planned']} users, "
        f"{counts['failed']} failed",
        body=summary,
    )
    release(dynamodb, table_name, run.run_id)
    return {"counts": counts, "deferred_to_next_run": summary["deferred_to_next_run"], "failed": bool(error)}


def _take(
    dynamodb: Any, table_name: str, execution_id: str, now: dt.datetime, *, condition: str, holder: str | None = None
) -> str | None:
    """Write the lease under `condition`; None if written, else the current holder."""
    values = {":holder": {"S": holder}} if holder else {":now": {"N": str(table.expires(now))}}
    lease = {
        "execution_id": execution_id,
        "started_at": now.isoformat(),
        "expires_at": table.expires(now + LEASE_LAPSES),
    }
    if table.unless_condition_fails(
        lambda: dynamodb.put_item(
            TableName=table_name,
            Item=table.to_item(table.ROTATION_LEASE, lease),
            ConditionExpression=condition,
            ExpressionAttributeValues=values,
        )
    ):
        return None
    item = dynamodb.get_item(TableName=table_name, Key=table.ROTATION_LEASE, ConsistentRead=True).get("Item")
    return str(item["execution_id"]["S"]) if item else ""


def _running(sfn: Any, execution_id: str) -> bool:
    try:
        return str(sfn.describe_execution(executionArn=execution_id)["status"]) == "RUNNING"
    except ClientError as error:
        if error_code(error) == "ExecutionDoesNotExist":
            return False
        raise


def record_ended(
    dynamodb: Any, sns: Any, table_name: str, topic_arn: str, *, execution_id: str, status: str, error: str | None
) -> dict[str, Any]:
    """A run ended FAILED, TIMED_OUT or ABORTED (whatever its own failure path managed): release its lease so the
    next scheduled run is not taken for a duplicate, audit it and alert."""
    released = release(dynamodb, table_name, execution_id)
    details = {"run_id": execution_id, "status": status, "error": (error or "")[:200], "lease_released": released}
    audit.record(dynamodb, table_name, subject=RUN_SUBJECT, action="KeyRotationRunEnded", details=details)
    notifications.publish(
        sns, topic_arn, event="KeyRotationRunEnded", subject=f"Turnstile key rotation run {status}", body=details
    )
    return details
