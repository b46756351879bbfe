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


def statements_of(synthesized: Synthesized, role_prefix: str) -> list[dict[str, Any]]:
    found = []
    for policy in resources(synthesized, "AWS::IAM::Policy").values():
        roles = [r["Ref"] for r in policy["Properties"]["Roles"]]
        if any(r.startswith(role_prefix) for r in roles):
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
    assert len(functions) == 10
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
    for statement in statements_of(synthesized, "Functions"):
        writes = [a for a in actions(statement) if a.startswith(IAM_WRITE_PREFIXES) or a == "iam:*"]
        if not writes:
            continue
        assert "iam:*" not in writes
        text = json.dumps(statement["Resource"])
        if writes == ["iam:UpdateAccountPasswordPolicy"]:
            assert statement["Resource"] == "*"
        elif set(writes) <= {"iam:AddUserToGroup", "iam:RemoveUserFromGroup"}:
            assert "DirectoryGroup" in text and ":user/" not in text
        else:
            assert ":user/turnstile/*" in text, statement


def test_create_user_requires_the_managed_tag_and_a_turnstile_boundary(synthesized: Synthesized) -> None:
    [create] = [s for s in statements_of(synthesized, "FunctionsCreateUserRole") if actions(s) == ["iam:CreateUser"]]
    condition = create["Condition"]["StringEquals"]
    assert condition["aws:RequestTag/turnstile:managed"] == "true"
    assert "DirectoryUserBoundary" in json.dumps(condition["iam:PermissionsBoundary"])


def test_destructive_iam_actions_require_the_managed_tag(synthesized: Synthesized) -> None:
    destructive = {
        "iam:DeleteUser",
        "iam:DeleteAccessKey",
        "iam:DeleteLoginProfile",
        "iam:CreateLoginProfile",
        "iam:UpdateLoginProfile",
        "iam:CreateAccessKey",
    }
    for statement in statements_of(synthesized, "Functions"):
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
    ):
        granted = {a for s in statements_of(synthesized, f"Functions{role}Role") for a in actions(s)}
        assert not any(a.startswith("secretsmanager:") for a in granted), role
    readers = [s for s in statements_of(synthesized, "Functions") if "secretsmanager:GetSecretValue" in actions(s)]
    assert readers == []


def test_outputs_carry_no_secrets(synthesized: Synthesized) -> None:
    assert set(synthesized.template["Outputs"]) == {
        "HrBusName",
        "OnboardingStateMachineArn",
        "NotificationsTopicArn",
        "TableName",
        "HrDeadLetterQueueUrl",
    }
