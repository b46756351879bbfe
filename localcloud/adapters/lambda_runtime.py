"""Gap: moto runs Lambda code only in Docker. Adapter: run the deployed asset in this process.

Each function runs in "containers": copies of its code package imported under private module names, so
module-level state and cached settings never leak between functions or between concurrent invocations. A
container runs one invocation at a time; concurrent invocations get more containers, as Lambda scales, up to the
function's reserved concurrency: beyond it a synchronous invocation is throttled (Step Functions sees
`Lambda.TooManyRequestsException`) and an asynchronous one waits for a container, as Lambda queues it. Each
invocation runs with exactly the function's environment, and what it prints and logs is written to the
function's log group, as Lambda does.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import datetime as dt
import importlib
import importlib.util
import io
import json
import logging
import os
import re
import sys
import threading
import time
import traceback
import uuid
import warnings
import zipfile
from collections.abc import Callable, Iterator, MutableMapping
from pathlib import Path
from types import ModuleType
from typing import Any

from moto.awslambda.models import LambdaFunction
from moto.stepfunctions.parser.asl.component.state.exec import execute_state

from .. import identity
from . import authorization

_original_invoke = LambdaFunction._invoke_lambda
CANNOT_ASSUME = "The role defined for the function cannot be assumed by Lambda."
# Containers of a function when nothing is reserved for it (per function, not an account-wide pool as in Lambda:
# each container is a full import of the function's code).
UNRESERVED_CONTAINERS = 32
HANDOFF_SECONDS = 10.0  # how long a container handed to a backing-off retry is kept for it
THROTTLED = "Lambda.TooManyRequestsException"
_invocation = threading.local()  # per thread: the invocation's output buffer, and whether it was asynchronous


class TaskThread(threading.Thread):
    """moto's Step Functions runs each task attempt in a thread of its own (for TimeoutSeconds), while the retrier
    runs in the execution's thread: the attempt's thread remembers that one, whose back-off waits after a throttle."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.execution_thread = threading.current_thread()


class ThreadOutput(io.TextIOBase):
    """sys.stdout (and the functions' log handlers) for every thread: what an invoking thread writes goes to its
    invocation's log, everything else where it always went."""

    def __init__(self, base: Any) -> None:
        self.base = base

    def write(self, text: str) -> int:
        buffer = getattr(_invocation, "buffer", None)
        return int((buffer if buffer is not None else self.base).write(text))

    def flush(self) -> None:
        if getattr(_invocation, "buffer", None) is None:
            self.base.flush()


@contextlib.contextmanager
def asynchronous() -> Iterator[None]:
    """Invocations made by this thread meanwhile are asynchronous: they wait for a container instead of being
    throttled (Lambda queues asynchronous events)."""
    previous = getattr(_invocation, "asynchronous", False)
    _invocation.asynchronous = True
    try:
        yield
    finally:
        _invocation.asynchronous = previous


@dataclasses.dataclass(eq=False)
class _Ticket:
    """A throttled execution waiting, during one retry back-off, for a container of its function (each back-off
    queues anew, at the back)."""

    thread: int | None
    handed: threading.Event = dataclasses.field(default_factory=threading.Event)


class Container:
    def __init__(self, slot: int) -> None:
        self.slot = slot
        self.package: ModuleType | None = None


