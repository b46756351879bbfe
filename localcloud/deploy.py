"""Deploy a synthesized cloud assembly (cdk.out) into the emulated account, as `cdk deploy` would.

Emulates `cdk bootstrap` (the version parameter, the asset bucket) and asset publishing (zip or file
assets to their object keys), then creates the stack through CloudFormation. Every template resource
the emulator cannot create is reported by logical id and type.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .adapters import public_parameters
from .adapters.cfn_resources import supported_types

BOOTSTRAP_QUALIFIER = "hnb659fds"
BOOTSTRAP_VERSION = "30"
# Public parameters AWS publishes in every region; the emulated account holds local stand-ins.
PUBLIC_PARAMETER_PREFIX = "/aws/service/"


class DeploymentFailed(RuntimeError):
    """The stack did not reach CREATE_COMPLETE, or the template holds resources that were not created."""


@dataclass
class Deployment:
    stack_name: str
    outputs: dict[str, str]
    resources: dict[str, dict[str, str]]  # logical id -> {type, physical_id}
    unsupported: list[str] = field(default_factory=list)

    def physical_id(self, logical_prefix: str) -> str:
        matches = [r["physical_id"] for lid, r in self.resources.items() if lid.startswith(logical_prefix)]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources start with {logical_prefix!r}")
        return matches[0]


def zip_directory(directory: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(directory).as_posix())
    return buffer.getvalue()


def bootstrap(ssm: Any, s3: Any, account: str, region: str) -> str:
    """What `cdk bootstrap` leaves behind that a deployment reads: the version parameter and the asset bucket."""
    ssm.put_parameter(
        Name=f"/cdk-bootstrap/{BOOTSTRAP_QUALIFIER}/version", Value=BOOTSTRAP_VERSION, Type="String", Overwrite=True
    )
    bucket = f"cdk-{BOOTSTRAP_QUALIFIER}-assets-{account}-{region}"
    if region == "us-east-1":
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    return bucket


def publish_assets(s3: Any, assembly: Path, stack_name: str, bucket: str) -> list[str]:
    manifest = json.loads((assembly / f"{stack_name}.assets.json").read_text())
    published = []
    for asset in manifest.get("files", {}).values():
        source = assembly / asset["source"]["path"]
        body = zip_directory(source) if asset["source"].get("packaging") == "zip" else source.read_bytes()
        for destination in asset["destinations"].values():
            s3.put_object(Bucket=bucket, Key=destination["objectKey"], Body=body)
            published.append(destination["objectKey"])
    return published


def seed_public_parameters(template: dict[str, Any], account: str, region: str) -> list[str]:
    """Stand-ins for AWS's public SSM parameters the template resolves (e.g. the Powertools layer ARN)."""
    seeded = []
    for parameter in template.get("Parameters", {}).values():
        name = parameter.get("Default", "")
        if parameter.get("Type", "").startswith("AWS::SSM::Parameter::Value") and name.startswith(
            PUBLIC_PARAMETER_PREFIX
        ):
            value = public_parameter_value(name, region)
            public_parameters.seed(account, region, name, value)
            seeded.append(name)
    return seeded


def public_parameter_value(name: str, region: str) -> str:
    parts = name.split("/")  # /aws/service/powertools/python/<arch>/python3.13/<version>
    if name.startswith("/aws/service/powertools/python/") and len(parts) == 8:
        arch, runtime = parts[5], parts[6].replace(".", "")
        return f"arn:aws:lambda:{region}:017000801446:layer:AWSLambdaPowertoolsPythonV3-{runtime}-{arch}:1"
    raise DeploymentFailed(f"no local stand-in for public parameter {name}")


def deploy(clients: dict[str, Any], assembly: Path, stack_name: str, account: str, region: str) -> Deployment:
    template_path = assembly / f"{stack_name}.template.json"
    template = json.loads(template_path.read_text())
    unsupported = sorted(
        f"{lid} ({r['Type']})"
        for lid, r in template["Resources"].items()
        if r["Type"] not in supported_types() and not r["Type"].startswith("Custom::")
    )
    if unsupported and not os.environ.get("LOCALCLOUD_ALLOW_UNSUPPORTED"):
        raise DeploymentFailed("the local cloud cannot create: " + ", ".join(unsupported))

    bucket = bootstrap(clients["ssm"], clients["s3"], account, region)
    publish_assets(clients["s3"], assembly, stack_name, bucket)
    seed_public_parameters(template, account, region)
    cfn = clients["cloudformation"]
    cfn.create_stack(
        StackName=stack_name,
        TemplateBody=template_path.read_text(),
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
    )
    stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    if stack["StackStatus"] != "CREATE_COMPLETE":
        raise DeploymentFailed(f"{stack_name}: {stack['StackStatus']} {stack.get('StackStatusReason', '')}")
    resources = {
        r["LogicalResourceId"]: {"type": r["ResourceType"], "physical_id": r.get("PhysicalResourceId", "")}
        for r in cfn.describe_stack_resources(StackName=stack_name)["StackResources"]
    }
    missing = sorted(set(template["Resources"]) - set(resources))
    if missing:
        raise DeploymentFailed(f"{stack_name}: template resources not created: {missing}")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    return Deployment(stack_name=stack_name, outputs=outputs, resources=resources, unsupported=unsupported)
