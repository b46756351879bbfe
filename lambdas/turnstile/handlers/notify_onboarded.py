"""Onboarding last step (NotifyOnboarded): mark the hire done, audit it, announce the secret ARNs."""

from typing import Any

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client, transient_errors_as_typed
from ..domain.outcomes import finish_onboarding
from ..models.onboarding import OnboardedInput
from ..observability import logger, metrics, tracer
from ..settings import settings


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser(model=OnboardedInput)
def handler(event: OnboardedInput, context: LambdaContext) -> dict[str, Any]:
    with transient_errors_as_typed():
        return finish_onboarding(client("dynamodb"), client("sns"), settings(), event)
