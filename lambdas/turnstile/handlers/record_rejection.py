"""Rejection path (RecordRejection): an invalid HR event is audited and alerted; nothing was created."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client, transient_errors_as_typed
from ..domain.outcomes import record_rejection
from ..models.onboarding import FailedStepInput
from ..observability import logger, metrics, tracer
from ..settings import settings


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser(model=FailedStepInput)
def handler(event: FailedStepInput, context: LambdaContext) -> dict[str, Any]:
    metrics.add_metric(name="HireRejected", unit=MetricUnit.Count, value=1)
    with transient_errors_as_typed():
        body = record_rejection(client("dynamodb"), client("sns"), settings(), event)
    logger.warning("HR event rejected", extra={"reason": body["reason"], "event_id": body["event_id"]})
    return body
