"""Offboarding step 1 (ValidateTermination): the raw "Employee Terminated" event in; the resolved termination, or
a bounded rejection (nothing touched), out."""

import datetime as dt
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client
from ..domain.offboarding import Rejected, resolve
from ..observability import logger
from ..runtime import entrypoint
from ..settings import settings


@entrypoint()
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    env = settings()
    try:
        termination = resolve(client("dynamodb"), client("iam"), env, event, now=dt.datetime.now(dt.UTC))
    except Rejected as rejected:
        logger.warning("termination rejected", extra={"rejection": rejected.rejection.model_dump()})
        return {"rejection": rejected.rejection.model_dump()}
    logger.info("termination validated", extra={"username": termination.username, "wait": termination.wait})
    return {"termination": termination.model_dump(mode="json")}
