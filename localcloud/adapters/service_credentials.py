"""Gap: moto does not implement IAM's service-specific credentials (Git credentials for CodeCommit, Amazon
Keyspaces passwords): Create/List/Update/Reset/DeleteServiceSpecificCredential raise NotImplementedError.
Adapter: the five operations, as IAM answers them, kept on moto's user (so a rename keeps them and DeleteUser's
conflict check sees them, see delete_conflicts):

- CreateServiceSpecificCredential "Generates a set of credentials consisting of a user name and password ...
  You can have a maximum of two sets of service-specific credentials for each supported service per user"
  (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateServiceSpecificCredential.html): a third for the
  same service is LimitExceeded (409; the message is the emulator's, in IAM's "Cannot exceed quota for ..."
  form). The generated ServiceUserName combines "the IAM user's name combined with
  the ID number of the Amazon Web Services account, as in jane-at-123456789012" (ServiceSpecificCredential data
  type, https://docs.aws.amazon.com/IAM/latest/APIReference/API_ServiceSpecificCredential.html). Ids are 21
  characters starting ACCA, IAM's unique-ID prefix for a "Context-specific credential"
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-prefixes).
- The password (ServicePassword) is returned by Create and ResetServiceSpecificCredential only; List returns
  ServiceSpecificCredentialMetadata, which has no password
  (https://docs.aws.amazon.com/IAM/latest/APIReference/API_ServiceSpecificCredentialMetadata.html). CloudTrail
  never records it (cloudtrail.SECRET_FIELDS).
- UpdateServiceSpecificCredential "Sets the status of a service-specific credential to Active or Inactive"
  (https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateServiceSpecificCredential.html).
- An unknown user or credential id is NoSuchEntity (404). A service that has no service-specific credentials is
  refused as IAM refuses it: NoSuchEntity "No such service <name> is supported for Service Specific Credentials"
  (the answer AWS gives, as recorded by emulators tested against AWS, e.g. LocalStack's IAM provider; the API model
  also lists ServiceNotSupported, which IAM does not use here). Supported: CodeCommit and Amazon Keyspaces
  (codecommit.amazonaws.com, cassandra.amazonaws.com). The API-key services (Amazon Bedrock, CloudWatch Logs:
  ServiceCredentialAlias/ServiceCredentialSecret, CredentialAgeDays) are not emulated: they fail loudly.
- UserName omitted (List, Update, Reset, Delete): "the operation assumes the user whose credentials are used to
  call the operation".
"""

from __future__ import annotations

import base64
import os
import secrets
import string
from dataclasses import dataclass
from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.iam import models as iam_models
from moto.iam.exceptions import LimitExceededException, NoSuchEntity, ValidationError
from moto.iam.models import IAMBackend, User
from moto.iam.responses import IamResponse

from .. import identity

SUPPORTED_SERVICES = ("codecommit.amazonaws.com", "cassandra.amazonaws.com")
API_KEY_SERVICES = ("bedrock.amazonaws.com", "logs.amazonaws.com")
PER_USER_PER_SERVICE = 2
STATUSES = ("Active", "Inactive")


@dataclass
class ServiceSpecificCredential:
    credential_id: str
    user_name: str
    service_name: str
    service_user_name: str
    password: str
    create_date: Any
    status: str = "Active"

    def metadata(self) -> dict[str, Any]:
        """ServiceSpecificCredentialMetadata: what List returns (never the password)."""
        return {
            "UserName": self.user_name,
            "Status": self.status,
            "ServiceUserName": self.service_user_name,
            "CreateDate": self.create_date,
            "ServiceSpecificCredentialId": self.credential_id,
            "ServiceName": self.service_name,
        }

    def with_password(self) -> dict[str, Any]:
        """ServiceSpecificCredential: what Create and Reset return."""
        return {**self.metadata(), "ServicePassword": self.password}


def credentials_of(user: User) -> list[ServiceSpecificCredential]:
    """The user's service-specific credentials (kept on moto's user object)."""
    found: list[ServiceSpecificCredential] | None = getattr(user, "service_specific_credentials", None)
    if found is None:
        found = []
        user.service_specific_credentials = found  # type: ignore[attr-defined]
    for credential in found:  # a renamed user (UpdateUser) keeps its credentials, under its new name
        credential.user_name = user.name
    return found


def _new_id() -> str:
    return "ACCA" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(17))


def _new_password() -> str:
    return base64.b64encode(os.urandom(44)).decode()  # 60 characters, AWS-generated and not configurable


