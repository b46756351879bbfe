"""UnroutedHrEventRule target (RecordUnroutedEvent): an HR-bus event no workflow handles is audited and alerted
(rate-limited); nothing else happens."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client
from ..domain.unhandled import UNROUTED, record_unhandled
from ..observability import logger
from ..runtime import entrypoint
from ..settings import settings


@entrypoint()
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    env = settings()
    result = record_unhandled(
        client("dynamodb"), client("sns"), env.table_name, env.topic_arn, event, action="HrEventUnrouted", why=UNROUTED
    )
    logger.warning("HR-bus event matched no workflow", extra=result)
    return result
