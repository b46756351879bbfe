"""Every cdk-nag AwsSolutions finding Turnstile accepts, each narrowed with `appliesTo` and a reason.

A finding not listed here fails synth; a new wildcard does not hide behind an old suppression.
"""

from __future__ import annotations

NO_RESOURCE_TYPE = (
    "Resource '*' for actions the Service Authorization Reference gives no resource type: X-Ray's "
    "PutTraceSegments/PutTelemetryRecords, the account password policy (Get/UpdateAccountPasswordPolicy) and "
    "states:SendTaskSuccess/SendTaskFailure (the task token, not an ARN, names the execution); plus the deny of "
    "secret values every Turnstile role carries."
)
MANAGED_USERS = (
    "Scoped to users under Turnstile's IAM path (user/<path>/*); write actions are further conditioned on the "
    "turnstile:managed tag, and CreateUser on Turnstile's permissions boundary. "
    "User names are not known at deploy time."
)
ANY_USER_READ = (
    "Read-only GetUser/ListUserTags on any user: IAM user names are unique account-wide, so telling a name "
    "conflict with an unmanaged user from a retry needs to read that user. No write action is granted here."
)
SECRETS = "Scoped to Turnstile's secret prefix (secret:turnstile/users/*); per-user names are only known at run time."

# How an appliesTo finding names partition, account and region: as tokens (no env at synth) or literally (the CDK
# CLI sets CDK_DEFAULT_ACCOUNT/REGION when it has credentials). Every pattern below matches both.
PARTITION = r"(<AWS::Partition>|aws[a-z-]*)"
ACCOUNT = r"(<AWS::AccountId>|\d{12})"
REGION = r"(<AWS::Region>|[a-z]{2}(-[a-z]+)+-\d)"


def resource(pattern: str) -> dict[str, str]:
    """An appliesTo regex for `Resource::<pattern>`; write {partition} and {account} where they appear."""
    return {"regex": "/^Resource::" + pattern.format(partition=PARTITION, account=ACCOUNT, region=REGION) + "$/g"}


