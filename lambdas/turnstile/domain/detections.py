"""Turnstile's detections: one declaration each — id, severity, rationale, the control it backs, what its
EventBridge rule matches, and what it checks beyond the pattern.

The alerting construct (stacks/constructs/alerting.py) renders each `Match` into the detection's rule; the alert
function (domain/alerts.py) judges an event against every detection, so one CloudTrail event that several rules
match makes one finding (its most severe detection first, the others listed), whichever rule delivered it first.

Controls: Security Hub controls and CIS AWS Foundations Benchmark numbers (Security Hub User Guide, "CloudWatch
controls" and "IAM controls"). Event shapes: CloudTrail User Guide ("CloudTrail record contents", "AWS Management
Console sign-in events") and EventBridge User Guide ("Events from AWS services via CloudTrail").
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..models.cloudtrail import API_CALL, CONSOLE_SIGN_IN, CloudTrailEvent
from . import policy_documents

ADMINISTRATOR_ACCESS = "AdministratorAccess"  # arn:<partition>:iam::aws:policy/AdministratorAccess
MAX_STATEMENTS_LISTED = 5  # an alert names at most this many statements (a document may hold hundreds)


class Severity(enum.StrEnum):
    """Security Hub's labels, most severe first."""

    CRITICAL = "CRITICAL"
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


@dataclass(frozen=True)
class Match:
    """What a detection's EventBridge rule matches. `succeeded`: API calls only without an errorCode (a failed
    call is rarely the signal). `error_codes`: EventBridge filters on errorCode. `all_management_events`: the rule
    must also see read-only management events (EventBridge's ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS)."""

    sources: tuple[str, ...] | None
    detail_types: tuple[str, ...] = (API_CALL,)
    event_names: tuple[str, ...] | None = None
    identity_types: tuple[str, ...] | None = None
    succeeded: bool = True
    error_codes: tuple[dict[str, str], ...] | None = None
    all_management_events: bool = False

    def pattern(self) -> dict[str, Any]:
        """The EventBridge event pattern."""
        detail: dict[str, Any] = {}
        if self.event_names:
            detail["eventName"] = list(self.event_names)
        if self.identity_types:
            detail["userIdentity"] = {"type": list(self.identity_types)}
        if self.error_codes:
            detail["errorCode"] = list(self.error_codes)
        elif self.succeeded and API_CALL in self.detail_types and not set(self.detail_types) & set(CONSOLE_SIGN_IN):
            detail["errorCode"] = [{"exists": False}]
        pattern: dict[str, Any] = {"detail-type": list(self.detail_types)}
        pattern["source"] = list(self.sources) if self.sources else [{"prefix": "aws."}]
        if detail:
            pattern["detail"] = detail
        return pattern

    def covers(self, event: CloudTrailEvent) -> bool:
        """The same test in Python (the judge runs every detection on an event that any rule delivered)."""
        detail = event.detail
        if event.detail_type not in self.detail_types:
            return False
        if self.sources and event.source not in self.sources:
            return False
        if self.event_names and detail.eventName not in self.event_names:
            return False
        if self.identity_types and detail.userIdentity.type not in self.identity_types:
            return False
        if self.error_codes:
            return _error_code_matches(detail.errorCode, self.error_codes)
        return not (self.succeeded and event.detail_type == API_CALL and detail.errorCode is not None)


def _error_code_matches(code: str | None, filters: tuple[dict[str, str], ...]) -> bool:
    if code is None:
        return False
    return any(
        ("prefix" in f and code.startswith(f["prefix"])) or ("suffix" in f and code.endswith(f["suffix"]))
        for f in filters
    )


@dataclass(frozen=True)
class BurstRule:
    """A detection that alerts when enough events share a key within a sliding window: `members` distinct
    members (event ids: events; user names: users) under one key (a user, a source IP, a principal)."""

    setting: str  # the Alerting configuration field with its threshold and window
    counts: str  # "events" or "users", for the alert's wording