def _check_service(name: str) -> None:
    if name in API_KEY_SERVICES:
        raise NotImplementedError(f"local cloud: service-specific API keys ({name}) are not emulated")
    if name not in SUPPORTED_SERVICES:
        raise NoSuchEntity(f"No such service {name} is supported for Service Specific Credentials")


def _user_name(response: IamResponse) -> str | None:
    """The UserName asked for, else the calling IAM user's (None for a caller that is no IAM user)."""
    name = response._get_param("UserName")
    if name:
        return str(name)
    who = identity.user_identity(response.get_access_key(), response.current_account)
    return str(who["userName"]) if who.get("type") == "IAMUser" and who.get("userName") else None


def _find(response: IamResponse) -> tuple[User | None, ServiceSpecificCredential]:
    credential_id = str(response._get_param("ServiceSpecificCredentialId"))
    name = _user_name(response)
    user = response.backend.get_user(name) if name else None  # NoSuchEntity for an unknown user
    for credential in credentials_of(user) if user is not None else []:
        if credential.credential_id == credential_id:
            return user, credential
    raise NoSuchEntity(f"No such credential {credential_id} exists")


def create_service_specific_credential(self: IamResponse) -> ActionResult:
    if self._get_param("CredentialAgeDays") is not None:
        raise NotImplementedError("local cloud: CredentialAgeDays (service-specific API keys) is not emulated")
    service = str(self._get_param("ServiceName"))
    user = self.backend.get_user(str(self._get_param("UserName")))
    _check_service(service)
    held = credentials_of(user)
    if sum(1 for c in held if c.service_name == service) >= PER_USER_PER_SERVICE:
        raise LimitExceededException(
            f"Cannot exceed quota for ServiceSpecificCredentialsPerUser: {PER_USER_PER_SERVICE}"
        )
    credential = ServiceSpecificCredential(
        credential_id=_new_id(),
        user_name=user.name,
        service_name=service,
        service_user_name=f"{user.name}-at-{self.current_account}",
        password=_new_password(),
        create_date=iam_models.utcnow(),
    )
    held.append(credential)
    return ActionResult({"ServiceSpecificCredential": credential.with_password()})


def list_service_specific_credentials(self: IamResponse) -> ActionResult:
    service = self._get_param("ServiceName")
    if service:
        _check_service(str(service))
    all_users = str(self._get_param("AllUsers", "false")).lower() == "true"
    if all_users and self._get_param("UserName"):
        raise ValidationError("AllUsers cannot be specified together with UserName")
    if all_users:
        users = list(self.backend.users.values())
    else:
        name = _user_name(self)
        users = [self.backend.get_user(name)] if name else []
    found = [c.metadata() for user in users for c in credentials_of(user) if not service or c.service_name == service]
    return ActionResult({"ServiceSpecificCredentials": found, "IsTruncated": False})


def update_service_specific_credential(self: IamResponse) -> EmptyResult:
    status = str(self._get_param("Status"))
    if status not in STATUSES:
        raise ValidationError(
            f"1 validation error detected: Value '{status}' at 'status' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(STATUSES)}]"
        )
    _, credential = _find(self)
    credential.status = status
    return EmptyResult()


def reset_service_specific_credential(self: IamResponse) -> ActionResult:
    _, credential = _find(self)
    credential.password = _new_password()  # the previous password stops working at once
    return ActionResult({"ServiceSpecificCredential": credential.with_password()})


def delete_service_specific_credential(self: IamResponse) -> EmptyResult:
    user, credential = _find(self)
    if user is not None:
        credentials_of(user).remove(credential)
    return EmptyResult()


_HANDLERS = {
    "create_service_specific_credential": create_service_specific_credential,
    "list_service_specific_credentials": list_service_specific_credentials,
    "update_service_specific_credential": update_service_specific_credential,
    "reset_service_specific_credential": reset_service_specific_credential,
    "delete_service_specific_credential": delete_service_specific_credential,
}


def install() -> None:
    for name, handler in _HANDLERS.items():
        setattr(IamResponse, name, handler)


def uninstall() -> None:
    for name in _HANDLERS:
        if name in IamResponse.__dict__:
            delattr(IamResponse, name)


def has_any(backend: IAMBackend, user_name: str) -> bool:
    """Whether the user holds any service-specific credential (DeleteUser's conflict check)."""
    return bool(getattr(backend.get_user(user_name), "service_specific_credentials", None))
