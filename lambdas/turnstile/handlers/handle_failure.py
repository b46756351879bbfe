"""Failure path (HandleFailure): roll back a half-made user, release the claim, audit and alert."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client, transient_errors_as_typed
from ..domain.outcomes import handle_failure
from ..models.onboarding import FailedStepInput
from ..observability import logger, metrics, tracer
from ..settings import settings


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser(model=FailedStepInput)
def handler(event: FailedStepInput, context: LambdaContext) -> dict[str, Any]:
    metrics.add_metric(name="OnboardingFailed", unit=MetricUnit.Count, value=1)
    with transient_errors_as_typed():
        body = handle_failure(
            client("iam"), client("secretsmanager"), client("dynamodb"), client("sns"), settings(), event
        )
    logger.error("onboarding failed", extra={k: body[k] for k in ("username", "error", "reason", "rolled_back")})
    return body