@dataclass(frozen=True)
class Verdict:
    """Why an event matters (bounded, plain text), and for a burst its key and member."""

    why: str
    burst_key: str | None = None
    burst_member: str | None = None
    facts: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Context:
    """What judging needs beyond the event: Turnstile's own roles and the IAM actions that are their job, and a
    reader of a managed policy's default version (for administrator-level grants)."""

    own_calls: Mapping[str, frozenset[str]]
    policy_document: Callable[[str, str | None], Any]  # (policy ARN, version id or None for the default)

    def is_turnstiles_job(self, event: CloudTrailEvent) -> bool:
        """The caller is a session of one of the deployed stack's roles (exact ARN; Turnstile's roles act only as
        assumed-role sessions, so no other identity type is theirs) and the action is one it is declared to make."""
        who = event.detail.userIdentity
        caller = who.principal_arn
        return (
            who.type == "AssumedRole"
            and caller is not None
            and event.detail.eventName in self.own_calls.get(caller, frozenset())
        )


Judge = Callable[[CloudTrailEvent, Context], Verdict | None]


@dataclass(frozen=True)
class Detection:
    id: str
    severity: Severity
    title: str
    rationale: str
    control: str | None
    match: Match
    judge: Judge
    burst: BurstRule | None = None
    # Types (ASFF namespace/category/classifier).
    finding_type: str = "TTPs"

    @property
    def rule_name(self) -> str:
        return f"turnstile-detect-{self.id}"


# --- judges ---------------------------------------------------------------------------------------------------


def _target_user(event: CloudTrailEvent) -> str | None:
    name = (event.detail.requestParameters or {}).get("userName")
    return name if isinstance(name, str) else None


def _acts_on_self(event: CloudTrailEvent) -> bool:
    """An IAM user acting on its own user (no userName: IAM applies the call to the caller)."""
    who = event.detail.userIdentity
    target = _target_user(event)
    return target is None or (who.type == "IAMUser" and who.userName == target)


def _person_using_root(event: CloudTrailEvent) -> bool:
    """CIS's root-usage filter: type Root, not invoked by a service, not an AWS service event."""
    who = event.detail.userIdentity
    return who.type == "Root" and not who.invokedBy and event.detail.eventType != "AwsServiceEvent"


def _root_activity(event: CloudTrailEvent, context: Context) -> Verdict | None:
    if not _person_using_root(event):
        return None
    if event.detail_type in CONSOLE_SIGN_IN:
        outcome = "signed in to the console" if event.succeeded else "failed to sign in to the console"
        return Verdict(f"the root user {outcome}")
    return Verdict(f"the root user called {event.detail.eventName}")


def _root_access_key(event: CloudTrailEvent, context: Context) -> Verdict | None:
    if event.detail.userIdentity.type == "Root" and _target_user(event) is None:
        return Verdict("an access key was created for the root user")
    return None


def _sign_in_without_mfa(event: CloudTrailEvent, context: Context) -> Verdict | None:
    used = (event.detail.additionalEventData or {}).get("MFAUsed")
    if event.detail.userIdentity.type == "IAMUser" and event.succeeded and used != "Yes":
        return Verdict("an IAM user signed in to the console without MFA")
    return None


HIDDEN_USER = "HIDDEN_DUE_TO_SECURITY_REASONS"  # CloudTrail's name for a sign-in with an unknown user name


def _failed_sign_in_by_user(event: CloudTrailEvent, context: Context) -> Verdict | None:
    who = event.detail.userIdentity
    if event.succeeded or not who.userName or who.userName == HIDDEN_USER:
        return None
    key = who.arn or f"{who.type}:{who.userName}"
    return Verdict("console sign-in failures for one user", burst_key=key, burst_member=event.detail.eventID)


def _failed_sign_in_by_ip(event: CloudTrailEvent, context: Context) -> Verdict | None:
    who, ip = event.detail.userIdentity, event.detail.sourceIPAddress
    if event.succeeded or not ip:
        return None
    member = who.userName if who.userName and who.userName != HIDDEN_USER else f"unknown:{event.detail.eventID}"
    return Verdict("console sign-in failures from one address against many users", burst_key=ip, burst_member=member)


