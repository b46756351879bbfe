"""From a CloudTrail event to an alert: validate, judge against every detection, count bursts, claim the alert
once, describe it as a finding (with the target user's HR identity when Turnstile manages the user), and send it
to the alerts topic and, when configured, to Security Hub.

One event makes at most one alert for its single-event detections (the most severe first, the rest listed) and
one per burst window for each burst detection it completes. A malformed event is recorded and counted, never
judged.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any, TypeVar

from botocore.exceptions import ClientError
from pydantic import ValidationError

from ..aws import error_code
from ..config import Alerting
from ..dal import alert_state
from ..dal.iam_reads import EMPLOYEE_TAG, MANAGED_TAG, find_user
from ..errors import field_problems
from ..models.cloudtrail import CONSOLE_SIGN_IN, CloudTrailEvent
from ..models.findings import Burst, Finding, Principal, TargetUser, shown
from ..observability import logger
from . import audit, detections, notifications, policy_documents
from .detections import HIDDEN_USER, Context, Detection, Hit, Verdict

REJECTED = "REJECTED"
DEFAULT_INVOCATION_SECONDS = 60.0  # without a deadline (outside Lambda): the functions' timeout


@dataclass(frozen=True)
class Clients:
    iam: Any
    dynamodb: Any
    sns: Any
    securityhub: Any


@dataclass(frozen=True)
class Destination:
    """Where alerts go: the table (claims, bursts), the topic, and Security Hub when `security_hub`."""

    table_name: str
    topic_arn: str
    region: str
    security_hub: bool = False


E = TypeVar("E", bound=CloudTrailEvent)


def parse(
    dynamodb: Any,
    table_name: str,
    raw: Any,
    model: type[E] = CloudTrailEvent,  # type: ignore[assignment]
    action: str = "CloudTrailEventRejected",
) -> E | None:
    """The event as `model`, or None after recording (field and rule, never the value) why it was rejected."""
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        reason = "; ".join(field_problems(error))
        event_id = raw.get("id") if isinstance(raw, dict) else None
        audit.record(
            dynamodb,
            table_name,
            subject=REJECTED,
            action=action,
            details={"event_id": shown(event_id, 128), "reason": reason},
            retention=audit.REJECTION_RETENTION,
        )
        return None


def on_event(
    raw: Any,
    clients: Clients,
    destination: Destination,
    alerting: Alerting,
    own_calls: list[tuple[str, list[str]]],
    *,
    deadline: float | None = None,
) -> dict[str, Any]:
    """Judge one CloudTrail event delivered by any detection rule; returns what was alerted or why not.
    `deadline`: when the invocation ends (epoch seconds)."""
    event = parse(clients.dynamodb, destination.table_name, raw)
    if event is None:
        return {"outcome": "rejected"}
    context = Context(
        own_calls={arn: frozenset(actions) for arn, actions in own_calls},
        policy_document=lambda arn, version: policy_document(clients.iam, arn, version),
    )
    hits = detections.judge(event, context)
    alerted: list[str] = []
    single = [hit for hit in hits if hit.detection.burst is None]
    if single:
        primary = single[0]
        finding = describe(event, primary.detection, primary.verdict, also=[h.detection.id for h in single[1:]])
        if send_once(finding, clients, destination, deadline=deadline):
            alerted.append(finding.id)
    for hit in hits:
        if hit.detection.burst is None:
            continue
        completed = _completed_burst(event, hit, clients, destination, alerting)
        window_until = _window_end(event, hit, alerting)
        if completed and send_once(completed, clients, destination, deadline=deadline, window_until=window_until):
            alerted.append(completed.id)
    return {
        "outcome": "alerted" if alerted else ("already-alerted" if hits else "quiet"),
        "event_id": event.detail.eventID,
        "detections": [h.detection.id for h in hits],
        "alerts": alerted,
    }


def _burst_settings(hit: Hit, alerting: Alerting) -> tuple[int, dt.timedelta]:
    assert hit.detection.burst is not None
    setting = getattr(alerting, hit.detection.burst.setting)
    return setting.threshold, dt.timedelta(minutes=setting.window_minutes)


def _window_end(event: CloudTrailEvent, hit: Hit, alerting: Alerting) -> dt.datetime:
    return event.detail.eventTime + _burst_settings(hit, alerting)[1]


def _completed_burst(
    event: CloudTrailEvent, hit: Hit, clients: Clients, destination: Destination, alerting: Alerting
) -> Finding | None:
    """Count the event in its burst; a finding once the threshold is reached within the window."""
    rule, verdict = hit.detection.burst, hit.verdict
    assert rule is not None and verdict.burst_key is not None and verdict.burst_member is not None
    threshold, window = _burst_settings(hit, alerting)
    count = alert_state.count_in_window(
        clients.dynamodb,
        destination.table_name,
        detection_id=hit.detection.id,
        key=verdict.burst_key,
        member=verdict.burst_member,
        at=event.detail.eventTime,
        window=window,
        enough=threshold,
    )
    if count < threshold:
        return None
    burst = Burst(
        key=shown(verdict.burst_key, 2048) or "-",
        count=count,
        counts=rule.counts,
        window_minutes=int(window.total_seconds() // 60),
    )
    claim_id = f"burst#{hit.detection.id}#{alert_state.digest(verdict.burst_key)}"
    return describe(event, hit.detection, verdict, claim_id=claim_id, burst=burst)


def send_once(
    finding: Finding,
    clients: Clients,
    destination: Destination,
    *,
    deadline: float | None = None,
    window_until: dt.datetime | None = None,
) -> bool:
    """Publish the finding unless an alert with its id was published already (or, for a burst, within its window);
    then import it into Security Hub if configured and not done yet. `deadline`: when this invocation ends (epoch
    seconds; Lambda's remaining time). True if this invocation published it.

    The topic comes first: Security Hub refusing (not enabled, throttled) fails the invocation — dead-lettered and
    alarmed after Lambda's retries — but never holds the alert back, and a retry only imports."""
    claimed = alert_state.claim(
        clients.dynamodb,
        destination.table_name,
        finding.id,
        deadline=deadline if deadline is not None else time.time() + DEFAULT_INVOCATION_SECONDS,
        window_until=window_until,
        event_time=finding.time if window_until else None,
    )
    if claimed.owner is None and (claimed.imported or not destination.security_hub):
        return False  # a duplicate: nothing is read or sent
    finding = with_hr_identity(finding, clients.iam)  # read only by the invocation that sends
    if claimed.owner is not None:
        try:
            notifications.publish(
                clients.sns, destination.topic_arn, event="Finding", subject=finding.subject, body=finding.message()
            )
        except Exception:
            alert_state.release(clients.dynamodb, destination.table_name, finding.id, claimed.owner)
            raise
        try:
            alert_state.sent(clients.dynamodb, destination.table_name, finding.id, claimed.owner)
        except Exception:  # the alert is out: failing now would have the retry send it again
            logger.exception("alert sent but not marked sent", extra={"finding": finding.id})
    if destination.security_hub and not claimed.imported:
        import_to_security_hub(clients.securityhub, finding, destination.region)
        alert_state.imported(clients.dynamodb, destination.table_name, finding.id)
    return claimed.owner is not None


class SecurityHubRefused(RuntimeError):
    """Security Hub did not import the finding (its reason, bounded)."""


def import_to_security_hub(securityhub: Any, finding: Finding, region: str) -> None:
    """BatchImportFindings: the same Id again updates the finding, so a retry is harmless."""
    response = securityhub.batch_import_findings(
        Findings=[finding.asff(partition=partition_of(region), hub_region=region)]
    )
    if response.get("FailedCount"):
        failed = (response.get("FailedFindings") or [{}])[0]
        raise SecurityHubRefused(f"{failed.get('ErrorCode', '?')}: {str(failed.get('ErrorMessage', ''))[:200]}")


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def policy_document(iam: Any, arn: str, version: str | None) -> Any:
    """A managed policy's document: the given version, or the default one."""
    try:
        if version is None:
            version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        return iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
    except ClientError as error:
        if error_code(error) in ("NoSuchEntity", "InvalidInput"):
            raise policy_documents.UnreadablePolicy("the policy or version no longer exists") from None
        raise


def describe(
    event: CloudTrailEvent,
    detection: Detection,
    verdict: Verdict,
    *,
    also: list[str] | None = None,
    claim_id: str | None = None,
    burst: Burst | None = None,
) -> Finding:
    """The finding for `event` under `detection` (the target user by name only: `with_hr_identity` reads the rest,
    once the alert is claimed)."""
    detail, who = event.detail, event.detail.userIdentity
    issuer = who.sessionContext.sessionIssuer if who.sessionContext else None
    why = verdict.why
    if verdict.facts:
        why += " (" + "; ".join(f"{k}: {v}" for k, v in verdict.facts.items()) + ")"
    region = detail.awsRegion
    return Finding(
        id=claim_id or f"event#{detail.eventID}",
        detection=detection.id,
        severity=detection.severity.value,
        title=detection.title,
        rationale=detection.rationale,
        control=detection.control,
        finding_type=detection.finding_type,
        why=why,
        also=also or [],
        time=detail.eventTime,
        action=f"{detail.eventSource.split('.')[0]}:{detail.eventName}",
        succeeded=event.succeeded,
        principal=Principal(
            type=who.type,
            arn=shown(who.arn, 2048),
            user_name=shown(who.userName),
            session_issuer=shown(issuer.arn, 2048) if issuer else None,
            invoked_by=shown(who.invokedBy),
        ),
        target=TargetUser(user_name=name) if (name := _target_name(event)) else None,
        source_ip=shown(detail.sourceIPAddress),
        user_agent=shown(detail.userAgent[:200]) if detail.userAgent else None,
        region=region,
        account=event.account,
        event_id=detail.eventID,
        console_link=(
            f"https://{region}.console.aws.amazon.com/cloudtrailv2/home?region={region}#/events/{detail.eventID}"
        ),
        burst=burst,
    )


def _target_name(event: CloudTrailEvent) -> str | None:
    detail = event.detail
    name = (detail.requestParameters or {}).get("userName")
    if isinstance(name, str):
        return name  # validated as an IAM user name by the model
    if event.detail_type in CONSOLE_SIGN_IN and detail.userIdentity.type == "IAMUser":
        signed_in = detail.userIdentity.userName
        if signed_in and signed_in != HIDDEN_USER and shown(signed_in, 64) == signed_in:
            return signed_in
    return None


def with_hr_identity(finding: Finding, iam: Any) -> Finding:
    """The finding with its target user's ARN and, when Turnstile manages the user, HR identity (from its tags)."""
    if finding.target is None or finding.target.arn is not None:
        return finding
    name = finding.target.user_name
    user = find_user(iam, name)
    if user is None:
        return finding
    tags = {t["Key"]: t["Value"] for t in user.get("Tags", [])}
    managed = tags.get(MANAGED_TAG) == "true"
    target = TargetUser(
        user_name=name,
        arn=shown(user.get("Arn"), 2048),
        managed=managed,
        employee_id=shown(tags.get(EMPLOYEE_TAG)) if managed else None,
        department=shown(tags.get("turnstile:department")) if managed else None,
        team=shown(tags.get("turnstile:team")) if managed else None,
    )
    return finding.model_copy(update={"target": target})
