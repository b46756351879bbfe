"""MfaSweeperSchedule target (SweepMfaEnrolments): catch lost CloudTrail events, remind, enforce deadlines.

One credential report says who has MFA (domain.mfa.current_report: a bounded wait while IAM generates it, else
ReportInProgress fails the invocation and Lambda retries it); IAM is asked about a user only before acting on it.
"""

import time
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import client
from ..domain.mfa import current_report, sweep
from ..observability import logger, metrics
from ..runtime import entrypoint
from ..settings import settings

# No enrolment is started once this share of the invocation's time is used: the rest covers the one in hand (its
# SDK retries included). What is left over is swept first next time (the most overdue first).
WORK_SHARE = 0.8


@entrypoint(EventBridgeModel)
def handler(event: EventBridgeModel, context: LambdaContext) -> dict[str, Any]:
    stop_by = time.monotonic() + context.get_remaining_time_in_millis() / 1000 * WORK_SHARE
    iam = client("iam")
    report = current_report(iam)
    # "now" is the schedule's own time: the sweep judges deadlines as of when it was scheduled to run.
    summary = sweep(
        iam,
        client("stepfunctions"),
        client("dynamodb"),
        client("sns"),
        settings(),
        now=event.time,
        report=report,
        stop_by=stop_by,
    )
    if summary["deferred"]:
        metrics.add_metric(name="MfaSweepDeferred", unit=MetricUnit.Count, value=len(summary["deferred"]))
    logger.info(
        "MFA sweep",
        extra={
            "report_generated": report.generated.isoformat(),
            "counts": {outcome: len(names) for outcome, names in summary.items()},
            # the waiting ones only counted: they are most of them, and nothing was done for them
            "summary": {outcome: names for outcome, names in summary.items() if outcome != "waiting"},
        },
    )
    return summary
