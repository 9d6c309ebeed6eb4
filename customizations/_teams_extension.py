"""Teams Phone extensibility assignments: the public types and the local checks of their arguments.

An assignment lets a Teams Phone user (or resource account) of an Entra ID tenant exchange its
Entra ID token for a Communication Services token of this resource, optionally through the listed
client applications only. Which api-versions have the operations is the version table's.
"""

from __future__ import annotations

from typing import Any, List, NamedTuple, Optional, Union

from azure.core import CaseInsensitiveEnumMeta

from ._assignments import client_id_values, entra_id, principal_type_member, principal_type_value
from ._enums import CaseInsensitiveStrEnum

GET, UPSERT, DELETE = "teamsExtensionGetAssignment", "teamsExtensionCreateOrReplaceAssignment", \
    "teamsExtensionDeleteAssignment"


class TeamsExtensionPrincipalType(CaseInsensitiveStrEnum, metaclass=CaseInsensitiveEnumMeta):
    """What an assignment is for. The service's list is extensible: other strings are sent as given."""

    USER = "user"
    RESOURCE_ACCOUNT = "resourceAccount"


class TeamsExtensionAssignment(NamedTuple):
    """Who may exchange Entra ID tokens for this resource's tokens: ``principal_type`` (a
    :class:`TeamsExtensionPrincipalType`, or the string the service returned) ``object_id`` of
    ``tenant_id``, through ``client_ids`` only (None: any client application)."""

    object_id: str
    tenant_id: str
    principal_type: Union[TeamsExtensionPrincipalType, str]
    client_ids: Optional[List[str]]


def principal_ids(tenant_id: object, object_id: object) -> tuple:
    """The (tenant id, object id) path of an assignment, checked and canonical."""
    return entra_id(tenant_id, "tenant_id", "tenantId"), entra_id(object_id, "object_id", "objectId")


def assignment_request(wire: Any, principal_type: object, client_ids: object) -> Any:
    """The generated request model for an assignment, its arguments checked."""
    return wire.TeamsExtensionAssignmentRequest(
        principal_type=principal_type_value(principal_type, TeamsExtensionPrincipalType),
        client_ids=client_id_values(client_ids, none_allows_any=True,
                                    empty_hint="pass None to allow any client application"))


def to_assignment(model: Any) -> TeamsExtensionAssignment:
    client_ids = model.client_ids
    return TeamsExtensionAssignment(model.object_id, model.tenant_id,
                                    principal_type_member(model.principal_type, TeamsExtensionPrincipalType),
                                    None if client_ids is None else list(client_ids))
