"""Attacks on CloudTrail-driven alerting, against the deployed stack: hostile policy documents and selectors,
malformed and limit-sized events, look-alike principals, duplicate and concurrent deliveries, faults in every call
of the alert path, bursts straddling their windows, and alerts that could leak a secret or an unbounded value.

Events are put on the bus the way CloudTrail does (`cloud.cloudtrail.emit`) or RaiseAlert is invoked directly
with an EventBridge envelope (to deliver one event several times at once). Every test checks the dead-letter
queue too: a pipeline that crashed on an event has no alert to show for it.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import threading
import uuid
from typing import Any

import pytest

from tests.workflows.scenarios import Deployed, snapshot

ACCOUNT = "123456789012"
API_CALL = "AWS API Call via CloudTrail"
SIGN_IN = "AWS Console Sign In via CloudTrail"
FUNCTION = "turnstile-RaiseAlert"
ADMIN = {"Effect": "Allow", "Action": "*", "Resource": "*"}


# --- helpers --------------------------------------------------------------------------------------------------


def at(minutes: float = 0, *, base: dt.datetime | None = None) -> str:
    moment = (base or dt.datetime.now(dt.UTC).replace(microsecond=0)) + dt.timedelta(minutes=minutes)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def attacker(name: str = "mallory") -> dict[str, Any]:
    return {
        "type": "IAMUser",
        "principalId": "AIDAEXAMPLE",
        "arn": f"arn:aws:iam::{ACCOUNT}:user/{name}",
        "accountId": ACCOUNT,
        "accessKeyId": "AKIAEXAMPLE",
        "userName": name,
    }


def api_call(
    name: str, parameters: dict[str, Any] | None = None, *, source: str = "iam", who: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "eventVersion": "1.08",
        "userIdentity": who or attacker(),
        "eventTime": at(),
        "eventSource": f"{source}.amazonaws.com",
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.9",
        "userAgent": "aws-cli/2.15",
        "requestParameters": parameters,
        "responseElements": None,
        "eventID": str(uuid.uuid4()),
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
    }


def failed_sign_in(user: str, *, ip: str = "192.0.2.50", minutes: float = 0, base: dt.datetime | None = None) -> dict:
    return {
        "eventVersion": "1.08",
        "userIdentity": {"type": "IAMUser", "principalId": "AIDAX", "accountId": ACCOUNT, "userName": user},
        "eventTime": at(minutes, base=base),
        "eventSource": "signin.amazonaws.com",
        "eventName": "ConsoleLogin",
        "awsRegion": "us-east-1",
        "sourceIPAddress": ip,
        "userAgent": "Mozilla/5.0",
        "requestParameters": None,
        "responseElements": {"ConsoleLogin": "Failure"},
        "additionalEventData": {"MFAUsed": "No"},
        "errorMessage": "Failed authentication",
        "eventID": str(uuid.uuid4()),
        "readOnly": False,
        "eventType": "AwsConsoleSignIn",
        "recipientAccountId": ACCOUNT,
    }


def emit(deployed: Deployed, *details: dict[str, Any], source: str = "aws.iam", detail_type: str = API_CALL) -> None:
    emitter = deployed.cloud.cloudtrail
    assert emitter is not None
    for detail in details:
        region = detail["awsRegion"]
        emitter.emit(ACCOUNT, detail, region=region, source=source, detail_type=detail_type)
    deployed.cloud.settle()


def envelope(detail: dict[str, Any], *, source: str = "aws.iam", detail_type: str = API_CALL) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": ACCOUNT,
        "time": detail.get("eventTime", at()) if isinstance(detail, dict) else at(),
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    }


def invoke(deployed: Deployed, event: Any) -> dict[str, Any]:
    """RaiseAlert, synchronously: its result, or the error it raised."""
    response = deployed.client("lambda").invoke(FunctionName=FUNCTION, Payload=json.dumps(event).encode())
    payload = json.loads(response["Payload"].read() or b"null")
    if response.get("FunctionError"):
        return {"crashed": payload}
    return dict(payload)


def findings(deployed: Deployed, mark: int, event_id: str | None = None) -> list[dict[str, Any]]:
    found = [m for m in deployed.notifications(after=mark) if m.get("event") == "Finding"]
    return [f for f in found if event_id is None or f.get("event_id") == event_id]


def dead_letters(deployed: Deployed) -> int:
    return len(snapshot(deployed.cloud, deployed.deployment.outputs["AlertsDeadLetterQueueUrl"]))


@pytest.fixture
def clean(deployed: Deployed) -> Any:
    """No fault left behind; nothing new in the dead-letter queue."""
    before = dead_letters(deployed)
    yield deployed
    deployed.cloud.faults.clear()
    assert dead_letters(deployed) == before, "RaiseAlert failed on an event (dead-lettered)"


# --- hostile policy documents -----------------------------------------------------------------------------------


def test_a_policy_document_nested_thousands_deep_is_reported_unreadable_not_a_crash(clean: Deployed) -> None:
    deep = '{"Version":"2012-10-17","Statement":' + '{"a":' * 3000 + "1" + "}" * 3000 + "}"
    detail = api_call("PutUserPolicy", {"userName": "bob", "policyName": "p", "policyDocument": deep})
    mark = clean.mark()
    emit(clean, detail)
    [finding] = findings(clean, mark, detail["eventID"])
    assert finding["detection"] == "administrator-grant"
    assert "could not read" in finding["why"]


def test_every_resource_of_the_partition_is_administrator_level(clean: Deployed) -> None:
    """`arn:aws:*:*:*:*` is every resource in the account's partition: IAM accepts it, and it is `*` in effect."""
    iam = clean.client("iam")
    iam.create_user(UserName="partition.admin")
    mark = clean.mark()
    for resource in ("arn:aws:*:*:*:*", ["arn:aws:s3:::x", "arn:aws:*:*:*:*"]):
        document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": resource}]}
        iam.put_user_policy(UserName="partition.admin", PolicyName="p", PolicyDocument=json.dumps(document))
    clean.cloud.settle()
    put = [f for f in findings(clean, mark) if f["action"] == "iam:PutUserPolicy"]
    assert [f["detection"] for f in put] == ["administrator-grant", "administrator-grant"]


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(json.dumps({"Statement": ADMIN}), id="statement-object"),
        pytest.param(json.dumps({"Statement": [{**ADMIN, "Action": ["s3:Get*", "*:*"]}]}), id="action-list-*:*"),
        pytest.param(json.dumps({"Statement": [{**ADMIN, "Action": "?*"}]}), id="?*"),
        pytest.param(json.dumps({"Statement": [{**ADMIN, "Resource": "arn:*:*:*:*:*"}]}), id="arn-wildcards"),
        pytest.param(
            json.dumps({"Statement": [{"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::x"}]}),
            id="not-resource",
        ),
        pytest.param('{"Statement":[{"Effect":"Allow","\\u0041ction":"\\u002a","Resource":"*"}]}', id="unicode"),
        pytest.param(
            "%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22*%22%2C%22Resource%22"
            "%3A%22*%22%7D%5D%7D",
            id="url-encoded",
        ),
    ],
)
def test_administrator_grants_in_every_legal_form_alert_as_such(clean: Deployed, document: str) -> None:
    detail = api_call("PutRolePolicy", {"roleName": "r", "policyName": "p", "policyDocument": document})
    mark = clean.mark()
    emit(clean, detail)
    [finding] = findings(clean, mark, detail["eventID"])
    assert finding["detection"] == "administrator-grant"
    assert "every action on every resource" in finding["why"]


