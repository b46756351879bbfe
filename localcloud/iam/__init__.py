"""IAM authorization for the local cloud, as AWS evaluates it: `evaluate(request, policies)` -> Decision.

The evaluator (`evaluation` and the modules it uses: `statements`, `matching`, `conditions`, `variables`,
`context`) is pure logic, no moto: the adapter (`localcloud.adapters.authorization`) says who called, which action
on which resource, and which policies apply; the evaluator decides, and names the statement that decided.
"""

from .conditions import MalformedPolicy
from .evaluation import evaluate
from .model import (
    ContextValue,
    Decision,
    Policy,
    PolicyKind,
    Principal,
    PrincipalType,
    Request,
    StatementRef,
)

__all__ = [
    "ContextValue",
    "Decision",
    "MalformedPolicy",
    "Policy",
    "PolicyKind",
    "Principal",
    "PrincipalType",
    "Request",
    "StatementRef",
    "evaluate",
]
