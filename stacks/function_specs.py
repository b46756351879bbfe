"""One declaration per Turnstile function: what it is, which table actions it needs, whether it publishes or writes
credentials, and every other AWS action it calls — on what, under which condition.

The function factory (stacks/constructs/functions.py) builds each function's own role from its declaration and
nothing else; the KMS actions follow from the declaration (table users decrypt through DynamoDB, publishers through
SNS, credential writers through Secrets Manager). The template tests and the local cloud's authorization tests derive
their invariants from these declarations instead of a hand-kept list of roles.

Resources are named symbolically (`Target`) and resolved at synth by the factory, so the declarations stay readable
and free of CDK tokens.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Target(enum.StrEnum):
    """What a grant's resource is; resolved to ARNs by the factory."""

    MANAGED_USERS = "users under Turnstile's path"
    ANY_USER = "any user (reads only: IAM authorizes a missing user as user/<name>, with no path)"
    HOLD_GROUP = "the MFA-hold group"
    ALLOWED_GROUPS = "the allow-listed groups"
    VIRTUAL_MFA_DEVICES = "virtual MFA devices (named by their users)"
    USER_SECRETS = "Turnstile's secrets (turnstile/users/*)"
    ROTATION_EXECUTIONS = "executions of the key-rotation state machine"
    MANAGED_POLICIES = "managed policies (the account's and AWS's)"
    ANY_GROUP = "any group (leaving a group only: a leaver may have been put in any by hand)"
    ONBOARDING_EXECUTIONS = "executions of the onboarding state machine"
    SECURITY_HUB_PRODUCT = "the account's own Security Hub product (custom findings)"
    NO_RESOURCE_TYPE = "* (actions without a resource type)"


class When(enum.StrEnum):
    """Conditions a grant may carry; resolved to IAM condition blocks by the factory."""

    MANAGED = "the user is tagged turnstile:managed=true"
    CREATING_MANAGED = "the request tags the user turnstile:managed=true and sets a Turnstile boundary"
    NEW_USER = "the user has no turnstile:employee-id tag yet (tags only at creation)"
    TURNSTILE_BOUNDARY = "the boundary set is one of Turnstile's"
    TERMINATION_TAGS = "the user is tagged managed, and only the termination's tags are set"


@dataclass(frozen=True)
class Grant:
    actions: tuple[str, ...]
    on: Target
    when: When | None = None


@dataclass(frozen=True)
class FunctionSpec:
    description: str
    table: tuple[str, ...] = ()  # DynamoDB actions on Turnstile's table
    publishes: bool = False  # publishes to Turnstile's (KMS-encrypted) topic
    writes_credentials: bool = False  # writes secret values (KMS through Secrets Manager)
    grants: tuple[Grant, ...] = ()
    directory: bool = False  # gets the directory (departments, groups, boundary) in its environment
    own_roles_of: tuple[str, ...] = ()  # gets these functions' role ARNs (to recognise Turnstile's own calls)
    consumes_queue: bool = False  # polled from an SQS queue (its event source mapping grants the consume actions)
    invoked_async: bool = False  # invoked by EventBridge: its own failures go to an on-failure queue (SendMessage)
    rotation: bool = False  # gets the rotation settings and the user path in its environment
    alerting: bool = False  # gets the alerting settings and Turnstile's roles with their watched IAM actions
    offboarding: bool = False  # gets the offboarding settings (retention, secrets' recovery window)
    timeout_seconds: int = 30


# Reads, and GenerateCredentialReport (it changes no IAM entity: it asks IAM to compile a report).
IAM_READS = ("iam:Get", "iam:List", "iam:Simulate", "iam:GenerateCredentialReport")


def writes_iam(spec: FunctionSpec) -> bool:
    """Whether the function changes IAM (its concurrency is then bounded: IAM's request rate is account-wide)."""
    return any(a.startswith("iam:") and not a.startswith(IAM_READS) for grant in spec.grants for a in grant.actions)


def handler_of(name: str) -> str:
    """`CreateLoginProfile` -> `turnstile.handlers.create_login_profile.handler`."""
    module = "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
    return f"turnstile.handlers.{module}.handler"