def test_an_invalid_or_huge_document_is_never_judged_safe(clean: Deployed) -> None:
    mark = clean.mark()
    broken = api_call("CreatePolicy", {"policyName": "p", "policyDocument": '{"Statement": [{"Effect": "Allow",'})
    huge = api_call("CreatePolicy", {"policyName": "p", "policyDocument": "{" + " " * 200_000 + "}"})
    emit(clean, broken, huge)
    for detail in (broken, huge):
        [finding] = findings(clean, mark, detail["eventID"])
        assert finding["detection"] == "administrator-grant" and "could not read" in finding["why"]


def test_an_alert_lists_a_bounded_number_of_statements(clean: Deployed) -> None:
    statements = [{**ADMIN, "Sid": f"S{'x' * 60}{i:03d}"} for i in range(400)]
    detail = api_call(
        "PutGroupPolicy", {"groupName": "g", "policyName": "p", "policyDocument": json.dumps({"Statement": statements})}
    )
    mark = clean.mark()
    emit(clean, detail)
    [finding] = findings(clean, mark, detail["eventID"])
    assert finding["detection"] == "administrator-grant"
    assert len(finding["why"]) <= 1024 and len(finding["summary"]) <= 2048


def test_attaching_administrator_access_to_a_user_alerts_once_though_three_rules_match(clean: Deployed) -> None:
    iam = clean.client("iam")
    iam.create_user(UserName="three.rules")
    mark = clean.mark()
    iam.attach_user_policy(UserName="three.rules", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    clean.cloud.settle()
    [finding] = [f for f in findings(clean, mark) if f["action"] == "iam:AttachUserPolicy"]
    assert finding["detection"] == "administrator-grant"
    assert set(finding["also"]) == {"policy-on-user", "iam-policy-change"}


# --- CloudTrail selectors -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "parameters",
    [
        {"trailName": "t", "advancedEventSelectors": ["not a selector"]},
        {"trailName": "t", "advancedEventSelectors": [{"fieldSelectors": [{"field": ["eventCategory"]}]}]},
        {"trailName": "t", "advancedEventSelectors": [{"fieldSelectors": 5}]},
        {"trailName": "t", "advancedEventSelectors": [{"fieldSelectors": [{"field": "eventCategory", "equals": 5}]}]},
        {"trailName": "t", "eventSelectors": ["x", 5, None]},
    ],
    ids=["selector-string", "unhashable-field", "selectors-int", "equals-int", "basic-junk"],
)
def test_malformed_event_selectors_alert_and_never_crash(clean: Deployed, parameters: dict[str, Any]) -> None:
    detail = api_call("PutEventSelectors", parameters, source="cloudtrail")
    mark = clean.mark()
    emit(clean, detail, source="aws.cloudtrail")
    [finding] = findings(clean, mark, detail["eventID"])
    assert finding["detection"] == "cloudtrail-logging-stopped"


