"""The IAM side Turnstile owns: its allow-listed groups and the users' default permissions boundary."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from constructs import Construct
from turnstile.config import TurnstileConfig

from . import arns

# What a managed user can never do, whatever its groups grant: escalate through IAM, or reach the
# credentials and machinery of Turnstile itself. Self-service (own password, own MFA) stays allowed.
ESCALATION_ACTIONS = [
    "iam:CreateUser",
    "iam:DeleteUser",
    "iam:CreateRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:PassRole",
    "iam:CreatePolicy",
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:AttachUserPolicy",
    "iam:AttachGroupPolicy",
    "iam:AttachRolePolicy",
    "iam:PutUserPolicy",
    "iam:PutGroupPolicy",
    "iam:PutRolePolicy",
    "iam:AddUserToGroup",
    "iam:TagUser",
    "iam:UntagUser",
    "iam:PutUserPermissionsBoundary",
    "iam:DeleteUserPermissionsBoundary",
    "iam:PutRolePermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:CreateAccessKey",
    "iam:UpdateAccountPasswordPolicy",
    "iam:DeleteAccountPasswordPolicy",
]


class Directory(Construct):
    """Managed groups (the allow-list) and the default permissions boundary, under Turnstile's path."""

    def __init__(self, scope: Construct, construct_id: str, *, config: TurnstileConfig, secret_prefix: str) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.groups: dict[str, iam.Group] = {}
        for name, spec in config.groups.items():
            self.groups[name] = iam.Group(
                self,
                f"Group-{name}",
                group_name=name,
                path=config.user_path,
                managed_policies=[
                    iam.ManagedPolicy.from_managed_policy_arn(self, f"{name}-{i}", arn)
                    for i, arn in enumerate(spec.managed_policy_arns)
                ],
            )
        self.boundary = iam.ManagedPolicy(
            self,
            "UserBoundary",
            managed_policy_name="TurnstileUserBoundary",
            path=config.user_path,
            description="Ceiling for every Turnstile-managed user: no IAM escalation, no access to Turnstile",
            statements=[
                iam.PolicyStatement(sid="CeilingIsWhatGroupsGrant", actions=["*"], resources=["*"]),
                iam.PolicyStatement(
                    sid="NoIamEscalation", effect=iam.Effect.DENY, actions=ESCALATION_ACTIONS, resources=["*"]
                ),
                iam.PolicyStatement(
                    sid="NoTurnstileCredentials",
                    effect=iam.Effect.DENY,
                    actions=["secretsmanager:*"],
                    resources=[arns.user_secrets(stack, secret_prefix)],
                ),
            ],
        )
        self.mfa_hold = iam.Group(self, "MfaHold", group_name=config.mfa.hold_group, path=config.user_path)
        self.mfa_hold.attach_inline_policy(iam.Policy(self, "MfaHoldPolicy", statements=mfa_hold_statements()))
        self.boundary_arns = sorted(
            {self.boundary.managed_policy_arn}
            | {d.permissions_boundary_arn for d in config.departments.values() if d.permissions_boundary_arn}
        )

    @property
    def group_arns(self) -> list[str]:
        return [g.group_arn for g in self.groups.values()]


# What a held user may do on their own user: enrol MFA and change the temporary password.
OWN_MFA_AND_PASSWORD = [
    "iam:CreateVirtualMFADevice",
    "iam:EnableMFADevice",
    "iam:ResyncMFADevice",
    "iam:ListMFADevices",
    "iam:GetUser",
    "iam:ChangePassword",
    "iam:GetLoginProfile",
]
# Reads with no resource-level permissions that the console's MFA page needs.
ACCOUNT_READS = ["iam:GetAccountPasswordPolicy", "iam:ListVirtualMFADevices"]


def mfa_hold_statements() -> list[iam.PolicyStatement]:
    """The MFA hold: allow only MFA self-service on oneself, deny everything else while MFA is absent."""
    own = ["arn:aws:iam::*:user/*${aws:username}", "arn:aws:iam::*:mfa/${aws:username}", "arn:aws:iam::*:mfa/*"]
    return [
        iam.PolicyStatement(sid="ManageOwnMfaAndPassword", actions=OWN_MFA_AND_PASSWORD, resources=own),
        iam.PolicyStatement(sid="ReadsTheMfaPageNeeds", actions=ACCOUNT_READS, resources=["*"]),
        iam.PolicyStatement(
            sid="DenyAllButMfaSelfServiceWithoutMfa",
            effect=iam.Effect.DENY,
            not_actions=[*OWN_MFA_AND_PASSWORD, *ACCOUNT_READS, "sts:GetSessionToken"],
            resources=["*"],
            conditions={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
        ),
    ]