READ_USER = ("iam:GetUser", "iam:ListUserTags")
READ_WHAT_IS_LEFT = ("iam:ListGroupsForUser", "iam:GetLoginProfile", "iam:ListAccessKeys", "iam:ListMFADevices")
SECRET_WRITES = (
    "secretsmanager:CreateSecret",
    "secretsmanager:DescribeSecret",
    "secretsmanager:PutResourcePolicy",
    "secretsmanager:PutSecretValue",
    "secretsmanager:RestoreSecret",
    "secretsmanager:TagResource",
)
AUDIT = ("dynamodb:PutItem",)
# An alert sent once (domain/alerts.py): claim, wait out another's lease, mark sent or give the claim back; audit.
ALERT_CLAIMS = ("dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")
FAILURE_DESTINATION = ("sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl")
QUEUE_CONSUMER = (
    "sqs:ReceiveMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueUrl",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
)

# A leaver's teardown: every list IAM's DeleteUser cares about, and the removals, in the order the domain runs them.
TEARDOWN_READS = (
    "iam:ListSigningCertificates",
    "iam:ListSSHPublicKeys",
    "iam:ListServiceSpecificCredentials",
    "iam:ListMFADevices",
    "iam:ListGroupsForUser",
    "iam:ListAttachedUserPolicies",
    "iam:ListUserPolicies",
    "iam:ListAccessKeys",
    "iam:GetLoginProfile",
)
TEARDOWN_WRITES = (
    "iam:DeleteSigningCertificate",
    "iam:DeleteSSHPublicKey",
    "iam:DeleteServiceSpecificCredential",
    "iam:DeactivateMFADevice",
    "iam:DetachUserPolicy",
    "iam:DeleteUserPolicy",
    "iam:DeleteUserPermissionsBoundary",
    "iam:DeleteAccessKey",
    "iam:DeleteLoginProfile",
    "iam:DeleteUser",
)
TEARDOWN_GRANTS = (
    Grant(("iam:GetUser",), Target.ANY_USER),
    Grant(TEARDOWN_READS, Target.MANAGED_USERS),
    Grant(TEARDOWN_WRITES, Target.MANAGED_USERS, When.MANAGED),
    Grant(("iam:DeleteVirtualMFADevice",), Target.VIRTUAL_MFA_DEVICES),
    Grant(("iam:RemoveUserFromGroup",), Target.ANY_GROUP),
)

