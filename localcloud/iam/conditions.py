"""The Condition element: every operator of "IAM JSON policy elements: Condition operators".

Semantics, from that page and "Conditions with multiple context keys or values" / "Single-valued vs. multivalued
context keys":
- operators AND together, keys under one operator AND together, values of one key OR together;
- a key absent from the request: the condition is false, except for negated operators (StringNotEquals,
  StringNotLike, NumericNotEquals, DateNotEquals, NotIpAddress, ArnNotEquals, ArnNotLike), where it is true;
  `...IfExists` makes it true; `Null` tests presence itself (`true`: the key is absent);
- a negated operator is true when the value matches none of the policy values;
- `ForAllValues:` is true when every request value matches some policy value (true for a missing or empty key);
  `ForAnyValue:` when at least one does (false for a missing or empty key). With a negated operator, "matches"
  is "matches none of the policy values";
- policy variables are resolved in string and ARN operators only; a variable with no value is effectively null:
  it equals nothing, so positive operators do not match it and negated ones do ("Variables and tags").
Operator and qualifier names are matched case-insensitively, as key names are.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import decimal
import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import variables
from .context import RequestContext, as_text, is_multivalued
from .matching import WildcardPattern
from .model import ContextValue


class MalformedPolicy(ValueError):
    """A policy AWS would refuse with MalformedPolicyDocument (so it can only exist through an emulator gap)."""


# A compiled policy value: called with one request value (as given) and the context (for variables).
ValueTest = Callable[[ContextValue, RequestContext], bool]


@dataclass(frozen=True, slots=True)
class Clause:
    """One operator applied to one key, e.g. `"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}`."""

    operator: str  # as written, for reports
    key: str  # lower-case
    qualifier: str | None  # "forallvalues" | "foranyvalue" | None
    if_exists: bool
    negated: bool
    null_check: tuple[bool, ...] | None  # Null: the expected "key is absent" values
    tests: tuple[ValueTest, ...]

    def holds(self, context: RequestContext) -> bool:
        raw = context.get(self.key)
        values: tuple[ContextValue, ...] = (
            () if raw is None else tuple(raw) if is_multivalued(raw) else (raw,)  # type: ignore[arg-type]
        )
        if self.null_check is not None:
            return (not values) in self.null_check
        if not values and self.if_exists:
            return True
        if self.qualifier == "forallvalues":
            return all(self._value_matches(value, context) for value in values)
        if self.qualifier == "foranyvalue":
            return any(self._value_matches(value, context) for value in values)
        if not values:
            return self.negated
        # No qualifier: a multivalued key matches when any of its values matches; negation covers them all.
        return any(test(value, context) for value in values for test in self.tests) != self.negated

    def _value_matches(self, value: ContextValue, context: RequestContext) -> bool:
        return any(test(value, context) for test in self.tests) != self.negated


def compile_conditions(element: Any, *, variables_enabled: bool) -> tuple[Clause, ...]:
    if element is None:
        return ()
    if not isinstance(element, Mapping):
        raise MalformedPolicy(f"Condition must be an object, not {element!r}")
    clauses = []
    for operator, keys in element.items():
        if not isinstance(keys, Mapping):
            raise MalformedPolicy(f"Condition operator {operator} must map keys to values")
        for key, raw_values in keys.items():
            clauses.append(_clause(str(operator), str(key), raw_values, variables_enabled))
    return tuple(clauses)


def _clause(operator: str, key: str, raw_values: Any, variables_enabled: bool) -> Clause:
    name = operator.lower()
    qualifier = None
    if ":" in name:
        qualifier, name = name.split(":", 1)
        if qualifier not in ("forallvalues", "foranyvalue"):
            raise MalformedPolicy(f"unknown condition qualifier in {operator}")
    if_exists = name.endswith("ifexists") and name != "null"
    if if_exists:
        name = name.removesuffix("ifexists")
    values = [_policy_text(v) for v in (raw_values if isinstance(raw_values, list) else [raw_values])]
    if name == "null":
        expected = tuple(v.lower() == "true" for v in values if v.lower() in ("true", "false"))
        return Clause(operator, key.lower(), None, False, False, expected, ())
    if name not in _OPERATORS:
        raise MalformedPolicy(f"unknown condition operator {operator}")
    negated, make_test = _OPERATORS[name]
    tests = tuple(make_test(value, variables_enabled) for value in values)
    return Clause(operator, key.lower(), qualifier, if_exists, negated, None, tests)


def _policy_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# ------------------------------------------------------------------------------------------------------ operators


def _string_equals(value: str, variables_enabled: bool, *, ignore_case: bool = False) -> ValueTest:
    template = variables.parse(value, variables=variables_enabled)
    if not template.has_variables:
        expected = value.casefold() if ignore_case else value

        def static(actual: ContextValue, context: RequestContext) -> bool:
            text = as_text(actual)
            return (text.casefold() if ignore_case else text) == expected

        return static

    def dynamic(actual: ContextValue, context: RequestContext) -> bool:
        rendered = template.text(context.variable)
        if rendered is None:
            return False
        text = as_text(actual)
        return text.casefold() == rendered.casefold() if ignore_case else text == rendered

    return dynamic


def _string_equals_ignore_case(value: str, variables_enabled: bool) -> ValueTest:
    return _string_equals(value, variables_enabled, ignore_case=True)


def _like(value: str, variables_enabled: bool, *, arn: bool) -> ValueTest:
    pattern = WildcardPattern(variables.parse(value, variables=variables_enabled), arn=arn)

    def test(actual: ContextValue, context: RequestContext) -> bool:
        return pattern.matches(as_text(actual), context.variable)

    return test


def _string_like(value: str, variables_enabled: bool) -> ValueTest:
    return _like(value, variables_enabled, arn=False)


def _arn_like(value: str, variables_enabled: bool) -> ValueTest:
    return _like(value, variables_enabled, arn=True)


def _numeric(compare: Callable[[decimal.Decimal, decimal.Decimal], bool]) -> Callable[[str, bool], ValueTest]:
    def make(value: str, variables_enabled: bool) -> ValueTest:
        expected = _number(value)

        def test(actual: ContextValue, context: RequestContext) -> bool:
            number = _number(actual)
            return expected is not None and number is not None and compare(number, expected)

        return test

    return make


def _number(value: Any) -> decimal.Decimal | None:
    if isinstance(value, bool | dt.datetime):
        return None
    try:
        number = decimal.Decimal(str(value).strip())
    except decimal.InvalidOperation:
        return None
    return number if number.is_finite() else None


def _date(compare: Callable[[dt.datetime, dt.datetime], bool]) -> Callable[[str, bool], ValueTest]:
    def make(value: str, variables_enabled: bool) -> ValueTest:
        expected = _moment(value)

        def test(actual: ContextValue, context: RequestContext) -> bool:
            moment = _moment(actual)
            return expected is not None and moment is not None and compare(moment, expected)

        return test

    return make


def _moment(value: Any) -> dt.datetime | None:
    """A date in one of the W3C ISO 8601 forms or in epoch seconds, as an aware UTC datetime."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, bool):
        return None
    elif isinstance(value, int | float) or (isinstance(value, str) and _is_epoch(value)):
        return dt.datetime.fromtimestamp(float(value), dt.UTC)
    elif isinstance(value, str):
        text = value.strip()
        text = {4: text + "-01-01", 7: text + "-01"}.get(len(text), text)  # YYYY and YYYY-MM
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _is_epoch(text: str) -> bool:
    """Epoch seconds, as opposed to ISO forms (which all have a `-` except the bare year YYYY)."""
    digits = text.strip().replace(".", "", 1)
    return digits.isdigit() and len(text.strip()) != 4


