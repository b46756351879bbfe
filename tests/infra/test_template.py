"""The synthesized template: encryption, dead-letter queues, logging, and each role's scope."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from tests.conftest import Synthesized

IAM_WRITE_PREFIXES = (
    "iam:Create",
    "iam:Delete",
    "iam:Update",
    "iam:Put",
    "iam:Attach",
    "iam:Add",
    "iam:Remove",
    "iam:Tag",
    "iam:Untag",
    "iam:Detach",
)


@pytest.fixture(scope="module")
def template(synthesized: Synthesized) -> Template:
    return Template.from_json(synthesized.template)


def resources(synthesized: Synthesized, kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in synthesized.template["Resources"].items() if v["Type"] == kind}


FUNCTION_ROLES = ("Functions", "IamEvents")


def statements_of(synthesized: Synthesized, *role_prefixes: str) -> list[dict[str, Any]]:
    found = []
    for policy in resources(synthesized, "AWS::IAM::Policy").values():
        roles = [r["Ref"] for r in policy["Properties"].get("Roles", [])]
        if any(r.startswith(role_prefixes) for r in roles):
            found += policy["Properties"]["PolicyDocument"]["Statement"]
    return found


def actions(statement: dict[str, Any]) -> list[str]:
    value = statement["Action"]
    return value if isinstance(value, list) else [value]


def test_kms_key_rotates_and_encrypts_table_and_topic(template: Template) -> None:
    template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    template.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": Match.any_value()},
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": True},
        },
    )
    template.has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": Match.any_value()})


def test_hr_bus_is_restricted_archived_and_routes_hires_with_a_dead_letter_queue(template: Template) -> None:
    template.has_resource_properties("AWS::Events::EventBus", {"Name": "turnstile-hr"})
    template.has_resource_properties(
        "AWS::Events::EventBusPolicy",
        {
            "Statement": {
                "Action": "events:PutEvents",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:role/hr-integration"},
            }
        },
    )
    template.has_resource_properties("AWS::Events::Archive", {"RetentionDays": 90})
    template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": {"source": ["hr.system"], "detail-type": ["Employee Hired"]},
            "Targets": [
                Match.object_like(
                    {
                        "DeadLetterConfig": {"Arn": Match.any_value()},
                        "RetryPolicy": {"MaximumRetryAttempts": 20, "MaximumEventAgeInSeconds": 86400},
                    }
                )
            ],
        },
    )
    template.has_resource_properties("AWS::SQS::Queue", {"SqsManagedSseEnabled": True})


def test_every_function_has_its_own_role_log_group_and_tracing(synthesized: Synthesized) -> None:
    functions = resources(synthesized, "AWS::Lambda::Function")
    assert len(functions) == 17
    roles = {f["Properties"]["Role"]["Fn::GetAtt"][0] for f in functions.values()}
    assert len(roles) == len(functions)
    for function in functions.values():
        props = function["Properties"]
        assert props["Runtime"] == "python3.13" and props["TracingConfig"] == {"Mode": "Active"}
        assert props["LoggingConfig"]["LogGroup"] and props["Layers"]
        assert props["Handler"].startswith("turnstile.handlers.")
    for log_group in resources(synthesized, "AWS::Logs::LogGroup").values():
        assert log_group["Properties"]["RetentionInDays"] == 365


def test_no_function_role_uses_managed_policies(synthesized: Synthesized) -> None:
    for role in resources(synthesized, "AWS::IAM::Role").values():
        assert "ManagedPolicyArns" not in role["Properties"]


def test_state_machine_logs_everything_without_execution_data_and_traces(template: Template) -> None:
    template.has_resource_properties(
        "AWS::StepFunctions::StateMachine",
        {
            "StateMachineName": "turnstile-onboarding",
            "LoggingConfiguration": {"Level": "ALL", "IncludeExecutionData": False, "Destinations": Match.any_value()},
            "TracingConfiguration": {"Enabled": True},
        },
    )


def test_iam_writes_are_scoped_to_turnstile_users_groups_or_the_password_policy(synthesized: Synthesized) -> None:
    """No role may write to IAM outside Turnstile's path, its groups, or the account password policy."""
    for statement in statements_of(synthesized, *FUNCTION_ROLES):
        writes = [a for a in actions(statement) if a.startswith(IAM_WRITE_PREFIXES) or a == "iam:*"]
        if not writes:
            continue
        assert "iam:*" not in writes
        text = json.dumps(statement["Resource"])
        if writes == ["iam:UpdateAccountPasswordPolicy"]:
            assert statement["Resource"] == "*"
        elif writes == ["iam:DeleteVirtualMFADevice"]:
            assert ":mfa/*" in text
        elif set(writes) <= {"iam:AddUserToGroup", "iam:RemoveUserFromGroup"}:
            assert ("DirectoryGroup" in text or "DirectoryMfaHold" in text) and ":user/" not in text
        else:
            assert ":user/turnstile/*" in text, statement


