"""Policy documents compiled once into statements that answer "does this statement apply to this request?".

Compilation is cached: by the document object itself (the adapter passes the same parsed dict again), and by its
content for a fresh dict with the same JSON. A statement applies when its Action/NotAction, Resource/NotResource
and Condition all match; Principal/NotPrincipal is matched separately, for resource-based policies only.
A statement without Resource/NotResource (a role trust policy) covers the resource its policy is attached to.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from . import variables
from .conditions import Clause, MalformedPolicy, compile_conditions
from .context import RequestContext
from .matching import ActionPatterns, PrincipalSpec, WildcardPattern
from .model import Request


@dataclass(frozen=True, slots=True)
class Statement:
    index: int
    sid: str | None
    effect: Literal["Allow", "Deny"]
    actions: ActionPatterns
    not_action: bool
    resources: tuple[WildcardPattern, ...] | None  # None: no Resource element
    not_resource: bool
    principal: PrincipalSpec | None  # None: no Principal element
    not_principal: bool
    conditions: tuple[Clause, ...]

    def applies(self, request: Request, context: RequestContext) -> bool:
        """Action, Resource and Condition match (Principal is the caller's business)."""
        if self.actions.matches(request.action) == self.not_action:
            return False
        if self.resources is not None:
            hit = any(p.matches(request.resource, context.variable) for p in self.resources)
            if hit == self.not_resource:
                return False
        return all(clause.holds(context) for clause in self.conditions)


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    statements: tuple[Statement, ...]


def compiled_policy(document: Mapping[str, Any]) -> CompiledPolicy:
    """The compiled form of a policy document, compiled at most once per document content."""
    key = id(document)
    with _lock:
        cached = _by_identity.get(key)
    if cached is not None and cached[0] is document:
        return cached[1]
    policy = _compile_json(json.dumps(document, sort_keys=True, default=str))
    with _lock:
        if len(_by_identity) >= _IDENTITY_CACHE_SIZE:
            _by_identity.clear()
        _by_identity[key] = (document, policy)  # holding the document keeps its id from being reused
    return policy


_IDENTITY_CACHE_SIZE = 4096
_by_identity: dict[int, tuple[Mapping[str, Any], CompiledPolicy]] = {}
_lock = threading.Lock()


@lru_cache(maxsize=4096)
def _compile_json(text: str) -> CompiledPolicy:
    return compile_policy(json.loads(text))


def compile_policy(document: Mapping[str, Any]) -> CompiledPolicy:
    if not isinstance(document, Mapping):
        raise MalformedPolicy(f"a policy document must be an object, not {type(document).__name__}")
    variables_enabled = document.get("Version") == variables.VARIABLES_VERSION
    raw = document.get("Statement", [])
    raw_statements = [raw] if isinstance(raw, Mapping) else list(raw)
    return CompiledPolicy(tuple(_statement(i, s, variables_enabled) for i, s in enumerate(raw_statements)))


def _statement(index: int, raw: Any, variables_enabled: bool) -> Statement:
    if not isinstance(raw, Mapping):
        raise MalformedPolicy(f"statement #{index} must be an object")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise MalformedPolicy(f"statement #{index}: Effect must be Allow or Deny, not {effect!r}")
    actions, not_action = _one_of(raw, "Action", "NotAction", index, required=True)
    resources, not_resource = _one_of(raw, "Resource", "NotResource", index, required=False)
    principal_element, not_principal = _one_of(raw, "Principal", "NotPrincipal", index, required=False)
    try:
        principal = PrincipalSpec.parse(principal_element) if principal_element is not None else None
    except ValueError as error:
        raise MalformedPolicy(f"statement #{index}: {error}") from error
    sid = raw.get("Sid")
    return Statement(
        index=index,
        sid=str(sid) if sid else None,
        effect=effect,
        actions=ActionPatterns.compile(_strings(actions)),
        not_action=not_action,
        resources=None
        if resources is None
        else tuple(
            WildcardPattern(variables.parse(r, variables=variables_enabled), arn=True) for r in _strings(resources)
        ),
        not_resource=not_resource,
        principal=principal,
        not_principal=not_principal,
        conditions=compile_conditions(raw.get("Condition"), variables_enabled=variables_enabled),
    )


def _one_of(raw: Mapping[str, Any], name: str, negated: str, index: int, *, required: bool) -> tuple[Any, bool]:
    if name in raw and negated in raw:
        raise MalformedPolicy(f"statement #{index} has both {name} and {negated}")
    if name in raw:
        return raw[name], False
    if negated in raw:
        return raw[negated], True
    if required:
        raise MalformedPolicy(f"statement #{index} has neither {name} nor {negated}")
    return None, False


def _strings(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value]