class ThreadEnviron(MutableMapping[str, str]):
    """os.environ with a per-thread overlay. A handler runs with its function's variables in its own thread,
    while other threads (the interpreter, botocore reading proxies) keep seeing the unchanged process
    environment: no thread ever observes another's variables, or a key vanishing mid-iteration."""

    def __init__(self, base: MutableMapping[str, str]) -> None:
        self.base = base
        self._local = threading.local()

    def _overlay(self) -> dict[str, str] | None:
        return getattr(self._local, "overlay", None)

    @contextlib.contextmanager
    def overlaid(self, values: dict[str, str]) -> Iterator[None]:
        previous = self._overlay()
        self._local.overlay = {**(previous or {}), **values}
        try:
            yield
        finally:
            self._local.overlay = previous

    def __getitem__(self, key: str) -> str:
        overlay = self._overlay()
        if overlay is not None and key in overlay:
            return overlay[key]
        return self.base[key]

    def __setitem__(self, key: str, value: str) -> None:
        overlay = self._overlay()
        if overlay is not None:
            overlay[key] = value
        else:
            self.base[key] = value

    def __delitem__(self, key: str) -> None:
        overlay = self._overlay()
        if overlay is not None and key in overlay:
            del overlay[key]
        else:
            del self.base[key]

    def __iter__(self) -> Iterator[str]:
        overlay = self._overlay() or {}
        return iter(list(dict.fromkeys([*list(self.base), *overlay])))

    def __len__(self) -> int:
        return len(set(self.base) | set(self._overlay() or {}))

    def copy(self) -> dict[str, str]:
        return dict(self)


class FakeContext:
    """Enough of the Lambda context for Powertools' inject_lambda_context."""

    def __init__(self, function: LambdaFunction) -> None:
        self.function_name = function.function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = function.function_arn
        self.memory_limit_in_mb = int(function.memory_size or 128)
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = function.logs_group_name
        self.log_stream_name = self.aws_request_id
        self._ends = time.monotonic() + float(function.timeout or 3)

    def get_remaining_time_in_millis(self) -> int:
        """As Lambda counts it: the function's timeout less the time this invocation has run."""
        return max(0, int((self._ends - time.monotonic()) * 1000))