def _bool(value: str, variables_enabled: bool) -> ValueTest:
    expected = value.strip().lower()

    def test(actual: ContextValue, context: RequestContext) -> bool:
        return expected in ("true", "false") and as_text(actual).strip().lower() == expected

    return test


def _binary(value: str, variables_enabled: bool) -> ValueTest:
    expected = _decoded(value)

    def test(actual: ContextValue, context: RequestContext) -> bool:
        text = as_text(actual)
        got = _decoded(text)
        return expected is not None and (got == expected or text.encode() == expected)

    return test


def _decoded(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _ip(value: str, variables_enabled: bool) -> ValueTest:
    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None
    try:
        network = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        network = None

    def test(actual: ContextValue, context: RequestContext) -> bool:
        try:
            address = ipaddress.ip_address(as_text(actual).strip())
        except ValueError:
            return False
        return network is not None and address.version == network.version and address in network

    return test


_OPERATORS: dict[str, tuple[bool, Callable[[str, bool], ValueTest]]] = {
    "stringequals": (False, _string_equals),
    "stringnotequals": (True, _string_equals),
    "stringequalsignorecase": (False, _string_equals_ignore_case),
    "stringnotequalsignorecase": (True, _string_equals_ignore_case),
    "stringlike": (False, _string_like),
    "stringnotlike": (True, _string_like),
    "numericequals": (False, _numeric(lambda a, b: a == b)),
    "numericnotequals": (True, _numeric(lambda a, b: a == b)),
    "numericlessthan": (False, _numeric(lambda a, b: a < b)),
    "numericlessthanequals": (False, _numeric(lambda a, b: a <= b)),
    "numericgreaterthan": (False, _numeric(lambda a, b: a > b)),
    "numericgreaterthanequals": (False, _numeric(lambda a, b: a >= b)),
    "dateequals": (False, _date(lambda a, b: a == b)),
    "datenotequals": (True, _date(lambda a, b: a == b)),
    "datelessthan": (False, _date(lambda a, b: a < b)),
    "datelessthanequals": (False, _date(lambda a, b: a <= b)),
    "dategreaterthan": (False, _date(lambda a, b: a > b)),
    "dategreaterthanequals": (False, _date(lambda a, b: a >= b)),
    "bool": (False, _bool),
    "binaryequals": (False, _binary),
    "ipaddress": (False, _ip),
    "notipaddress": (True, _ip),
    "arnequals": (False, _arn_like),
    "arnlike": (False, _arn_like),
    "arnnotequals": (True, _arn_like),
    "arnnotlike": (True, _arn_like),
}