def test_create_user_requires_the_managed_tag_and_a_turnstile_boundary(synthesized: Synthesized) -> None:
    [create] = [s for s in statements_of(synthesized, "FunctionsCreateUserRole") if actions(s) == ["iam:CreateUser"]]
    condition = create["Condition"]["StringEquals"]
    assert condition["aws:RequestTag/turnstile:managed"] == "true"
    assert "DirectoryUserBoundary" in json.dumps(condition["iam:PermissionsBoundary"])


def test_destructive_iam_actions_require_the_managed_tag(synthesized: Synthesized) -> None:
    destructive = {
        "iam:UpdateAccessKey",
        "iam:DeleteUser",
        "iam:DeleteAccessKey",
        "iam:DeleteLoginProfile",
        "iam:CreateLoginProfile",
        "iam:UpdateLoginProfile",
        "iam:CreateAccessKey",
    }
    for statement in statements_of(synthesized, *FUNCTION_ROLES):
        if destructive & set(actions(statement)):
            assert statement["Condition"]["StringEquals"]["iam:ResourceTag/turnstile:managed"] == "true"


def test_validator_has_no_aws_permissions_beyond_logs_and_tracing(synthesized: Synthesized) -> None:
    granted = {a for s in statements_of(synthesized, "FunctionsValidateHireRole") for a in actions(s)}
    assert granted <= {"logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def test_secrets_are_only_reachable_by_the_steps_that_write_or_roll_them_back(synthesized: Synthesized) -> None:
    for role in (
        "ValidateHire",
        "ClaimHire",
        "EnsurePasswordPolicy",
        "CreateUser",
        "AddToGroups",
        "NotifyOnboarded",
        "RecordRejection",
        "ApplyMfaHold",
        "AwaitMfaEnrolment",
        "ReleaseMfaHold",
        "ConfirmMfaEnrolment",
        "SweepMfaEnrolments",
        "IamEventsGuardPasswordPolicy",
    ):
        prefix = role if role.startswith("IamEvents") else f"Functions{role}"
        granted = {a for s in statements_of(synthesized, f"{prefix}Role") for a in actions(s)}
        assert granted, role
        assert not any(a.startswith("secretsmanager:") for a in granted), role
    readers = [s for s in statements_of(synthesized, *FUNCTION_ROLES) if "secretsmanager:GetSecretValue" in actions(s)]
    assert readers == []


def test_the_mfa_hold_denies_everything_but_mfa_self_service_without_mfa(synthesized: Synthesized) -> None:
    [hold] = [p for p in resources(synthesized, "AWS::IAM::Policy").values() if p["Properties"].get("Groups")]
    [deny] = [s for s in hold["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert deny["Resource"] == "*"
    assert deny["Condition"] == {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
    assert {"iam:EnableMFADevice", "iam:CreateVirtualMFADevice", "iam:ChangePassword"} <= set(deny["NotAction"])
    assert not [
        a for a in deny["NotAction"] if a.startswith(("iam:Create", "iam:Attach", "iam:Put")) and "MFA" not in a
    ]


def test_cloudtrail_rules_watch_iam_on_the_default_bus_and_dead_letter(template: Template) -> None:
    for names in (["EnableMFADevice"], ["UpdateAccountPasswordPolicy", "DeleteAccountPasswordPolicy"]):
        template.has_resource_properties(
            "AWS::Events::Rule",
            {
                "EventPattern": {
                    "source": ["aws.iam"],
                    "detail-type": ["AWS API Call via CloudTrail"],
                    "detail": {"eventSource": ["iam.amazonaws.com"], "eventName": names},
                },
                "Targets": [Match.object_like({"DeadLetterConfig": {"Arn": Match.any_value()}})],
            },
        )
    template.has_resource_properties("AWS::Events::Rule", {"ScheduleExpression": "rate(1 hour)"})
    template.has_resource_properties("AWS::Events::Rule", {"ScheduleExpression": "rate(1 day)"})


def test_only_the_configured_readers_decrypt_and_only_through_secrets_manager(synthesized: Synthesized) -> None:
    [key] = resources(synthesized, "AWS::KMS::Key").values()
    [reader] = [
        s
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if s.get("Sid") == "SecretReadersDecryptThroughSecretsManager"
    ]
    assert reader["Principal"] == {"AWS": "arn:aws:iam::123456789012:role/turnstile-helpdesk"}
    assert "kms:ViaService" in reader["Condition"]["StringEquals"]


def test_resuming_the_workflow_is_scoped_to_the_onboarding_state_machine(synthesized: Synthesized) -> None:
    for statement in statements_of(synthesized, *FUNCTION_ROLES):
        if any(a.startswith("states:SendTask") for a in actions(statement)):
            assert "stateMachine:turnstile-onboarding" in json.dumps(statement["Resource"])


def test_outputs_carry_no_secrets(synthesized: Synthesized) -> None:
    assert set(synthesized.template["Outputs"]) == {
        "HrBusName",
        "OnboardingStateMachineArn",
        "NotificationsTopicArn",
        "TableName",
        "HrDeadLetterQueueUrl",
    }


def test_the_template_holds_no_python_object_reprs(synthesized: Synthesized) -> None:
    """A repr (`<… object at 0x…>`) would change on every synth and make every `cdk diff` noisy."""
    assert " object at 0x" not in json.dumps(synthesized.template)
