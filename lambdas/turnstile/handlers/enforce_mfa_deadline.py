"""Onboarding path (EnforceMfaDeadline): no MFA by the deadline, so console access and keys are removed."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client
from ..domain.mfa import enforce_deadline
from ..errors import SettingsError
from ..models.onboarding import FailedStepInput
from ..observability import logger, metrics
from ..runtime import entrypoint
from ..settings import settings


@entrypoint(FailedStepInput)
def handler(event: FailedStepInput, context: LambdaContext) -> dict[str, Any]:
    if event.hire is None:
        raise SettingsError("EnforceMfaDeadline needs the hire: the state machine must pass $.hire")
    metrics.add_metric(name="MfaDeadlinePassed", unit=MetricUnit.Count, value=1)
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
