"""Gap: moto's DeleteUser refuses only a user with attached managed or inline policies; it deletes a user that
still has a password, access keys, signing certificates, SSH public keys, service-specific credentials, an MFA
device or group memberships. AWS refuses all of these: "when you delete a user programmatically, you must delete
the items attached to the user manually, or the deletion fails ... remove the following items: Password
(DeleteLoginProfile), Access keys (DeleteAccessKey), Signing certificate (DeleteSigningCertificate), SSH public key
(DeleteSSHPublicKey), Git credentials (DeleteServiceSpecificCredential), Multi-factor authentication (MFA) device
(DeactivateMFADevice, DeleteVirtualMFADevice), Inline policies (DeleteUserPolicy), Attached managed policies
(DetachUserPolicy), Group memberships (RemoveUserFromGroup)", failing with DeleteConflict, HTTP 409: "The request
was rejected because it attempted to delete a resource that has attached subordinate entities. The error message
describes these entities." (IAM API Reference, DeleteUser,
https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteUser.html; the same steps in the IAM User Guide,
"Deleting an IAM user (AWS CLI)", https://docs.aws.amazon.com/IAM/latest/UserGuide/id_users_remove.html).
A permissions boundary is not among them: neither page lists it, so a boundary does not block DeleteUser.

Adapter: DeleteUser checks each kind, in the order of that list, and answers DeleteConflict with the message AWS
gives for it. The messages are AWS's as its callers have reported them (the API reference gives none):
"must delete login profile first" (cloud-custodian/cloud-custodian#1663), "must delete access keys first"
(aws-controllers-k8s/community#2229), "must delete certificates first" (rebuy-de/aws-nuke#671), "must remove
referenced objects first" for SSH public keys and service-specific credentials (rebuy-de/aws-nuke#522, #308),
"must delete MFA device first" (rebuy-de/aws-nuke#281), "must remove users from group first"
(mozilla-services/userplex#17); the two policy messages are moto's own, kept. An MFA device counts while it is
assigned to the user (enabled); a virtual device created but never enabled belongs to no user.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.iam.exceptions import DeleteConflictException
from moto.iam.models import IAMBackend, User

from . import service_credentials

_original_delete_user = IAMBackend.delete_user
PREFIX = "Cannot delete entity, must "


def _groups(backend: IAMBackend, user: User) -> bool:
    return any(user in group.users for group in backend.groups.values())


# (what the user still has, what IAM says), in the order the API reference lists them.
CHECKS: list[tuple[Callable[[IAMBackend, User], Any], str]] = [
    (lambda backend, user: user.password, "delete login profile first."),
    (lambda backend, user: user.access_keys, "delete access keys first."),
    (lambda backend, user: user.signing_certificates, "delete certificates first."),
    (lambda backend, user: user.ssh_public_keys, "remove referenced objects first."),
    (lambda backend, user: service_credentials.credentials_of(user), "remove referenced objects first."),
    (lambda backend, user: user.mfa_devices, "delete MFA device first."),
    (lambda backend, user: user.policies, "delete policies first."),
    (lambda backend, user: user.managed_policies, "detach all policies first."),
    (_groups, "remove users from group first."),
]


def conflicts(backend: IAMBackend, user_name: str) -> list[str]:
    """Every DeleteConflict message that applies to the user now, first one first (what DeleteUser answers)."""
    user = backend.get_user(user_name)
    return [PREFIX + message for has, message in CHECKS if has(backend, user)]


def delete_user(self: IAMBackend, user_name: str) -> None:
    found = conflicts(self, user_name)  # NoSuchEntity for an unknown user, as before
    if found:
        raise DeleteConflictException(found[0])
    _original_delete_user(self, user_name)


def install() -> None:
    IAMBackend.delete_user = delete_user  # type: ignore[method-assign]


def uninstall() -> None:
    IAMBackend.delete_user = _original_delete_user  # type: ignore[method-assign]
