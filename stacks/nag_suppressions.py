"""Every cdk-nag AwsSolutions finding Turnstile accepts, each narrowed with `appliesTo` and a reason.

A finding not listed here fails synth; a new wildcard does not hide behind an old suppression.
"""

from __future__ import annotations

XRAY_AND_POLICY = (
    "Resource '*' is required by X-Ray (PutTraceSegments/PutTelemetryRecords have no resource-level "
    "permissions) and, for EnsurePasswordPolicy and GuardPasswordPolicy only, by the account password policy "
    "actions, which have no ARN."
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
KMS_DATA_KEYS = "kms:GenerateDataKey* is what SNS needs to publish to a topic encrypted with Turnstile's key."

SUPPRESSIONS: dict[str, list[dict[str, object]]] = {
    "Directory": [
        {
            "id": "AwsSolutions-IAM4",
            "reason": "Groups carry exactly the managed policies listed for them in "
            "config/turnstile.yaml; choosing AWS job-function policies is the deploying team's decision.",
            "appliesTo": [{"regex": "/^Policy::arn:aws:iam::aws:policy/.*$/g"}],
        },
        {
            "id": "AwsSolutions-IAM5",
            "reason": "The permissions boundary is a ceiling, not a grant: it allows what "
            "the user's groups grant, minus explicit denies on IAM escalation and Turnstile's secrets.",
            "appliesTo": ["Action::*", "Resource::*"],
        },
    ],
    "Directory/MfaHoldPolicy": [
        {
            "id": "AwsSolutions-IAM5",
            "reason": "The MFA hold lets a user act only on their own user (${aws:username}) and virtual MFA device; "
            "device names are chosen by the user at creation (mfa/*), and the deny statement covers everything else.",
            "appliesTo": [
                "Resource::arn:aws:iam::*:user/*<aws:username>",
                "Resource::arn:aws:iam::*:mfa/<aws:username>",
                "Resource::arn:aws:iam::*:mfa/*",
            ],
        },
    ],
    "IamEvents/GuardPasswordPolicyRole": [
        {"id": "AwsSolutions-IAM5", "reason": XRAY_AND_POLICY, "appliesTo": ["Resource::*"]},
        {"id": "AwsSolutions-IAM5", "reason": KMS_DATA_KEYS, "appliesTo": ["Action::kms:GenerateDataKey*"]},
    ],
    "IamEvents/DeadLetters": [
        {"id": "AwsSolutions-SQS3", "reason": "This queue is itself the dead-letter queue of the IAM-event rules."},
    ],
    "Functions": [
        {
            "id": "AwsSolutions-L1",
            "reason": "Pinned to python3.13, the runtime the Powertools layer pinned in "
            "config/turnstile.yaml is published for and that the tests exercise; bump both together.",
        },
        {"id": "AwsSolutions-IAM5", "reason": XRAY_AND_POLICY, "appliesTo": ["Resource::*"]},
        {
            "id": "AwsSolutions-IAM5",
            "reason": MANAGED_USERS,
            "appliesTo": [{"regex": "/^Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:user/.+/\\*$/g"}],
        },
        {
            "id": "AwsSolutions-IAM5",
            "reason": ANY_USER_READ,
            "appliesTo": ["Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:user/*"],
        },
        {
            "id": "AwsSolutions-IAM5",
            "reason": SECRETS,
            "appliesTo": [
                {"regex": "/^Resource::arn:<AWS::Partition>:secretsmanager:.*:secret:turnstile/users/\\*$/g"}
            ],
        },
        {"id": "AwsSolutions-IAM5", "reason": KMS_DATA_KEYS, "appliesTo": ["Action::kms:GenerateDataKey*"]},
        {
            "id": "AwsSolutions-IAM5",
            "reason": "HandleFailure deletes the virtual MFA device a managed user enrolled before rolling back "
            "the user (IAM refuses DeleteUser otherwise); users name their devices, so no narrower ARN exists. "
            "It first "
            "deactivates the device, which requires the user to be tagged as managed.",
            "appliesTo": ["Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:mfa/*"],
        },
    ],
    "Onboarding/StateMachine/Role": [
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
    "HrIngestion/DeadLetters": [
        {"id": "AwsSolutions-SQS3", "reason": "This queue is itself the dead-letter queue of the HR rules."},
    ],
}
