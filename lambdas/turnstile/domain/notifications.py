"""Messages to the Turnstile topic. They name where a secret is, never what it is."""

from __future__ import annotations

import json
from typing import Any


def publish(sns: Any, topic_arn: str, *, event: str, subject: str, body: dict[str, Any]) -> str:
    message = {"event": event, **body}
    response = sns.publish(
        TopicArn=topic_arn,
        Subject=subject[:100],
        Message=json.dumps(message, indent=2, sort_keys=True, default=str),
        MessageAttributes={"event": {"DataType": "String", "StringValue": event}},
    )
    return str(response["MessageId"])


def onboarding_instructions(
    username: str, console_secret_arn: str | None, key_secret_arn: str | None, *, self_service_key: bool = False
) -> str:
    steps = [f"IAM user {username} is ready."]
    if console_secret_arn:
        steps.append(
            "The temporary console password is in Secrets Manager (console_password_secret_arn); a helpdesk "
            "principal allowed to read it hands it over. It must be changed at first sign-in."
        )
    if key_secret_arn:
        steps.append("The access key is in Secrets Manager (access_key_secret_arn); retrieve it, never e-mail it.")
    steps.append("The user must enrol an MFA device before anything else is allowed.")
    if self_service_key:
        steps.append(
            "Programmatic access: once MFA is enrolled, the user creates their own access key "
            "(IAM > Security credentials); Turnstile issues none to console users (CIS 1.11)."
        )
    return " ".join(steps)
