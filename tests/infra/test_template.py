"""The synthesized template: encryption, dead-letter queues, logging, and each role's scope."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from stacks.function_specs import FUNCTIONS, declared_actions, handler_of
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


FUNCTION_ROLES = ("Functions",)


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


def test_hr_bus_takes_events_from_the_publishers_only_archives_and_routes_hires(synthesized: Synthesized) -> None:
    template = Template.from_json(synthesized.template)
    template.has_resource_properties("AWS::Events::EventBus", {"Name": "turnstile-hr"})
    policies = {
        p["Properties"]["Statement"]["Sid"]: p["Properties"]
        for p in resources(synthesized, "AWS::Events::EventBusPolicy").values()
    }
    allow, deny = policies["cdk-HrPublishers"], policies["cdk-OnlyHrPublishers"]
    assert "Principal" not in allow and "Statement" in allow  # the statement form, not the deprecated principal
    assert allow["Statement"]["Principal"] == {"AWS": "arn:aws:iam::123456789012:role/hr-integration"}
    assert deny["Statement"]["Effect"] == "Deny" and deny["Statement"]["Principal"] == {"AWS": "*"}
    assert deny["Statement"]["Condition"] == {
        "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
        "StringNotEquals": {"aws:PrincipalArn": ["arn:aws:iam::123456789012:role/hr-integration"]},
    }
    [archive] = resources(synthesized, "AWS::Events::Archive").values()
    assert archive["Properties"]["RetentionDays"] == 90 and "KmsKeyIdentifier" not in archive["Properties"]
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


def test_what_no_workflow_handles_is_recorded(synthesized: Synthesized) -> None:
    [unrouted] = [
        r
        for r in resources(synthesized, "AWS::Events::Rule").values()
        if r["Properties"].get("Name") == "turnstile-UnroutedHrEventRule"
    ]
    assert unrouted["Properties"]["EventPattern"] == {
        "$or": [
            {"source": [{"anything-but": ["hr.system"]}]},
            {"source": ["hr.system"], "detail-type": [{"anything-but": ["Employee Hired", "Employee Terminated"]}]},
        ]
    }
    [mapping] = resources(synthesized, "AWS::Lambda::EventSourceMapping").values()
    assert "HrIngestionDeadLetters" in json.dumps(mapping["Properties"]["EventSourceArn"])
    assert "RecordUndeliverableEvent" in json.dumps(mapping["Properties"]["FunctionName"])


def test_functions_eventbridge_invokes_send_their_own_failures_to_a_dead_letter_queue(synthesized: Synthesized) -> None:
    configs = resources(synthesized, "AWS::Lambda::EventInvokeConfig").values()
    configured = {
        name
        for name in FUNCTIONS
        for c in configs
        if f"Functions{name}" in json.dumps(c["Properties"]["FunctionName"])
        and c["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]
    }
    assert configured == {name for name, spec in FUNCTIONS.items() if spec.invoked_async}


def test_every_declared_function_has_its_own_role_log_group_and_tracing(synthesized: Synthesized) -> None:
    functions = resources(synthesized, "AWS::Lambda::Function")
    assert sorted(f["Properties"]["FunctionName"] for f in functions.values()) == sorted(
        f"turnstile-{name}" for name in FUNCTIONS
    )
    roles = {f["Properties"]["Role"]["Fn::GetAtt"][0] for f in functions.values()}
    assert len(roles) == len(functions)
    for function in functions.values():
        props = function["Properties"]
        assert props["Runtime"] == "python3.13" and props["TracingConfig"] == {"Mode": "Active"}
        assert props["LoggingConfig"]["LogGroup"] and props["Layers"]
        assert props["Handler"] == handler_of(props["FunctionName"].removeprefix("turnstile-"))
    for log_group in resources(synthesized, "AWS::Logs::LogGroup").values():
        assert log_group["Properties"]["RetentionInDays"] == 365


def test_retained_resources_have_generated_names_so_a_redeploy_after_destroy_works(synthesized: Synthesized) -> None:
    """A retained resource with a fixed name would make the next `cdk deploy` fail with AlreadyExists."""
    fixed_name = {"AWS::Logs::LogGroup": "LogGroupName", "AWS::DynamoDB::Table": "TableName"}
    for logical_id, resource in synthesized.template["Resources"].items():
        if resource.get("DeletionPolicy") == "Retain" and resource["Type"] in fixed_name:
            assert fixed_name[resource["Type"]] not in resource["Properties"], logical_id


def test_no_role_uses_managed_policies(synthesized: Synthesized) -> None:
    for role in resources(synthesized, "AWS::IAM::Role").values():
        assert "ManagedPolicyArns" not in role["Properties"]


def test_every_service_role_trusts_its_service_only_for_this_account(synthesized: Synthesized) -> None:
    """Cross-service confused deputy: each trust statement for a service principal carries aws:SourceAccount."""
    for logical_id, role in resources(synthesized, "AWS::IAM::Role").items():
        for statement in role["Properties"]["AssumeRolePolicyDocument"]["Statement"]:
            assert "Service" in statement["Principal"], logical_id
            assert "aws:SourceAccount" in json.dumps(statement.get("Condition", {})), logical_id


def test_state_machine_logs_everything_without_execution_data_and_traces(template: Template) -> None:
    template.has_resource_properties(
        "AWS::StepFunctions::StateMachine",
        {
            "StateMachineName": "turnstile-onboarding",
            "LoggingConfiguration": {"Level": "ALL", "IncludeExecutionData": False, "Destinations": Match.any_value()},
            "TracingConfiguration": {"Enabled": True},
        },
    )


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_each_role_grants_exactly_what_its_function_declares(synthesized: Synthesized, name: str) -> None:
    granted = {
        a
        for s in statements_of(synthesized, f"Functions{name}Role")
        if s["Effect"] == "Allow"
        for a in actions(s)
        if not a.startswith(("logs:", "xray:"))
    }
    assert granted == declared_actions(name)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_no_turnstile_role_may_ever_read_a_secret_value(synthesized: Synthesized, name: str) -> None:
    """Even a role that may rewrite a secret's resource policy (PutResourcePolicy) cannot grant itself the value."""
    statements = statements_of(synthesized, f"Functions{name}Role")
    [deny] = [s for s in statements if s.get("Sid") == "NeverReadCredentials"]
    assert deny["Effect"] == "Deny" and set(actions(deny)) == {
        "secretsmanager:GetSecretValue",
        "secretsmanager:BatchGetSecretValue",
    }
    assert not [s for s in statements if s["Effect"] == "Allow" and "secretsmanager:GetSecretValue" in actions(s)]


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_kms_follows_from_use_and_only_through_those_services(synthesized: Synthesized, name: str) -> None:
    spec = FUNCTIONS[name]
    kms = [
        s for s in statements_of(synthesized, f"Functions{name}Role") if any(a.startswith("kms:") for a in actions(s))
    ]
    if not (spec.table or spec.publishes or spec.writes_credentials):
        assert kms == []
        return
    [statement] = kms
    via = json.dumps(statement["Condition"]["StringEquals"]["kms:ViaService"])
    assert ("dynamodb." in via) == bool(spec.table) and ("sns." in via) == spec.publishes
    assert ("secretsmanager." in via) == spec.writes_credentials
    assert "StorageKey" in json.dumps(statement["Resource"])


