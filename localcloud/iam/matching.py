"""Matching the Action, Resource and Principal elements (and ARN/string wildcards used by conditions).

- Action/NotAction ("IAM JSON policy elements: Action"): `service:Action` with `*` and `?`, case-insensitive.
- Resource/NotResource ("IAM JSON policy elements: Resource"): case-sensitive; wildcards may be used in any ARN
  segment, but "a wildcard cannot span segments". An ARN has six colon-separated segments and the sixth (the
  resource) is everything after the fifth colon, colons included: so `*` stops at `:` in partition, service,
  region and account, and matches anything (`/` and `:` too) in the resource part, as `log-group:name:*` relies on.
  A lone `*` matches every resource, and is the only pattern that matches the `*` of actions without resources.
  The ARN condition operators compare the same way ("Condition operators": each component checked separately).
- Principal/NotPrincipal ("IAM JSON policy elements: Principal"): no wildcards except a lone `*`
  (`"*"` and `{"AWS": "*"}` are equivalent); an account is named by its id or `arn:aws:iam::<id>:root`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from .model import Principal
from .variables import Piece, Template

ARN_SEGMENTS = 6
Grant = Literal["direct", "role", "account"]


@lru_cache(maxsize=8192)
def compiled(source: str, ignore_case: bool = False) -> re.Pattern[str]:
    return re.compile(source, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def wildcard_regex(pieces: Iterable[Piece], *, arn: bool) -> str:
    """Regex source for rendered pieces: `*`/`?` in policy text are wildcards (segment-bound for ARNs before the
    fifth colon); substituted text is literal. Colons of either kind count towards the ARN segments."""
    out: list[str] = []
    colons = 0
    for text, is_policy_text in pieces:
        for char in text:
            bounded = arn and colons < ARN_SEGMENTS - 1
            if char == ":":
                colons += 1
                out.append(":")
            elif is_policy_text and char == "*":
                out.append("[^:]*" if bounded else ".*")
            elif is_policy_text and char == "?":
                out.append("[^:]" if bounded else ".")
            else:
                out.append(re.escape(char))
    return "".join(out)


@dataclass(frozen=True, slots=True)
class WildcardPattern:
    """A policy string with wildcards (Resource, StringLike, ArnLike), variables resolved per request."""

    template: Template
    arn: bool

    def matches(self, value: str, lookup: Callable[[str], str | None]) -> bool:
        """`lookup(key) -> str | None` resolves variables; one that has no value makes the pattern match nothing."""
        if self.arn and self.template.source == "*":
            return True
        if not self.template.has_variables:
            regex = _static_regex(self.template.source, self.arn)
        else:
            pieces = self.template.render(lookup)
            if pieces is None:
                return False
            regex = _rendered_regex(pieces, self.arn)
        return regex.fullmatch(value) is not None


@lru_cache(maxsize=8192)
def _static_regex(source: str, arn: bool) -> re.Pattern[str]:
    return compiled(wildcard_regex(((source, True),), arn=arn))


@lru_cache(maxsize=8192)
def _rendered_regex(pieces: tuple[Piece, ...], arn: bool) -> re.Pattern[str]:
    return compiled(wildcard_regex(pieces, arn=arn))


@dataclass(frozen=True, slots=True)
class ActionPatterns:
    """An Action/NotAction list, compiled: exact names in a set, wildcard patterns in one regex."""

    everything: bool
    exact: frozenset[str]  # lower-case
    wildcards: re.Pattern[str] | None

    @classmethod
    def compile(cls, patterns: Iterable[str]) -> ActionPatterns:
        patterns = list(patterns)
        exact = frozenset(p.lower() for p in patterns if "*" not in p and "?" not in p)
        globs = [wildcard_regex(((p, True),), arn=False) for p in patterns if "*" in p or "?" in p]
        regex = compiled("|".join(f"(?:{g})" for g in globs), True) if globs else None
        return cls("*" in patterns, exact, regex)

    def matches(self, action: str) -> bool:
        return (
            self.everything
            or action.lower() in self.exact
            or (self.wildcards is not None and self.wildcards.fullmatch(action) is not None)
        )


# ---------------------------------------------------------------------------------------------------- principals


@dataclass(frozen=True, slots=True)
class PrincipalSpec:
    """A parsed Principal/NotPrincipal element."""

    everyone: bool  # "*" or {"AWS": "*"}
    aws: frozenset[str]
    services: frozenset[str]

    @classmethod
    def parse(cls, element: Any) -> PrincipalSpec:
        if element == "*":
            return cls(True, frozenset(), frozenset())
        if not isinstance(element, Mapping):
            raise ValueError(f"Principal must be '*' or an object, not {element!r}")
        aws = frozenset(_strings(element.get("AWS", [])))
        services = frozenset(_strings(element.get("Service", [])))
        # Federated and CanonicalUser principals name nobody this evaluator authenticates.
        return cls("*" in aws, aws - {"*"}, services)

    def grant(self, principal: Principal) -> Grant | None:
        """How this Principal names the caller: directly (the caller's own ARN, a service, or `*`), through the
        caller's role (a session's role ARN), or only through its account; None when it does not name the caller."""
        if self.everyone:
            return "direct"
        if principal.type == "AWSService":
            return "direct" if principal.service in self.services else None
        if principal.type == "Anonymous":
            return None
        if principal.arn in self.aws:
            return "direct"
        if principal.type == "AssumedRole" and principal.principal_arn in self.aws:
            return "role"
        if self.aws & account_names(principal):
            return "direct" if principal.type == "Root" else "account"
        return None

    def excludes(self, principal: Principal, *, deny: bool) -> bool:
        """For NotPrincipal: whether the caller is among the exceptions. "NotPrincipal" page: with Deny, AWS may
        check the account, then the role, then the session, so a caller is exempt only when every one of them is
        listed; with Allow, naming any of them (e.g. the account) leaves the caller out of the grant."""
        if self.everyone:
            return True
        chain = _identity_chain(principal)
        listed = [bool(names & (self.aws | self.services)) for names in chain]
        return bool(chain) and (all(listed) if deny else any(listed))


def account_names(principal: Principal) -> frozenset[str]:
    return frozenset({principal.account, f"arn:{partition(principal)}:iam::{principal.account}:root"})


def partition(principal: Principal) -> str:
    parts = principal.arn.split(":", 2)
    return parts[1] if len(parts) > 2 and parts[0] == "arn" else "aws"


def _identity_chain(principal: Principal) -> list[frozenset[str]]:
    if principal.type == "AWSService":
        return [frozenset({principal.service or ""})]
    if principal.type == "Anonymous":
        return []
    chain = [account_names(principal)]
    if principal.type == "AssumedRole":
        chain.append(frozenset({principal.principal_arn}))
    if principal.type in ("IAMUser", "AssumedRole"):
        chain.append(frozenset({principal.arn}))
    return chain


def _strings(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value]
