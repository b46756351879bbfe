"""Test fixtures built through the emulated account's own API, as the account root.

`user_with_everything`: an IAM user holding one of each thing DeleteUser refuses to delete a user with (IAM API
Reference, DeleteUser: password, access keys, signing certificate, SSH public key, Git credentials, MFA device,
inline policies, attached managed policies, group memberships), plus a permissions boundary: what an offboarding
teardown has to remove, in IAM's order, before DeleteUser succeeds.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import secrets
import string
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyotp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

if TYPE_CHECKING:
    from .cloud import LocalCloud

CODECOMMIT = "codecommit.amazonaws.com"
# The policies it makes grant (and bound to) reading the user itself: harmless, and enough to be real policies.
READ_SELF = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "arn:aws:iam::*:user/${aws:username}"}],
    }
)


@dataclass(frozen=True)
class EverythingUser:
    """What `user_with_everything` made: names, ARNs and ids only, never a secret (no password, secret access key,
    service password, private key or MFA seed)."""

    user_name: str
    user_arn: str
    signing_certificate_id: str
    ssh_public_key_id: str
    service_specific_credential_id: str
    mfa_serial: str
    access_key_ids: tuple[str, str]
    groups: tuple[str, ...]
    managed_policy_arn: str
    inline_policy_name: str
    boundary_arn: str


def self_signed_certificate(common_name: str) -> str:
    """A real self-signed X.509 certificate (PEM) for `common_name`; its private key is thrown away."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def ssh_rsa_public_key(comment: str) -> str:
    """A real `ssh-rsa` public key (OpenSSH format, 2048 bits); its private key is thrown away."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    body = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return f"{body.decode()} {comment}"


def _password() -> str:
    """A password any sensible account password policy accepts (IAM allows up to 128 characters)."""
    alphabet = string.ascii_letters + string.digits
    return "Aa1!" + "".join(secrets.choice(alphabet) for _ in range(28))


def user_with_everything(
    cloud: LocalCloud,
    username: str,
    *,
    path: str = "/",
    groups: Sequence[str] = ("everything-group",),
    managed_policy_arn: str | None = None,
    boundary_arn: str | None = None,
    inline_policy_name: str = "everything-inline",
    tags: dict[str, str] | None = None,
) -> EverythingUser:
    """Create IAM user `username` (or complete it, if it exists) as the account root, holding: a signing certificate
    (a self-signed X.509 certificate), an SSH public key (ssh-rsa), a service-specific credential for CodeCommit, an
    enabled virtual MFA device (enabled with two consecutive TOTP codes from its seed), two access keys, a login
    profile (a random password, not kept), membership in each of `groups` (created if missing), an attached managed
    policy (`managed_policy_arn`, else a customer managed policy "<username>-attached" created for it), an inline
    policy and a permissions boundary (`boundary_arn`, else a policy "<username>-boundary" created for it).
    Returns what it made (ids and names), never a secret."""
    iam = cloud.client("iam")
    try:
        user = iam.get_user(UserName=username)["User"]
    except iam.exceptions.NoSuchEntityException:
        extra: dict[str, Any] = {"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]} if tags else {}
        user = iam.create_user(UserName=username, Path=path, **extra)["User"]

    certificates = iam.list_signing_certificates(UserName=username)["Certificates"]
    certificate_id = (
        certificates[0]["CertificateId"]
        if certificates
        else iam.upload_signing_certificate(UserName=username, CertificateBody=self_signed_certificate(username))[
            "Certificate"
        ]["CertificateId"]
    )
    ssh_keys = iam.list_ssh_public_keys(UserName=username)["SSHPublicKeys"]
    ssh_key_id = (
        ssh_keys[0]["SSHPublicKeyId"]
        if ssh_keys
        else iam.upload_ssh_public_key(UserName=username, SSHPublicKeyBody=ssh_rsa_public_key(username))[
            "SSHPublicKey"
        ]["SSHPublicKeyId"]
    )
    held = iam.list_service_specific_credentials(UserName=username, ServiceName=CODECOMMIT)
    credential_id = (
        held["ServiceSpecificCredentials"][0]["ServiceSpecificCredentialId"]
        if held["ServiceSpecificCredentials"]
        else iam.create_service_specific_credential(UserName=username, ServiceName=CODECOMMIT)[
            "ServiceSpecificCredential"
        ]["ServiceSpecificCredentialId"]
    )
    devices = iam.list_mfa_devices(UserName=username)["MFADevices"]
    mfa_serial = devices[0]["SerialNumber"] if devices else _enable_virtual_mfa(iam, username)

    key_ids = [k["AccessKeyId"] for k in iam.list_access_keys(UserName=username)["AccessKeyMetadata"]]
    while len(key_ids) < 2:
        key_ids.append(iam.create_access_key(UserName=username)["AccessKey"]["AccessKeyId"])
    try:
        iam.get_login_profile(UserName=username)
    except iam.exceptions.NoSuchEntityException:
        iam.create_login_profile(UserName=username, Password=_password())

    for group in groups:
        with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
            iam.create_group(GroupName=group)
        iam.add_user_to_group(GroupName=group, UserName=username)

    attached = managed_policy_arn or _created_policy(iam, cloud.account, f"{username}-attached")
    iam.attach_user_policy(UserName=username, PolicyArn=attached)
    iam.put_user_policy(UserName=username, PolicyName=inline_policy_name, PolicyDocument=READ_SELF)
    boundary = boundary_arn or _created_policy(iam, cloud.account, f"{username}-boundary")
    iam.put_user_permissions_boundary(UserName=username, PermissionsBoundary=boundary)

    return EverythingUser(
        user_name=username,
        user_arn=str(user["Arn"]),
        signing_certificate_id=str(certificate_id),
        ssh_public_key_id=str(ssh_key_id),
        service_specific_credential_id=str(credential_id),
        mfa_serial=str(mfa_serial),
        access_key_ids=(str(key_ids[0]), str(key_ids[1])),
        groups=tuple(groups),
        managed_policy_arn=attached,
        inline_policy_name=inline_policy_name,
        boundary_arn=boundary,
    )


def _enable_virtual_mfa(iam: Any, username: str) -> str:
    """A virtual MFA device named after the user, enabled with two consecutive codes of its TOTP seed."""
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=username)["VirtualMFADevice"]
    seed = device["Base32StringSeed"]
    totp = pyotp.TOTP(seed.decode() if isinstance(seed, bytes) else seed)
    now = time.time()
    iam.enable_mfa_device(
        UserName=username,
        SerialNumber=device["SerialNumber"],
        AuthenticationCode1=totp.at(now - 30),
        AuthenticationCode2=totp.at(now),
    )
    return str(device["SerialNumber"])


def _created_policy(iam: Any, account: str, name: str) -> str:
    try:
        return str(iam.create_policy(PolicyName=name, PolicyDocument=READ_SELF)["Policy"]["Arn"])
    except iam.exceptions.EntityAlreadyExistsException:
        return f"arn:aws:iam::{account}:policy/{name}"
