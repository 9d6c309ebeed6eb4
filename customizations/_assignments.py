"""What the two assignment families (Teams Phone extensibility, Entra ID) share: their ids, principal
types, client id lists and the created flag of an upsert.

The local checks raise what the service answers such a request with, a 400 ``ValidationError`` whose
``target`` is the wire field (the error is a ``ValueError`` too); a wrong type raises ``TypeError``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from enum import Enum
from typing import Any, List, Optional, Type, Union

from ._errors import validation_error

_EXAMPLE = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def entra_id(value: object, name: str, target: str) -> str:
    """An Entra ID tenant, object or client id (a GUID, str or uuid.UUID) in its canonical form; ``name`` is
    the argument, ``target`` the wire field."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str (an Entra ID GUID), not {type(value).__name__}")
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        got = repr(value[:64]) if value.strip() else "an empty string"
        raise validation_error(f"{name} must be an Entra ID GUID such as '{_EXAMPLE}'; got {got}",
                               target=target) from None


def principal_type_value(principal_type: object, enum_type: Type[Enum], target: str = "principalType") -> str:
    """The wire value: a member's (given as the member, or its value or name in any case), or any other
    non-empty string as given (the service's list is extensible, and it decides about values this package
    does not know, without a warning from here)."""
    if not isinstance(principal_type, str):
        raise TypeError(f"principal_type must be a {enum_type.__name__} or str, not {type(principal_type).__name__}")
    if not principal_type.strip():
        raise validation_error(f"principal_type must be a non-empty string such as {enum_type.__name__}.USER",
                               target=target)
    try:
        return str(enum_type(principal_type).value)
    except ValueError:
        # Another str enum's member (say, EntraPrincipalType.GROUP for Teams Phone extensibility): its value.
        return str(principal_type.value) if isinstance(principal_type, Enum) else str(principal_type)


def principal_type_member(value: Any, enum_type: Type[Enum]) -> Union[Enum, str]:
    """A returned principal type as the member with that exact value, or the string the service sent."""
    return next((member for member in enum_type if member.value == value), value)


def client_id_values(client_ids: object, *, none_allows_any: bool, empty_hint: str,
                     target: str = "clientIds") -> Optional[List[str]]:
    """The client (application) ids as canonical GUIDs, without repeats, in the order given; None stays None
    where the service reads it as "any client application"."""
    if client_ids is None and none_allows_any:
        return None
    if isinstance(client_ids, (str, bytes)) or not isinstance(client_ids, Iterable):
        alternative = " (or None for any client application)" if none_allows_any else ""
        raise TypeError(f"client_ids must be a list of Entra ID client (application) ids{alternative}, "
                        f"not {type(client_ids).__name__}")
    values = [entra_id(client_id, "each client id", target) for client_id in client_ids]
    if not values:
        raise validation_error(f"client_ids must name at least one client id: {empty_hint}", target=target)
    return list(dict.fromkeys(values))


def with_status(pipeline_response: Any, deserialized: Any, headers: Any) -> tuple:
    """``cls`` for a generated upsert: the model and whether the service created it (201) or replaced it."""
    return deserialized, pipeline_response.http_response.status_code == 201