def test_iam_writes_are_scoped_to_turnstile_users_groups_or_the_password_policy(synthesized: Synthesized) -> None:
    """No role may write to IAM outside Turnstile's path, its groups, or the account password policy."""
    for statement in statements_of(synthesized, *FUNCTION_ROLES):
        writes = [a for a in actions(statement) if a.startswith(IAM_WRITE_PREFIXES) or a == "iam:*"]
        if not writes or statement["Effect"] == "Deny":
            continue
        assert "iam:*" not in writes
        text = json.dumps(statement["Resource"])
        if writes == ["iam:UpdateAccountPasswordPolicy"]:
            assert statement["Resource"] == "*"
        elif writes == ["iam:DeleteVirtualMFADevice"]:
            assert ":mfa/*" in text
        elif writes == ["iam:RemoveUserFromGroup"] and text.endswith(':group/*"]]}'):
            # A leaver leaves every group (one added by hand would block DeleteUser): leaving grants nothing.
            assert statement["Resource"]["Fn::Join"][1][-1] == ":group/*"
        elif set(writes) <= {"iam:AddUserToGroup", "iam:RemoveUserFromGroup"}:
            assert ("DirectoryGroup" in text or "DirectoryMfaHold" in text) and ":user/" not in text
        else:
            assert ":user/turnstile/*" in text, statement


