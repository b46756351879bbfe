"""What exists in an account before Turnstile is deployed into it: the helpdesk role that hands credentials over
(the configured secret reader: the KMS key policy names it, so AWS requires it to exist first), the HR
integration's role, the only principal the bus policy takes events from, and an administrators' role (people
with AdministratorAccess, whose work the alerting watches like anyone's). The demo, the tests and the benchmarks
start from this account (config/turnstile.yaml names both roles)."""

from __future__ import annotations

import json

import boto3

from .cloud import LocalCloud

HELPDESK_ROLE = "turnstile-helpdesk"  # credentials.reader_principals
HR_PUBLISHER_ROLE = "hr-integration"  # hr.publisher_principals
ADMINISTRATOR_ROLE = "ops-admin"  # people who administer the account by hand


def prepare(cloud: LocalCloud, bus: str) -> None:
    """Both roles, assumable from the account; the HR role may put events on `bus` (its own policy: the bus
    policy alone does not let a principal of the account in)."""
    iam = cloud.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{cloud.account}:root"}, "Action": "sts:AssumeRole"}
        ],
    }
    for role in (HELPDESK_ROLE, HR_PUBLISHER_ROLE, ADMINISTRATOR_ROLE):
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
    iam.attach_role_policy(RoleName=ADMINISTRATOR_ROLE, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    put_events = {
        "Effect": "Allow",
        "Action": "events:PutEvents",
        "Resource": f"arn:aws:events:{cloud.region}:{cloud.account}:event-bus/{bus}",
    }
    iam.put_role_policy(
        RoleName=HR_PUBLISHER_ROLE,
        PolicyName="put-hr-events",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [put_events]}),
    )


def helpdesk(cloud: LocalCloud) -> boto3.session.Session:
    return cloud.role_session(f"arn:aws:iam::{cloud.account}:role/{HELPDESK_ROLE}", "helpdesk")


def hr_publisher(cloud: LocalCloud) -> boto3.session.Session:
    return cloud.role_session(f"arn:aws:iam::{cloud.account}:role/{HR_PUBLISHER_ROLE}", "hr-integration")


def administrator(cloud: LocalCloud, who: str = "alex") -> boto3.session.Session:
    """A person's session of the administrators' role (CloudTrail: AssumedRole ops-admin/<who>)."""
    return cloud.role_session(f"arn:aws:iam::{cloud.account}:role/{ADMINISTRATOR_ROLE}", who)