def _for_another_user(what: str) -> Judge:
    def judge(event: CloudTrailEvent, context: Context) -> Verdict | None:
        if _acts_on_self(event):
            return None
        return Verdict(f"{what} for another user, by someone other than Turnstile")

    return judge


def _user_created(event: CloudTrailEvent, context: Context) -> Verdict | None:
    return Verdict("an IAM user was created outside Turnstile")


def _policy_on_user(event: CloudTrailEvent, context: Context) -> Verdict | None:
    return Verdict(f"{event.detail.eventName}: a policy on a user directly, not through a group")


def _policy_arn(event: CloudTrailEvent) -> str | None:
    arn = (event.detail.requestParameters or {}).get("policyArn")
    return arn if isinstance(arn, str) else None


def _administrator_grant(event: CloudTrailEvent, context: Context) -> Verdict | None:
    name, parameters = event.detail.eventName, event.detail.requestParameters or {}
    try:
        if name.startswith("Attach"):
            arn = _policy_arn(event)
            if arn is None:
                return None
            if arn.split(":")[4:5] == ["aws"] and arn.endswith(f":policy/{ADMINISTRATOR_ACCESS}"):
                return Verdict(f"{name}: AdministratorAccess attached")
            statements = policy_documents.administrator_statements(context.policy_document(arn, None))
            where = "the attached policy's default version"
        elif name in ("SetDefaultPolicyVersion",):
            arn = _policy_arn(event)
            version = parameters.get("versionId")
            if arn is None or not isinstance(version, str):
                return None
            statements = policy_documents.administrator_statements(context.policy_document(arn, version))
            where = "the policy version made default"
        elif name == "CreatePolicyVersion" and parameters.get("setAsDefault") not in (True, "true"):
            return None
        else:  # Put*Policy, CreatePolicy, CreatePolicyVersion (as default): the document is in the request
            statements = policy_documents.administrator_statements(parameters.get("policyDocument"))
            where = "the policy document"
    except policy_documents.UnreadablePolicy as unreadable:
        return Verdict(f"{name}: a policy Turnstile could not read ({unreadable}); check it by hand")
    if not statements:
        return None
    listed = ", ".join(statements[:MAX_STATEMENTS_LISTED])
    if len(statements) > MAX_STATEMENTS_LISTED:
        listed += f" and {len(statements) - MAX_STATEMENTS_LISTED} more"
    return Verdict(f"{name}: {where} allows every action on every resource (statements {listed})")


def _policy_change(event: CloudTrailEvent, context: Context) -> Verdict | None:
    return Verdict(f"{event.detail.eventName}: an IAM policy changed")


def _mfa_removed(event: CloudTrailEvent, context: Context) -> Verdict | None:
    return Verdict(f"{event.detail.eventName}: an MFA device was deactivated or deleted outside Turnstile")


def _logging_dropped(event: CloudTrailEvent, context: Context) -> Verdict | None:
    name, parameters = event.detail.eventName, event.detail.requestParameters or {}
    if name in ("StopLogging", "DeleteTrail"):
        return Verdict(f"{name}: CloudTrail stops recording this trail")
    if name == "PutEventSelectors" and (why := _drops_management_events(parameters)):
        return Verdict(f"PutEventSelectors: {why}")
    return None


def _drops_management_events(parameters: Mapping[str, Any]) -> str | None:
    """Why these selectors stop the trail logging management events (read or write), or None if they keep both.
    (CloudTrail API Reference, EventSelector and AdvancedFieldSelector.) A selector of another shape than the API's
    keeps nothing: CloudTrail accepted the call, so what it logs now cannot be shown to include them."""
    basic, advanced = parameters.get("eventSelectors"), parameters.get("advancedEventSelectors")
    if isinstance(basic, list) and basic:
        kept = set().union(*(_basic_keeps(s) for s in basic))
        what = "selector"
    elif isinstance(advanced, list) and advanced:
        kept = set().union(*(_advanced_keeps(s) for s in advanced))
        what = "advanced selector"
    else:
        return None
    dropped = [kind for kind in ("write", "read-only") if kind not in kept]
    if not dropped:
        return None
    return f"no {what} logs management {' or '.join(dropped)} events any more"


