"""Gap: moto's StopExecution marks the program stopped but leaves an execution that waits for a task token
blocked in that wait (up to its TimeoutSeconds, 91 days for Turnstile's MFA wait): it stays RUNNING, and never
reports ABORTED. On AWS a stopped execution ends at once, ABORTED. Adapter: after stopping, interrupt the
execution's callback waits and record the stop, so it ends ABORTED (and announces it, see execution_events)."""

from __future__ import annotations

import datetime as dt

from moto.stepfunctions.parser.api import ExecutionStatus
from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication, Execution

_original_stop = Execution.stop
_original_reflect = BaseExecutionWorkerCommunication._reflect_execution_status


def stop(self: Execution, stop_date: dt.datetime, error: str | None, cause: str | None) -> None:
    self.localcloud_stopped = (error, cause)  # type: ignore[attr-defined]
    _original_stop(self, stop_date, error, cause)
    worker = self.exec_worker
    if worker is not None and worker.env is not None:
        for endpoint in list(worker.env.callback_pool_manager._pool.values()):
            endpoint.interrupt_all()


def reflect(self: BaseExecutionWorkerCommunication) -> None:
    _original_reflect(self)
    stopped = getattr(self.execution, "localcloud_stopped", None)
    if stopped is not None:
        self.execution.exec_status = ExecutionStatus.ABORTED
        self.execution.error, self.execution.cause = stopped


def install() -> None:
    setattr(Execution, "stop", stop)  # noqa: B010 - monkeypatching moto, on purpose
    setattr(BaseExecutionWorkerCommunication, "_reflect_execution_status", reflect)  # noqa: B010


def uninstall() -> None:
    setattr(Execution, "stop", _original_stop)  # noqa: B010
    setattr(BaseExecutionWorkerCommunication, "_reflect_execution_status", _original_reflect)  # noqa: B010
