"""Each function's declaration (stacks/function_specs.py) grants exactly the AWS actions its code can call.

The calls are read from the Lambda code itself: starting at a handler, every function it can reach inside the
`turnstile` package is followed (imports resolved statically), and every call on a boto3 client — `iam.create_user`,
`dynamodb.get_paginator("query")`, … — becomes the action IAM authorizes. A permission the code never uses fails
this test as surely as a call the role may not make (which the local cloud's authorization refuses at run time).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from stacks.function_specs import FAILURE_DESTINATION, FUNCTIONS, QUEUE_CONSUMER, declared_actions, handler_of

PACKAGE = Path(__file__).resolve().parents[2] / "lambdas" / "turnstile"
# How Turnstile's code names its clients (domain functions take them as arguments), and their IAM service prefix.
CLIENTS = {
    "iam": "iam",
    "sm": "secretsmanager",
    "sfn": "states",
    "dynamodb": "dynamodb",
    "sns": "sns",
    "securityhub": "securityhub",
}
Function = tuple[str, str]  # (module, function name)
# A call IAM also authorizes as another action: CreateUser with Tags is authorized as iam:TagUser too (the IAM User
# Guide's example "IAM: Create new users only with specific tags" grants both for that reason).
IMPLIED = {"iam:CreateUser": {"iam:TagUser"}}


def module_path(module: str) -> Path:
    parts = module.split(".")[1:]
    path = PACKAGE.joinpath(*parts)
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


@cache
def parsed(module: str) -> ast.Module:
    return ast.parse(module_path(module).read_text())


def resolve(module: str, level: int, name: str | None) -> str:
    base = module.split(".")
    base = base[: len(base) - level] if level else base
    return ".".join([*base, *(name.split(".") if name else [])])


@cache
def imports(module: str) -> dict[str, tuple[str, str | None]]:
    """Local name -> (module, attribute or None for a module alias), for relative imports inside the package."""
    found: dict[str, tuple[str, str | None]] = {}
    package = module if module_path(module).name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in parsed(module).body:
        if isinstance(node, ast.ImportFrom) and node.level:
            source = resolve(package, node.level - 1, node.module)
            for alias in node.names:
                candidate = f"{source}.{alias.name}"
                is_module = module_path(candidate).exists()
                found[alias.asname or alias.name] = (candidate, None) if is_module else (source, alias.name)
    return found


def functions_of(module: str) -> dict[str, ast.FunctionDef]:
    return {n.name: n for n in parsed(module).body if isinstance(n, ast.FunctionDef)}


def callees(module: str, node: ast.AST) -> Iterator[Function]:
    local, imported = functions_of(module), imports(module)
    for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
        func = call.func
        if isinstance(func, ast.Name):
            if func.id in local:
                yield (module, func.id)
            elif func.id in imported and imported[func.id][1] is not None:
                yield (imported[func.id][0], str(imported[func.id][1]))
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            target = imported.get(func.value.id)
            if target is not None and target[1] is None:
                yield (target[0], func.attr)


def aws_calls(node: ast.AST) -> Iterator[str]:
    for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
        func = call.func
        if not isinstance(func, ast.Attribute):
            continue
        # `iam.create_user(...)`, or `ctx.iam.create_user(...)` on a value object that carries the clients
        client = func.value.id if isinstance(func.value, ast.Name) else getattr(func.value, "attr", None)
        if client not in CLIENTS:
            continue
        method = func.attr
        if method == "get_paginator" and call.args and isinstance(call.args[0], ast.Constant):
            method = str(call.args[0].value)
        yield f"{CLIENTS[client]}:{''.join(part.title() for part in method.split('_'))}"


def code_actions(name: str) -> set[str]:
    module, _, function = handler_of(name).rpartition(".")
    seen: set[Function] = set()
    todo: list[Function] = [(module, function)]
    actions: set[str] = set()
    while todo:
        current = todo.pop()
        if current in seen or current[1] not in functions_of(current[0]):
            continue
        seen.add(current)
        node = functions_of(current[0])[current[1]]
        actions |= set(aws_calls(node))
        todo += list(callees(current[0], node))
    actions = {fix_case(a) for a in actions}
    return actions | {implied for a in actions for implied in IMPLIED.get(a, ())}


def fix_case(action: str) -> str:
    """IAM spells a few actions with capitals that snake_case loses."""
    return action.replace("Mfa", "MFA").replace("Ssh", "SSH")


def test_the_reader_finds_calls_through_several_modules() -> None:
    """Guard: the walk really follows handler -> domain -> data access (RollBackHire reaches DeleteUser two
    modules down, and ListUserTags through a paginator)."""
    found = code_actions("RollBackHire")
    assert {"iam:DeleteUser", "iam:ListUserTags", "dynamodb:UpdateItem", "sns:Publish"} <= found
    # ...and through a value object carrying the clients (`ctx.iam.create_access_key`)
    assert {"iam:CreateAccessKey", "secretsmanager:PutSecretValue"} <= code_actions("RotateUserKeys")


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_the_declaration_is_exactly_what_the_code_calls(name: str) -> None:
    platform = (
        {a for a in declared_actions(name) if a.startswith("kms:")} | set(FAILURE_DESTINATION) | set(QUEUE_CONSUMER)
    )
    assert code_actions(name) == declared_actions(name) - platform