def test_create_user_requires_the_managed_tag_and_a_turnstile_boundary(synthesized: Synthesized) -> None:
    [create] = [s for s in statements_of(synthesized, "FunctionsCreateUserRole") if actions(s) == ["iam:CreateUser"]]
    condition = create["Condition"]["StringEquals"]
    assert condition["aws:RequestTag/turnstile:managed"] == "true"
    assert "DirectoryUserBoundary" in json.dumps(condition["iam:PermissionsBoundary"])


def test_tags_are_written_only_on_users_that_have_no_employee_yet(synthesized: Synthesized) -> None:
    [tag] = [s for s in statements_of(synthesized, "FunctionsCreateUserRole") if actions(s) == ["iam:TagUser"]]
    assert tag["Condition"]["Null"] == {"iam:ResourceTag/turnstile:employee-id": "true"}


def test_destructive_iam_actions_require_the_managed_tag(synthesized: Synthesized) -> None:
    destructive = {
        "iam:UpdateAccessKey",
        "iam:DeleteUser",
        "iam:DeleteAccessKey",
        "iam:DeleteLoginProfile",
        "iam:CreateLoginProfile",
        "iam:UpdateLoginProfile",
        "iam:CreateAccessKey",
        "iam:DeactivateMFADevice",
        "iam:PutUserPermissionsBoundary",
    }
    for statement in statements_of(synthesized, *FUNCTION_ROLES):
        if destructive & set(actions(statement)) and statement["Effect"] == "Allow":
            assert statement["Condition"]["StringEquals"]["iam:ResourceTag/turnstile:managed"] == "true"


