"""Teams Phone extensibility assignments: the public types and the local checks of their arguments.

An assignment lets a Teams Phone user (or resource account) of an Entra ID tenant exchange its
Entra ID token for a Communication Services token of this resource, optionally through the listed
client applications only. Which api-versions have the operations is the version table's.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, List, NamedTuple, Optional, Union

from azure.core import CaseInsensitiveEnumMeta

from ._enums import CaseInsensitiveStrEnum

GET, UPSERT, DELETE = "teamsExtensionGetAssignment", "teamsExtensionCreateOrReplaceAssignment", \
    "teamsExtensionDeleteAssignment"


class TeamsExtensionPrincipalType(CaseInsensitiveStrEnum, metaclass=CaseInsensitiveEnumMeta):
    """What an assignment is for. The service's list is extensible: other strings are sent as given."""

    USER = "user"
    RESOURCE_ACCOUNT = "resourceAccount"


_BY_VALUE = {member.value: member for member in TeamsExtensionPrincipalType}


class TeamsExtensionAssignment(NamedTuple):
    """Who may exchange Entra ID tokens for this resource's tokens: ``principal_type`` (a
    :class:`TeamsExtensionPrincipalType`, or the string the service returned) ``object_id`` of
    ``tenant_id``, through ``client_ids`` only (None: any client application)."""

    object_id: str
    tenant_id: str
    principal_type: Union[TeamsExtensionPrincipalType, str]
    client_ids: Optional[List[str]]


def entra_id(value: object, name: str) -> str:
    """An Entra ID tenant, object or client id (a GUID, str or uuid.UUID) in its canonical form."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str (an Entra ID GUID), not {type(value).__name__}")
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        raise ValueError(f"{name} must be an Entra ID GUID such as '72f988bf-86f1-41af-91ab-2d7cd011db47'; "
                         f"got {value[:64]!r}") from None


def principal_type_value(principal_type: object) -> str:
    if not isinstance(principal_type, str):
        raise TypeError(f"principal_type must be a TeamsExtensionPrincipalType or str, "
                        f"not {type(principal_type).__name__}")
    if not principal_type.strip():
        raise ValueError("principal_type must be a non-empty string such as TeamsExtensionPrincipalType.USER")
    return str(principal_type)


def client_id_values(client_ids: object) -> Optional[List[str]]:
    if client_ids is None:
        return None
    if isinstance(client_ids, (str, bytes)) or not isinstance(client_ids, Iterable):
        raise TypeError(f"client_ids must be a list of Entra ID client ids (or None for any client application), "
                        f"not {type(client_ids).__name__}")
    values = [entra_id(client_id, "each client id") for client_id in client_ids]
    if not values:
        raise ValueError("client_ids must name at least one client id; pass None to allow any client application")
    return list(dict.fromkeys(values))


def to_assignment(model: Any) -> TeamsExtensionAssignment:
    principal = model.principal_type
    client_ids = model.client_ids
    return TeamsExtensionAssignment(model.object_id, model.tenant_id, _BY_VALUE.get(principal, principal),
                                    None if client_ids is None else list(client_ids))


def with_status(pipeline_response: Any, deserialized: Any, headers: Any) -> tuple:
    """``cls`` for the generated upsert: the model and whether the service created it (201) or replaced it."""
    return deserialized, pipeline_response.http_response.status_code == 201
