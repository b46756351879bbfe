"""Data of the key-rotation workflow: the credential report's rows, a user's credentials as read before acting,
the actions a plan holds, and what flows between the states. None of it is secret: a new secret access key
exists only in the function that creates it and in Secrets Manager.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool

UserName = Annotated[str, Field(pattern=r"^[\w+=,.@-]{1,64}$")]
KeyId = Annotated[str, Field(pattern=r"^[A-Z0-9]{16,128}$")]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReportKey(_Frozen):
    """One access-key slot of a credential-report row (the report names no key ids, only slots 1 and 2)."""

    active: bool
    last_rotated: dt.datetime
    last_used: dt.datetime | None


class ReportRow(_Frozen):
    """One IAM user of the credential report."""

    user: str
    arn: str
    path: str
    created: dt.datetime
    password_enabled: bool
    password_last_used: dt.datetime | None
    password_last_changed: dt.datetime | None
    mfa_active: bool
    keys: tuple[ReportKey, ...]


class CredentialReport(_Frozen):
    generated: dt.datetime
    rows: tuple[ReportRow, ...]


class LiveKey(_Frozen):
    """An access key as read just before acting (ListAccessKeys, GetAccessKeyLastUsed)."""

    key_id: str
    active: bool
    created: dt.datetime
    last_used: dt.datetime | None
    # Which version of the user's access-key secret holds it: "current", "previous", or None (not Turnstile's).
    stored_as: str | None = None
    # Turnstile's own records of the key (the table): when it was seen or made inactive, when its user was reminded.
    deactivated_at: dt.datetime | None = None
    reminded_at: dt.datetime | None = None
    rotating_since: dt.datetime | None = None
    # Made by a rotation (the run's time), according to Turnstile's record of it, written right after
    # CreateAccessKey: such a key that no secret version holds is a rotation's half-made key, never the user's.
    made_by_rotation: dt.datetime | None = None

    @property
    def half_made(self) -> bool:
        return self.made_by_rotation is not None and self.stored_as is None


class UserFacts(_Frozen):
    """Everything the rules need about one user, read fresh (the report can be four hours old)."""

    username: str
    path: str
    managed: bool
    exemption: str | None  # the exemption tag's value, if the tag is present
    keys: tuple[LiveKey, ...]
    login_profile_created: dt.datetime | None  # None: no console password
    password_last_used: dt.datetime | None
    has_key_secret: bool
    # Versions of the access-key secret staged AWSPREVIOUS that hold no live key (a deletion that could not
    # unstage its version): nobody should read a key that no longer works.
    stale_previous: tuple[str, ...] = ()


class ActionKind(enum.StrEnum):
    ROTATE = "rotate"  # create a new key, store it as the secret's current version
    DEACTIVATE_OLD = "deactivate-old"  # the replaced key, once the replacement has taken over
    DELETE_OLD = "delete-old"  # the replaced key, `delete_after_days` after its deactivation
    REMIND = "remind"  # a key the user made is nearly due
    DEACTIVATE_SELF_MADE = "deactivate-self-made"  # a key the user made is overdue
    DEACTIVATE_UNUSED = "deactivate-unused"  # a key unused for `disable_unused_after_days` (CIS 1.12)
    REMOVE_UNUSED_PASSWORD = "remove-unused-password"  # noqa: S105 - an action name: a console password unused as long (CIS 1.12)
    REPORT_TWO_KEYS = "report-two-active-keys"
    EXEMPT = "exempt"  # reported, not touched
    WAIT = "wait"  # something is in progress; nothing due yet
    DISCARD_HALF_MADE = "discard-half-made"  # a key a rotation made but never stored (nobody holds its secret)
    UNSTAGE_PREVIOUS = "unstage-previous"  # AWSPREVIOUS off a secret version whose key no longer exists

    @property
    def acts(self) -> bool:
        """Whether a real run does something for it (a reminder is sent and recorded); the others are reported."""
        return self not in {ActionKind.REPORT_TWO_KEYS, ActionKind.EXEMPT, ActionKind.WAIT}


class Action(_Frozen):
    kind: ActionKind
    key_id: str | None = None
    reason: str


class Candidate(_Frozen):
    """A Map item: a user the report says may need something, and why (the per-user step re-reads and decides)."""

    username: UserName
    why: tuple[str, ...]


class RunInput(BaseModel):
    """What a run starts with: the schedule's input, or an operator's (`{"dry_run": false}`)."""

    model_config = ConfigDict(extra="forbid")

    # None: the configuration's default. A boolean only: "false", 0 or "no" for a switch that makes a run change
    # things is refused, not guessed at.
    dry_run: StrictBool | None = None


class RunStart(_Frozen):
    run_id: str
    dry_run: bool
    now: dt.datetime
    duplicate_of: str | None = None


class PlanOutput(_Frozen):
    report_generated: dt.datetime
    users_in_report: int
    managed_path_users: int
    # The users to look at. The Map replaces each with its UserResult, so that the state never holds both
    # (Step Functions' 256 KB limit on state data: README "Key rotation").
    users: tuple[Candidate, ...]
    deferred: int  # flagged users beyond max_users_per_run, left for the next run


class BeginInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    input: RunInput
    execution_id: str
    now: dt.datetime


class UserStepInput(BaseModel):
    model_config = ConfigDict(extra="ignore")

    run: RunStart
    candidate: Candidate


class Outcome(enum.StrEnum):
    ACTED = "acted"
    PLANNED = "planned"  # dry run: what would be done
    NOTHING_DUE = "nothing-due"
    SKIPPED = "skipped"
    FAILED = "failed"


class UserResult(_Frozen):
    """A per-user step's result: small, as the Map collects one per user; the reasons are in the user's audit
    trail and notification."""

    username: str
    outcome: Outcome
    actions: tuple[Annotated[str, Field(max_length=64)], ...] = ()  # "<kind> <key id>" done or planned
    note: Annotated[str, Field(max_length=200)] | None = None


class PlanResults(_Frozen):
    """The plan after the Map: `users` now holds each user's result."""

    report_generated: dt.datetime
    users_in_report: int
    managed_path_users: int
    users: tuple[UserResult, ...]
    deferred: int


class FinishInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    run: RunStart
    plan: PlanResults | None = None
    error: dict[str, str] | None = None