def test_validator_has_no_aws_permissions_beyond_logs_and_tracing(synthesized: Synthesized) -> None:
    granted = {
        a for s in statements_of(synthesized, "FunctionsValidateHireRole") if s["Effect"] == "Allow" for a in actions(s)
    }
    assert granted <= {"logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def test_secrets_are_only_reachable_by_the_steps_that_write_them_or_undo_them(synthesized: Synthesized) -> None:
    reaching = {
        name
        for name in FUNCTIONS
        for s in statements_of(synthesized, f"Functions{name}Role")
        if s["Effect"] == "Allow" and any(a.startswith("secretsmanager:") for a in actions(s))
    }
    assert reaching == {
        "CreateLoginProfile",
        "IssueAccessKey",
        "EnforceMfaDeadline",
        "RollBackHire",
        "RecordFailure",
        "ReconcileOnboarding",
        "RotateUserKeys",
        "FinishOffboarding",
        "RecordOffboardingFailure",
        "HandOverConsolePassword",
    }


def test_the_mfa_hold_denies_everything_but_mfa_self_service_without_mfa(synthesized: Synthesized) -> None:
    [hold] = [
        p
        for p in resources(synthesized, "AWS::IAM::Policy").values()
        if "DirectoryMfaHold" in json.dumps(p["Properties"].get("Groups"))
    ]
    statements = {s["Sid"]: s for s in hold["Properties"]["PolicyDocument"]["Statement"]}
    deny = statements["DenyAllButMfaSelfServiceWithoutMfa"]
    assert deny["Resource"] == "*"
    assert deny["Condition"] == {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
    assert {"iam:EnableMFADevice", "iam:CreateVirtualMFADevice", "iam:ChangePassword"} <= set(deny["NotAction"])
    assert not [
        a for a in deny["NotAction"] if a.startswith(("iam:Create", "iam:Attach", "iam:Put")) and "MFA" not in a
    ]
    # one's own user exactly: user/<path>/<name> or user/<name>, never any name that merely ends with it
    own = json.dumps(statements["ManageOwnMfaAndPassword"]["Resource"])
    assert ":user/*/${aws:username}" in own and ":user/${aws:username}" in own and "*${aws:username}" not in own
    assert "iam:GetMFADevice" in statements["ManageOwnMfaAndPassword"]["Action"]
    assert "arn:aws:iam::*" not in own and "AWS::Partition" in own


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


def test_resuming_a_workflow_is_granted_as_aws_documents_it(synthesized: Synthesized) -> None:
    """states:SendTaskSuccess/SendTaskFailure have no resource type in the Service Authorization Reference: the
    task token, not an ARN, names the execution, so the only grant AWS honours is on "*"."""
    for statement in statements_of(synthesized, *FUNCTION_ROLES):
        if any(a.startswith("states:SendTask") for a in actions(statement)):
            assert statement["Resource"] == "*"


def test_outputs_carry_no_secrets(synthesized: Synthesized) -> None:
    assert set(synthesized.template["Outputs"]) == {
        "HrBusName",
        "OnboardingStateMachineArn",
        "KeyRotationStateMachineArn",
        "NotificationsTopicArn",
        "TableName",
        "HrDeadLetterQueueUrl",
        "AlertsDeadLetterQueueUrl",
        "OffboardingStateMachineArn",
    }


def test_the_template_holds_no_python_object_reprs(synthesized: Synthesized) -> None:
    """A repr (`<… object at 0x…>`) would change on every synth and make every `cdk diff` noisy."""
    assert " object at 0x" not in json.dumps(synthesized.template)


def boundaries(synthesized: Synthesized) -> dict[str, list[dict[str, Any]]]:
    found = {}
    for logical_id, policy in resources(synthesized, "AWS::IAM::ManagedPolicy").items():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        if any(s.get("Sid") in ("CeilingIsWhatGroupsGrant", "DepartmentCeiling") for s in statements):
            found[logical_id] = statements
    return found


def test_every_boundary_carries_all_of_turnstiles_denies(synthesized: Synthesized) -> None:
    """A department's own ceiling can narrow what its people may do, never drop what Turnstile denies."""
    found = boundaries(synthesized)
    assert len(found) == 2  # the default, and Finance's (config/turnstile.yaml: boundary_allows)
    deny_sids = [{s["Sid"] for s in statements if s["Effect"] == "Deny"} for statements in found.values()]
    assert (
        deny_sids[0]
        == deny_sids[1]
        == {
            "NoIamEscalation",
            "NoCredentialsForOthers",
            "NoLeavingTurnstileGroups",
            "NoTurnstileCredentials",
            "NoTurnstileMachinery",
            "NoBlindingTheTrail",
        }
    )
    [create] = [s for s in statements_of(synthesized, "FunctionsCreateUserRole") if actions(s) == ["iam:CreateUser"]]
    allowed = json.dumps(create["Condition"]["StringEquals"]["iam:PermissionsBoundary"])
    assert all(logical_id in allowed for logical_id in found)


def test_console_users_manage_only_their_own_keys_and_only_with_mfa(synthesized: Synthesized) -> None:
    [group] = [
        p
        for p in resources(synthesized, "AWS::IAM::Policy").values()
        if "DirectorySelfServiceKeys" in json.dumps(p["Properties"].get("Groups"))
    ]
    [statement] = group["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    assert (
        ":user/*/${aws:username}" in json.dumps(statement["Resource"]) and "iam:CreateAccessKey" in statement["Action"]
    )


def test_the_boundary_refuses_what_the_review_found_missing(synthesized: Synthesized) -> None:
    statements = {s["Sid"]: s for s in next(iter(boundaries(synthesized).values()))}
    denied = {a for s in statements.values() if s["Effect"] == "Deny" for a in actions(s)}
    assert {
        "iam:UpdateUser",
        "iam:CreateServiceSpecificCredential",
        "iam:UploadSSHPublicKey",
        "iam:UploadSigningCertificate",
        "iam:UpdateAccessKey",
        "iam:RemoveUserFromGroup",
        "iam:DeleteGroupPolicy",
        "iam:DetachGroupPolicy",
        "iam:DeleteGroup",
        "cloudtrail:StopLogging",
        "lambda:*",
        "events:*",
        "kms:*",
    } <= denied
    machinery = json.dumps(statements["NoTurnstileMachinery"]["Resource"])
    assert "function:turnstile-*" in machinery and "StorageKey" in machinery and "rule/turnstile-*" in machinery


def test_functions_that_write_iam_have_a_bounded_concurrency(synthesized: Synthesized) -> None:
    """What bounds IAM calls in flight in a burst of hires: each IAM-writing function's reserved concurrency."""
    from stacks.configuration import load_config
    from stacks.function_specs import writes_iam

    config = load_config()
    bound = config.lambdas.iam_write_concurrency
    for function in resources(synthesized, "AWS::Lambda::Function").values():
        name = function["Properties"]["FunctionName"].removeprefix("turnstile-")
        reserved = function["Properties"].get("ReservedConcurrentExecutions")
        expected = config.rotation.max_concurrency if name == "RotateUserKeys" else bound
        assert reserved == (expected if writes_iam(FUNCTIONS[name]) else None), name
    assert sum(writes_iam(spec) for spec in FUNCTIONS.values()) == 14
