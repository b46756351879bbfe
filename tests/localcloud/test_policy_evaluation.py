"""The local cloud's IAM evaluator, decided as the IAM User Guide documents it.

Each table takes its cases from the page named in its comment; the Turnstile cases are the policies this
project ships. The last test generates random policies and requests and checks the documented invariants.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from localcloud.iam import Decision, MalformedPolicy, Policy, PolicyKind, Principal, Request, evaluate
from localcloud.iam.matching import PrincipalSpec
from localcloud.iam.statements import compiled_policy

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "444455556666"
REGION = "us-east-1"


def user(name: str, *, path: str = "/", account: str = ACCOUNT, tags: Mapping[str, str] | None = None) -> Principal:
    arn = f"arn:aws:iam::{account}:user{path}{name}"
    return Principal("IAMUser", arn, arn, account, f"AIDA{name.upper()[:8]}", name, tags=tags or {})


def role_session(
    role: str, session: str, *, account: str = ACCOUNT, tags: Mapping[str, str] | None = None
) -> Principal:
    return Principal(
        "AssumedRole",
        f"arn:aws:sts::{account}:assumed-role/{role}/{session}",
        f"arn:aws:iam::{account}:role/{role}",
        account,
        f"AROA{role.upper()[:8]}:{session}",
        tags=tags or {},
    )


def service(name: str) -> Principal:
    return Principal("AWSService", name, name, "", service=name)


ROOT = Principal("Root", f"arn:aws:iam::{ACCOUNT}:root", f"arn:aws:iam::{ACCOUNT}:root", ACCOUNT)
ANONYMOUS = Principal("Anonymous", "anonymous", "anonymous", "")
CARLOS = user("carlossalazar")
JANE = user("jane.smith", path="/turnstile/")
E_SMITH = user("e.smith", path="/turnstile/")
HELPDESK = role_session("turnstile-helpdesk", "jane")


def document(*statements: Mapping[str, Any], version: str | None = "2012-10-17") -> dict[str, Any]:
    return {"Version": version, "Statement": list(statements)} if version else {"Statement": list(statements)}


def policy(kind: PolicyKind, *statements: Mapping[str, Any], source: str = "", account: str | None = None) -> Policy:
    return Policy(kind, source or kind, document(*statements), resource_account=account)


def allow(action: str | list[str], resource: str | list[str] | None = "*", **elements: Any) -> dict[str, Any]:
    return _statement("Allow", action, resource, elements)


def deny(action: str | list[str], resource: str | list[str] | None = "*", **elements: Any) -> dict[str, Any]:
    return _statement("Deny", action, resource, elements)


def _statement(effect: str, action: Any, resource: Any, elements: dict[str, Any]) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": effect, "Action": action}
    if resource is not None:
        statement["Resource"] = resource
    statement.update(elements)
    return statement


def decide(
    principal: Principal,
    action: str,
    resource: str,
    *policies: Policy,
    context: Mapping[str, Any] | None = None,
    required: bool = False,
) -> Decision:
    request = Request(principal, action, resource, dict(context or {}))
    return evaluate(request, policies, resource_policy_required=required)


def no_allow(kind: str, action: str) -> str:
    return f"because no {kind} allows the {action} action"


ALLOWED = ""  # the reason of an allowed decision
EXPLICIT_IDENTITY = "with an explicit deny in an identity-based policy"
EXPLICIT_BOUNDARY = "with an explicit deny in a permissions boundary"
EXPLICIT_RESOURCE = "with an explicit deny in a resource-based policy"
EXPLICIT_SESSION = "with an explicit deny in a session policy"


# --- "Policy evaluation logic": example identity-based and resource-based policy evaluation (Carlos), and
# --- "The difference between explicit and implicit denies" (AllowGetList / DenyReports).

CARLOS_IDENTITY = policy(
    "identity",
    allow(
        ["s3:GetBucketLocation", "s3:GetAccountPublicAccessBlock", "s3:ListAccessPoints", "s3:ListAllMyBuckets"],
        "arn:aws:s3:::*",
        Sid="AllowS3ListRead",
    ),
    allow("s3:*", ["arn:aws:s3:::carlossalazar/*", "arn:aws:s3:::carlossalazar"], Sid="AllowS3Self"),
    deny("s3:*", "arn:aws:s3:::*log*", Sid="DenyS3Logs"),
)
CARLOS_BUCKET = policy(
    "resource",
    allow(
        "s3:*",
        ["arn:aws:s3:::carlossalazar/*", "arn:aws:s3:::carlossalazar"],
        Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:user/carlossalazar"},
    ),
    account=ACCOUNT,
)
GET_LIST_NO_REPORTS = policy(
    "identity",
    allow(["iam:Get*", "iam:List*"], Sid="AllowGetList"),
    deny("iam:*Report", Sid="DenyReports"),
)


@pytest.mark.parametrize(
    ("action", "resource", "policies", "reason"),
    [
        ("s3:PutObject", "arn:aws:s3:::carlossalazar-logs/f.txt", [CARLOS_IDENTITY, CARLOS_BUCKET], EXPLICIT_IDENTITY),
        ("s3:PutObject", "arn:aws:s3:::carlossalazar/f.txt", [CARLOS_IDENTITY, CARLOS_BUCKET], ALLOWED),
        ("s3:PutObject", "arn:aws:s3:::carlossalazar/f.txt", [CARLOS_BUCKET], ALLOWED),  # either one suffices
        ("s3:PutObject", "arn:aws:s3:::carlossalazar/f.txt", [CARLOS_IDENTITY], ALLOWED),
        (
            "s3:PutObject",
            "arn:aws:s3:::other/f.txt",
            [CARLOS_IDENTITY],
            no_allow("identity-based policy", "s3:PutObject"),
        ),
        ("iam:GetUser", "*", [GET_LIST_NO_REPORTS], ALLOWED),
        ("iam:CreatePolicy", "*", [GET_LIST_NO_REPORTS], no_allow("identity-based policy", "iam:CreatePolicy")),
        ("iam:GetOrganizationsAccessReport", "*", [GET_LIST_NO_REPORTS], EXPLICIT_IDENTITY),
    ],
)
def test_identity_and_resource_policies_within_an_account(
    action: str, resource: str, policies: list[Policy], reason: str
) -> None:
    decision = decide(CARLOS, action, resource, *policies)
    assert (decision.allowed, decision.reason) == (reason == ALLOWED, reason)


def test_the_statement_that_decided_is_named() -> None:
    denied = decide(CARLOS, "s3:PutObject", "arn:aws:s3:::carlossalazar-logs/f.txt", CARLOS_IDENTITY, CARLOS_BUCKET)
    assert str(denied.denied_by) == "Deny Sid DenyS3Logs of identity policy identity"
    assert denied.message(Request(CARLOS, "s3:PutObject", "arn:aws:s3:::carlossalazar-logs/f.txt")) == (
        f"User: {CARLOS.arn} is not authorized to perform: s3:PutObject on resource: "
        "arn:aws:s3:::carlossalazar-logs/f.txt with an explicit deny in an identity-based policy"
    )
    allowed = decide(CARLOS, "s3:PutObject", "arn:aws:s3:::carlossalazar/f.txt", CARLOS_IDENTITY, CARLOS_BUCKET)
    assert [(ref.kind, ref.sid, ref.index) for ref in allowed.allowed_by] == [
        ("resource", None, 0),  # the bucket policy names Carlos: enough on its own
        ("identity", "AllowS3Self", 1),  # and so is his own policy
    ]
    assert allowed.denied_by is None
    implicit = decide(CARLOS, "iam:CreatePolicy", "*", GET_LIST_NO_REPORTS)
    assert implicit.message(Request(CARLOS, "iam:CreatePolicy", "*")) == (
        f"User: {CARLOS.arn} is not authorized to perform: iam:CreatePolicy "
        "because no identity-based policy allows the iam:CreatePolicy action"
    )


# --- "Determining whether a request is allowed or denied within an account", resource-based policies step, and
# --- "Permissions boundaries for IAM entities" (resource-based policies): what a same-account resource-based
# --- Allow grants depends on the principal it names. A boundary that allows only S3 (Shirley's) limits the rest.

SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:turnstile/users/jane.smith/console-password-AbCdEf"
S3_ONLY_BOUNDARY = policy("boundary", allow(["s3:*", "cloudwatch:*", "ec2:*"]))
READ = "secretsmanager:GetSecretValue"
READ_ANY_SECRET = policy("identity", allow(READ, "arn:aws:secretsmanager:*:*:secret:*"))
READ_SECRETS_SESSION = policy("session", allow("secretsmanager:*"))
S3_SESSION = policy("session", allow("s3:*"))


def secret_policy(*principals: str, account: str = ACCOUNT) -> Policy:
    element: Any = "*" if principals == ("*",) else {"AWS": list(principals) if len(principals) > 1 else principals[0]}
    return policy("resource", allow(READ, "*", Principal=element, Sid="SecretPolicy"), account=account)


HELPDESK_ROLE = f"arn:aws:iam::{ACCOUNT}:role/turnstile-helpdesk"


@pytest.mark.parametrize(
    ("principal", "policies", "reason"),
    [
        # IAM user ARN: not limited by an implicit deny in identity policies or the boundary.
        (JANE, [secret_policy(JANE.arn)], ALLOWED),
        (JANE, [secret_policy(JANE.arn), S3_ONLY_BOUNDARY], ALLOWED),
        # "*": every principal, no other permission needed within the account ("Principal" page).
        (JANE, [secret_policy("*"), S3_ONLY_BOUNDARY], ALLOWED),
        # Role session ARN: granted directly to the session, not limited by boundary or session policy.
        (HELPDESK, [secret_policy(HELPDESK.arn), S3_ONLY_BOUNDARY, S3_SESSION], ALLOWED),
        # Role ARN: grants without an identity policy, but limited by the boundary and session policies.
        (HELPDESK, [secret_policy(HELPDESK_ROLE)], ALLOWED),
        (HELPDESK, [secret_policy(HELPDESK_ROLE), S3_ONLY_BOUNDARY], no_allow("permissions boundary", READ)),
        (HELPDESK, [secret_policy(HELPDESK_ROLE), S3_SESSION], no_allow("session policy", READ)),
        (HELPDESK, [secret_policy(HELPDESK_ROLE), READ_SECRETS_SESSION], ALLOWED),
        # The account (id or root ARN): delegates to identity policies, grants nothing alone.
        (JANE, [secret_policy(ACCOUNT)], no_allow("identity-based policy", READ)),
        (JANE, [secret_policy(f"arn:aws:iam::{ACCOUNT}:root")], no_allow("identity-based policy", READ)),
        (JANE, [secret_policy(ACCOUNT), READ_ANY_SECRET], ALLOWED),
        (JANE, [secret_policy(ACCOUNT), READ_ANY_SECRET, S3_ONLY_BOUNDARY], no_allow("permissions boundary", READ)),
        # Someone else named: the caller needs its own identity policy, within its boundary.
        (JANE, [secret_policy(E_SMITH.arn)], no_allow("identity-based policy", READ)),
        (JANE, [secret_policy(E_SMITH.arn), READ_ANY_SECRET], ALLOWED),
        # Session policies limit identity-based permissions of a role session.
        (HELPDESK, [READ_ANY_SECRET], ALLOWED),
        (HELPDESK, [READ_ANY_SECRET, S3_SESSION], no_allow("session policy", READ)),
        (HELPDESK, [READ_ANY_SECRET, READ_SECRETS_SESSION], ALLOWED),
        # An explicit deny anywhere wins over a direct grant.
        (JANE, [secret_policy(JANE.arn), policy("boundary", allow("*"), deny("secretsmanager:*"))], EXPLICIT_BOUNDARY),
        (HELPDESK, [secret_policy(HELPDESK.arn), policy("session", deny("*"))], EXPLICIT_SESSION),
        (JANE, [READ_ANY_SECRET, policy("resource", deny(READ, Principal="*"))], EXPLICIT_RESOURCE),
    ],
)
def test_resource_based_grants_by_principal_named(principal: Principal, policies: list[Policy], reason: str) -> None:
    decision = decide(principal, READ, SECRET, *policies)
    assert (decision.allowed, decision.reason) == (reason == ALLOWED, reason)


def test_a_boundary_allow_is_listed_when_it_mattered() -> None:
    boundary = policy("boundary", allow("secretsmanager:*", Sid="Ceiling"))
    decision = decide(HELPDESK, READ, SECRET, secret_policy(HELPDESK_ROLE), boundary)
    assert [(ref.kind, ref.sid) for ref in decision.allowed_by] == [
        ("resource", "SecretPolicy"),
        ("boundary", "Ceiling"),
    ]


# --- "Cross-account policy evaluation logic": both the resource policy and the caller's identity policies allow.

BOB = user("bob", account=OTHER_ACCOUNT)


@pytest.mark.parametrize(
    ("policies", "reason"),
    [
        ([secret_policy(BOB.arn)], no_allow("identity-based policy", READ)),
        ([secret_policy(BOB.arn), READ_ANY_SECRET], ALLOWED),
        ([secret_policy(OTHER_ACCOUNT), READ_ANY_SECRET], ALLOWED),
        ([READ_ANY_SECRET], no_allow("resource-based policy", READ)),
        ([secret_policy(JANE.arn), READ_ANY_SECRET], no_allow("resource-based policy", READ)),
        ([secret_policy(BOB.arn), READ_ANY_SECRET, S3_ONLY_BOUNDARY], no_allow("permissions boundary", READ)),
    ],
)
def test_cross_account_requests_need_both_sides(policies: list[Policy], reason: str) -> None:
    decision = decide(BOB, READ, SECRET, *policies)  # the secret is in ACCOUNT, Bob in OTHER_ACCOUNT
    assert (decision.allowed, decision.reason) == (reason == ALLOWED, reason)


# --- "Permissions boundaries for IAM entities": Shirley's boundary and María's delegation to Zhang.

DELEGATED_USER_BOUNDARY = policy(
    "boundary",
    allow(
        ["iam:CreateUser", "iam:DeleteUserPolicy", "iam:AttachUserPolicy", "iam:PutUserPermissionsBoundary"],
        Sid="CreateOrChangeOnlyWithBoundary",
        Condition={"StringEquals": {"iam:PermissionsBoundary": f"arn:aws:iam::{ACCOUNT}:policy/XCompanyBoundaries"}},
    ),
    allow(
        ["cloudwatch:*", "iam:GetUser", "iam:CreateAccessKey"], None, NotResource=f"arn:aws:iam::{ACCOUNT}:user/Maria"
    ),
    deny("iam:DeleteUserPermissionsBoundary", Sid="NoBoundaryUserDelete"),
)
DELEGATED_USER_PERMISSIONS = policy("identity", allow("iam:*", Sid="IAM"))
X_COMPANY = {"iam:PermissionsBoundary": f"arn:aws:iam::{ACCOUNT}:policy/XCompanyBoundaries"}
OTHER_BOUNDARY = {"iam:PermissionsBoundary": f"arn:aws:iam::{ACCOUNT}:policy/Other"}
NEW_USER = f"arn:aws:iam::{ACCOUNT}:user/new"


SHIRLEY = user("ShirleyRodriguez")
ZHANG = user("Zhang")
ZHANG_POLICIES = [DELEGATED_USER_PERMISSIONS, DELEGATED_USER_BOUNDARY]
MARIA = f"arn:aws:iam::{ACCOUNT}:user/Maria"
CREATE_USER = policy("identity", allow("iam:CreateUser"))
OBJECT = "arn:aws:s3:::b/k"


@pytest.mark.parametrize(
    ("principal", "action", "resource", "policies", "context", "reason"),
    [
        (SHIRLEY, "iam:CreateUser", NEW_USER, [CREATE_USER, S3_ONLY_BOUNDARY], {},
         no_allow("permissions boundary", "iam:CreateUser")),
        (SHIRLEY, "s3:GetObject", OBJECT, [policy("identity", allow("s3:*")), S3_ONLY_BOUNDARY], {}, ALLOWED),
        (SHIRLEY, "s3:GetObject", OBJECT, [S3_ONLY_BOUNDARY], {},
         no_allow("identity-based policy", "s3:GetObject")),  # a boundary grants nothing
        (ZHANG, "iam:CreateUser", NEW_USER, ZHANG_POLICIES, X_COMPANY, ALLOWED),
        (ZHANG, "iam:CreateUser", NEW_USER, ZHANG_POLICIES, OTHER_BOUNDARY,
         no_allow("permissions boundary", "iam:CreateUser")),
        (ZHANG, "iam:CreateUser", NEW_USER, ZHANG_POLICIES, {}, no_allow("permissions boundary", "iam:CreateUser")),
        (ZHANG, "iam:CreateAccessKey", NEW_USER, ZHANG_POLICIES, {}, ALLOWED),
        (ZHANG, "iam:CreateAccessKey", MARIA, ZHANG_POLICIES, {},
         no_allow("permissions boundary", "iam:CreateAccessKey")),
        (ZHANG, "iam:DeleteUserPermissionsBoundary", NEW_USER, ZHANG_POLICIES, {}, EXPLICIT_BOUNDARY),
    ],
)  # fmt: skip
def test_permissions_boundaries(
    principal: Principal, action: str, resource: str, policies: list[Policy], context: dict[str, Any], reason: str
) -> None:
    decision = decide(principal, action, resource, *policies, context=context)
    assert (decision.allowed, decision.reason) == (reason == ALLOWED, reason)


# --- Policies that must allow: KMS key policies ("Policy evaluation logic": role trust policies and KMS key
# --- policies "must explicitly allow access for principals"), and a role's trust policy for sts:AssumeRole
# --- (AssumeRole API reference: name the user in the trust policy, or trust the account and allow it in IAM).

KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ENABLE_IAM_POLICIES = allow("kms:*", Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, Sid="EnableIAMUserPermissions")
VIA_SECRETS_MANAGER = {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}
# Turnstile's key policy statement for secret readers (stacks/constructs/storage.py).
SECRET_READERS = allow(
    ["kms:Decrypt", "kms:DescribeKey"],
    Principal={"AWS": HELPDESK_ROLE},
    Condition={"StringEquals": VIA_SECRETS_MANAGER},
    Sid="SecretReadersDecryptThroughSecretsManager",
)
DECRYPT = policy("identity", allow("kms:Decrypt", Sid="Decrypt"))
ROLE = HELPDESK_ROLE  # the role the trust policies below belong to
ASSUME = policy("identity", allow("sts:AssumeRole", ROLE))


def trust(principal: Any) -> Policy:
    return policy("resource", allow("sts:AssumeRole", None, Principal=principal, Sid="Trust"), account=ACCOUNT)


@pytest.mark.parametrize(
    ("principal", "action", "resource", "policies", "context", "reason"),
    [
        (JANE, "kms:Decrypt", KEY, [DECRYPT], {}, no_allow("resource-based policy", "kms:Decrypt")),
        (JANE, "kms:Decrypt", KEY, [DECRYPT, policy("resource", ENABLE_IAM_POLICIES)], {}, ALLOWED),
        (JANE, "kms:Decrypt", KEY, [policy("resource", ENABLE_IAM_POLICIES)], {},
         no_allow("identity-based policy", "kms:Decrypt")),
        (JANE, "kms:Decrypt", KEY, [DECRYPT, policy("resource", ENABLE_IAM_POLICIES), S3_ONLY_BOUNDARY], {},
         no_allow("permissions boundary", "kms:Decrypt")),
        (ROOT, "kms:Decrypt", KEY, [], {}, no_allow("resource-based policy", "kms:Decrypt")),
        (ROOT, "kms:Decrypt", KEY, [policy("resource", ENABLE_IAM_POLICIES)], {}, ALLOWED),
        # kms:ViaService: the helpdesk decrypts through Secrets Manager, never directly.
        (HELPDESK, "kms:Decrypt", KEY, [policy("resource", SECRET_READERS)], VIA_SECRETS_MANAGER, ALLOWED),
        (HELPDESK, "kms:Decrypt", KEY, [policy("resource", SECRET_READERS)], {},
         no_allow("resource-based policy", "kms:Decrypt")),
        (HELPDESK, "kms:Decrypt", KEY, [policy("resource", SECRET_READERS)],
         {"kms:ViaService": f"ssm.{REGION}.amazonaws.com"}, no_allow("resource-based policy", "kms:Decrypt")),
        (JANE, "kms:Decrypt", KEY, [DECRYPT, policy("resource", SECRET_READERS)], VIA_SECRETS_MANAGER,
         no_allow("resource-based policy", "kms:Decrypt")),
        # Trust policies.
        (JANE, "sts:AssumeRole", ROLE, [trust({"AWS": JANE.arn})], {}, ALLOWED),
        (JANE, "sts:AssumeRole", ROLE, [trust({"AWS": ACCOUNT})], {},
         no_allow("identity-based policy", "sts:AssumeRole")),
        (JANE, "sts:AssumeRole", ROLE, [trust({"AWS": ACCOUNT}), ASSUME], {}, ALLOWED),
        (JANE, "sts:AssumeRole", ROLE, [ASSUME], {}, no_allow("resource-based policy", "sts:AssumeRole")),
        (JANE, "sts:AssumeRole", ROLE, [trust({"Service": "lambda.amazonaws.com"}), ASSUME], {},
         no_allow("resource-based policy", "sts:AssumeRole")),
        (service("lambda.amazonaws.com"), "sts:AssumeRole", ROLE, [trust({"Service": "lambda.amazonaws.com"})], {},
         ALLOWED),
    ],
)  # fmt: skip
def test_policies_that_must_allow(
    principal: Principal, action: str, resource: str, policies: list[Policy], context: dict[str, Any], reason: str
) -> None:
    decision = decide(principal, action, resource, *policies, context=context, required=True)
    assert (decision.allowed, decision.reason) == (reason == ALLOWED, reason)


def test_a_delegating_key_policy_is_listed_with_the_identity_allow() -> None:
    decision = decide(JANE, "kms:Decrypt", KEY, DECRYPT, policy("resource", ENABLE_IAM_POLICIES), required=True)
    assert [(ref.kind, ref.sid) for ref in decision.allowed_by] == [
        ("identity", "Decrypt"),
        ("resource", "EnableIAMUserPermissions"),
    ]


# --- Root and service principals ("Policy evaluation logic": root has full access by default; "Principal":
# --- service principals and anonymous users are granted in resource-based policies only).

FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:turnstile-ReceiveHire"
RULE = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/turnstile-hr/EmployeeHiredRule"
FUNCTION_POLICY = policy(
    "resource",
    allow(
        "lambda:InvokeFunction",
        FUNCTION,
        Principal={"Service": "events.amazonaws.com"},
        Condition={"ArnLike": {"AWS:SourceArn": RULE}},
        Sid="AllowEventBridge",
    ),
    account=ACCOUNT,
)
EVENTS = service("events.amazonaws.com")


@pytest.mark.parametrize(
    ("principal", "policies", "context", "reason"),
    [
        (ROOT, [], {}, ALLOWED),
        (ROOT, [policy("identity", deny("*"))], {}, ALLOWED),  # the root user has no identity policies
        (ROOT, [policy("resource", deny("lambda:*", Principal={"AWS": ACCOUNT}))], {}, EXPLICIT_RESOURCE),
        (EVENTS, [FUNCTION_POLICY], {"aws:SourceArn": RULE}, ALLOWED),
        (EVENTS, [FUNCTION_POLICY], {"aws:SourceArn": RULE.replace("EmployeeHired", "Other")},
         no_allow("resource-based policy", "lambda:InvokeFunction")),
        (EVENTS, [FUNCTION_POLICY], {}, no_allow("resource-based policy", "lambda:InvokeFunction")),
        (EVENTS, [policy("identity", allow("*"))], {"aws:SourceArn": RULE},
         no_allow("resource-based policy", "lambda:InvokeFunction")),
        (service("sns.amazonaws.com"), [FUNCTION_POLICY], {"aws:SourceArn": RULE},
         no_allow("resource-based policy", "lambda:InvokeFunction")),
        (EVENTS, [FUNCTION_POLICY, policy("resource", deny("lambda:*", Principal="*"))], {"aws:SourceArn": RULE},
         EXPLICIT_RESOURCE),
        (ANONYMOUS, [policy("resource", allow("lambda:InvokeFunction", Principal={"AWS": "*"}))], {}, ALLOWED),
        (ANONYMOUS, [policy("resource", allow("lambda:InvokeFunction", Principal={"AWS": ACCOUNT}))], {},
         no_allow("resource-based policy", "lambda:InvokeFunction")),
    ],
)  # fmt: skip
def test_root_service_and_anonymous_callers(
    principal: Principal, policies: list[Policy], context: dict[str, Any], reason: str
) -> None:
    decision = decide(principal, "lambda:InvokeFunction", FUNCTION, *policies, context=context)
    assert (decision.allowed, decision.reason) == (reason == ALLOWED, reason)


# --- "IAM JSON policy elements: Principal": each form, and how it names each caller.

ROOT_ARN = f"arn:aws:iam::{ACCOUNT}:root"


@pytest.mark.parametrize(
    ("element", "principal", "grant"),
    [
        ("*", JANE, "direct"),
        ({"AWS": "*"}, HELPDESK, "direct"),
        ({"AWS": "*"}, EVENTS, "direct"),
        ({"AWS": "*"}, ANONYMOUS, "direct"),
        ({"AWS": ACCOUNT}, JANE, "account"),
        ({"AWS": ROOT_ARN}, HELPDESK, "account"),
        ({"AWS": ROOT_ARN}, ROOT, "direct"),
        ({"AWS": ACCOUNT}, BOB, None),
        ({"AWS": JANE.arn}, JANE, "direct"),
        ({"AWS": [E_SMITH.arn, JANE.arn]}, JANE, "direct"),
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:user/turnstile/*"}, JANE, None),  # no partial wildcards
        ({"AWS": HELPDESK_ROLE}, HELPDESK, "role"),
        ({"AWS": HELPDESK.arn}, HELPDESK, "direct"),
        ({"AWS": f"arn:aws:sts::{ACCOUNT}:assumed-role/turnstile-helpdesk/other"}, HELPDESK, None),
        ({"AWS": [HELPDESK_ROLE, ACCOUNT]}, HELPDESK, "role"),
        ({"Service": ["events.amazonaws.com", "lambda.amazonaws.com"]}, EVENTS, "direct"),
        ({"Service": "events.amazonaws.com"}, JANE, None),
        ({"AWS": ACCOUNT}, EVENTS, None),
        ({"Federated": "cognito-identity.amazonaws.com"}, JANE, None),
    ],
)
def test_principal_element(element: Any, principal: Principal, grant: str | None) -> None:
    assert PrincipalSpec.parse(element).grant(principal) == grant


# --- "IAM JSON policy elements: NotPrincipal" (Bob; cross-account-audit-app) and the warning on the
# --- "Permissions boundaries" page: a Deny with NotPrincipal always denies a principal with a boundary.

BOB_ROOT = f"arn:aws:iam::{OTHER_ACCOUNT}:root"
AUDIT_APP = role_session("cross-account-read-only-role", "cross-account-audit-app", account=OTHER_ACCOUNT)
AUDIT_ROLE = f"arn:aws:iam::{OTHER_ACCOUNT}:role/cross-account-read-only-role"
BUCKET = "arn:aws:s3:::BUCKETNAME"


def deny_all_but(*names: str) -> Policy:
    return policy("resource", deny("s3:*", BUCKET, NotPrincipal={"AWS": list(names)}), account=ACCOUNT)


EVERYONE_READS = policy("resource", allow("s3:GetObject", BUCKET, Principal="*"), account=ACCOUNT)
READS = policy("identity", allow("s3:GetObject"))


@pytest.mark.parametrize(
    ("principal", "policies", "reason"),
    [
        (BOB, [deny_all_but(BOB.arn, BOB_ROOT), EVERYONE_READS, READS], ALLOWED),
        (BOB, [deny_all_but(BOB.arn), EVERYONE_READS, READS], EXPLICIT_RESOURCE),  # the account is not exempt
        (BOB, [deny_all_but(BOB.arn, BOB_ROOT), EVERYONE_READS, READS, policy("boundary", allow("*"))],
         EXPLICIT_RESOURCE),
        (AUDIT_APP, [deny_all_but(AUDIT_APP.arn, AUDIT_ROLE, BOB_ROOT), EVERYONE_READS, READS], ALLOWED),
        (AUDIT_APP, [deny_all_but(AUDIT_APP.arn, BOB_ROOT), EVERYONE_READS, READS], EXPLICIT_RESOURCE),
        (JANE, [deny_all_but(BOB.arn, BOB_ROOT), EVERYONE_READS], EXPLICIT_RESOURCE),
        (JANE, [deny_all_but("*"), EVERYONE_READS], ALLOWED),
        # NotPrincipal with Allow grants everyone but those named.
        (JANE, [policy("resource", allow("s3:GetObject", BUCKET, NotPrincipal={"AWS": BOB.arn}))], ALLOWED),
        (JANE, [policy("resource", allow("s3:GetObject", BUCKET, NotPrincipal={"AWS": ACCOUNT}))],
         no_allow("identity-based policy", "s3:GetObject")),
    ],
)  # fmt: skip
def test_not_principal(principal: Principal, policies: list[Policy], reason: str) -> None:
    decision = decide(principal, "s3:GetObject", BUCKET, *policies)
    assert (decision.allowed, decision.reason) == (reason == ALLOWED, reason)


# --- "IAM JSON policy elements: Action / NotAction" and "Resource / NotResource".


@pytest.mark.parametrize(
    ("statement", "action", "resource", "applies"),
    [
        (allow("iam:*AccessKey*"), "iam:CreateAccessKey", "*", True),
        (allow("iam:*AccessKey*"), "iam:ListAccessKeys", "*", True),
        (allow("iam:*AccessKey*"), "iam:CreateUser", "*", False),
        (allow("IAM:createuser"), "iam:CreateUser", "*", True),  # actions are case-insensitive
        (allow("iam:?etUser"), "iam:GetUser", "*", True),
        (allow("iam:?etUser"), "iam:SetUserX", "*", False),
        (allow("*"), "kms:Decrypt", KEY, True),
        (allow("s3:*"), "s3express:CreateSession", "*", False),
        # NotAction with Allow: every S3 action on S3 resources but DeleteBucket; not ListAllMyBuckets ("*").
        ({"Effect": "Allow", "NotAction": "s3:DeleteBucket", "Resource": "arn:aws:s3:::*"}, "s3:GetObject",
         "arn:aws:s3:::b/k", True),
        ({"Effect": "Allow", "NotAction": "s3:DeleteBucket", "Resource": "arn:aws:s3:::*"}, "s3:DeleteBucket",
         "arn:aws:s3:::b", False),
        ({"Effect": "Allow", "NotAction": "s3:DeleteBucket", "Resource": "arn:aws:s3:::*"}, "s3:ListAllMyBuckets",
         "*", False),
        ({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, "iam:CreateUser", "*", False),
        ({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, "ec2:RunInstances", "*", True),
        # Resource: wildcards within segments, case-sensitive.
        (allow("s3:*", "arn:aws:s3:::HRBucket/*"), "s3:GetObject", "arn:aws:s3:::HRBucket/Payroll/p.csv", True),
        (allow("s3:*", "arn:aws:s3:::HRBucket/*"), "s3:GetObject", "arn:aws:s3:::hrbucket/Payroll/p.csv", False),
        (allow("iam:*", "arn:aws:iam::*:user/*"), "iam:GetUser", JANE.arn, True),
        (allow("iam:*", "arn:aws:iam::*:user/*"), "iam:GetUser", f"arn:aws:iam::{ACCOUNT}:role/r", False),
        (allow("iam:*", "arn:aws:iam::12345678901?:user/*"), "iam:GetUser", JANE.arn, True),
        (allow("iam:*", "arn:aws:iam::*"), "iam:GetUser", JANE.arn, False),  # `*` cannot span segments
        (allow("iam:*", "arn:*:user/*"), "iam:GetUser", JANE.arn, False),
        (allow("logs:*", "arn:aws:logs:*:*:log-group:/aws/lambda/f:*"), "logs:PutLogEvents",
         f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/f:log-stream:2026/01/01/x", True),
        (allow("s3:*", "arn:aws:s3:::*"), "s3:ListAllMyBuckets", "*", False),  # only `*` matches `*`
        (allow("sts:AssumeRole", None), "sts:AssumeRole", ROLE, True),  # no Resource: the policy's own resource
        # NotResource with Deny (HRPayroll): everything in S3 but the Payroll folder.
        ({"Effect": "Deny", "Action": "s3:*", "NotResource": ["arn:aws:s3:::HRBucket/Payroll",
          "arn:aws:s3:::HRBucket/Payroll/*"]}, "s3:GetObject", "arn:aws:s3:::HRBucket/Other/x", True),
        ({"Effect": "Deny", "Action": "s3:*", "NotResource": ["arn:aws:s3:::HRBucket/Payroll",
          "arn:aws:s3:::HRBucket/Payroll/*"]}, "s3:GetObject", "arn:aws:s3:::HRBucket/Payroll/p.csv", False),
        ({"Effect": "Deny", "Action": "s3:*", "NotResource": ["arn:aws:s3:::HRBucket/Payroll",
          "arn:aws:s3:::HRBucket/Payroll/*"]}, "s3:ListAllMyBuckets", "*", True),
    ],
)  # fmt: skip
def test_action_and_resource_elements(statement: dict[str, Any], action: str, resource: str, applies: bool) -> None:
    assert applies_to(statement, Request(JANE, action, resource)) == applies


def applies_to(statement: Mapping[str, Any], request: Request) -> bool:
    """Whether one statement applies, seen through a decision: an Allow allows, a Deny denies an allowed request."""
    if statement["Effect"] == "Allow":
        return evaluate(request, [policy("identity", statement)]).allowed
    decision = evaluate(request, [policy("identity", statement), policy("identity", allow("*"))])
    return decision.denied_by is not None


# --- "IAM JSON policy elements: Condition operators" (the page's examples, plus the absent-key rule: false,
# --- but true for negated operators and ...IfExists), "Conditions with multiple context keys or values"
# --- (AND across operators and keys, OR across values) and the set operators' page (ForAllValues/ForAnyValue).

TOKEN_TIME = dt.datetime(2020, 6, 1, tzinfo=dt.UTC)
NO_MFA = {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}  # Turnstile's MFA hold (directory.py)
ADMIN_TAG = {"StringEquals": {"aws:PrincipalTag/job-category": "iamuser-admin"}}
HOME_PREFIX = {"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/"]}}
ONLY_SOME_ATTRIBUTES = {
    "ForAllValues:StringLike": {"dynamodb:requestedAttributes": ["PostDateTime", "Message", "Tags"]}
}
FORBIDDEN_ATTRIBUTES = {"ForAnyValue:StringLike": {"dynamodb:requestedAttributes": ["ID", "PostDateTime"]}}
ONLY_TAG_KEYS = {"ForAllValues:StringEquals": {"aws:TagKeys": ["turnstile:managed", "turnstile:employee-id"]}}
INSTANCE_TYPES = {"StringLikeIfExists": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}}
MANAGED = {"StringEquals": {"iam:ResourceTag/turnstile:managed": "true"}}  # Turnstile's destructive IAM actions


@pytest.mark.parametrize(
    ("condition", "context", "holds"),
    [
        (ADMIN_TAG, {"aws:PrincipalTag/job-category": "iamuser-admin"}, True),
        (ADMIN_TAG, {"aws:PrincipalTag/job-category": "IAMUSER-ADMIN"}, False),  # StringEquals is case-sensitive
        (ADMIN_TAG, {}, False),  # a key absent from the request does not match
        ({"StringEqualsIgnoreCase": {"aws:PrincipalTag/job-category": "iamuser-admin"}},
         {"aws:PrincipalTag/job-category": "IAMUSER-ADMIN"}, True),
        ({"StringNotEquals": {"aws:PrincipalTag/job-category": "iamuser-admin"}}, {}, True),  # negated: absent holds
        ({"StringNotEquals": {"aws:PrincipalTag/job-category": "iamuser-admin"}},
         {"aws:PrincipalTag/job-category": "iamuser-admin"}, False),
        ({"StringNotEquals": {"aws:PrincipalTag/job-category": ["a", "b"]}}, {"aws:PrincipalTag/job-category": "b"},
         False),  # negated: matches none of the values
        ({"StringNotEqualsIgnoreCase": {"aws:PrincipalTag/job-category": "A"}}, {"aws:PrincipalTag/job-category": "a"},
         False),
        (HOME_PREFIX, {"s3:prefix": ""}, True),
        (HOME_PREFIX, {"s3:prefix": "home/jane.smith/"}, True),
        (HOME_PREFIX, {"s3:prefix": "home/e.smith/"}, False),
        (HOME_PREFIX, {}, False),
        ({"StringLike": {"s3:prefix": "home/*/?.txt"}}, {"s3:prefix": "home/a/b/c.txt"}, True),
        ({"StringNotLike": {"s3:prefix": "home/*"}}, {}, True),
        ({"StringNotLike": {"s3:prefix": "home/*"}}, {"s3:prefix": "home/x"}, False),
        ({"NumericLessThanEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "10"}, True),
        ({"NumericLessThanEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": 11}, False),
        ({"NumericLessThanEquals": {"s3:max-keys": "10"}}, {}, False),
        ({"NumericEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "10.0"}, True),
        ({"NumericNotEquals": {"s3:max-keys": ["10", "20"]}}, {"s3:max-keys": "15"}, True),
        ({"NumericGreaterThan": {"s3:max-keys": "10"}}, {"s3:max-keys": "ten"}, False),
        ({"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}}, {"aws:TokenIssueTime": TOKEN_TIME}, True),
        ({"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}},
         {"aws:TokenIssueTime": "2019-12-31T23:00:00Z"}, False),
        ({"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}}, {}, False),  # long-term credentials
        ({"DateLessThan": {"aws:CurrentTime": "2014-11-30T15:00Z"}}, {"aws:CurrentTime": "2014-11-30T14:59:59Z"}, True),
        ({"DateLessThan": {"aws:CurrentTime": "2014-11-30T15:00Z"}}, {}, False),  # now is later than 2014
        ({"DateEquals": {"aws:EpochTime": "1591000000"}}, {"aws:EpochTime": 1591000000}, True),
        ({"DateNotEquals": {"aws:TokenIssueTime": "2020-06-01"}}, {"aws:TokenIssueTime": TOKEN_TIME}, False),
        ({"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": True}, True),
        ({"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": "false"}, False),
        ({"Bool": {"aws:SecureTransport": True}}, {"aws:SecureTransport": "TRUE"}, True),
        ({"BinaryEquals": {"key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}, {"key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}, True),
        ({"BinaryEquals": {"key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}, {"key": "BinaryValueInBase64"}, True),
        ({"BinaryEquals": {"key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}, {"key": "Other"}, False),
        ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "203.0.113.77"}, True),
        ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "198.51.100.1"}, False),
        ({"IpAddress": {"aws:SourceIp": "203.0.113.9"}}, {"aws:SourceIp": "203.0.113.9"}, True),  # default /32
        ({"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:DB8:1234:5678::/64"]}},
         {"aws:SourceIp": "2001:db8:1234:5678::1"}, True),
        ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {}, False),  # through a VPC endpoint
        ({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "198.51.100.1"}, True),
        ({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "203.0.113.1"}, False),
        ({"ArnEquals": {"aws:SourceArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:TOPIC-ID"}},
         {"aws:SourceArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:TOPIC-ID"}, True),
        ({"ArnEquals": {"aws:SourceArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:TOPIC-ID"}}, {}, False),
        ({"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:*:TOPIC-*"}},
         {"aws:SourceArn": f"arn:aws:sns:{REGION}:1:TOPIC-2"}, True),
        ({"ArnLike": {"aws:SourceArn": "arn:aws:*:TOPIC-ID"}}, {"aws:SourceArn": f"arn:aws:sns:{REGION}:1:TOPIC-ID"},
         False),  # each of the six components is compared separately
        ({"ArnNotLike": {"aws:SourceArn": "arn:aws:sns:*:*:TOPIC-*"}}, {}, True),
        ({"ArnNotEquals": {"aws:PrincipalArn": HELPDESK_ROLE}}, {"aws:PrincipalArn": HELPDESK_ROLE}, False),
        ({"Null": {"aws:TokenIssueTime": "true"}}, {}, True),
        ({"Null": {"aws:TokenIssueTime": "true"}}, {"aws:TokenIssueTime": TOKEN_TIME}, False),
        ({"Null": {"aws:TokenIssueTime": "false"}}, {"aws:TokenIssueTime": TOKEN_TIME}, True),
        (INSTANCE_TYPES, {}, True),
        (INSTANCE_TYPES, {"ec2:InstanceType": "t2.micro"}, True),
        (INSTANCE_TYPES, {"ec2:InstanceType": "m5.large"}, False),
        # Turnstile's MFA hold: no MFA means absent (access keys) or false.
        (NO_MFA, {}, True),
        (NO_MFA, {"aws:MultiFactorAuthPresent": False}, True),
        (NO_MFA, {"aws:MultiFactorAuthPresent": True}, False),
        (NO_MFA, {"aws:MultiFactorAuthPresent": "true"}, False),
        # Turnstile's managed-tag guard: an untagged user is not managed.
        (MANAGED, {"iam:ResourceTag/turnstile:managed": "true"}, True),
        (MANAGED, {}, False),
        ({"StringNotEquals": {"iam:ResourceTag/turnstile:managed": "true"}}, {}, True),
        # Key names are case-insensitive; the operator's keys AND together, a key's values OR together.
        ({"Bool": {"AWS:SecureTransport": "true"}}, {"aws:securetransport": True}, True),
        ({"StringEquals": {"aws:PrincipalTag/team": ["ops", "dev"], "aws:PrincipalTag/site": "lon"}},
         {"aws:PrincipalTag/team": "dev", "aws:PrincipalTag/site": "lon"}, True),
        ({"StringEquals": {"aws:PrincipalTag/team": ["ops", "dev"], "aws:PrincipalTag/site": "lon"}},
         {"aws:PrincipalTag/team": "dev"}, False),
        ({"StringEquals": {"aws:PrincipalTag/team": "dev"}, "Bool": {"aws:SecureTransport": "true"}},
         {"aws:PrincipalTag/team": "dev", "aws:SecureTransport": False}, False),
        # Set operators (DynamoDB attribute examples; aws:TagKeys).
        (ONLY_SOME_ATTRIBUTES, {"dynamodb:requestedAttributes": ["PostDateTime", "Message"]}, True),
        (ONLY_SOME_ATTRIBUTES, {"dynamodb:requestedAttributes": ["PostDateTime", "UserName"]}, False),
        (FORBIDDEN_ATTRIBUTES, {"dynamodb:requestedAttributes": ["UserName", "Message", "PostDateTime"]}, True),
        (FORBIDDEN_ATTRIBUTES, {"dynamodb:requestedAttributes": ["UserName"]}, False),
        (ONLY_TAG_KEYS, {"aws:TagKeys": ["turnstile:managed"]}, True),
        (ONLY_TAG_KEYS, {"aws:TagKeys": ["turnstile:managed", "owner"]}, False),
        (ONLY_TAG_KEYS, {"aws:TagKeys": []}, True),  # ForAllValues holds for an empty key set ...
        (ONLY_TAG_KEYS, {}, True),  # ... and for a missing key
        ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["owner"]}}, {"aws:TagKeys": []}, False),  # ForAnyValue: false
        ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["owner"]}}, {}, False),
        ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["owner"]}}, {"aws:TagKeys": ["a", "owner"]}, True),
        ({"ForAllValues:StringNotEquals": {"aws:TagKeys": ["owner"]}}, {"aws:TagKeys": ["a", "b"]}, True),
        ({"ForAllValues:StringNotEquals": {"aws:TagKeys": ["owner"]}}, {"aws:TagKeys": ["a", "owner"]}, False),
        ({"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["owner"]}}, {"aws:TagKeys": ["owner"]}, False),
        # kms:ViaService (Turnstile's key policy for secret readers).
        ({"StringEquals": VIA_SECRETS_MANAGER}, VIA_SECRETS_MANAGER, True),
        ({"StringEquals": VIA_SECRETS_MANAGER}, {}, False),
        ({"StringEquals": VIA_SECRETS_MANAGER}, {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}, False),
    ],
)  # fmt: skip
def test_condition_operators(condition: dict[str, Any], context: dict[str, Any], holds: bool) -> None:
    assert condition_holds(condition, context) == holds


def condition_holds(condition: Mapping[str, Any], context: Mapping[str, Any], principal: Principal = JANE) -> bool:
    statement = allow("s3:ListBucket", "arn:aws:s3:::BUCKET-NAME", Condition=condition)
    return decide(
        principal, "s3:ListBucket", "arn:aws:s3:::BUCKET-NAME", policy("identity", statement), context=context
    ).allowed


def test_the_clock_is_in_every_request() -> None:
    assert condition_holds({"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}, {})
    assert condition_holds({"NumericGreaterThan": {"aws:EpochTime": "1577836800"}}, {})


def test_the_principal_supplies_its_global_keys() -> None:
    """ "AWS global condition context keys" / the principal table of "Variables and tags"."""
    tagged = user("jane.smith", path="/turnstile/", tags={"Department": "HR"})
    for condition, principal, holds in [
        ({"StringEquals": {"aws:username": "jane.smith"}}, tagged, True),
        ({"StringEquals": {"aws:PrincipalTag/department": "HR"}}, tagged, True),
        ({"StringEquals": {"aws:PrincipalType": "User"}}, tagged, True),
        ({"StringEquals": {"aws:PrincipalArn": tagged.arn}}, tagged, True),
        ({"StringEquals": {"aws:PrincipalAccount": ACCOUNT}}, tagged, True),
        ({"Null": {"aws:username": "true"}}, HELPDESK, True),  # role sessions have no user name
        ({"StringEquals": {"aws:PrincipalType": "AssumedRole"}}, HELPDESK, True),
        ({"StringEquals": {"aws:PrincipalArn": HELPDESK_ROLE}}, HELPDESK, True),  # the role, not the session
        ({"StringLike": {"aws:userid": "AROA*:jane"}}, HELPDESK, True),
        ({"StringEquals": {"aws:PrincipalType": "Account", "aws:userid": ACCOUNT}}, ROOT, True),
    ]:
        assert condition_holds(condition, {}, principal) == holds, condition


# --- "IAM policy elements: Variables and tags": in Resource and in string/ARN condition values; special
# --- characters; defaults; a variable with no value matches nothing (negated operators: it equals nothing).

DAVID = user("David")
OWNER_IS_CALLER = {"StringEquals": {"aws:ResourceTag/owner": "${aws:username}"}}


@pytest.mark.parametrize(
    ("principal", "pattern", "resource", "applies"),
    [
        (DAVID, "arn:aws:iam::*:user/${aws:username}", f"arn:aws:iam::{ACCOUNT}:user/David", True),
        (DAVID, "arn:aws:iam::*:user/${aws:username}", f"arn:aws:iam::{ACCOUNT}:user/Adele", False),
        (DAVID, "arn:aws:iam::*:user/${AWS:UserName}", f"arn:aws:iam::{ACCOUNT}:user/David", True),
        (DAVID, "arn:aws:s3:::mybucket/${aws:username}/*", "arn:aws:s3:::mybucket/David/notes.txt", True),
        (DAVID, "arn:aws:sqs:us-east-2:*:${aws:username}-queue", "arn:aws:sqs:us-east-2:1:David-queue", True),
        (DAVID, "arn:aws:dynamodb:*:*:table/${aws:userid}", f"arn:aws:dynamodb:{REGION}:1:table/AIDADAVID", True),
        (user("u", tags={"department": "hr"}), "arn:aws:s3:::bucket/${aws:PrincipalTag/department}",
         "arn:aws:s3:::bucket/hr", True),
        (user("u"), "arn:aws:s3:::bucket/${aws:PrincipalTag/department}", "arn:aws:s3:::bucket/hr", False),
        (user("u", tags={"department": "*"}), "arn:aws:s3:::bucket/${aws:PrincipalTag/department}",
         "arn:aws:s3:::bucket/hr", False),  # a variable's value is literal, never a wildcard
        (DAVID, "arn:aws:s3:::bucket/${aws:PrincipalAccount}/*", f"arn:aws:s3:::bucket/{ACCOUNT}/x", True),
        (DAVID, "arn:aws:s3:::bucket/${*}", "arn:aws:s3:::bucket/*", True),
        (DAVID, "arn:aws:s3:::bucket/${*}", "arn:aws:s3:::bucket/x", False),
        (DAVID, "arn:aws:s3:::bucket/a${?}b${$}", "arn:aws:s3:::bucket/a?b$", True),
        (DAVID, "arn:aws:s3:::bucket/a${?}b", "arn:aws:s3:::bucket/axb", False),
        (HELPDESK, "arn:aws:s3:::home/${aws:username}/*", "arn:aws:s3:::home/jane/x", False),  # no user name
        (HELPDESK, "arn:aws:s3:::home/${aws:username, 'shared'}/*", "arn:aws:s3:::home/shared/x", True),
        (DAVID, "arn:aws:s3:::home/${aws:username, 'shared'}/*", "arn:aws:s3:::home/David/x", True),
        (HELPDESK, "arn:aws:s3:::home/${aws:username, 'it''s'}", "arn:aws:s3:::home/it's", True),
        (DAVID, "arn:aws:s3:::home/${aws:username", "arn:aws:s3:::home/${aws:username", True),  # not a variable
        (DAVID, "arn:aws:s3:::home/${aws:username, shared}", "arn:aws:s3:::home/David", False),  # malformed
        # Turnstile: the own-user pattern must not reach another user whose name ends with the caller's.
        (E_SMITH, "arn:aws:iam::*:user/*/${aws:username}", f"arn:aws:iam::{ACCOUNT}:user/turnstile/jane.smith", False),
        (E_SMITH, "arn:aws:iam::*:user/*/${aws:username}", f"arn:aws:iam::{ACCOUNT}:user/turnstile/e.smith", True),
        (E_SMITH, "arn:aws:iam::*:user/*${aws:username}", f"arn:aws:iam::{ACCOUNT}:user/turnstile/jane.smith", True),
        (E_SMITH, "arn:aws:iam::*:user/${aws:username}", f"arn:aws:iam::{ACCOUNT}:user/turnstile/e.smith", False),
    ],
)  # fmt: skip
def test_policy_variables_in_resources(principal: Principal, pattern: str, resource: str, applies: bool) -> None:
    statement = allow("s3:GetObject", pattern)
    assert decide(principal, "s3:GetObject", resource, policy("identity", statement)).allowed == applies


def test_variables_need_the_2012_version() -> None:
    """Without Version 2012-10-17, `${aws:username}` is literal text."""
    statement = allow("iam:GetUser", "arn:aws:iam::*:user/${aws:username}")
    for version, resource, allowed in [
        ("2012-10-17", DAVID.arn, True),
        ("2008-10-17", DAVID.arn, False),
        (None, DAVID.arn, False),
        ("2008-10-17", f"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}", True),
    ]:
        old = Policy("identity", "old", document(statement, version=version))
        assert decide(DAVID, "iam:GetUser", resource, old).allowed == allowed, version


@pytest.mark.parametrize(
    ("principal", "condition", "context", "holds"),
    [
        (DAVID, {"StringLike": {"sns:endpoint": "https://example.com/${aws:username}/*"}},
         {"sns:endpoint": "https://example.com/David/hook"}, True),
        (DAVID, OWNER_IS_CALLER, {"aws:ResourceTag/owner": "David"}, True),
        (DAVID, OWNER_IS_CALLER, {"aws:ResourceTag/owner": "Adele"}, False),
        (DAVID, {"StringEquals": {"aws:ResourceTag/owner": "${*}"}}, {"aws:ResourceTag/owner": "*"}, True),
        (DAVID, {"StringLike": {"aws:ResourceTag/owner": "${*}"}}, {"aws:ResourceTag/owner": "Adele"}, False),
        (DAVID, {"ArnEquals": {"aws:SourceArn": "arn:aws:iam::*:user/${aws:username}"}},
         {"aws:SourceArn": DAVID.arn}, True),
        # No value: the variable equals nothing, so positive operators fail and negated ones hold.
        (HELPDESK, OWNER_IS_CALLER, {"aws:ResourceTag/owner": "x"}, False),
        (HELPDESK, {"StringNotEquals": {"aws:ResourceTag/owner": "${aws:username}"}}, {"aws:ResourceTag/owner": "x"},
         True),
        (HELPDESK, {"StringLike": {"s3:prefix": ["home/${aws:username}/*", "shared/*"]}}, {"s3:prefix": "shared/a"},
         True),
        (DAVID, {"StringEquals": {"s3:prefix": "${aws:RequestedRegion}/"}},
         {"s3:prefix": "us-east-1/", "aws:RequestedRegion": "us-east-1"}, True),  # any request key
        # A multivalued key cannot be a variable.
        (DAVID, {"StringEquals": {"s3:prefix": "${aws:TagKeys}"}}, {"s3:prefix": "a", "aws:TagKeys": ["a"]}, False),
        # Variables are not resolved in numeric operators.
        (DAVID, {"NumericEquals": {"s3:max-keys": "${s3:limit}"}}, {"s3:max-keys": "5", "s3:limit": "5"}, False),
    ],
)  # fmt: skip
def test_policy_variables_in_conditions(
    principal: Principal, condition: dict[str, Any], context: dict[str, Any], holds: bool
) -> None:
    assert condition_holds(condition, context, principal) == holds


# --- Policies AWS would refuse (MalformedPolicyDocument) fail loudly rather than decide quietly.


@pytest.mark.parametrize(
    "statement",
    [
        {"Effect": "Permit", "Action": "*", "Resource": "*"},
        {"Effect": "Allow", "Resource": "*"},
        {"Effect": "Allow", "Action": "*", "NotAction": "iam:*", "Resource": "*"},
        {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringEqualz": {"a": "b"}}},
        {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"ForEachValue:StringEquals": {"a": "b"}}},
        {"Effect": "Allow", "Action": "*", "Principal": "everyone"},
    ],
)
def test_malformed_policies_are_refused(statement: dict[str, Any]) -> None:
    with pytest.raises(MalformedPolicy):
        decide(JANE, "iam:GetUser", "*", policy("resource", statement))


def test_documents_are_compiled_once() -> None:
    statement = allow("iam:GetUser")
    first = document(statement)
    assert compiled_policy(first) is compiled_policy(first)
    assert compiled_policy(document(dict(statement))) is compiled_policy(first)  # equal JSON, same compilation
    assert compiled_policy(document(allow("iam:ListUsers"))) is not compiled_policy(first)


# --- The documented invariants, on random well-formed policies and requests ("Policy evaluation logic",
# --- "Permissions boundaries"): a few thousand seeded cases. The oracle below restates the element rules on a small
# --- vocabulary (segment-wise fnmatch for ARNs, hand-evaluated conditions), independently of the evaluator's.

P_JANE = user("jane.smith", path="/turnstile/", tags={"team": "ops"})
P_SESSION = role_session("turnstile-helpdesk", "jane")
P_BOB = user("bob", account=OTHER_ACCOUNT)
CALLERS = [P_JANE, P_SESSION, P_BOB, ROOT, EVENTS, ANONYMOUS]
ACTIONS = ["iam:CreateUser", "iam:GetUser", "kms:Decrypt", READ, "lambda:InvokeFunction", "sts:AssumeRole"]
ACTION_PATTERNS = [*ACTIONS, "*", "iam:*", "iam:Get*", "kms:?ecrypt", "SecretsManager:Get*", "s3:*"]
RESOURCES = [P_JANE.arn, KEY, SECRET, FUNCTION, "*"]
RESOURCE_PATTERNS = [
    *RESOURCES,
    "arn:aws:iam::*:user/*",
    "arn:aws:iam::*:user/turnstile/${aws:username}",
    "arn:aws:secretsmanager:*:*:secret:turnstile/*",
    f"arn:aws:kms:*:{ACCOUNT}:key/*",
    "arn:aws:*:*:*:*",
    "arn:aws:s3:::*",
    "arn:aws:iam::*",  # a wildcard cannot span segments: these two match nothing
    "arn:*:secret:turnstile/*",
]
PRINCIPALS: list[Any] = [
    "*",
    {"AWS": ACCOUNT},
    {"AWS": ROOT_ARN},
    {"AWS": P_JANE.arn},
    {"AWS": P_SESSION.principal_arn},
    {"AWS": P_SESSION.arn},
    {"AWS": [P_BOB.arn, ACCOUNT]},
    {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"},
    {"Service": "events.amazonaws.com"},
]


@dataclass(frozen=True)
class Facts:
    """The generated request context, as plain facts the oracle reads."""

    mfa: bool | None
    tag_keys: tuple[str, ...] | None
    via: str | None
    ip: str
    managed: str | None

    def context(self) -> dict[str, Any]:
        context: dict[str, Any] = {"aws:SourceIp": self.ip}
        for key, value in [
            ("aws:MultiFactorAuthPresent", self.mfa),
            ("aws:TagKeys", None if self.tag_keys is None else list(self.tag_keys)),
            ("kms:ViaService", self.via),
            ("iam:ResourceTag/turnstile:managed", self.managed),
        ]:
            if value is not None:
                context[key] = value
        return context


CONDITIONS: list[tuple[dict[str, Any] | None, Callable[[Facts, Principal], bool]]] = [
    (None, lambda f, p: True),
    (NO_MFA, lambda f, p: not f.mfa),
    ({"Bool": {"aws:MultiFactorAuthPresent": "true"}}, lambda f, p: f.mfa is True),
    (MANAGED, lambda f, p: f.managed == "true"),
    ({"StringNotEquals": {"iam:ResourceTag/turnstile:managed": "true"}}, lambda f, p: f.managed != "true"),
    ({"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}, lambda f, p: set(f.tag_keys or ()) <= {"a", "b"}),
    ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}}, lambda f, p: "a" in (f.tag_keys or ())),
    ({"StringEquals": VIA_SECRETS_MANAGER}, lambda f, p: f.via == VIA_SECRETS_MANAGER["kms:ViaService"]),
    ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, lambda f, p: f.ip.startswith("10.")),
    ({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, lambda f, p: not f.ip.startswith("10.")),
    ({"StringEquals": {"aws:PrincipalTag/team": "ops"}}, lambda f, p: p.tags.get("team") == "ops"),
    ({"StringLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/*"}}, lambda f, p: p is P_SESSION),
]


@dataclass(frozen=True)
class Case:
    principal: Principal
    action: str
    resource: str
    facts: Facts
    policies: tuple[Policy, ...]
    oracles: Mapping[tuple[str, int], Callable[[Facts, Principal], bool]]  # (source, index) -> condition oracle
    required: bool


def random_case(rng: random.Random) -> Case:
    """Policies are drawn around the request (its action and resource are likely in them), so that every path
    (allowed, explicitly and implicitly denied, by each policy type) comes up often."""
    principal, action, resource = rng.choice(CALLERS), rng.choice(ACTIONS), rng.choice(RESOURCES)
    policies: list[Policy] = []
    oracles: dict[tuple[str, int], Callable[[Facts, Principal], bool]] = {}
    layout: list[PolicyKind] = ["identity"] * rng.randint(0, 2)
    optional: tuple[PolicyKind, ...] = ("boundary", "session", "resource")
    layout += [kind for kind in optional if rng.random() < 0.5]
    for number, kind in enumerate(layout):
        source = f"{kind}-{number}"
        drawn = [random_statement(rng, kind, action, resource) for _ in range(rng.randint(1, 3))]
        account = rng.choice([ACCOUNT, ACCOUNT, ACCOUNT, OTHER_ACCOUNT]) if kind == "resource" else None
        policies.append(Policy(kind, source, document(*(s for s, _ in drawn)), resource_account=account))
        for index, (_, condition_index) in enumerate(drawn):
            oracles[(source, index)] = CONDITIONS[condition_index][1]
    facts = Facts(
        mfa=rng.choice([None, True, False]),
        tag_keys=rng.choice([None, (), ("a",), ("a", "b"), ("c",)]),
        via=rng.choice([None, VIA_SECRETS_MANAGER["kms:ViaService"], "ssm.us-east-1.amazonaws.com"]),
        ip=rng.choice(["10.1.2.3", "192.0.2.7"]),
        managed=rng.choice([None, "true", "false"]),
    )
    return Case(principal, action, resource, facts, tuple(policies), oracles, rng.random() < 0.25)


def random_statement(rng: random.Random, kind: PolicyKind, action: str, resource: str) -> tuple[dict[str, Any], int]:
    statement: dict[str, Any] = {"Effect": rng.choice(["Allow", "Allow", "Allow", "Deny"])}
    actions = [*ACTION_PATTERNS, *[action] * 8]
    statement[rng.choice(["Action"] * 7 + ["NotAction"])] = list({rng.choice(actions) for _ in range(2)})
    resource_element = rng.choice(["Resource"] * 8 + ["NotResource", None])  # None: no Resource (trust policies)
    if resource_element or kind != "resource":
        resources = [*RESOURCE_PATTERNS, *[resource] * 6]
        statement[resource_element or "Resource"] = list({rng.choice(resources) for _ in range(2)})
    if kind == "resource":
        statement["Principal"] = rng.choice(PRINCIPALS)
    condition_index = rng.randrange(len(CONDITIONS)) if rng.random() < 0.5 else 0
    if CONDITIONS[condition_index][0] is not None:
        statement["Condition"] = CONDITIONS[condition_index][0]
    return statement, condition_index


def oracle_resource(pattern: str, case: Case) -> bool:
    if "${aws:username}" in pattern:
        if case.principal.username is None:
            return False
        pattern = pattern.replace("${aws:username}", case.principal.username)
    if pattern == "*":
        return True
    wanted, actual = pattern.split(":", 5), case.resource.split(":", 5)
    return len(wanted) == len(actual) == 6 and all(
        fnmatch.fnmatchcase(a, w) for a, w in zip(actual, wanted, strict=True)
    )


def oracle_grant(element: Any, principal: Principal) -> str | None:
    aws = ["*"] if element == "*" else list(_listed(element.get("AWS")))
    if "*" in aws:
        return "direct"
    if principal.type == "AWSService":
        return "direct" if principal.service in _listed(element.get("Service")) else None
    if principal.type == "Anonymous":
        return None
    if principal.arn in aws:
        return "direct"
    if principal.type == "AssumedRole" and principal.principal_arn in aws:
        return "role"
    if principal.account in aws or f"arn:aws:iam::{principal.account}:root" in aws:
        return "direct" if principal.type == "Root" else "account"
    return None


def _listed(value: Any) -> list[str]:
    return [] if value is None else [value] if isinstance(value, str) else list(value)


def oracle_applies(case: Case, policy_: Policy, index: int) -> bool:
    statement = policy_.document["Statement"][index]
    if policy_.kind != "resource" and case.principal.type not in ("IAMUser", "AssumedRole"):
        return False  # root, services and anonymous callers have no identity, boundary or session policies
    if policy_.kind == "resource" and oracle_grant(statement["Principal"], case.principal) is None:
        return False
    actions = statement.get("Action", statement.get("NotAction"))
    hit = any(fnmatch.fnmatchcase(case.action.lower(), a.lower()) for a in actions)
    if hit == ("NotAction" in statement):
        return False
    if "Resource" in statement or "NotResource" in statement:
        patterns = statement.get("Resource", statement.get("NotResource"))
        hit = any(oracle_resource(p, case) for p in patterns)
        if hit == ("NotResource" in statement):
            return False
    return case.oracles[(policy_.source, index)](case.facts, case.principal)


def applicable(case: Case, effect: str, *kinds: str) -> list[tuple[Policy, int]]:
    return [
        (p, i)
        for p in case.policies
        if p.kind in kinds
        for i, s in enumerate(p.document["Statement"])
        if s["Effect"] == effect and oracle_applies(case, p, i)
    ]


def test_never_allows_what_the_documented_logic_denies() -> None:
    """Seeded, so a failure names its seed: `random_case(random.Random(seed))` rebuilds the case."""
    for seed in range(3000):
        case = random_case(random.Random(seed))
        try:
            check_invariants(case)
        except AssertionError as failure:
            raise AssertionError(
                f"seed {seed}: {case.principal.arn} {case.action} {case.resource} "
                f"required={case.required} {case.facts}\n{_policies(case)}"
            ) from failure


def _policies(case: Case) -> str:
    return "\n".join(
        f"{p.kind} {p.source} account={p.resource_account}: {json.dumps(p.document)}" for p in case.policies
    )


@dataclass(frozen=True)
class Expected:
    """What the oracle finds applicable in a case."""

    denies: list[tuple[Policy, int]]
    allows: dict[str, list[tuple[Policy, int]]]
    same_account: bool
    direct: list[tuple[Policy, int]]  # same-account resource Allows naming the caller itself (or `*`)
    kinds: set[str]

    @classmethod
    def of(cls, case: Case) -> Expected:
        denies = applicable(case, "Deny", "identity", "boundary", "session", "resource")
        allows = {kind: applicable(case, "Allow", kind) for kind in ("identity", "boundary", "session", "resource")}
        # The resource's account: its policy's, else its ARN's (every ARN of the vocabulary is in ACCOUNT).
        owner = next((p.resource_account for p in case.policies if p.kind == "resource"), None)
        owner = owner or (ACCOUNT if case.resource != "*" else None)
        same_account = owner in (None, case.principal.account)
        direct = [
            (p, i)
            for p, i in allows["resource"]
            if same_account and oracle_grant(p.document["Statement"][i]["Principal"], case.principal) == "direct"
        ]
        return cls(denies, allows, same_account, direct, {p.kind for p in case.policies})

    def within_limits(self) -> bool:
        return all(kind not in self.kinds or self.allows[kind] for kind in ("boundary", "session"))


def check_invariants(case: Case) -> None:
    request = Request(case.principal, case.action, case.resource, case.facts.context())
    decision = evaluate(request, case.policies, resource_policy_required=case.required)
    expected = Expected.of(case)
    if expected.denies:  # an explicit deny in any policy denies, and is named
        assert not decision.allowed
        assert decision.denied_by is not None and decision.denied_by.effect == "Deny"
        assert (decision.denied_by.source, decision.denied_by.index) in {(p.source, i) for p, i in expected.denies}
        return
    assert decision.denied_by is None
    check_what_must_be_denied(case, decision, expected)
    check_what_must_be_allowed(case, decision, expected)
    if decision.allowed:  # by Allow statements that really apply
        assert decision.reason == ""
        assert decision.allowed_by or (case.principal.type == "Root" and not case.required)
        across = case.principal.type in ("IAMUser", "AssumedRole") and not expected.same_account
        if case.required or across:  # the resource policy's Allow was needed: it is named
            assert any(ref.kind == "resource" for ref in decision.allowed_by)
        applying = {(p.source, i) for found in expected.allows.values() for p, i in found}
        for ref in decision.allowed_by:
            assert ref.effect == "Allow" and (ref.source, ref.index) in applying, ref
    else:
        assert decision.reason.startswith("because no ")


def check_what_must_be_denied(case: Case, decision: Decision, expected: Expected) -> None:
    iam_principal = case.principal.type in ("IAMUser", "AssumedRole")
    # No applicable Allow anywhere: denied (the root user aside, which has full access by default).
    if not any(expected.allows.values()) and case.principal.type != "Root":
        assert not decision.allowed
    # A policy that must allow and does not: denied, whoever asks.
    if case.required and not expected.allows["resource"]:
        assert (decision.allowed, decision.reason) == (False, no_allow("resource-based policy", case.action))
    # A boundary (or session policy) that allows nothing limits all but a direct same-account resource grant.
    for kind in ("boundary", "session"):
        if iam_principal and kind in expected.kinds and not expected.allows[kind] and not expected.direct:
            assert not decision.allowed
    # Across accounts, both sides must allow.
    if iam_principal and not expected.same_account and decision.allowed:
        assert expected.allows["identity"] and expected.allows["resource"]


def check_what_must_be_allowed(case: Case, decision: Decision, expected: Expected) -> None:
    kind = case.principal.type
    if kind in ("AWSService", "Anonymous"):  # only resource-based policies allow them
        assert decision.allowed == bool(expected.allows["resource"])
    elif kind == "Root":
        assert decision.allowed == (not case.required or bool(expected.allows["resource"]))
    else:
        identity_suffices = expected.same_account and not case.required and expected.within_limits()
        if expected.direct or (identity_suffices and expected.allows["identity"]):
            assert decision.allowed
