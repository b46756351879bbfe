"""PasswordChangedRule target (HandOverConsolePassword): a managed user changed the temporary password, so its
secret is scheduled for deletion."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client
from ..domain.iam_events import on_password_changed, parse
from ..observability import logger
from ..runtime import entrypoint
from ..settings import settings


@entrypoint()
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    env = settings()
    parsed = parse(client("dynamodb"), env, event)
    if parsed is None:
        return {"outcome": "rejected"}
    result = on_password_changed(client("iam"), client("secretsmanager"), client("dynamodb"), env, parsed)
    logger.info("password change handled", extra={"result": result})
    return result
