"""Failure path that may not undo (RecordFailure): no claim held, the user onboarded, or the rollback failed.
It reads what is left, audits and alerts; it changes nothing in IAM."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client
from ..domain.failures import record_failure
from ..models.onboarding import FailedStepInput
from ..observability import logger, metrics
from ..runtime import entrypoint
from ..settings import settings


@entrypoint(FailedStepInput)
def handler(event: FailedStepInput, context: LambdaContext) -> dict[str, Any]:
    metrics.add_metric(name="OnboardingFailed", unit=MetricUnit.Count, value=1)
    result = record_failure(
        client("iam"), client("secretsmanager"), client("dynamodb"), client("sns"), settings(), event
    )
    logger.error("onboarding failed", extra={"stage": event.stage.value, "error": event.error.Error, **result})
    return result