SUPPRESSIONS: dict[str, list[dict[str, object]]] = {
    "Directory": [
        {
            "id": "AwsSolutions-IAM4",
            "reason": "Groups carry exactly the managed policies listed for them in "
            "config/turnstile.yaml; choosing AWS job-function policies is the deploying team's decision.",
            "appliesTo": [{"regex": "/^Policy::arn:aws[a-z-]*:iam::aws:policy/.*$/g"}],
        },
        {
            "id": "AwsSolutions-IAM5",
            "reason": "A permissions boundary is a ceiling, not a grant: it allows what the user's groups grant "
            "(all of it, or the services a department's boundary_allows lists in config/turnstile.yaml), minus "
            "explicit denies on IAM escalation and Turnstile's resources.",
            "appliesTo": ["Action::*", "Resource::*", {"regex": "/^Action::[a-z0-9-]+:\\*$/g"}],
        },
    ],
    "Directory/MfaHoldPolicy": [
        {
            "id": "AwsSolutions-IAM5",
            "reason": "The MFA hold lets a user act only on their own user (user/<path>/${aws:username}) and virtual "
            "MFA device; device names are chosen by the user at creation (mfa/*), the account-level reads have no "
            "resource type, and the deny statement covers everything else.",
            "appliesTo": [
                resource(r"arn:{partition}:iam::{account}:user/\*/<aws:username>"),
                resource(r"arn:{partition}:iam::{account}:mfa/\*"),
                "Resource::*",
            ],
        },
    ],
    "Directory/SelfServiceKeysPolicy": [
        {
            "id": "AwsSolutions-IAM5",
            "reason": "A console user manages only their own access keys (user/<path>/${aws:username}), with MFA; "
            "the path is the department's, so it is a wildcard segment before the user's own name.",
            "appliesTo": [resource(r"arn:{partition}:iam::{account}:user/\*/<aws:username>")],
        },
    ],
    "Functions": [
        {
            "id": "AwsSolutions-L1",
            "reason": "Pinned to python3.13, the runtime the Powertools layer pinned in "
            "config/turnstile.yaml is published for and that the tests exercise; bump both together.",
        },
        {"id": "AwsSolutions-IAM5", "reason": NO_RESOURCE_TYPE, "appliesTo": ["Resource::*"]},
        {
            "id": "AwsSolutions-IAM5",
            "reason": MANAGED_USERS,
            "appliesTo": [resource(r"arn:{partition}:iam::{account}:user/[\w+=,.@/-]+/\*")],
        },
        {
            "id": "AwsSolutions-IAM5",
            "reason": ANY_USER_READ,
            "appliesTo": [resource(r"arn:{partition}:iam::{account}:user/\*")],
        },
        {
            "id": "AwsSolutions-IAM5",
            "reason": SECRETS,
            "appliesTo": [resource(r"arn:{partition}:secretsmanager:{region}:{account}:secret:turnstile/users/\*")],
        },
        {
            "id": "AwsSolutions-IAM5",
            "reason": "BeginRotationRun reads the status of the key-rotation run holding the lease (to take over "
            "from a run that was aborted); run names are only known at run time, the state machine is named.",
            "appliesTo": [resource(r"arn:{partition}:states:{region}:{account}:execution:turnstile-key-rotation:\*")],
        },
        {
            "id": "AwsSolutions-IAM5",
            "reason": "RollBackHire deletes the virtual MFA device a half-made managed user enrolled before "
            "deleting the user (IAM refuses DeleteUser otherwise); users name their devices, so no narrower ARN "
            "exists. It first deactivates the device, which requires the user to be tagged as managed.",
            "appliesTo": [resource(r"arn:{partition}:iam::{account}:mfa/\*")],
        },
        {
            "id": "AwsSolutions-IAM5",
            "reason": "A leaver leaves every group (RevokeAccess, RemoveUser, SweepRetainedUsers: RemoveUserFromGroup "
            "only): a person may have put the user in any group by hand, and IAM refuses DeleteUser while one "
            "membership is left. IAM authorizes RemoveUserFromGroup on the group, so no condition can name the user; "
            "the functions reach only users Turnstile resolved as its own for the terminated employee.",
            "appliesTo": [resource(r"arn:{partition}:iam::{account}:group/\*")],
        },
        {
            "id": "AwsSolutions-IAM5",
            "reason": "RevokeAccess stops the onboarding of a terminated employee that is still running (waiting for "
            "MFA); execution names are only known at run time, the state machine is named.",
            "appliesTo": [resource(r"arn:{partition}:states:{region}:{account}:execution:turnstile-onboarding:\*")],
        },
        {
            "id": "AwsSolutions-IAM5",
            "reason": "RaiseAlert reads (GetPolicy, GetPolicyVersion only) whichever managed policy a CloudTrail "
            "event says was attached or made default, to tell whether it allows * on *; any policy of the account "
            "or of AWS may be the one, so no narrower ARN exists.",
            "appliesTo": [
                resource(r"arn:{partition}:iam::{account}:policy/\*"),
                resource(r"arn:{partition}:iam::aws:policy/\*"),
            ],
        },
    ],
    "Onboarding/Role": [
        {
            "id": "AwsSolutions-IAM5",
            "reason": "Resource '*' is required by X-Ray and by CloudWatch Logs' log "
            "delivery actions, which have no resource-level permissions.",
            "appliesTo": ["Resource::*"],
        },
        {
            "id": "AwsSolutions-IAM5",
            "reason": "Invoke is granted on exactly Turnstile's step functions; ':*' "
            "covers their versions and aliases only.",
            "appliesTo": [{"regex": "/^Resource::<Functions[A-Za-z0-9]+\\.Arn>:\\*$/g"}],
        },
    ],
    "Offboarding/Role": [
        {
            "id": "AwsSolutions-IAM5",
            "reason": "Resource '*' is required by X-Ray and by CloudWatch Logs' log "
            "delivery actions, which have no resource-level permissions.",
            "appliesTo": ["Resource::*"],
        },
        {
            "id": "AwsSolutions-IAM5",
            "reason": "Invoke is granted on exactly Turnstile's offboarding functions (and RecordRejection); ':*' "
            "covers their versions and aliases only.",
            "appliesTo": [{"regex": "/^Resource::<Functions[A-Za-z0-9]+\\.Arn>:\\*$/g"}],
        },
    ],
    "KeyRotation/Role": [
        {
            "id": "AwsSolutions-IAM5",
            "reason": "Resource '*' is required by X-Ray and by CloudWatch Logs' log "
            "delivery actions, which have no resource-level permissions.",
            "appliesTo": ["Resource::*"],
        },
        {
            "id": "AwsSolutions-IAM5",
            "reason": "Invoke is granted on exactly Turnstile's key-rotation functions; ':*' "
            "covers their versions and aliases only.",
            "appliesTo": [{"regex": "/^Resource::<Functions[A-Za-z0-9]+\\.Arn>:\\*$/g"}],
        },
    ],
    "KeyRotation/DeadLetters": [
        {
            "id": "AwsSolutions-SQS3",
            "reason": "This queue is itself the dead-letter queue of the key-rotation schedule, rule and recorder.",
        },
    ],
    "HrIngestion/DeadLetters": [
        {"id": "AwsSolutions-SQS3", "reason": "This queue is itself the dead-letter queue of the HR rules."},
    ],
    "IamEvents/DeadLetters": [
        {"id": "AwsSolutions-SQS3", "reason": "This queue is itself the dead-letter queue of the IAM-event rules."},
    ],
    "Alerting/DeadLetters": [
        {
            "id": "AwsSolutions-SQS3",
            "reason": "This queue is itself the dead-letter queue of the detection rules and of RaiseAlert's "
            "failed invocations (alarmed: turnstile-alerts-failed).",
        },
    ],
    "Offboarding/DeadLetters": [
        {
            "id": "AwsSolutions-SQS3",
            "reason": "This queue is itself the dead-letter queue of the retained-leavers schedule and its sweeper.",
        },
    ],
    "Onboarding/DeadLetters": [
        {
            "id": "AwsSolutions-SQS3",
            "reason": "This queue is itself the dead-letter queue of the reconciler's rule and invocations.",
        },
    ],
}
