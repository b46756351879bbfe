"""Key rotation step 3 (RotateUserKeys, one per user in the Map): re-read the user's keys, then act or plan."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client
from ..domain.rotation import Context, process_user
from ..models.rotation import UserStepInput
from ..observability import logger
from ..runtime import entrypoint
from ..settings import settings


@entrypoint(UserStepInput)
def handler(event: UserStepInput, context: LambdaContext) -> dict[str, Any]:
    env = settings()
    policy, user_path = env.require_rotation()
    ctx = Context(
        iam=client("iam"),
        sm=client("secretsmanager"),
        dynamodb=client("dynamodb"),
        sns=client("sns"),
        table_name=env.table_name,
        topic_arn=env.topic_arn,
        secret_prefix=env.secret_prefix,
        policy=policy,
        run=event.run,
        user_path=user_path,
    )
    result = process_user(ctx, event.candidate.username)
    logger.info("key rotation for one user", extra={"result": result.model_dump(mode="json")})
    return result.model_dump(mode="json")
