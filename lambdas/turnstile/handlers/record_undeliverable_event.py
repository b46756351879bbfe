"""HR dead-letter queue consumer (RecordUndeliverableEvent): an HR event EventBridge could not deliver to its
workflow (after its retries, or at once for one larger than a workflow's 256 KiB input) is audited and alerted."""

from typing import Any

from aws_lambda_powertools.utilities.data_classes import SQSEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client
from ..domain.unhandled import record_dead_letters
from ..observability import logger
from ..runtime import entrypoint
from ..settings import settings


def _attribute(attributes: Any, name: str) -> str:
    found = attributes[name]  # Powertools wraps the value on [] (not on .get()); None when absent
    return str(found.string_value) if found and found.string_value else ""


@entrypoint()
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    env = settings()
    letters = [
        (m.body, _attribute(m.message_attributes, "ERROR_CODE"), _attribute(m.message_attributes, "ERROR_MESSAGE"))
        for m in SQSEvent(event).records
    ]
    recorded = record_dead_letters(client("dynamodb"), client("sns"), env.table_name, env.topic_arn, letters)
    logger.error("HR events could not be delivered", extra={"count": len(recorded)})
    return {"recorded": len(recorded)}
