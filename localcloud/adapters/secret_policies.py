"""Gap: moto stores a secret's resource policy but never evaluates it. Adapter: on GetSecretValue, apply the
policy's explicit Deny statements to the caller (resolved from the request's credentials), as AWS does
before any Allow is considered. Conditions supported: String(Not)Equals / String(Not)Like on aws:PrincipalArn."""

from __future__ import annotations

import fnmatch
import json
from typing import Any

from moto.secretsmanager.exceptions import SecretsManagerClientError
from moto.secretsmanager.responses import SecretsManagerResponse

from .. import identity

_original_get = SecretsManagerResponse.get_secret_value
ACTION = "secretsmanager:GetSecretValue"


class AccessDeniedException(SecretsManagerClientError):
    def __init__(self, message: str) -> None:
        self.code = 400
        super().__init__("AccessDeniedException", message)


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _principal_matches(principal: Any, arn: str) -> bool:
    if principal == "*":
        return True
    aws = _listed(principal.get("AWS", [])) if isinstance(principal, dict) else []
    return "*" in aws or arn in aws


def _condition_holds(condition: dict[str, Any], arn: str) -> bool:
    for operator, pairs in condition.items():
        values = _listed(pairs.get("aws:PrincipalArn", [])) if isinstance(pairs, dict) else []
        if set(pairs) - {"aws:PrincipalArn"}:
            raise NotImplementedError(f"local cloud: condition keys {sorted(pairs)} are not evaluated")
        matched = any(fnmatch.fnmatchcase(arn, v) for v in values) if "Like" in operator else arn in values
        if ("Not" in operator) == matched:
            return False
    return True


def denied_by(policy: str | None, arn: str) -> str | None:
    """The Sid of the Deny statement that applies to `arn` reading the value, if any."""
    for statement in _listed(json.loads(policy).get("Statement", [])) if policy else []:
        if (
            statement.get("Effect") == "Deny"
            and any(fnmatch.fnmatchcase(ACTION, a) for a in _listed(statement.get("Action", [])))
            and _principal_matches(statement.get("Principal"), arn)
            and _condition_holds(statement.get("Condition", {}), arn)
        ):
            return str(statement.get("Sid", "(no Sid)"))
    return None


def get_secret_value(self: SecretsManagerResponse) -> str:
    secret_id = self._get_param("SecretId")
    secret = self.backend.secrets.get(secret_id) if self.backend._is_valid_identifier(secret_id) else None
    if secret is not None:
        caller = identity.user_identity(self.get_access_key(), self.current_account)
        arn = identity.principal_arn(caller)
        statement = denied_by(getattr(secret, "policy", None), arn)
        if statement is not None:
            raise AccessDeniedException(
                f"User: {caller['arn']} is not authorized to perform: {ACTION} on resource: {secret_id} "
                f"with an explicit deny in a resource-based policy ({statement})"
            )
    return str(_original_get(self))


def install() -> None:
    setattr(SecretsManagerResponse, "get_secret_value", get_secret_value)  # noqa: B010 - monkeypatching moto


def uninstall() -> None:
    setattr(SecretsManagerResponse, "get_secret_value", _original_get)  # noqa: B010