class InProcessRuntime:
    """Imports and calls handlers from the code moto stored for each function."""

    def __init__(self, workdir: Path, extra_environment: dict[str, str]) -> None:
        self.workdir = workdir
        self.extra_environment = extra_environment
        self._pools: dict[tuple[str, str], list[Container]] = {}
        self._busy: set[tuple[tuple[str, str], int]] = set()
        self._pool_changed = threading.Condition()
        self._unpacking = threading.Lock()
        self._namespace = f"_localcloud_{uuid.uuid4().hex[:8]}"  # a new account starts every function cold
        self._credentials: dict[str, dict[str, str]] = {}
        self._before: dict[str, Callable[[dict[str, Any]], None]] = {}
        self.peak_concurrency: dict[str, int] = {}  # per function: the most invocations running at once
        self.throttled: dict[str, int] = {}  # per function: synchronous invocations refused at its limit
        # an execution's thread whose last invocation was throttled -> (that thread, the function)
        self._awaiting_capacity: dict[int | None, tuple[threading.Thread, LambdaFunction]] = {}
        self._waiting: dict[tuple[str, str], collections.deque[_Ticket]] = {}  # retries waiting, per function
        self._handed: dict[tuple[tuple[str, str], int | None], tuple[Container, float]] = {}  # -> (container, until)

    def before_invoke(self, function_name: str, action: Callable[[dict[str, Any]], None]) -> None:
        """Run `action(event)` once, just before the next invocation of `function_name` (the world changing
        between two workflow steps)."""
        self._before[function_name] = action

    def invoke(self, function: LambdaFunction, event: Any) -> tuple[str, bool, str]:
        if isinstance(event, (str, bytes)):
            event = json.loads(event or "{}")
        if (action := self._before.pop(function.function_name, None)) is not None:
            action(event)
        try:
            self.role_credentials(function)
        except authorization.AccessDenied as denied:  # the role's trust policy does not let Lambda assume it
            error = {"errorMessage": CANNOT_ASSUME, "errorType": "AccessDeniedException"}
            return json.dumps(error), True, str(denied)
        container = self._acquire(function)
        if container is None:  # at the function's concurrency limit: Lambda answers 429, Step Functions retries
            error = {"errorMessage": "Rate Exceeded.", "errorType": THROTTLED}
            return json.dumps(error), True, ""
        buffer = io.StringIO()
        errored = False
        _capture_stdout()
        _invocation.buffer = buffer
        try:
            with self._environment(function):
                handler = self._handler(function, container)
                _log_handlers_writing_to_this_thread()
                result = handler(event, FakeContext(function))
                payload = json.dumps(result)
        except Exception as error:  # what Lambda does: the error becomes the payload
            errored = True
            payload = json.dumps(
                {
                    "errorMessage": str(error),
                    "errorType": type(error).__name__,
                    "stackTrace": traceback.format_tb(error.__traceback__),
                }
            )
        finally:
            _invocation.buffer = None
            self._release(function, container)
        output = buffer.getvalue()
        if self._may_log(function):
            function.logs_backend.ensure_log_group(function.logs_group_name)  # as Lambda (and moto) do
            function.save_logs(output or "(no output)")
        return payload, errored, output

    def _may_log(self, function: LambdaFunction) -> bool:
        """Lambda writes the function's logs as its execution role: without logs:CreateLogStream and
        logs:PutLogEvents (and logs:CreateLogGroup for a missing group) they are lost (AWS Lambda Developer Guide,
        "Sending Lambda function logs to CloudWatch Logs")."""
        group = function.logs_group_name
        arn = f"arn:aws:logs:{function.region}:{function.account_id}:log-group:{group}"
        stream = f"{arn}:log-stream:{dt.datetime.now(dt.UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
        needs = [("logs:CreateLogStream", stream), ("logs:PutLogEvents", stream)]
        if group not in function.logs_backend.groups:
            needs.insert(0, ("logs:CreateLogGroup", arn))
        key = self.role_credentials(function)["AWS_ACCESS_KEY_ID"]
        return authorization.active().allows(key, function.account_id, needs, "Lambda writes the function's logs")

    @contextlib.contextmanager
    def _environment(self, function: LambdaFunction) -> Iterator[None]:
        """The function's environment, seen only by the invoking thread (see ThreadEnviron)."""
        overlay = {
            "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
            "AWS_REGION": function.region,
            "AWS_DEFAULT_REGION": function.region,
            "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon here
            **self.role_credentials(function),
            **self.extra_environment,
            **{k: str(v) for k, v in (function.environment_vars or {}).items()},
        }
        environ = os.environ
        if not isinstance(environ, ThreadEnviron):
            raise RuntimeError("lambda_runtime.install() has not been called")
        with environ.overlaid(overlay):
            yield

    def role_credentials(self, function: LambdaFunction) -> dict[str, str]:
        """Lambda's: a session of the function's execution role, so its calls carry that role's identity.
        Lambda assumes it as `lambda.amazonaws.com` (the trust policy must allow that service), for the function
        (`aws:SourceArn`/`aws:SourceAccount`); the function's calls carry `lambda:SourceFunctionArn` (AWS Lambda
        Developer Guide, "Using source function ARN to control function access behavior")."""
        if function.function_arn not in self._credentials:
            creds = authorization.active().assume_role(
                function.role,
                service="lambda.amazonaws.com",
                source_arn=function.function_arn,
                source_account=function.account_id,
                session_name=function.function_name[:64],
            )
            identity.add_session_context(
                creds["aws_access_key_id"], {"lambda:SourceFunctionArn": function.function_arn}
            )
            self._credentials[function.function_arn] = {
                "AWS_ACCESS_KEY_ID": creds["aws_access_key_id"],
                "AWS_SECRET_ACCESS_KEY": creds["aws_secret_access_key"],
                "AWS_SESSION_TOKEN": creds["aws_session_token"],
            }
        return self._credentials[function.function_arn]

    def _acquire(self, function: LambdaFunction) -> Container | None:
        """A free container of the function, a new one if its concurrency allows, or None (throttled). A retry
        after a throttle takes the container handed to it; an asynchronous invocation waits for one instead."""
        key = _key(function)
        limit = _limit(function)
        with self._pool_changed:
            execution = _execution_thread()
            handed = self._handed.pop((key, execution.ident), None)
            free = handed[0] if handed is not None else None
            while free is None:
                self._reclaim_unclaimed(key)
                pool = self._pools.setdefault(key, [])
                free = next((c for c in pool if (key, c.slot) not in self._busy), None)
                if free is None and len(pool) < limit:
                    free = Container(len(pool))
                    pool.append(free)
                if free is not None:
                    self._busy.add((key, free.slot))
                elif limit == 0 or not getattr(_invocation, "asynchronous", False):
                    self.throttled[function.function_name] = self.throttled.get(function.function_name, 0) + 1
                    # a Step Functions task's retry waits for a container, unless none can ever free up
                    if execution is not threading.current_thread() and limit > 0:
                        self._awaiting_capacity[execution.ident] = (execution, function)
                    return None
                else:
                    self._pool_changed.wait(timeout=1)
            self._awaiting_capacity.pop(execution.ident, None)  # this execution is no longer throttled
            running = sum(1 for k, _ in self._busy if k == key)
            name = function.function_name
            self.peak_concurrency[name] = max(self.peak_concurrency.get(name, 0), running)
            return free

    def wait_after_throttle(self, seconds: float) -> bool:
        """The retry back-off of an execution whose last invocation was throttled. It waits in real time (what
        it waits for is other invocations finishing, which the clock cannot skip), up to `seconds`, as Step
        Functions does; it ends early only when a container is handed to it, so an invocation arriving meanwhile
        cannot take the container a waiting retry was promised (Lambda itself promises none: this only spares
        the emulator's slower invocations from burning retries AWS would not burn). False when the execution was
        not throttled: the back-off then only advances the clock."""
        thread, function = self._awaiting_capacity.pop(threading.get_ident(), (None, None))
        if function is None or thread is not threading.current_thread():  # none, or a dead thread's (ident reused)
            return False
        ticket = _Ticket(threading.get_ident())
        with self._pool_changed:
            self._waiting.setdefault(_key(function), collections.deque()).append(ticket)
        if not ticket.handed.wait(timeout=seconds):
            with self._pool_changed:
                if not ticket.handed.is_set():
                    self._waiting[_key(function)].remove(ticket)
        return True

    def _release(self, function: LambdaFunction, container: Container) -> None:
        with self._pool_changed:
            self._hand_over_or_free(_key(function), container)

    def _hand_over_or_free(self, key: tuple[str, str], container: Container) -> None:
        """The first retry still waiting for this function gets the container; else it is free. (Lock held.)"""
        waiting = self._waiting.get(key)
        if waiting:
            ticket = waiting.popleft()
            self._handed[(key, ticket.thread)] = (container, time.monotonic() + HANDOFF_SECONDS)
            ticket.handed.set()
            return
        self._busy.discard((key, container.slot))
        self._pool_changed.notify_all()

    def _reclaim_unclaimed(self, key: tuple[str, str]) -> None:
        """A container handed to a retry that never came (its execution stopped) goes to the next. (Lock held.)"""
        now = time.monotonic()
        for (handed_key, thread), (container, deadline) in list(self._handed.items()):
            if handed_key == key and deadline < now:
                del self._handed[(handed_key, thread)]
                self._hand_over_or_free(key, container)

    def _handler(self, function: LambdaFunction, container: Container) -> Any:
        module_path, _, attribute = str(function.handler).rpartition(".")
        top, _, rest = module_path.partition(".")
        if container.package is None:
            container.package = self._load_package(function, top, container.slot)
        package = container.package
        module = importlib.import_module(f"{package.__name__}.{rest}" if rest else package.__name__)
        return getattr(module, attribute)

    def _load_package(self, function: LambdaFunction, top: str, slot: int) -> ModuleType:
        code_dir = self.workdir / re.sub(r"\W", "_", f"{function.function_name}-{function.code_sha_256[:12]}")
        with self._unpacking:  # one thread unpacks a package, completely or not at all
            if not code_dir.exists():
                partial = code_dir.with_name(f"{code_dir.name}.{uuid.uuid4().hex[:8]}.partial")
                with zipfile.ZipFile(io.BytesIO(function.code_bytes)) as archive:
                    archive.extractall(partial)
                partial.rename(code_dir)
        alias = re.sub(r"\W", "_", f"{self._namespace}_{function.function_name}_{slot}_{top}")
        init = code_dir / top / "__init__.py"
        spec = importlib.util.spec_from_file_location(alias, init, submodule_search_locations=[str(init.parent)])
        if spec is None or spec.loader is None:
            raise RuntimeError(f"{function.function_name}: package {top!r} not found in its code")
        package = importlib.util.module_from_spec(spec)
        sys.modules[alias] = package
        spec.loader.exec_module(package)
        return package

    def unload(self) -> None:
        """Forget every function's modules (the account is going away)."""
        for name in [n for n in sys.modules if n.startswith(self._namespace)]:
            del sys.modules[name]
        self._pools.clear()


