"""Onboarding step 3 (EnsurePasswordPolicy): the account password policy equals the configured one."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client, transient_errors_as_typed
from ..domain.password_policy import ensure_password_policy
from ..observability import logger, metrics, tracer
from ..settings import settings


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    with transient_errors_as_typed():
        changes = ensure_password_policy(client("iam"), settings().password_policy)
    if changes:
        metrics.add_metric(name="PasswordPolicyReapplied", unit=MetricUnit.Count, value=1)
        logger.warning("password policy had drifted; re-applied", extra={"fields": sorted(changes)})
    return {"changed": sorted(changes)}
