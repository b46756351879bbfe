"""Every authorization decision of a run, and a readable report of them: who asked, for which action on which
resource, during which API call, and the statement that allowed or denied it (or why nothing did)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .model import Decision, Request

log = logging.getLogger("localcloud.iam")


@dataclass(frozen=True)
class Record:
    when: dt.datetime
    call: str  # the API call that needed it, e.g. "dynamodb:PutItem" (or "EventBridge delivery")
    request: Request
    decision: Decision
    via: str | None = None  # KMS used by this service for the caller

    @property
    def allowed(self) -> bool:
        return self.decision.allowed

    @property
    def principal(self) -> str:
        return self.request.principal.arn

    def as_dict(self) -> dict[str, str | None]:
        return {
            "time": self.when.isoformat(),
            "verdict": "allow" if self.allowed else "deny",
            "principal": self.principal,
            "principal_arn": self.request.principal.principal_arn,
            "action": self.request.action,
            "resource": self.request.resource,
            "call": self.call,
            "via": self.via,
            "why": why(self.decision),
        }

    def line(self) -> str:
        """One line: time, verdict, principal, action, resource, and the statement(s) that decided."""
        verdict = "ALLOW" if self.allowed else "DENY "
        via = f" via {self.via}" if self.via else ""
        call = f" [{self.call}{via}]" if self.call != self.request.action else via
        return (
            f"{self.when:%H:%M:%S} {verdict} {self.principal} {self.request.action} on {self.request.resource}"
            f"{call}: {why(self.decision)}"
        )


def why(decision: Decision) -> str:
    if decision.denied_by is not None:
        return f"denied by {decision.denied_by}"
    if not decision.allowed:
        return decision.reason.removeprefix("because ")
    if not decision.allowed_by:
        return "allowed (no policy needed)"
    return "allowed by " + "; ".join(str(ref) for ref in decision.allowed_by)


class DecisionLog:
    """Decisions in the order they were made (thread-safe); each denial is also logged as one warning line."""

    def __init__(self, clock: Callable[[], dt.datetime] | None = None) -> None:
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._records: list[Record] = []
        self._lock = threading.Lock()

    def record(self, call: str, request: Request, decision: Decision, via: str | None = None) -> Record:
        entry = Record(self._clock(), call, request, decision, via)
        with self._lock:
            self._records.append(entry)
        if not decision.allowed:
            log.warning("IAM %s", entry.line())
        return entry

    @property
    def decisions(self) -> list[Record]:
        with self._lock:
            return list(self._records)

    def select(
        self,
        *,
        principal: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        denied: bool | None = None,
        include_root: bool = True,
    ) -> list[Record]:
        """Decisions whose principal ARN contains `principal`, made between `since` and `until`, denied or allowed
        (`include_root=False`: without the account root's, i.e. the deployer's and the tests' own calls)."""
        return [
            r
            for r in self.decisions
            if (principal is None or principal in r.principal or principal in r.request.principal.principal_arn)
            and (since is None or r.when >= since)
            and (until is None or r.when <= until)
            and (denied is None or r.allowed != denied)
            and (include_root or r.request.principal.type != "Root")
        ]

    def denied(self) -> list[Record]:
        return self.select(denied=True)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    def dump(self, path: str, **selection: object) -> None:
        """Append the selected decisions to `path`, one JSON object a line (e.g. every denial of a test run)."""
        with open(path, "a", encoding="utf-8") as out:
            for entry in self.select(**selection):  # type: ignore[arg-type]
                out.write(json.dumps(entry.as_dict()) + "\n")

    def render(self, records: Iterable[Record] | None = None, **selection: object) -> str:
        """A readable report: one line per decision, grouped by principal in order of first appearance."""
        chosen = list(records) if records is not None else self.select(**selection)  # type: ignore[arg-type]
        groups: dict[str, list[Record]] = {}
        for entry in chosen:
            groups.setdefault(entry.request.principal.principal_arn, []).append(entry)
        lines: list[str] = []
        for principal, entries in groups.items():
            denials = sum(not e.allowed for e in entries)
            lines.append(f"{principal}: {len(entries)} decisions, {denials} denied")
            lines += [f"  {e.line()}" for e in entries]
        return "\n".join(lines) if lines else "(no authorization decisions)"
