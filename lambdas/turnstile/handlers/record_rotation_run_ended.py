"""KeyRotationEndedRule target (RecordRotationRunEnded): a key-rotation run ended FAILED, TIMED_OUT or ABORTED.
Its lease is released and an alert sent — even when the run's own failure path could not run."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client
from ..domain.rotation_runs import record_ended
from ..models.executions import ExecutionStatusChange
from ..observability import logger
from ..runtime import entrypoint
from ..settings import settings


@entrypoint(ExecutionStatusChange)
def handler(event: ExecutionStatusChange, context: LambdaContext) -> dict[str, Any]:
    env = settings()
    result = record_ended(
        client("dynamodb"),
        client("sns"),
        env.table_name,
        env.topic_arn,
        execution_id=event.detail.executionArn,
        status=event.detail.status,
        error=event.detail.error,
    )
    logger.info("key rotation run ended badly", extra=result)
    return result
