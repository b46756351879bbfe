"""Deciding a request as AWS documents it (IAM User Guide, "Policy evaluation logic" and "Determining whether a
request is allowed or denied within an account"; "Permissions boundaries for IAM entities"; "Cross-account policy
evaluation logic"). Organizations SCPs/RCPs and VPC endpoint policies are not modelled.

1. An explicit Deny in any policy that applies (identity, resource, boundary, session) denies.
2. Root of the account: allowed, unless a policy that must allow (KMS key policy, trust policy) does not.
   A service principal or anonymous caller: only resource-based policies can allow it.
3. An IAM user or role session in the resource's account is allowed through any of these paths:
   - a resource-based Allow naming it directly (user ARN, session ARN, `*`): an implicit deny in identity
     policies, the boundary or session policies does not limit it;
   - a resource-based Allow naming its role ARN: limited by the boundary and session policies, not by identity;
   - an identity-based Allow, within the boundary and the session policies; when the resource policy must allow
     (`resource_policy_required`), it must also allow, possibly by naming only the account (delegation).
   A resource-based Allow naming only the account delegates to identity policies and grants nothing by itself.
4. Across accounts (the resource's account, from its policy or its ARN, is not the caller's), both the resource
   policy (any form naming the caller) and the caller's identity side (identity ∩ boundary ∩ session) must allow.
`allowed_by` lists the Allow statements of every path that allowed; `denied_by` the explicit Deny, if any.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .context import RequestContext
from .matching import Grant
from .model import Decision, Policy, PolicyKind, Request, StatementRef
from .statements import Statement, compiled_policy

_DENY_ORDER: tuple[PolicyKind, ...] = ("resource", "identity", "boundary", "session")
_EXPLICIT = {
    "identity": "with an explicit deny in an identity-based policy",
    "boundary": "with an explicit deny in a permissions boundary",
    "resource": "with an explicit deny in a resource-based policy",
    "session": "with an explicit deny in a session policy",
}
_NO_ALLOW = {
    "identity": "because no identity-based policy allows the {} action",
    "boundary": "because no permissions boundary allows the {} action",
    "resource": "because no resource-based policy allows the {} action",
    "session": "because no session policy allows the {} action",
}


@dataclass(frozen=True, slots=True)
class _Match:
    ref: StatementRef
    grant: Grant | None  # resource-based Allow statements: how the Principal names the caller


def evaluate(request: Request, policies: Sequence[Policy], *, resource_policy_required: bool = False) -> Decision:
    """Decide `request` under `policies` (all that apply to it: the caller's identity policies, its boundary and
    session policies, and the resource's policy). `resource_policy_required` is for resources whose own policy must
    allow (KMS key policies, role trust policies). Policy documents are compiled once and must not be mutated."""
    context = RequestContext(request)
    principal = request.principal
    iam_principal = principal.type in ("IAMUser", "AssumedRole")
    kinds = {p.kind for p in policies}
    has_boundary = iam_principal and "boundary" in kinds
    allows: dict[PolicyKind, list[_Match]] = {"identity": [], "boundary": [], "resource": [], "session": []}

    for policy in sorted(policies, key=lambda p: _DENY_ORDER.index(p.kind)):
        kind = policy.kind
        if kind != "resource" and not iam_principal:
            continue  # root, services and anonymous callers have no identity, boundary or session policies
        for statement in compiled_policy(policy.document).statements:
            grant = _principal_grant(statement, request, has_boundary) if kind == "resource" else None
            if (kind == "resource" and grant is None) or not statement.applies(request, context):
                continue
            ref = StatementRef(kind, policy.source, statement.index, statement.sid, statement.effect)
            if statement.effect == "Deny":
                return Decision(False, _EXPLICIT[kind], denied_by=ref)
            allows[kind].append(_Match(ref, grant))

    resource = allows["resource"]
    if resource_policy_required and not resource:
        return _implicit("resource", request)
    if principal.type == "Root":
        return Decision(True, allowed_by=_refs(resource))
    if not iam_principal:
        return Decision(True, allowed_by=_refs(resource)) if resource else _implicit("resource", request)
    return _decide_iam_principal(request, policies, allows, resource_policy_required)


def _decide_iam_principal(
    request: Request,
    policies: Sequence[Policy],
    allows: dict[PolicyKind, list[_Match]],
    resource_policy_required: bool,
) -> Decision:
    owner = _resource_account(request, policies)
    cross_account = owner is not None and owner != request.principal.account
    resource = allows["resource"]
    identity = allows["identity"]
    limits = [*allows["boundary"], *allows["session"]]
    within_boundary = not any(p.kind == "boundary" for p in policies) or bool(allows["boundary"])
    within_session = not any(p.kind == "session" for p in policies) or bool(allows["session"])

    if cross_account:
        if not resource:
            return _implicit("resource", request)
        direct: list[_Match] = []
        through_role: list[_Match] = []
    else:
        direct = [m for m in resource if m.grant == "direct"]
        through_role = [m for m in resource if m.grant == "role"]
    paths: list[list[_Match]] = []
    if direct:
        paths.append(direct)
    if through_role and within_boundary and within_session:
        paths.append([*through_role, *limits])
    if identity and within_boundary and within_session:
        needs_resource = cross_account or resource_policy_required
        paths.append([*identity, *limits, *(resource if needs_resource else [])])
    if paths:
        return Decision(True, allowed_by=_refs([m for path in paths for m in path]))
    if not identity and not through_role:
        return _implicit("identity", request)
    return _implicit("boundary" if not within_boundary else "session", request)


def _principal_grant(statement: Statement, request: Request, has_boundary: bool) -> Grant | None:
    """How a resource-policy statement's Principal/NotPrincipal names the caller (None: it does not)."""
    if statement.principal is None:
        return None
    principal = request.principal
    if not statement.not_principal:
        return statement.principal.grant(principal)
    deny = statement.effect == "Deny"
    # "Permissions boundaries" page: a Deny with NotPrincipal always denies an IAM principal that has a boundary.
    if deny and has_boundary:
        return "direct"
    return None if statement.principal.excludes(principal, deny=deny) else "direct"


def _resource_account(request: Request, policies: Sequence[Policy]) -> str | None:
    """The account owning the resource: as its policy says, else the account segment of its ARN (12 digits: not the
    `aws` of AWS managed policies, nor the empty segment of S3 buckets, which count as the caller's)."""
    for policy in policies:
        if policy.kind == "resource" and policy.resource_account:
            return policy.resource_account
    segments = request.resource.split(":", 5)
    if len(segments) == 6 and len(segments[4]) == 12 and segments[4].isdigit():
        return segments[4]
    return None


def _implicit(kind: PolicyKind, request: Request) -> Decision:
    return Decision(False, _NO_ALLOW[kind].format(request.action))


def _refs(matches: list[_Match]) -> tuple[StatementRef, ...]:
    return tuple(dict.fromkeys(m.ref for m in matches))