def _basic_keeps(selector: Any) -> set[str]:
    if not isinstance(selector, dict) or selector.get("includeManagementEvents", True) not in (True, "true"):
        return set()
    kinds = {"All": {"write", "read-only"}, "WriteOnly": {"write"}, "ReadOnly": {"read-only"}}
    read_write = selector.get("readWriteType", "All")
    return set(kinds.get(read_write, set())) if isinstance(read_write, str) else set()


def _advanced_keeps(selector: Any) -> set[str]:
    fields = selector.get("fieldSelectors") if isinstance(selector, dict) else None
    if not isinstance(fields, list):
        return set()
    named = {f["field"]: f for f in fields if isinstance(f, dict) and isinstance(f.get("field"), str)}
    if _equals(named.get("eventCategory")) != ["Management"]:
        return set()
    read_only = named.get("readOnly")
    if read_only is None:
        return {"write", "read-only"}
    equals = _equals(read_only)
    return {"write"} if equals == ["false"] else {"read-only"} if equals == ["true"] else set()


def _equals(field_selector: Any) -> list[str] | None:
    """A field selector's `equals` values, when it has nothing but them (and its field)."""
    if not isinstance(field_selector, dict) or set(field_selector) - {"field", "equals"}:
        return None
    values = field_selector.get("equals")
    return values if isinstance(values, list) and all(isinstance(v, str) for v in values) else None


def _trail_changed(event: CloudTrailEvent, context: Context) -> Verdict | None:
    return Verdict("UpdateTrail: a trail's configuration changed (where it logs, which regions, which events)")


def _unauthorized(event: CloudTrailEvent, context: Context) -> Verdict | None:
    caller = event.detail.userIdentity.principal_arn or event.detail.userIdentity.type
    return Verdict("calls refused as unauthorized", burst_key=caller, burst_member=event.detail.eventID)


def _session_token(event: CloudTrailEvent, context: Context) -> Verdict | None:
    if event.detail.userIdentity.type != "IAMUser":
        return None
    return Verdict("an IAM user turned its long-lived access key into a session token")


# --- the detections -----------------------------------------------------------------------------------------

POLICY_CHANGES = (
    "DeleteGroupPolicy",
    "DeleteRolePolicy",
    "DeleteUserPolicy",
    "PutGroupPolicy",
    "PutRolePolicy",
    "PutUserPolicy",
    "CreatePolicy",
    "DeletePolicy",
    "CreatePolicyVersion",
    "DeletePolicyVersion",
    "AttachRolePolicy",
    "DetachRolePolicy",
    "AttachUserPolicy",
    "DetachUserPolicy",
    "AttachGroupPolicy",
    "DetachGroupPolicy",
    "SetDefaultPolicyVersion",
)
IAM = ("aws.iam",)
SIGN_IN = ("aws.signin",)

