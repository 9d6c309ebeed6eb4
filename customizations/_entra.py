"""Entra ID assignments: the public types and the local checks of their arguments.

An assignment lets the Entra ID users it covers (one user, the members of a group, or every user of
a tenant) exchange their Entra ID tokens for Communication Services tokens of this resource, through
the client applications it lists. Which api-versions have the operations is the version table's
(2025-03-02-preview only, today).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any, Dict, List, NamedTuple, Optional, Union

from azure.core import CaseInsensitiveEnumMeta

from ._enums import CaseInsensitiveStrEnum
from ._version_table import API_VERSIONS, VERSIONS, ApiVersion

LIST, UPDATE, GET, UPSERT, DELETE = ("entraUsersListAssignments", "entraUsersUpdateAssignments",
                                     "entraUsersGetAssignment", "entraUsersCreateOrReplaceAssignment",
                                     "entraUsersDeleteAssignment")


class EntraPrincipalType(CaseInsensitiveStrEnum, metaclass=CaseInsensitiveEnumMeta):
    """What an Entra ID assignment covers. The service's list is extensible: other strings are sent as given."""

    USER = "user"
    GROUP = "group"
    TENANT = "tenant"


_BY_VALUE = {member.value: member for member in EntraPrincipalType}


class EntraAssignment(NamedTuple):
    """Which Entra ID users may exchange their tokens for this resource's tokens: the ``principal_type``
    (an :class:`EntraPrincipalType`, or the string the service returned) ``object_id`` of ``tenant_id``
    (for a tenant, its own id), through the client applications ``client_ids``."""

    object_id: str
    tenant_id: str
    principal_type: Union[EntraPrincipalType, str]
    client_ids: List[str]


def require_operation(api_version: str, operation: str, what: str) -> None:
    """Raise ValueError before any request when the version table says ``api_version`` lacks ``operation``."""
    if operation in VERSIONS.get(api_version, {}).get("operations", {}):
        return
    having = [version for version in API_VERSIONS if operation in VERSIONS[version]["operations"]]
    choices = " or ".join(f"ApiVersion.{ApiVersion(version).name}" for version in having)
    raise ValueError(f"{what} needs api_version {' or '.join(having)}; this client speaks {api_version} "
                     f"(pass api_version={choices} to the client)")


def entra_guid(value: object, name: str) -> str:
    """An Entra ID object, tenant or client id (a GUID, as str or uuid.UUID) in its canonical form."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str (an Entra ID GUID), not {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{name} must be an Entra ID GUID such as '72f988bf-86f1-41af-91ab-2d7cd011db47'; "
                         "got an empty string")
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        raise ValueError(f"{name} must be an Entra ID GUID such as '72f988bf-86f1-41af-91ab-2d7cd011db47'; "
                         f"got {value[:64]!r}") from None


def principal_type_value(principal_type: object) -> str:
    """The wire value: a member's (named in any case), or any other non-empty string as given (the service's
    list is extensible, and it decides about values this package does not know)."""
    if not isinstance(principal_type, str):
        raise TypeError(f"principal_type must be an EntraPrincipalType or str, not {type(principal_type).__name__}")
    if not principal_type.strip():
        raise ValueError("principal_type must be a non-empty string such as EntraPrincipalType.USER")
    try:
        return EntraPrincipalType(principal_type).value
    except ValueError:
        return str(principal_type)


def client_id_values(client_ids: object) -> List[str]:
    if isinstance(client_ids, (str, bytes)) or not isinstance(client_ids, Iterable):
        raise TypeError(f"client_ids must be a list of Entra ID client (application) ids, "
                        f"not {type(client_ids).__name__}")
    values = [entra_guid(client_id, "each client id") for client_id in client_ids]
    if not values:
        raise ValueError("client_ids must name at least one client application: an Entra ID assignment only "
                         "lets its users exchange tokens through the applications it lists")
    return list(dict.fromkeys(values))


def assignment_request(wire: Any, tenant_id: object, principal_type: object, client_ids: object) -> Any:
    """The generated request model for an assignment, its arguments checked."""
    return wire.EntraAssignmentRequest(tenant_id=entra_guid(tenant_id, "tenant_id"),
                                       principal_type=principal_type_value(principal_type),
                                       client_ids=client_id_values(client_ids))


def update_body(wire: Any, changes: object) -> Dict[str, Any]:
    """The merge-patch body of a bulk update: object id -> request model, or None to delete."""
    if not isinstance(changes, Mapping):
        raise TypeError(f"changes must be a mapping of object id to an EntraAssignment (or None to delete it), "
                        f"not {type(changes).__name__}")
    body: Dict[str, Any] = {}
    for key, assignment in changes.items():
        object_id = entra_guid(key, "each object id in changes")
        if object_id in body:
            raise ValueError(f"changes names the object id {object_id} more than once")
        if assignment is None:
            body[object_id] = None
            continue
        if not isinstance(assignment, EntraAssignment):
            raise TypeError(f"changes[{key!r}] must be an EntraAssignment or None (to delete it), "
                            f"not {type(assignment).__name__}")
        if entra_guid(assignment.object_id, f"changes[{key!r}].object_id") != object_id:
            raise ValueError(f"changes[{key!r}] is the assignment of {assignment.object_id}; the key and the "
                             "assignment's object_id must name the same principal")
        body[object_id] = assignment_request(wire, assignment.tenant_id, assignment.principal_type,
                                             assignment.client_ids)
    return body


def to_assignment(model: Any) -> EntraAssignment:
    principal = model.principal_type
    return EntraAssignment(model.object_id, model.tenant_id, _BY_VALUE.get(principal, principal),
                           list(model.client_ids or ()))


def to_assignments(models: Optional[Iterable[Any]]) -> List[EntraAssignment]:
    return [to_assignment(model) for model in models or ()]


def updated_assignments(pipeline_response: Any, deserialized: Any, headers: Any) -> List[EntraAssignment]:
    """``cls`` for the generated bulk update: the assignments it wrote (none when the service answers 204)."""
    return to_assignments(deserialized.value if deserialized is not None else None)


def with_status(pipeline_response: Any, deserialized: Any, headers: Any) -> tuple:
    """``cls`` for the generated upsert: the model and whether the service created it (201) or replaced it."""
    return deserialized, pipeline_response.http_response.status_code == 201