def test_selectors_that_keep_management_events_are_quiet(clean: Deployed) -> None:
    keep = [
        {"eventSelectors": [{"readWriteType": "All", "includeManagementEvents": True, "dataResources": []}]},
        {
            "advancedEventSelectors": [
                {"name": "m", "fieldSelectors": [{"field": "eventCategory", "equals": ["Management"]}]},
                {"name": "d", "fieldSelectors": [{"field": "eventCategory", "equals": ["Data"]}]},
            ]
        },
    ]
    mark = clean.mark()
    details = [api_call("PutEventSelectors", {"trailName": "t", **p}, source="cloudtrail") for p in keep]
    emit(clean, *details, source="aws.cloudtrail")
    assert not [f for d in details for f in findings(clean, mark, d["eventID"])]


# --- malformed and limit-sized events -----------------------------------------------------------------------------


def _mutations() -> list[tuple[str, Any]]:
    good = envelope(failed_sign_in("victim"), source="aws.signin", detail_type=SIGN_IN)

    def with_detail(path: list[str], value: Any) -> dict[str, Any]:
        event = copy.deepcopy(good)
        target = event["detail"]
        for part in path[:-1]:
            target = target[part]
        if value is _DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value
        return event

    cases: list[tuple[str, Any]] = [
        ("a-list", [good]),
        ("detail-list", {**good, "detail": []}),
        ("detail-missing", {k: v for k, v in good.items() if k != "detail"}),
        ("id-huge", {**good, "id": "x" * 100_000}),
        ("id-object", {**good, "id": {"nested": ["x"] * 10}}),
    ]
    for field in ("eventVersion", "eventSource", "eventName", "eventTime", "eventID", "awsRegion", "userIdentity"):
        cases.append((f"{field}-missing", with_detail([field], _DELETE)))
        cases.append((f"{field}-number", with_detail([field], 7)))
        cases.append((f"{field}-object", with_detail([field], {"a": {"b": "c"}})))
        cases.append((f"{field}-huge", with_detail([field], "A" * 100_000)))
    cases += [
        ("eventTime-year-9999", with_detail(["eventTime"], "9999-12-31T23:59:59Z")),
        ("eventTime-year-1", with_detail(["eventTime"], "0001-01-01T00:00:00Z")),
        ("eventTime-no-offset", with_detail(["eventTime"], "2026-01-01T00:00:00")),
        ("userIdentity-type-missing", with_detail(["userIdentity", "type"], _DELETE)),
        ("userName-huge", with_detail(["userIdentity", "userName"], "u" * 5000)),
        ("userName-object", with_detail(["userIdentity", "userName"], {"x": 1})),
        ("sourceIP-list", with_detail(["sourceIPAddress"], ["1.2.3.4"])),
        ("sourceIP-huge", with_detail(["sourceIPAddress"], "1" * 10_000)),
        ("responseElements-string", with_detail(["responseElements"], "Failure")),
        ("additionalEventData-list", with_detail(["additionalEventData"], [1])),
        ("errorCode-bool", with_detail(["errorCode"], True)),
        ("readOnly-string", with_detail(["readOnly"], "false")),
        ("deep-nesting", with_detail(["additionalEventData"], _nested(50))),
        ("deep-nesting-responseElements", with_detail(["responseElements"], _nested(9))),
        ("arn-not-an-arn", with_detail(["userIdentity", "arn"], "user/victim")),
        ("sessionIssuer-string", with_detail(["userIdentity", "sessionContext"], {"sessionIssuer": "r"})),
    ]
    return cases


