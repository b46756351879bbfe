"""Gap: moto's CloudFormation gives a log group's `Fn::GetAtt Arn` without the ":*" AWS ends it with
(AWS CloudFormation User Guide, AWS::Logs::LogGroup: "arn:aws:logs:us-east-1:123456789012:log-group:<name>:*").
Policies built from it (a function role's logs:PutLogEvents) would then match no log stream. Adapter: the ARN as
CloudFormation returns it."""

from __future__ import annotations

from moto.logs.models import LogGroup

_original = LogGroup.get_cfn_attribute


def get_cfn_attribute(self: LogGroup, attribute_name: str) -> str:
    if attribute_name == "Arn":
        return f"{self.arn}:*"
    return str(_original(self, attribute_name))


def install() -> None:
    setattr(LogGroup, "get_cfn_attribute", get_cfn_attribute)  # noqa: B010 - monkeypatching moto, on purpose


def uninstall() -> None:
    setattr(LogGroup, "get_cfn_attribute", _original)  # noqa: B010
