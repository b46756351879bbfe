"""Onboarding path (EnforceMfaDeadline): no MFA by the deadline, so console access and keys are removed."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client, transient_errors_as_typed
from ..domain.mfa import enforce_deadline
from ..models.onboarding import FailedStepInput
from ..observability import logger, metrics, tracer
from ..settings import settings


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser(model=FailedStepInput)
def handler(event: FailedStepInput, context: LambdaContext) -> dict[str, Any]:
    if event.hire is None:
        raise ValueError("EnforceMfaDeadline needs the hire")
    metrics.add_metric(name="MfaDeadlinePassed", unit=MetricUnit.Count, value=1)
    with transient_errors_as_typed():
        body = enforce_deadline(
            client("iam"),
            client("secretsmanager"),
            client("dynamodb"),
            client("sns"),
            settings(),
            hire=event.hire,
            reason=event.reason,
        )
    logger.warning("MFA deadline passed", extra={"username": event.hire.username, "actions": body["actions"]})
    return body
