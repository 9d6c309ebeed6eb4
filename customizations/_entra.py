"""Entra ID assignments: the public types and the local checks of their arguments.

An assignment lets the Entra ID users it covers (one user, the members of a group, or every user of
a tenant) exchange their Entra ID tokens for Communication Services tokens of this resource, through
the client applications it lists. Which api-versions have the operations is the version table's
(2025-03-02-preview only, today).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Dict, List, NamedTuple, Optional, Union

from azure.core import CaseInsensitiveEnumMeta

from ._assignments import client_id_values, entra_id, principal_type_member, principal_type_value
from ._enums import CaseInsensitiveStrEnum
from ._errors import validation_error

LIST, UPDATE, GET, UPSERT, DELETE = ("entraUsersListAssignments", "entraUsersUpdateAssignments",
                                     "entraUsersGetAssignment", "entraUsersCreateOrReplaceAssignment",
                                     "entraUsersDeleteAssignment")


class EntraPrincipalType(CaseInsensitiveStrEnum, metaclass=CaseInsensitiveEnumMeta):
    """What an Entra ID assignment covers. The service's list is extensible: other strings are sent as given."""

    USER = "user"
    GROUP = "group"
    TENANT = "tenant"


class EntraAssignment(NamedTuple):
    """Which Entra ID users may exchange their tokens for this resource's tokens: the ``principal_type``
    (an :class:`EntraPrincipalType`, or the string the service returned) ``object_id`` of ``tenant_id``
    (for a tenant, its own id), through the client applications ``client_ids``."""

    object_id: str
    tenant_id: str
    principal_type: Union[EntraPrincipalType, str]
    client_ids: List[str]


def object_id_value(object_id: object) -> str:
    return entra_id(object_id, "object_id", "objectId")


def assignment_request(wire: Any, tenant_id: object, principal_type: object, client_ids: object,
                       where: str = "") -> Any:
    """The generated request model for an assignment, its arguments checked; ``where`` prefixes the error
    targets (a bulk update's object id, as the service names the fields of its members)."""
    prefix = f"{where}." if where else ""
    return wire.EntraAssignmentRequest(
        tenant_id=entra_id(tenant_id, "tenant_id", prefix + "tenantId"),
        principal_type=principal_type_value(principal_type, EntraPrincipalType, prefix + "principalType"),
        client_ids=client_id_values(client_ids, none_allows_any=False, target=prefix + "clientIds",
                                    empty_hint="an Entra ID assignment only lets its users exchange tokens through "
                                               "the applications it lists"))


def update_body(wire: Any, changes: object) -> Dict[str, Any]:
    """The merge-patch body of a bulk update: object id -> request model, or None to delete."""
    if not isinstance(changes, Mapping):
        raise TypeError(f"changes must be a mapping of object id to an EntraAssignment (or None to delete it), "
                        f"not {type(changes).__name__}")
    body: Dict[str, Any] = {}
    for key, assignment in changes.items():
        object_id = entra_id(key, "each object id in changes", str(key)[:64])
        if object_id in body:
            raise validation_error(f"changes names the object id {object_id} more than once", target=object_id)
        if assignment is None:
            body[object_id] = None
            continue
        if not isinstance(assignment, EntraAssignment):
            raise TypeError(f"changes[{key!r}] must be an EntraAssignment or None (to delete it), "
                            f"not {type(assignment).__name__}")
        # The body has no objectId: a key that disagrees with its assignment is this call's mistake alone.
        if entra_id(assignment.object_id, f"changes[{key!r}].object_id", object_id) != object_id:
            raise ValueError(f"changes[{key!r}] is the assignment of {assignment.object_id}; the key and the "
                             "assignment's object_id must name the same principal")
        body[object_id] = assignment_request(wire, assignment.tenant_id, assignment.principal_type,
                                             assignment.client_ids, where=object_id)
    return body


def to_assignment(model: Any) -> EntraAssignment:
    return EntraAssignment(model.object_id, model.tenant_id,
                           principal_type_member(model.principal_type, EntraPrincipalType),
                           list(model.client_ids or ()))


def to_assignments(models: Optional[Iterable[Any]]) -> List[EntraAssignment]:
    return [to_assignment(model) for model in models or ()]


def updated_assignments(pipeline_response: Any, deserialized: Any, headers: Any) -> List[EntraAssignment]:
    """``cls`` for the generated bulk update: the assignments it wrote (none when the service answers 204)."""
    return to_assignments(deserialized.value if deserialized is not None else None)