_DELETE = object()


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"x": 1}
    for _ in range(depth):
        value = {"x": value}
    return value


def test_every_malformed_event_is_rejected_with_a_record_never_a_crash_or_an_alert(clean: Deployed) -> None:
    mark = clean.mark()
    outcomes = {}
    for name, event in _mutations():
        try:
            outcomes[name] = invoke(clean, event)
        except Exception as error:
            raise AssertionError(name) from error
    crashed = {name: o for name, o in outcomes.items() if "crashed" in o}
    assert not crashed
    judged = {name: o["outcome"] for name, o in outcomes.items() if o["outcome"] != "rejected"}
    assert not judged
    assert not findings(clean, mark)


def test_limit_sized_values_are_never_echoed(clean: Deployed) -> None:
    """At the bounds the model allows: the alert describes the value, it does not repeat it."""
    detail = api_call("CreateAccessKey", {"userName": "victim"})
    detail["userAgent"] = "U" * 8192
    detail["sourceIPAddress"] = "I" * 256
    detail["userIdentity"]["arn"] = "arn:aws:iam::123456789012:user/" + "a" * 2000
    detail["userIdentity"]["userName"] = "N" * 256
    mark = clean.mark()
    emit(clean, detail)
    [finding] = findings(clean, mark, detail["eventID"])
    text = json.dumps(finding)
    longest = max(len(run.group()) for run in re.finditer(r"(.)\1*", text))
    assert longest <= 256


# --- look-alike principals ----------------------------------------------------------------------------------------


def _turnstile_role(deployed: Deployed, function: str) -> str:
    config = deployed.client("lambda").get_function_configuration(FunctionName=f"turnstile-{function}")
    return str(config["Role"])


def _session_of(role_arn: str) -> dict[str, Any]:
    return {
        "type": "AssumedRole",
        "principalId": "AROAEXAMPLE:s",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role_arn.rsplit('/', 1)[-1]}/s",
        "accountId": ACCOUNT,
        "sessionContext": {
            "sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLE", "arn": role_arn, "accountId": ACCOUNT},
            "attributes": {"mfaAuthenticated": "false"},
        },
    }


def test_look_alikes_of_turnstiles_roles_alert_and_the_real_one_is_quiet_only_for_its_job(clean: Deployed) -> None:
    real = _turnstile_role(clean, "CreateUser")
    name = real.rsplit("/", 1)[-1]
    look_alikes = {
        "role-suffix": _session_of(real + "-x"),
        "role-other-path": _session_of(real.replace(":role/", ":role/evil/")),
        "role-upper": _session_of(real.replace(name, name.upper())),
        "other-account": _session_of(real.replace(ACCOUNT, "210987654321")),
        "user-named-like-it": attacker(name),
        "user-arn-like-it": {**attacker(name), "arn": real},
        "user-root": attacker("root"),
        "issuer-in-arn-only": {**_session_of(real), "sessionContext": None},
    }
    mark = clean.mark()
    created = {
        key: api_call("CreateUser", {"userName": f"made.{i}"}, who=who)
        for i, (key, who) in enumerate(look_alikes.items())
    }
    own = api_call("CreateUser", {"userName": "made.by.turnstile"}, who=_session_of(real))
    not_its_job = api_call("CreateLoginProfile", {"userName": "made.by.turnstile"}, who=_session_of(real))
    emit(clean, *created.values(), own, not_its_job)
    missed = [key for key, d in created.items() if not findings(clean, mark, d["eventID"])]
    assert not missed
    assert not findings(clean, mark, own["eventID"])
    [finding] = findings(clean, mark, not_its_job["eventID"])
    assert finding["detection"] == "login-profile-for-another-user"