DETECTIONS: tuple[Detection, ...] = (
    Detection(
        "root-access-key-created",
        Severity.CRITICAL,
        "Access key created for the root user",
        "A root access key is unrestricted, cannot be limited by any policy, and should never exist.",
        "IAM.4 (CIS 1.4)",
        Match(IAM, event_names=("CreateAccessKey",), identity_types=("Root",)),
        _root_access_key,
        finding_type="TTPs/Persistence",
    ),
    Detection(
        "administrator-grant",
        Severity.CRITICAL,
        "Administrator-level access granted",
        "Allow * on * (AdministratorAccess or its equivalent) bypasses every other control Turnstile sets.",
        "IAM.1 (CIS 1.16)",
        Match(
            IAM,
            event_names=(
                "AttachUserPolicy",
                "AttachGroupPolicy",
                "AttachRolePolicy",
                "PutUserPolicy",
                "PutGroupPolicy",
                "PutRolePolicy",
                "CreatePolicy",
                "CreatePolicyVersion",
                "SetDefaultPolicyVersion",
            ),
        ),
        _administrator_grant,
        finding_type="TTPs/Privilege Escalation",
    ),
    Detection(
        "backdoor-access-key",
        Severity.HIGH,
        "Access key created for another user",
        "A key made for someone else outside Turnstile is a standing credential nobody owns: a classic backdoor.",
        None,
        Match(IAM, event_names=("CreateAccessKey",)),
        _for_another_user("an access key was created"),
        finding_type="TTPs/Persistence",
    ),
    Detection(
        "login-profile-for-another-user",
        Severity.HIGH,
        "Console password set for another user",
        "Setting someone else's console password outside Turnstile takes over that user's console access.",
        None,
        Match(IAM, event_names=("CreateLoginProfile", "UpdateLoginProfile")),
        _for_another_user("a console password was set"),
        finding_type="TTPs/Credential Access",
    ),
    Detection(
        "root-activity",
        Severity.HIGH,
        "The root user was used",
        "Root is for the few tasks only root can do; any other use is a sign of a lost credential or bad habit.",
        "CloudWatch.1 (CIS 1.7, 4.3)",
        # Failed API calls by root reach the function (one pattern for calls and sign-ins) and are not alerted;
        # failed root sign-ins are.
        Match(None, detail_types=(API_CALL, *CONSOLE_SIGN_IN), identity_types=("Root",)),
        _root_activity,
        finding_type="Unusual Behaviors/User",
    ),
    Detection(
        "cloudtrail-logging-stopped",
        Severity.HIGH,
        "CloudTrail logging stopped or reduced",
        "Stopping or narrowing the trail blinds every detection, this one included.",
        "CloudWatch.5 (CIS 3.5, 4.5)",
        Match(("aws.cloudtrail",), event_names=("StopLogging", "DeleteTrail", "PutEventSelectors")),
        _logging_dropped,
        finding_type="TTPs/Defense Evasion",
    ),
    Detection(
        "signin-failures-from-one-address",
        Severity.HIGH,
        "Failed console sign-ins against many users from one address",
        "One address failing against many user names is password spraying.",
        "CloudWatch.6 (CIS 3.6, 4.6)",
        Match(SIGN_IN, detail_types=CONSOLE_SIGN_IN, event_names=("ConsoleLogin",), succeeded=False),
        _failed_sign_in_by_ip,
        burst=BurstRule("signin_failures_per_address", "users"),
        finding_type="TTPs/Credential Access",
    ),
    Detection(
        "user-created-outside-turnstile",
        Severity.MEDIUM,
        "IAM user created outside Turnstile",
        "Users made by hand skip the HR record, the MFA hold, the boundary and the leaver workflow.",
        None,
        Match(IAM, event_names=("CreateUser",)),
        _user_created,
        finding_type="Unusual Behaviors/User",
    ),
    Detection(
        "policy-on-user",
        Severity.MEDIUM,
        "Policy attached to a user directly",
        "Permissions through groups only: a policy on a user escapes the department and team model.",
        "IAM.2 (CIS 1.15)",
        Match(IAM, event_names=("AttachUserPolicy", "PutUserPolicy")),
        _policy_on_user,
        finding_type="Software and Configuration Checks/AWS Security Best Practices",
    ),
    Detection(
        "console-signin-without-mfa",
        Severity.MEDIUM,
        "Console sign-in without MFA",
        "A password alone protects this console session.",
        "CloudWatch.3 (CIS 3.2)",
        Match(SIGN_IN, detail_types=CONSOLE_SIGN_IN, event_names=("ConsoleLogin",), succeeded=False),
        _sign_in_without_mfa,
        finding_type="Unusual Behaviors/User",
    ),
    Detection(
        "signin-failures-for-one-user",
        Severity.MEDIUM,
        "Repeated failed console sign-ins for one user",
        "Many failures for one user in a short time is password guessing.",
        "CloudWatch.6 (CIS 3.6, 4.6)",
        Match(SIGN_IN, detail_types=CONSOLE_SIGN_IN, event_names=("ConsoleLogin",), succeeded=False),
        _failed_sign_in_by_user,
        burst=BurstRule("signin_failures_per_user", "events"),
        finding_type="TTPs/Credential Access",
    ),
    Detection(
        "mfa-device-removed",
        Severity.MEDIUM,
        "MFA device deactivated or deleted",
        "Without its MFA device a user's password (or stolen key) is enough again.",
        None,
        Match(IAM, event_names=("DeactivateMFADevice", "DeleteVirtualMFADevice")),
        _mfa_removed,
        finding_type="TTPs/Defense Evasion",
    ),
    Detection(
        "cloudtrail-changed",
        Severity.MEDIUM,
        "CloudTrail trail configuration changed",
        "A trail's destination, regions or events changed; make sure it still records what detections need.",
        "CloudWatch.5 (CIS 3.5, 4.5)",
        Match(("aws.cloudtrail",), event_names=("UpdateTrail",)),
        _trail_changed,
        finding_type="TTPs/Defense Evasion",
    ),
    Detection(
        "unauthorized-calls",
        Severity.MEDIUM,
        "Repeated unauthorized API calls by one principal",
        "A principal probing what it may do, or a broken deployment, shows as a run of refusals.",
        "CloudWatch.2 (CIS 3.1)",
        Match(
            None,
            error_codes=({"prefix": "AccessDenied"}, {"suffix": "UnauthorizedOperation"}),
            succeeded=False,
            all_management_events=True,
        ),
        _unauthorized,
        burst=BurstRule("unauthorized_calls", "events"),
        finding_type="TTPs/Discovery",
    ),
    Detection(
        "iam-policy-change",
        Severity.LOW,
        "IAM policy changed",
        "Every change to who may do what is worth a record and a look.",
        "CloudWatch.4 (CIS 3.4, 4.4)",
        Match(IAM, event_names=POLICY_CHANGES),
        _policy_change,
        finding_type="Software and Configuration Checks/AWS Security Best Practices",
    ),
    Detection(
        "session-token-issued",
        Severity.LOW,
        "Session token from a long-lived access key",
        "GetSessionToken by an IAM user extends what a (possibly stolen) long-lived key can do.",
        None,
        Match(("aws.sts",), event_names=("GetSessionToken",), identity_types=("IAMUser",)),
        _session_token,
        finding_type="Unusual Behaviors/User",
    ),
)

