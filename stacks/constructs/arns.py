"""The ARNs Turnstile's permissions are scoped to, built in one place."""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack


def managed_users(stack: Stack, path: str) -> str:
    """Every user under Turnstile's IAM path (and its sub-paths)."""
    return stack.format_arn(service="iam", region="", resource="user", resource_name=f"{path.strip('/')}/*")


def any_user(stack: Stack) -> str:
    return stack.format_arn(service="iam", region="", resource="user", resource_name="*")


def any_group(stack: Stack) -> str:
    return stack.format_arn(service="iam", region="", resource="group", resource_name="*")


def virtual_mfa_devices(stack: Stack) -> str:
    return stack.format_arn(service="iam", region="", resource="mfa", resource_name="*")


def user_secrets(stack: Stack, prefix: str) -> str:
    return stack.format_arn(
        service="secretsmanager",
        resource="secret",
        resource_name=f"{prefix}/*",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


def state_machine(stack: Stack, name: str) -> str:
    """By name, so that a function may resume the workflow that invokes it without a dependency cycle."""
    return stack.format_arn(
        service="states", resource="stateMachine", resource_name=name, arn_format=ArnFormat.COLON_RESOURCE_NAME
    )


def executions_of(stack: Stack, state_machine_name: str) -> str:
    """Every execution of the named state machine (`execution:<machine>:<run>`)."""
    return stack.format_arn(
        service="states",
        resource="execution",
        resource_name=f"{state_machine_name}:*",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


def managed_policies(stack: Stack) -> list[str]:
    """Every managed policy the account can attach: its own and AWS's (arn:<partition>:iam::aws:policy/...)."""
    return [
        stack.format_arn(service="iam", region="", resource="policy", resource_name="*"),
        stack.format_arn(service="iam", region="", account="aws", resource="policy", resource_name="*"),
    ]


def security_hub_default_product(stack: Stack) -> str:
    """The account's own product in Security Hub (ASFF ProductArn of a custom integration)."""
    return stack.format_arn(service="securityhub", resource="product", resource_name=f"{stack.account}/default")
