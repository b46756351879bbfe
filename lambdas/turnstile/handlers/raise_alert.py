"""Target of every detection rule (RaiseAlert): judge the CloudTrail event, alert once (README "Alerting")."""

import time
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client
from ..domain.alerts import Clients, Destination, on_event
from ..observability import logger, metrics
from ..runtime import entrypoint
from ..settings import settings


@entrypoint()
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    env = settings()
    alerting = env.require_alerting()
    sns = client("sns")
    result = on_event(
        event,
        Clients(iam=client("iam"), dynamodb=client("dynamodb"), sns=sns, securityhub=client("securityhub")),
        Destination(env.table_name, env.topic_arn, sns.meta.region_name, security_hub=alerting.security_hub),
        alerting,
        env.own_calls,
        deadline=time.time() + context.get_remaining_time_in_millis() / 1000,
    )
    if result["outcome"] == "rejected":
        metrics.add_metric(name="RejectedCloudTrailEvents", unit=MetricUnit.Count, value=1)
        logger.warning("CloudTrail event rejected (recorded under REJECTED)", extra=result)
    else:
        metrics.add_metric(name="Alerts", unit=MetricUnit.Count, value=len(result["alerts"]))
        logger.info("CloudTrail event judged", extra=result)
    return result