# Raised by GuardPasswordPolicy together with its revert (one alert, not two): no rule of its own here.
PASSWORD_POLICY_CHANGED = Detection(
    "password-policy-changed",
    Severity.MEDIUM,
    "Account password policy changed outside Turnstile",
    "A weaker password policy applies to every IAM user; Turnstile puts the configured one back.",
    "IAM.15, IAM.16 (CIS 1.8, 1.9)",
    Match(IAM, event_names=("UpdateAccountPasswordPolicy", "DeleteAccountPasswordPolicy")),
    lambda event, context: None if context.is_turnstiles_job(event) else Verdict("the password policy changed"),
    finding_type="Software and Configuration Checks/AWS Security Best Practices",
)

BY_ID = {d.id: d for d in (*DETECTIONS, PASSWORD_POLICY_CHANGED)}
# IAM actions a Turnstile role may make without an alert, when its declaration includes them.
QUIET_WHEN_TURNSTILES = frozenset(
    name for d in (*DETECTIONS, PASSWORD_POLICY_CHANGED) if d.match.sources == IAM for name in d.match.event_names or ()
)


@dataclass(frozen=True)
class Hit:
    detection: Detection
    verdict: Verdict


def judge(event: CloudTrailEvent, context: Context) -> list[Hit]:
    """Every detection this event triggers, most severe first. A call that is Turnstile's job, made by the role
    declared to make it, triggers none (a refused one still counts towards the refusal burst)."""
    if event.succeeded and context.is_turnstiles_job(event):
        return []
    hits = [
        Hit(d, verdict)
        for d in DETECTIONS
        if d.match.covers(event) and (verdict := d.judge(event, context)) is not None
    ]
    return sorted(hits, key=lambda h: h.detection.severity.rank)