FUNCTIONS: dict[str, FunctionSpec] = {
    # --- onboarding workflow (statemachines/onboarding.asl.json) -------------------------------------------------
    "ValidateHire": FunctionSpec("Validate and normalise an Employee Hired event", directory=True),
    "ClaimHire": FunctionSpec(
        "Claim an employee's hire for one execution (idempotency, ownership)",
        table=("dynamodb:GetItem", "dynamodb:PutItem"),
    ),
    "RecordHireChange": FunctionSpec(
        "Audit and alert a re-sent hire that carries other data", table=AUDIT, publishes=True
    ),
    "EnsurePasswordPolicy": FunctionSpec(
        "Keep the account password policy equal to Turnstile's",
        invoked_async=True,
        grants=(Grant(("iam:GetAccountPasswordPolicy", "iam:UpdateAccountPasswordPolicy"), Target.NO_RESOURCE_TYPE),),
    ),
    "CreateUser": FunctionSpec(
        "Create the managed IAM user (path, tags, permissions boundary)",
        grants=(
            Grant(("iam:CreateUser",), Target.MANAGED_USERS, When.CREATING_MANAGED),
            Grant(("iam:TagUser",), Target.MANAGED_USERS, When.NEW_USER),
            Grant(("iam:PutUserPermissionsBoundary",), Target.MANAGED_USERS, When.TURNSTILE_BOUNDARY),
            # Telling a retry from a name conflict means reading whoever holds the name (names are account-wide).
            Grant(READ_USER, Target.ANY_USER),
        ),
    ),
    "ApplyMfaHold": FunctionSpec(
        "Hold the user (MFA self-service only) until MFA is enrolled",
        grants=(
            Grant(("iam:AddUserToGroup",), Target.HOLD_GROUP),
            Grant(("iam:ListGroupsForUser",), Target.MANAGED_USERS),
        ),
    ),
    "AddToGroups": FunctionSpec(
        "Add the user to its allow-listed groups",
        directory=True,
        grants=(
            Grant(("iam:AddUserToGroup",), Target.ALLOWED_GROUPS),
            Grant(("iam:ListGroupsForUser",), Target.MANAGED_USERS),
        ),
    ),
    "CreateLoginProfile": FunctionSpec(
        "Console password into Secrets Manager, reset required",
        writes_credentials=True,
        grants=(
            Grant(("iam:GetLoginProfile",), Target.MANAGED_USERS),
            Grant(("iam:CreateLoginProfile", "iam:UpdateLoginProfile"), Target.MANAGED_USERS, When.MANAGED),
            Grant((*SECRET_WRITES, "secretsmanager:UpdateSecretVersionStage"), Target.USER_SECRETS),
        ),
    ),
    "IssueAccessKey": FunctionSpec(
        "Access key into Secrets Manager (programmatic-only users)",
        writes_credentials=True,
        grants=(
            Grant(("iam:ListAccessKeys",), Target.MANAGED_USERS),
            Grant(
                ("iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:UpdateAccessKey"),
                Target.MANAGED_USERS,
                When.MANAGED,
            ),
            Grant(SECRET_WRITES, Target.USER_SECRETS),
        ),
    ),
    "NotifyOnboarded": FunctionSpec(
        "Mark the hire onboarded, audit and announce it (secret ARNs only)",
        table=("dynamodb:PutItem", "dynamodb:UpdateItem"),
        publishes=True,
    ),
    "AwaitMfaEnrolment": FunctionSpec(
        "Park the task token until MFA enrolment is confirmed",
        table=("dynamodb:PutItem",),
        grants=(
            Grant(("iam:ListMFADevices",), Target.MANAGED_USERS),
            Grant(("states:SendTaskSuccess",), Target.NO_RESOURCE_TYPE),
        ),
    ),
    "ReleaseMfaHold": FunctionSpec(
        "Release the MFA hold once MFA is enrolled",
        grants=(
            Grant(("iam:RemoveUserFromGroup",), Target.HOLD_GROUP),
            Grant(("iam:ListGroupsForUser",), Target.MANAGED_USERS),
        ),
    ),
    "EnforceMfaDeadline": FunctionSpec(
        "No MFA by the deadline: remove console access, deactivate keys",
        table=AUDIT,
        publishes=True,
        grants=(
            Grant(("iam:GetLoginProfile", "iam:ListAccessKeys"), Target.MANAGED_USERS),
            Grant(("iam:DeleteLoginProfile", "iam:UpdateAccessKey"), Target.MANAGED_USERS, When.MANAGED),
            Grant(("secretsmanager:DeleteSecret",), Target.USER_SECRETS),
        ),
    ),
    "RecordRejection": FunctionSpec("Audit and alert an invalid HR event", table=AUDIT, publishes=True),
    "RollBackHire": FunctionSpec(
        "The claim's owner: roll back a half-made user, mark the claim failed, alert",
        table=("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"),
        publishes=True,
        grants=(
            Grant(READ_USER, Target.ANY_USER),
            Grant(READ_WHAT_IS_LEFT, Target.MANAGED_USERS),
            Grant(
                ("iam:DeactivateMFADevice", "iam:DeleteAccessKey", "iam:DeleteLoginProfile", "iam:DeleteUser"),
                Target.MANAGED_USERS,
                When.MANAGED,
            ),
            Grant(("iam:DeleteVirtualMFADevice",), Target.VIRTUAL_MFA_DEVICES),
            Grant(("iam:RemoveUserFromGroup",), Target.ALLOWED_GROUPS),
            Grant(("iam:RemoveUserFromGroup",), Target.HOLD_GROUP),
            Grant(("secretsmanager:DescribeSecret", "secretsmanager:DeleteSecret"), Target.USER_SECRETS),
        ),
    ),
    "RecordFailure": FunctionSpec(
        "Audit and alert a failure with what is left; changes nothing",
        table=AUDIT,
        publishes=True,
        grants=(
            Grant(READ_USER, Target.ANY_USER),
            Grant(READ_WHAT_IS_LEFT, Target.MANAGED_USERS),
            Grant(("secretsmanager:DescribeSecret",), Target.USER_SECRETS),
        ),
    ),
    # --- reactions to events ------------------------------------------------------------------------------------
    "ReconcileOnboarding": FunctionSpec(
        "An onboarding execution ended FAILED/TIMED_OUT/ABORTED: reconcile its claim and alert",
        invoked_async=True,
        table=("dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"),
        publishes=True,
        grants=(
            Grant(READ_USER, Target.ANY_USER),
            Grant(READ_WHAT_IS_LEFT, Target.MANAGED_USERS),
            Grant(("secretsmanager:DescribeSecret",), Target.USER_SECRETS),
        ),
    ),
    "RecordUndeliverableEvent": FunctionSpec(
        "Audit and alert HR events EventBridge could not deliver (the HR dead-letter queue's consumer)",
        table=("dynamodb:PutItem", "dynamodb:UpdateItem"),
        publishes=True,
        consumes_queue=True,
    ),
    "RecordUnroutedEvent": FunctionSpec(
        "Audit (and alert, rate-limited) HR-bus events that no workflow handles",
        invoked_async=True,
        table=("dynamodb:PutItem", "dynamodb:UpdateItem"),
        publishes=True,
    ),
    "ConfirmMfaEnrolment": FunctionSpec(
        "EnableMFADevice (CloudTrail) resumes the waiting onboarding",
        invoked_async=True,
        table=("dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem"),
        grants=(
            Grant(("iam:ListUserTags",), Target.ANY_USER),
            Grant(("iam:ListMFADevices",), Target.MANAGED_USERS),
            Grant(("states:SendTaskSuccess",), Target.NO_RESOURCE_TYPE),
        ),
    ),
    "HandOverConsolePassword": FunctionSpec(
        "ChangePassword (CloudTrail) by a managed user: its temporary password's secret is scheduled for deletion",
        invoked_async=True,
        table=AUDIT,
        grants=(
            Grant(("iam:ListUserTags",), Target.ANY_USER),
            Grant(("secretsmanager:DescribeSecret", "secretsmanager:DeleteSecret"), Target.USER_SECRETS),
        ),
    ),
    "SweepMfaEnrolments": FunctionSpec(
        "Lost MFA events, reminders, deadlines (from the credential report; per user only before acting)",
        invoked_async=True,
        table=("dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"),
        publishes=True,
        # Up to 30 s waiting for the credential report, then ~4 calls (~0.1-0.2 s) per enrolment resumed or failed
        # and 2 per reminder: 240 s of work (WORK_SHARE) covers a wave of ~1,000 deadlines in one sweep; the rest
        # waits for the next, most overdue first.
        timeout_seconds=300,
        grants=(
            Grant(("iam:GenerateCredentialReport", "iam:GetCredentialReport"), Target.NO_RESOURCE_TYPE),
            # Confirmations, per user, before acting: gone? (any user: IAM authorizes a missing one without its
            # path) enrolled?
            Grant(("iam:GetUser",), Target.ANY_USER),
            Grant(("iam:ListMFADevices",), Target.MANAGED_USERS),
            Grant(("states:SendTaskFailure", "states:SendTaskSuccess"), Target.NO_RESOURCE_TYPE),
        ),
    ),
    "RaiseAlert": FunctionSpec(
        "Judge a CloudTrail event against every detection; alert once (SNS, Security Hub if configured)",
        invoked_async=True,
        table=(*ALERT_CLAIMS, "dynamodb:Query"),
        publishes=True,
        alerting=True,
        # A duplicate delivery may wait out another invocation's 10-second lease on the same alert.
        timeout_seconds=60,
        grants=(
            # The target user's HR identity (its tags), when Turnstile manages it.
            Grant(("iam:GetUser",), Target.ANY_USER),
            # Whether an attached policy, or the version made default, allows * on *.
            Grant(("iam:GetPolicy", "iam:GetPolicyVersion"), Target.MANAGED_POLICIES),
            Grant(("securityhub:BatchImportFindings",), Target.SECURITY_HUB_PRODUCT),
        ),
    ),
    # --- offboarding workflow (statemachines/offboarding.asl.json) ---------------------------------------------
    "ValidateTermination": FunctionSpec(
        "Validate an Employee Terminated event and resolve it to Turnstile's user for the employee",
        directory=True,
        table=("dynamodb:GetItem",),
        grants=(Grant(READ_USER, Target.ANY_USER),),
    ),
    "ClaimTermination": FunctionSpec(
        "One execution per hire's termination (idempotency)", table=("dynamodb:GetItem", "dynamodb:PutItem")
    ),
    "RevokeAccess": FunctionSpec(
        "End access now: stop a running onboarding, remove the password, deactivate every credential, leave groups",
        grants=(
            Grant(("iam:GetUser",), Target.ANY_USER),
            Grant(
                (
                    "iam:GetLoginProfile",
                    "iam:ListAccessKeys",
                    "iam:ListSSHPublicKeys",
                    "iam:ListServiceSpecificCredentials",
                    "iam:ListSigningCertificates",
                    "iam:ListGroupsForUser",
                ),
                Target.MANAGED_USERS,
            ),
            Grant(
                (
                    "iam:DeleteLoginProfile",
                    "iam:UpdateAccessKey",
                    "iam:UpdateSSHPublicKey",
                    "iam:UpdateServiceSpecificCredential",
                    "iam:UpdateSigningCertificate",
                ),
                Target.MANAGED_USERS,
                When.MANAGED,
            ),
            Grant(("iam:RemoveUserFromGroup",), Target.ANY_GROUP),
            Grant(("states:DescribeExecution", "states:StopExecution"), Target.ONBOARDING_EXECUTIONS),
        ),
    ),
    "RemoveUser": FunctionSpec(
        "Tear the user down in IAM's order and delete it (or keep it disabled, tagged, for the retention)",
        table=("dynamodb:PutItem",),
        offboarding=True,
        grants=(*TEARDOWN_GRANTS, Grant(("iam:TagUser",), Target.MANAGED_USERS, When.TERMINATION_TAGS)),
    ),
    "FinishOffboarding": FunctionSpec(
        "Schedule the user's secrets for deletion, forget its pending enrolment, mark the hire offboarded, notify",
        table=("dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"),
        publishes=True,
        offboarding=True,
        grants=(Grant(("secretsmanager:DescribeSecret", "secretsmanager:DeleteSecret"), Target.USER_SECRETS),),
    ),
    "RecordOffboardingFailure": FunctionSpec(
        "Audit and alert an offboarding failure with what is left; undoes nothing",
        table=("dynamodb:PutItem", "dynamodb:UpdateItem"),
        publishes=True,
        grants=(
            Grant(READ_USER, Target.ANY_USER),
            Grant(READ_WHAT_IS_LEFT, Target.MANAGED_USERS),
            Grant(("secretsmanager:DescribeSecret",), Target.USER_SECRETS),
        ),
    ),
    "SweepRetainedUsers": FunctionSpec(
        "Daily: delete the leavers kept disabled whose retention has ended",
        invoked_async=True,
        table=("dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:Query"),
        publishes=True,
        timeout_seconds=300,
        grants=(*TEARDOWN_GRANTS, Grant(("iam:ListUserTags",), Target.ANY_USER)),
    ),
    # --- key rotation workflow (statemachines/key_rotation.asl.json) --------------------------------------------
    "BeginRotationRun": FunctionSpec(
        "Start a key-rotation run, or exit as a duplicate of one in progress",
        table=("dynamodb:GetItem", "dynamodb:PutItem"),
        rotation=True,
        grants=(Grant(("states:DescribeExecution",), Target.ROTATION_EXECUTIONS),),
    ),
    "PlanKeyRotation": FunctionSpec(
        "Read the credential report (two calls, any number of users) and list the users to look at",
        rotation=True,
        timeout_seconds=120,
        grants=(Grant(("iam:GenerateCredentialReport", "iam:GetCredentialReport"), Target.NO_RESOURCE_TYPE),),
    ),
    "RotateUserKeys": FunctionSpec(
        "Re-read one user's keys and rotate, deactivate, delete or remind as due (or, dry run, say what)",
        table=("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"),
        publishes=True,
        writes_credentials=True,
        rotation=True,
        grants=(
            Grant(("iam:GetUser",), Target.ANY_USER),
            Grant(("iam:ListAccessKeys", "iam:GetAccessKeyLastUsed", "iam:GetLoginProfile"), Target.MANAGED_USERS),
            Grant(
                ("iam:CreateAccessKey", "iam:UpdateAccessKey", "iam:DeleteAccessKey", "iam:DeleteLoginProfile"),
                Target.MANAGED_USERS,
                When.MANAGED,
            ),
            Grant(
                (
                    "secretsmanager:DescribeSecret",
                    "secretsmanager:PutSecretValue",
                    "secretsmanager:UpdateSecretVersionStage",
                    "secretsmanager:DeleteSecret",
                ),
                Target.USER_SECRETS,
            ),
        ),
    ),
    "FinishRotationRun": FunctionSpec(
        "Summarise the run (every action taken, skipped or failed), publish and audit it, end the run",
        table=("dynamodb:DeleteItem", "dynamodb:PutItem"),
        publishes=True,
        rotation=True,
    ),
    "RecordRotationRunEnded": FunctionSpec(
        "A key-rotation run ended FAILED/TIMED_OUT/ABORTED: release its lease and alert",
        invoked_async=True,
        table=("dynamodb:DeleteItem", "dynamodb:PutItem"),
        publishes=True,
    ),
    "GuardPasswordPolicy": FunctionSpec(
        "Revert password-policy drift by anyone but Turnstile, with the detection's alert (sent once)",
        invoked_async=True,
        table=ALERT_CLAIMS,
        publishes=True,
        alerting=True,
        own_roles_of=("EnsurePasswordPolicy", "GuardPasswordPolicy"),
        timeout_seconds=60,
        grants=(
            Grant(("iam:GetAccountPasswordPolicy", "iam:UpdateAccountPasswordPolicy"), Target.NO_RESOURCE_TYPE),
            # The finding names a target user when an event has one (a password-policy change has none).
            Grant(("iam:GetUser",), Target.ANY_USER),
            Grant(("securityhub:BatchImportFindings",), Target.SECURITY_HUB_PRODUCT),
        ),
    ),
}

