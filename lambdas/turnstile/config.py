"""Turnstile's configuration model: one typed source of truth for the stack and the Lambdas.

The CDK app validates `config/turnstile.yaml` against `TurnstileConfig` at synth time (a bad value
fails `cdk synth` naming the field); the Lambdas receive the parts they need as JSON in environment
variables and parse them back with the same models, so both sides can never disagree on a shape.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from .models.aws_formats import tag_value_problem

IAM_NAME = r"^[\w+=,.@-]+$"
IAM_PATH = r"^/([\x21-\x7e]+/)*$"
# The AWS-managed policy ARN prefix; group policies may name AWS-managed or customer-managed policies.
POLICY_ARN = r"^arn:aws[\w-]*:iam::(aws|\d{12}):policy/[\w+=,.@/-]+$"

GroupName = Annotated[str, Field(pattern=IAM_NAME, min_length=1, max_length=128)]
# The HR event's department and team are matched against these names (at most 128 characters there).
ORG_UNIT_MAX = 128

# User names no hire may get, given or derived (compared case-insensitively, as IAM compares user names):
# names that pass for the account's owner, an administrator, AWS, a support or security function, or Turnstile.
DEFAULT_RESERVED_USERNAMES = (
    "root",
    "admin",
    "administrator",
    "administrators",
    "superuser",
    "sysadmin",
    "aws",
    "amazon",
    "iam",
    "support",
    "helpdesk",
    "security",
    "audit",
    "auditor",
    "billing",
    "system",
    "operator",
    "guest",
    "anonymous",
    "breakglass",
    "break-glass",
    "emergency",
    "turnstile",
)
# A configuration may extend or trim the list, but not below these.
ALWAYS_RESERVED = ("root", "admin", "administrator")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PasswordPolicy(_Strict):
    """The account password policy Turnstile enforces (CIS AWS Foundations 1.8-1.9 defaults)."""

    minimum_password_length: int = Field(14, ge=14, le=128)
    require_symbols: bool = True
    require_numbers: bool = True
    require_uppercase_characters: bool = True
    require_lowercase_characters: bool = True
    allow_users_to_change_password: bool = True
    max_password_age: int = Field(90, ge=1, le=1095)
    password_reuse_prevention: int = Field(24, ge=1, le=24)
    hard_expiry: bool = False

    def to_iam(self) -> dict[str, object]:
        """Keyword arguments for `iam.update_account_password_policy`."""
        return {
            "MinimumPasswordLength": self.minimum_password_length,
            "RequireSymbols": self.require_symbols,
            "RequireNumbers": self.require_numbers,
            "RequireUppercaseCharacters": self.require_uppercase_characters,
            "RequireLowercaseCharacters": self.require_lowercase_characters,
            "AllowUsersToChangePassword": self.allow_users_to_change_password,
            "MaxPasswordAge": self.max_password_age,
            "PasswordReusePrevention": self.password_reuse_prevention,
            "HardExpiry": self.hard_expiry,
        }


class ManagedGroup(_Strict):
    """A group Turnstile creates and may put users in. No other group can ever be granted."""

    managed_policy_arns: list[Annotated[str, Field(pattern=POLICY_ARN)]] = []
    description: str = ""


# An IAM action pattern as a policy's Action element takes it: "service:Action", wildcards allowed, or "*".
ActionPattern = Annotated[str, Field(pattern=r"^(\*|[a-z0-9-]+:[A-Za-z0-9*?]+)$", max_length=128)]


class Team(_Strict):
    groups: list[GroupName] = []


class Department(_Strict):
    """Where a department's people land: groups (plus the team's), IAM path and permissions boundary."""

    groups: list[GroupName] = []
    teams: dict[str, Team] = {}
    path: Annotated[str, Field(pattern=IAM_PATH, max_length=512)] | None = None
    # The department's ceiling: the only actions its people may ever have, whatever their groups grant. Turnstile
    # builds the boundary from it and adds its own denies (no IAM escalation, no Turnstile resources), so a
    # department can narrow the ceiling but never drop those. Absent: the default boundary (everything but them).
    boundary_allows: list[ActionPattern] | None = Field(None, min_length=1)


class HrSource(_Strict):
    event_source: str = Field("hr.system", min_length=1, max_length=256)
    bus_name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$", max_length=256)] = "turnstile-hr"
    # Principals (account ids or role ARNs) allowed to PutEvents on the HR bus.
    publisher_principals: list[Annotated[str, Field(pattern=r"^(\d{12}|arn:aws[\w-]*:iam::\d{12}:role/.+)$")]]
    archive_retention_days: int = Field(90, ge=1, le=3650)
    # The hire's effective_date may lie at most this many days after the event's `time` (a date further out
    # is more likely a typo than a plan; HR can send the event closer to the start date)...
    max_effective_date_days: int = Field(90, ge=0, le=366)
    # ...and at most this many days before it: HR often records a start late, but a hire dated months back is
    # a stale or mistaken record that deserves a person's look rather than a fresh account.
    max_effective_date_age_days: int = Field(30, ge=0, le=366)


class Mfa(_Strict):
    enrolment_deadline_days: int = Field(7, ge=1, le=90)
    # Turnstile creates this group; its policy denies all but MFA self-service while MFA is absent.
    hold_group: GroupName = "turnstile-mfa-required"
    sweep_every_minutes: int = Field(60, ge=5, le=1440)


class Credentials(_Strict):
    """Who hands new users their credentials: only these principals can read the secrets."""

    # Console users who also need programmatic access join this group (Turnstile creates it): it lets them manage
    # their own access keys once signed in with MFA. Turnstile issues keys itself only to programmatic-only users,
    # as CIS AWS Foundations 1.11 asks (no access key set up at user creation for a console user).
    self_service_keys_group: GroupName = "turnstile-self-service-keys"

    reader_principals: list[Annotated[str, Field(pattern=r"^arn:aws[\w-]*:iam::\d{12}:(role|user)/.+$")]] = []


class Rotation(_Strict):
    """Scheduled access-key rotation and unused-credential cleanup (statemachines/key_rotation.asl.json)."""

    # EventBridge Scheduler expression of the run: rate(...) or cron(...), in UTC.
    schedule: str = Field("rate(1 day)", pattern=r"^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$")
    # Keys Turnstile issued (its access-key secret holds them) are replaced at this age...
    rotate_after_days: int = Field(90, ge=2, le=3650)
    # ...the old key is deactivated once its replacement is this old and has been used since it was created...
    deactivate_old_after_days: int = Field(7, ge=1, le=365)
    # ...or, unused, once the replacement is `grace_days` old (the alert says which). Keys a user made themselves
    # are deactivated at rotate_after_days + grace_days, after a reminder `remind_before_days` before rotate_after.
    grace_days: int = Field(14, ge=1, le=365)
    remind_before_days: int = Field(10, ge=0, le=365)
    # A deactivated old key is deleted this long after its deactivation (never a key the user made).
    delete_after_days: int = Field(7, ge=1, le=365)
    # Any key, or console password, unused this long (never used: created this long ago) is disabled (CIS 1.12).
    disable_unused_after_days: int = Field(45, ge=1, le=3650)
    # Users tagged with this key are reported, not touched. Its value is "<expiry YYYY-MM-DD> <reason>"; without
    # both, or once expired, the exemption counts as none.
    exemption_tag: Annotated[str, Field(pattern=r"^[\w.:/=+@-]{1,128}$")] = "turnstile:rotation-exempt"
    # Users acted on at once (IAM's request rate is account-wide; each user is a few calls).
    max_concurrency: int = Field(5, ge=1, le=40)
    # At most this many users per run (the rest wait for the next): bounds a run's blast radius and keeps the
    # plan under Step Functions' 256 KB payload limit (README "Key rotation").
    max_users_per_run: int = Field(500, ge=1, le=1000)
    # Produce, publish and audit the plan, change nothing (a run's input may override it).
    dry_run: bool = True

    @model_validator(mode="after")
    def _ages_are_ordered(self) -> Rotation:
        if self.grace_days < self.deactivate_old_after_days:
            raise ValueError("rotation.grace_days must be at least deactivate_old_after_days")
        if self.remind_before_days >= self.rotate_after_days:
            raise ValueError("rotation.remind_before_days must be less than rotate_after_days")
        return self


class Burst(_Strict):
    """A burst alerts once per window: `threshold` events (or distinct users) with one key within `window_minutes`."""

    threshold: int = Field(ge=2, le=10_000)
    window_minutes: int = Field(ge=1, le=1440)


class Alerting(_Strict):
    """CloudTrail-driven detections (README "Alerting"); the detections themselves are in domain/detections.py."""

    # Also import each finding into Security Hub (ASFF, BatchImportFindings); Security Hub must be enabled.
    security_hub: bool = False
    signin_failures_per_user: Burst = Burst(threshold=5, window_minutes=15)
    # Distinct user names failing from one source address (password spraying).
    signin_failures_per_address: Burst = Burst(threshold=5, window_minutes=15)
    unauthorized_calls: Burst = Burst(threshold=10, window_minutes=5)
    # Console sign-ins, CloudTrail's own and STS events arrive in the region where they happen: regions listed
    # here get a small stack forwarding them to Turnstile's (IAM's arrive in us-east-1, forwarded as before).
    forward_from_regions: list[Annotated[str, Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")]] = []


class Offboarding(_Strict):
    """The leaver workflow (README "Leavers")."""

    # 0: a terminated user is deleted at once (after its access is revoked); N: kept disabled, tagged with the
    # termination's date and reason, and deleted by the daily sweep N days later.
    retention_days: int = Field(0, ge=0, le=3650)
    # The user's secrets are scheduled for deletion with this recovery window (Secrets Manager: 7-30 days).
    secret_recovery_days: int = Field(7, ge=7, le=30)


class Notifications(_Strict):
    emails: list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]] = []


class LambdaSettings(_Strict):
    # Powertools release whose AWS-published layer the functions use; resolved at deploy time from the
    # public SSM parameter /aws/service/powertools/python/<arch>/python3.13/<version>. Keep it equal to
    # the version pinned in requirements.lock so that what is tested is what runs.
    powertools_version: str = Field("3.37.0", pattern=r"^\d+\.\d+\.\d+$")
    architecture: str = Field("arm64", pattern=r"^(arm64|x86_64)$")
    # Reserved concurrency of each function that writes to IAM: what bounds IAM calls in flight when a burst of
    # hires arrives (IAM's request rate is account-wide). null: no reservation (an account whose Lambda
    # concurrency quota is below 100 plus the reservations cannot deploy any; see the README's "Bursts").
    iam_write_concurrency: int | None = Field(2, ge=1, le=50)

    @property
    def powertools_layer_parameter(self) -> str:
        return f"/aws/service/powertools/python/{self.architecture}/python3.13/{self.powertools_version}"


class Directory(_Strict):
    """What the hire validator needs to turn an HR record into an IAM user: the Lambda-side view."""

    user_path: Annotated[str, Field(pattern=IAM_PATH, max_length=512)]
    default_boundary_arn: str
    self_service_keys_group: str
    department_boundaries: dict[str, str] = {}  # department -> its own boundary's ARN (boundary_allows)
    allowed_groups: list[GroupName]
    departments: dict[str, Department]
    reserved_usernames: list[str]
    max_effective_date_days: int
    max_effective_date_age_days: int


class TurnstileConfig(_Strict):
    """The whole of Turnstile's configuration, as written in config/turnstile.yaml."""

    hr: HrSource
    user_path: Annotated[str, Field(pattern=IAM_PATH, max_length=512)] = "/turnstile/"
    groups: dict[GroupName, ManagedGroup]
    departments: dict[str, Department]
    password_policy: PasswordPolicy = PasswordPolicy()
    mfa: Mfa = Mfa()
    credentials: Credentials = Credentials()
    rotation: Rotation = Rotation()
    notifications: Notifications = Notifications()
    alerting: Alerting = Alerting()
    offboarding: Offboarding = Offboarding()
    lambdas: LambdaSettings = LambdaSettings()
    reserved_usernames: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] = list(
        DEFAULT_RESERVED_USERNAMES
    )

    @field_validator("reserved_usernames")
    @classmethod
    def _keeps_the_always_reserved(cls, value: list[str]) -> list[str]:
        missing = [name for name in ALWAYS_RESERVED if name not in {v.casefold() for v in value}]
        if missing:
            raise ValueError(f"must include {', '.join(ALWAYS_RESERVED)} (missing: {', '.join(missing)})")
        return value

    @field_validator("user_path")
    @classmethod
    def _path_is_not_root(cls, value: str) -> str:
        if value == "/":
            raise ValueError("must not be '/': Turnstile scopes its permissions to its own IAM path")
        return value

    @model_validator(mode="after")
    def _references_resolve(self) -> TurnstileConfig:
        if self.mfa.hold_group in self.groups:
            raise ValueError(f"mfa.hold_group: {self.mfa.hold_group!r} must not also be an allow-listed group")
        if self.credentials.self_service_keys_group in {*self.groups, self.mfa.hold_group}:
            raise ValueError(
                f"credentials.self_service_keys_group: {self.credentials.self_service_keys_group!r} must be a group "
                "of its own"
            )
        _check_org_unit_names("departments", list(self.departments))
        for dept_name, dept in self.departments.items():
            _check_org_unit_names(f"departments.{dept_name}.teams", list(dept.teams))
            named = [("groups", g) for g in dept.groups] + [
                (f"teams.{team_name}.groups", g) for team_name, team in dept.teams.items() for g in team.groups
            ]
            for where, group in named:
                if group not in self.groups:
                    raise ValueError(
                        f"departments.{dept_name}.{where}: group {group!r} is not in the groups allow-list"
                    )
            if dept.path is not None and not dept.path.startswith(self.user_path):
                raise ValueError(
                    f"departments.{dept_name}.path: {dept.path!r} must lie under user_path {self.user_path!r}"
                )
        return self

    def directory(self, default_boundary_arn: str, department_boundaries: dict[str, str] | None = None) -> Directory:
        return Directory(
            user_path=self.user_path,
            default_boundary_arn=default_boundary_arn,
            department_boundaries=department_boundaries or {},
            self_service_keys_group=self.credentials.self_service_keys_group,
            allowed_groups=sorted([*self.groups, self.credentials.self_service_keys_group]),
            departments=self.departments,
            reserved_usernames=self.reserved_usernames,
            max_effective_date_days=self.hr.max_effective_date_days,
            max_effective_date_age_days=self.hr.max_effective_date_age_days,
        )


def _check_org_unit_names(where: str, names: list[str]) -> None:
    """Department and team names become IAM tag values (`turnstile:department`, `turnstile:team`), and HR
    names them case- and space-insensitively, so two names must not match the same HR value."""
    seen: dict[str, str] = {}
    for name in names:
        if not name.strip():
            problem: str | None = "must not be empty"
        elif len(name) > ORG_UNIT_MAX:
            problem = f"longer than {ORG_UNIT_MAX} characters (HR events' limit)"
        else:
            problem = tag_value_problem(name)
        if problem:
            raise ValueError(f"{where}: {name!r} {problem}")
        key = normalise_key(name)
        if key in seen:
            first, second = sorted((seen[key], name))
            raise ValueError(f"{where}: {first!r} and {second!r} are the same name to HR (case and spaces ignored)")
        seen[key] = name


def normalise_key(text: str) -> str:
    """Case- and space-insensitive key used to match HR department and team names."""
    return re.sub(r"\s+", " ", text).strip().casefold()
