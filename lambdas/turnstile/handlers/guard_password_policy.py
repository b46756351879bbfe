"""PasswordPolicyChangedRule target (GuardPasswordPolicy): a change by anyone else is reverted and alerted."""

import time
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client
from ..domain.iam_events import on_password_policy_changed, parse
from ..observability import logger, metrics
from ..runtime import entrypoint
from ..settings import settings


@entrypoint()
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    env = settings()
    parsed = parse(client("dynamodb"), env, event)
    if parsed is None:
        metrics.add_metric(name="RejectedCloudTrailEvents", unit=MetricUnit.Count, value=1)
        logger.warning("CloudTrail event rejected (recorded under REJECTED)")
        return {"outcome": "rejected"}
    result = on_password_policy_changed(
        client("iam"),
        client("dynamodb"),
        client("sns"),
        env,
        parsed,
        securityhub=client("securityhub"),
        deadline=time.time() + context.get_remaining_time_in_millis() / 1000,
    )
    logger.info("password policy change handled", extra={"result": result})
    return result