def _key(function: LambdaFunction) -> tuple[str, str]:
    return (function.function_arn, function.code_sha_256)


def _execution_thread() -> threading.Thread:
    """The thread that will retry this invocation: a Step Functions execution's (see TaskThread), else this one."""
    caller = threading.current_thread()
    return getattr(caller, "execution_thread", caller)


def _limit(function: LambdaFunction) -> int:
    reserved = function.reserved_concurrency
    return int(reserved) if reserved is not None else UNRESERVED_CONTAINERS


def _log_handlers_writing_to_this_thread() -> None:
    """The function's logger (Powertools: named after POWERTOOLS_SERVICE_NAME) writes through ThreadOutput, so
    each invocation's records land in its own log."""
    logger = logging.getLogger(os.environ.get("POWERTOOLS_SERVICE_NAME", "service_undefined"))
    for handler in logger.handlers:
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler.stream, ThreadOutput):
            handler.setStream(_output)


def _show_warning(message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
    """Lambda sends a function's warnings to its log, not to the caller."""
    if getattr(_invocation, "buffer", None) is not None:
        _invocation.buffer.write(f"{category.__name__}: {message}\n")
    else:
        _original_showwarning(message, category, filename, lineno, file, line)


def _capture_stdout() -> None:
    """Route sys.stdout through ThreadOutput, over whatever stream is current: a test runner may have swapped
    sys.stdout since the last invocation."""
    if not isinstance(sys.stdout, ThreadOutput):
        _output.base = sys.stdout
        sys.stdout = _output


_output = ThreadOutput(sys.stdout)
_original_showwarning = warnings.showwarning


def install(runtime: InProcessRuntime) -> None:
    if not isinstance(os.environ, ThreadEnviron):
        os.environ = ThreadEnviron(os.environ)  # type: ignore[assignment]  # noqa: B003 - wrapped, not replaced

    def _invoke_lambda(self: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
        return runtime.invoke(self, event)

    setattr(LambdaFunction, "_invoke_lambda", _invoke_lambda)  # noqa: B010 - monkeypatching moto, on purpose
    execute_state.Thread = TaskThread  # type: ignore[misc]
    warnings.showwarning = _show_warning


def uninstall() -> None:
    if sys.stdout is _output:
        sys.stdout = _output.base
    warnings.showwarning = _original_showwarning
    if isinstance(os.environ, ThreadEnviron):
        os.environ = os.environ.base  # type: ignore[assignment]  # noqa: B003
    setattr(LambdaFunction, "_invoke_lambda", _original_invoke)  # noqa: B010
    execute_state.Thread = threading.Thread  # type: ignore[misc]
