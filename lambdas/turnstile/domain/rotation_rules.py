"""The key-rotation rules, as pure functions of dates: which users the credential report flags, and what is due
for one user given its credentials as read just before acting.

Two passes on purpose. The report (`candidates`) is cheap and account-wide but can be four hours old and names
no key ids; it only says whom to look at. `due` decides, from a fresh read of that user, what to do — so a key
rotated since the report is not rotated twice, and a key used since is not deactivated as unused.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from ..config import Rotation
from ..models.rotation import (
    Action,
    ActionKind,
    Candidate,
    CredentialReport,
    LiveKey,
    ReportKey,
    ReportRow,
    UserFacts,
)

DAY = dt.timedelta(days=1)
# How long a rotation's invocation can still be running after it created a key: Lambda's longest timeout. A
# half-made key younger than this (or made after the run began) may be about to be stored by another invocation
# (an aborted run's, a retried step's): its user is left alone until a later run.
IN_FLIGHT = dt.timedelta(minutes=15)
# The WAIT of a replaced key found inactive with no deactivation date: informational (its deletion delay starts).
DELETION_COUNTS = "inactive: deletion counts from now"
_EXEMPT_UNTIL = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def days(delta: dt.timedelta) -> int:
    return int(delta / DAY)


def candidates(report: CredentialReport, policy: Rotation, user_path: str, now: dt.datetime) -> list[Candidate]:
    """Users under Turnstile's path that the report says may need something, most overdue active key first.

    Users flagged only for inactive keys come after every other: their keys no longer work, and they include every
    self-made key Turnstile switched off and never deletes (flagged at every run, ever older); sorted by age they
    would take every place of a run at its `max_users_per_run` bound, for good. Among them the youngest keys come
    first: the replaced keys waiting for deletion are days past their deactivation, the self-made ones only grow."""
    flagged = []
    for row in report.rows:
        if not row.path.startswith(user_path):
            continue
        why = _why(row, policy, now)
        if not why:
            continue
        inactive = _inactive_keys_flagged(row, policy, now)
        if len(why) > len(inactive):
            order = (0, -max((now - key.last_rotated for key in row.keys if key.active), default=dt.timedelta(0)))
        else:
            order = (1, min(now - key.last_rotated for key in inactive))
        flagged.append((order, row.user, why))
    flagged.sort(key=lambda entry: (entry[0], entry[1]))
    return [Candidate(username=user, why=tuple(why)) for _, user, why in flagged]


def _inactive_keys_flagged(row: ReportRow, policy: Rotation, now: dt.datetime) -> list[ReportKey]:
    return [k for k in row.keys if not k.active and now - k.last_rotated >= policy.rotate_after_days * DAY]


def _why(row: ReportRow, policy: Rotation, now: dt.datetime) -> list[str]:
    why = []
    for slot, key in enumerate(row.keys, start=1):
        age = now - key.last_rotated
        idle = now - (key.last_used or key.last_rotated)
        if key.active and age >= (policy.rotate_after_days - policy.remind_before_days) * DAY:
            why.append(f"key {slot} is {days(age)} days old")
        if key.active and idle >= policy.disable_unused_after_days * DAY:
            why.append(f"key {slot} unused for {days(idle)} days")
        if not key.active and age >= policy.rotate_after_days * DAY:
            why.append(f"key {slot} inactive, {days(age)} days old")
    if sum(key.active for key in row.keys) == 2:
        why.append("two active keys")
    if row.password_enabled:
        since = row.password_last_used or row.password_last_changed or row.created
        if now - since >= policy.disable_unused_after_days * DAY:
            why.append(f"console password unused for {days(now - since)} days")
    return why


def exemption_of(value: str | None, today: dt.date) -> tuple[bool, str | None]:
    """(exempt, note) from the exemption tag's value "<YYYY-MM-DD> <reason>". Without a reason or a date in exactly
    that form (not 20270101, 2027-W01-1 or 2027-1-1, which Python's ISO parser would also read), or once the date
    has passed, the exemption counts as none (the note says why)."""
    if value is None:
        return False, None
    date_text, _, reason = value.strip().partition(" ")
    try:
        if not _EXEMPT_UNTIL.fullmatch(date_text):
            raise ValueError(date_text)
        until = dt.date.fromisoformat(date_text)
    except ValueError:
        return False, "exemption tag ignored: its value must start with an expiry date (YYYY-MM-DD)"
    reason = "".join(c for c in reason if unicodedata.category(c)[0] not in "CZ" or c == " ").strip()
    if not reason:
        return False, "exemption tag ignored: it gives no reason"
    if until < today:
        return False, f"exemption expired on {until.isoformat()}"
    return True, f"exempt until {until.isoformat()}: {reason[:200]}"


def due(facts: UserFacts, policy: Rotation, now: dt.datetime) -> list[Action]:
    """What is due for one managed user now. At most one action per key, then the password, then the report of
    two active keys. Keys Turnstile did not issue are never deleted."""
    exempt, note = exemption_of(facts.exemption, now.date())
    if exempt:
        return [Action(kind=ActionKind.EXEMPT, reason=str(note))]
    half_made = [k for k in facts.keys if k.half_made]
    in_flight = [k for k in half_made if now - k.created < IN_FLIGHT]
    if in_flight:
        return [
            Action(
                kind=ActionKind.WAIT,
                key_id=key.key_id,
                reason=f"a rotation is in progress: it made this key at {key.created.isoformat()} and has not "
                "stored it yet",
            )
            for key in in_flight
        ]
    actions = [
        Action(
            kind=ActionKind.DISCARD_HALF_MADE,
            key_id=key.key_id,
            reason="made by a rotation that never stored it: nobody holds its secret",
        )
        for key in half_made
    ]
    facts = facts.model_copy(update={"keys": tuple(k for k in facts.keys if not k.half_made)})
    if facts.stale_previous:
        actions.append(
            Action(
                kind=ActionKind.UNSTAGE_PREVIOUS,
                reason="the access-key secret's previous version holds a key that no longer exists",
            )
        )
    current = next((k for k in facts.keys if k.stored_as == "current"), None)
    actions += [action for key in facts.keys if (action := _due_for_key(key, current, facts, policy, now)) is not None]
    if facts.login_profile_created is not None:
        since = facts.password_last_used or facts.login_profile_created
        if now - since >= policy.disable_unused_after_days * DAY:
            actions.append(
                Action(
                    kind=ActionKind.REMOVE_UNUSED_PASSWORD,
                    reason=f"console password unused for {days(now - since)} days (CIS 1.12)",
                )
            )
    active = [k for k in facts.keys if k.active]
    if len(active) == 2:
        rotating = {k.stored_as for k in active} == {"current", "previous"}
        actions.append(
            Action(
                kind=ActionKind.REPORT_TWO_KEYS,
                reason="two active keys" + (" (rotation in progress)" if rotating else ""),
            )
        )
    return actions


def _due_for_key(
    key: LiveKey, current: LiveKey | None, facts: UserFacts, policy: Rotation, now: dt.datetime
) -> Action | None:
    if key.stored_as == "previous" and current is not None:
        return _replaced(key, current, policy, now)
    if not key.active:
        return None  # made inactive by someone (or as unused): deleting it needs a person
    age, idle = now - key.created, now - (key.last_used or key.created)
    if idle >= policy.disable_unused_after_days * DAY:
        used = f"unused for {days(idle)} days" if key.last_used else f"never used, created {days(age)} days ago"
        return Action(kind=ActionKind.DEACTIVATE_UNUSED, key_id=key.key_id, reason=f"{used} (CIS 1.12)")
    if key.stored_as == "current":
        if age < policy.rotate_after_days * DAY:
            return None
        if len(facts.keys) > 1:
            return Action(
                kind=ActionKind.WAIT,
                key_id=key.key_id,
                reason=f"{days(age)} days old, but the user holds two keys: rotation needs one slot free",
            )
        return Action(kind=ActionKind.ROTATE, key_id=key.key_id, reason=f"{days(age)} days old")
    # a key the user made themselves (no Turnstile secret holds it)
    if age >= (policy.rotate_after_days + policy.grace_days) * DAY:
        return Action(
            kind=ActionKind.DEACTIVATE_SELF_MADE,
            key_id=key.key_id,
            reason=f"made by the user, {days(age)} days old: past {policy.rotate_after_days} days and the "
            f"{policy.grace_days}-day grace",
        )
    if age >= (policy.rotate_after_days - policy.remind_before_days) * DAY and key.reminded_at is None:
        return Action(
            kind=ActionKind.REMIND,
            key_id=key.key_id,
            reason=f"made by the user, {days(age)} days old: rotate it before {policy.rotate_after_days} days",
        )
    return None


def _replaced(old: LiveKey, new: LiveKey, policy: Rotation, now: dt.datetime) -> Action | None:
    """The key a rotation replaced: off once the replacement has taken over, deleted after a while."""
    if not old.active:
        if old.deactivated_at is None:
            return Action(kind=ActionKind.WAIT, key_id=old.key_id, reason=DELETION_COUNTS)
        left = old.deactivated_at + policy.delete_after_days * DAY - now
        if left <= dt.timedelta(0):
            return Action(
                kind=ActionKind.DELETE_OLD,
                key_id=old.key_id,
                reason=f"replaced, and inactive for {days(now - old.deactivated_at)} days",
            )
        return None
    replacement_age = now - new.created
    used_since = new.last_used is not None and new.last_used >= new.created
    if used_since and replacement_age >= policy.deactivate_old_after_days * DAY:
        return Action(
            kind=ActionKind.DEACTIVATE_OLD,
            key_id=old.key_id,
            reason=f"replaced by {new.key_id} {days(replacement_age)} days ago, which has been used since",
        )
    if replacement_age >= policy.grace_days * DAY:
        return Action(
            kind=ActionKind.DEACTIVATE_OLD,
            key_id=old.key_id,
            reason=f"grace ran out: replaced by {new.key_id} {days(replacement_age)} days ago, which has NOT "
            "been used — whatever used this key must switch to the secret's current version",
        )
    return None