def test_root_look_alikes_and_service_invoked_root(clean: Deployed) -> None:
    root = {"type": "Root", "principalId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:root", "accountId": ACCOUNT}
    by_person = api_call("CreateAccessKey", None, who=root)
    by_service = api_call("CreateAccessKey", None, who={**root, "invokedBy": "cloudformation.amazonaws.com"})
    service_event = {
        **api_call("UpdateTrail", {"name": "t"}, source="cloudtrail", who=root),
        "eventType": "AwsServiceEvent",
    }
    user_root = api_call("DeleteUserPolicy", {"userName": "x", "policyName": "p"}, who=attacker("root"))
    mark = clean.mark()
    emit(clean, by_person, by_service, user_root)
    emit(clean, service_event, source="aws.cloudtrail")
    [person] = findings(clean, mark, by_person["eventID"])
    assert person["detection"] == "root-access-key-created" and "root-activity" in person["also"]
    [service] = findings(clean, mark, by_service["eventID"])
    assert service["detection"] == "root-access-key-created" and "root-activity" not in service["also"]
    [svc_event] = findings(clean, mark, service_event["eventID"])
    assert svc_event["detection"] == "cloudtrail-changed" and "root-activity" not in svc_event["also"]
    [user] = findings(clean, mark, user_root["eventID"])
    assert user["detection"] == "iam-policy-change" and "root-activity" not in user["also"]


# --- duplicates and concurrency ------------------------------------------------------------------------------------


def test_the_same_event_delivered_twice_and_at_once_alerts_once(clean: Deployed) -> None:
    detail = api_call("CreateLoginProfile", {"userName": "victim"})
    event = envelope(detail)
    mark = clean.mark()
    emit(clean, detail, detail)
    results: list[dict[str, Any]] = []
    threads = [threading.Thread(target=lambda: results.append(invoke(clean, event))) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not [r for r in results if "crashed" in r]
    assert len(findings(clean, mark, detail["eventID"])) == 1


def test_failed_calls_alert_only_where_failure_is_the_signal(clean: Deployed) -> None:
    denied = {**api_call("CreateAccessKey", {"userName": "victim"}), "errorCode": "AccessDenied"}
    mark = clean.mark()
    emit(clean, denied)
    assert not findings(clean, mark, denied["eventID"])


# --- faults in every call of the pipeline ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "action", "code"),
    [
        ("dynamodb", "PutItem", "ProvisionedThroughputExceededException"),
        ("dynamodb", "GetItem", "ProvisionedThroughputExceededException"),
        ("sns", "Publish", "Throttling"),
        ("sns", "Publish", "InternalError"),
        ("iam", "GetUser", "Throttling"),
        ("dynamodb", "DeleteItem", "ProvisionedThroughputExceededException"),
    ],
)
def test_a_fault_in_a_call_of_the_alert_path_still_alerts_exactly_once(
    clean: Deployed, service: str, action: str, code: str
) -> None:
    """The fault outlasts the SDK's retries in the first invocation; Lambda's retry then completes the alert."""
    detail = api_call("CreateLoginProfile", {"userName": "victim"})
    mark = clean.mark()
    # A DeleteItem fault only bites when a publish failed first (the release).
    publish = (
        clean.cloud.faults.inject("sns", "Publish", "InternalError", caller=FUNCTION, times=6)
        if action == "DeleteItem"
        else None
    )
    clean.cloud.faults.inject(service, action, code, caller=FUNCTION, times=6)
    emit(clean, detail)
    if publish is not None:
        clean.cloud.faults.remove(publish)
    assert len(findings(clean, mark, detail["eventID"])) == 1


def test_a_fault_in_marking_the_alert_sent_does_not_send_it_again(clean: Deployed) -> None:
    detail = api_call("CreateLoginProfile", {"userName": "victim"})
    mark = clean.mark()
    clean.cloud.faults.inject(
        "dynamodb",
        "UpdateItem",
        "ProvisionedThroughputExceededException",
        caller=FUNCTION,
        when=lambda call: ":sent" in str(call.params.get("UpdateExpression", "")),
        times=6,
    )
    emit(clean, detail)
    assert len(findings(clean, mark, detail["eventID"])) == 1


# --- bursts -------------------------------------------------------------------------------------------------------


