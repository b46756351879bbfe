"""Gap: AWS publishes public SSM parameters (e.g. the Powertools layer ARN under /aws/service/powertools/)
that moto does not hold, and moto refuses PutParameter under /aws/. Adapter: add local stand-ins the
way moto loads its own public parameters, straight into the backend's parameter store.
"""

from __future__ import annotations

from moto.core.utils import utcnow
from moto.ssm.models import Parameter, ssm_backends


def seed(account_id: str, region: str, name: str, value: str) -> None:
    store = ssm_backends[account_id][region]._parameters
    if store.get(name):
        return
    store[name].append(
        Parameter(  # type: ignore[abstract]
            account_id=account_id,
            name=name,
            value=value,
            parameter_type="String",
            description="local stand-in for an AWS public parameter",
            allowed_pattern=None,
            keyid=None,
            last_modified_date=utcnow(),
            version=1,
            data_type="text",
        )
    )
