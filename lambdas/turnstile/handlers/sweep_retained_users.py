"""RetainedUsersSchedule target (SweepRetainedUsers, daily): leavers kept disabled are deleted when their
retention ends."""

import datetime as dt
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client
from ..domain.offboarding import sweep_retained
from ..runtime import entrypoint
from ..settings import settings


@entrypoint()
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return sweep_retained(client("iam"), client("dynamodb"), client("sns"), settings(), now=dt.datetime.now(dt.UTC))