def test_duplicate_deliveries_never_complete_a_burst(clean: Deployed) -> None:
    base = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=3)
    attempts = [failed_sign_in("dup.victim", ip=f"198.51.100.{i}", minutes=i, base=base) for i in range(4)]
    mark = clean.mark()
    emit(clean, *attempts, *attempts, *attempts, source="aws.signin", detail_type=SIGN_IN)
    assert not findings(clean, mark)
    emit(
        clean,
        failed_sign_in("dup.victim", ip="198.51.100.9", minutes=5, base=base),
        source="aws.signin",
        detail_type=SIGN_IN,
    )
    [burst] = findings(clean, mark)
    assert burst["detection"] == "signin-failures-for-one-user" and burst["burst"]["count"] == 5


def test_a_burst_straddling_its_window_alerts_only_when_a_window_holds_the_threshold(clean: Deployed) -> None:
    base = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=6)
    user = "straddle.victim"
    mark = clean.mark()
    # Four within 15 minutes, the fifth 16 minutes after the first: no 15-minute window holds five.
    emit(
        clean,
        *[failed_sign_in(user, minutes=m, base=base) for m in (0, 4, 8, 12, 16)],
        source="aws.signin",
        detail_type=SIGN_IN,
    )
    assert not [f for f in findings(clean, mark) if f["detection"] == "signin-failures-for-one-user"]
    emit(clean, failed_sign_in(user, minutes=17, base=base), source="aws.signin", detail_type=SIGN_IN)
    assert len([f for f in findings(clean, mark) if f["detection"] == "signin-failures-for-one-user"]) == 1
    # more in the same window: no second alert
    emit(
        clean,
        *[failed_sign_in(user, minutes=m, base=base) for m in (18, 19, 20)],
        source="aws.signin",
        detail_type=SIGN_IN,
    )
    assert len([f for f in findings(clean, mark) if f["detection"] == "signin-failures-for-one-user"]) == 1


def test_a_late_event_does_not_make_a_burst_of_events_spread_over_hours(clean: Deployed) -> None:
    base = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=9)
    user = "spread.victim"
    mark = clean.mark()
    emit(
        clean,
        *[failed_sign_in(user, minutes=m, base=base) for m in (0, 20, 40, 60)],
        source="aws.signin",
        detail_type=SIGN_IN,
    )
    emit(clean, failed_sign_in(user, minutes=-1, base=base), source="aws.signin", detail_type=SIGN_IN)  # late
    assert not [f for f in findings(clean, mark) if f["detection"] == "signin-failures-for-one-user"]


# --- secrets ------------------------------------------------------------------------------------------------------


def test_no_secret_reaches_an_alert_even_when_an_event_carries_one(clean: Deployed) -> None:
    secrets = [
        "Sup3r-Secret-Passw0rd!",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "FQoGZXIvYXdzEXAMPLETOKEN",
        "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
    ]
    login = api_call("CreateLoginProfile", {"userName": "victim", "password": secrets[0]})
    login["responseElements"] = {"loginProfile": {"userName": "victim", "password": secrets[0]}}
    key = api_call("CreateAccessKey", {"userName": "victim"})
    key["responseElements"] = {"accessKey": {"accessKeyId": "AKIA", "secretAccessKey": secrets[1]}}
    token = api_call("GetSessionToken", None, source="sts")
    token["responseElements"] = {"credentials": {"sessionToken": secrets[2], "secretAccessKey": secrets[1]}}
    mfa = api_call("DeactivateMFADevice", {"userName": "victim", "base32StringSeed": secrets[3]})
    mark = clean.mark()
    emit(clean, login, key, mfa)
    emit(clean, token, source="aws.sts")
    sent = findings(clean, mark)
    assert len(sent) == 4
    text = json.dumps(sent)
    assert not [s for s in secrets if s in text]


def test_a_user_whose_arn_is_a_turnstile_role_changing_the_password_policy_is_reverted_and_alerted(
    clean: Deployed,
) -> None:
    role = _turnstile_role(clean, "EnsurePasswordPolicy")
    forged = api_call("DeleteAccountPasswordPolicy", None, who={**attacker("pp"), "arn": role})
    own = api_call("DeleteAccountPasswordPolicy", None, who=_session_of(role))
    mark = clean.mark()
    emit(clean, forged, own)
    [finding] = findings(clean, mark, forged["eventID"])
    assert finding["detection"] == "password-policy-changed"
    assert not findings(clean, mark, own["eventID"])
