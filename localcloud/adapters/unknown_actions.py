"""Gap (server mode): an action moto does not implement raises NotImplementedError, which the HTTP server turns
into a 500 and a full traceback in the console of whoever runs the local cloud. Adapter: answer as AWS answers an
operation it does not know — 400, `InvalidAction` for the query protocol (IAM, STS, SNS, ...), else
`UnknownOperationException` — and log one line. Installed by `LocalCloud.serve()` only: in-process, tests should
still fail loudly on a call the emulator cannot answer.
"""

from __future__ import annotations

import logging
from typing import Any

from moto.core.responses import BaseResponse
from moto.core.utils import get_service_model

from .faults import InjectedFault, serialize_quietly

LOG = logging.getLogger("localcloud")
_original_dispatch = BaseResponse._dispatch


def _dispatch(self: BaseResponse, *args: Any, **kwargs: Any) -> Any:
    try:
        return _original_dispatch(self, *args, **kwargs)
    except NotImplementedError:
        service = getattr(self, "boto3_service_name", "?")
        action = self._get_action() or "?"
        LOG.warning(
            "local cloud: %s %s is not implemented by the emulator; answered as an unknown operation", service, action
        )
        code = "InvalidAction" if get_service_model(service).protocol == "query" else "UnknownOperationException"
        return serialize_quietly(self, InjectedFault(code, f"{action} is not available in the local cloud."))


def install() -> None:
    setattr(BaseResponse, "_dispatch", _dispatch)  # noqa: B010 - monkeypatching moto, on purpose


def uninstall() -> None:
    setattr(BaseResponse, "_dispatch", _original_dispatch)  # noqa: B010
