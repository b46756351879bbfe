"""Failure path of the claim's owner (RollBackHire): remove what this hire made, mark the claim failed, alert."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client
from ..domain.failures import roll_back_hire
from ..models.onboarding import RollBackInput
from ..observability import logger, metrics
from ..runtime import entrypoint
from ..settings import settings


@entrypoint(RollBackInput)
def handler(event: RollBackInput, context: LambdaContext) -> dict[str, Any]:
    metrics.add_metric(name="OnboardingFailed", unit=MetricUnit.Count, value=1)
    result = roll_back_hire(
        client("iam"), client("secretsmanager"), client("dynamodb"), client("sns"), settings(), event
    )
    logger.error("onboarding failed", extra={"username": event.hire.username, "error": event.error.Error, **result})
    return result