ONBOARDING_STEPS = (
    "ValidateHire",
    "ClaimHire",
    "RecordHireChange",
    "EnsurePasswordPolicy",
    "CreateUser",
    "ApplyMfaHold",
    "AddToGroups",
    "CreateLoginProfile",
    "IssueAccessKey",
    "NotifyOnboarded",
    "AwaitMfaEnrolment",
    "ReleaseMfaHold",
    "EnforceMfaDeadline",
    "RecordRejection",
    "RollBackHire",
    "RecordFailure",
)


OFFBOARDING_STEPS = (
    "ValidateTermination",
    "ClaimTermination",
    "RevokeAccess",
    "RemoveUser",
    "FinishOffboarding",
    "RecordOffboardingFailure",
)

KEY_ROTATION_STEPS = ("BeginRotationRun", "PlanKeyRotation", "RotateUserKeys", "FinishRotationRun")


def declared_actions(name: str) -> frozenset[str]:
    """All non-logging actions the function's role is granted, KMS included."""
    spec = FUNCTIONS[name]
    actions = {a for grant in spec.grants for a in grant.actions} | set(spec.table)
    if spec.publishes:
        actions |= {"sns:Publish"}
    if spec.consumes_queue:
        actions |= set(QUEUE_CONSUMER)
    if spec.invoked_async:
        actions |= set(FAILURE_DESTINATION)
    return frozenset(actions | set(kms_actions(spec)))


def kms_actions(spec: FunctionSpec) -> tuple[str, ...]:
    """KMS follows from use: the table, the topic and the secrets are encrypted with Turnstile's key."""
    if spec.table or spec.publishes or spec.writes_credentials:
        return ("kms:Decrypt", "kms:GenerateDataKey")
    return ()
