"""Rejection path (RecordRejection): an invalid HR event is audited and alerted; nothing was created."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client
from ..domain.outcomes import record_rejection
from ..models.onboarding import RejectionInput
from ..observability import metrics
from ..runtime import entrypoint
from ..settings import settings


@entrypoint(RejectionInput)
def handler(event: RejectionInput, context: LambdaContext) -> dict[str, Any]:
    metrics.add_metric(name="HireRejected", unit=MetricUnit.Count, value=1)
    return record_rejection(client("dynamodb"), client("sns"), settings(), event)
