"""The enums and ``properties`` TypedDicts of communication identifiers.

Kept apart from ``_identifiers`` without ``from __future__ import annotations``, so the TypedDicts'
value types are real types at run time, as in the official package.
"""

import warnings
from typing import Any, Union

from azure.core import CaseInsensitiveEnumMeta
from typing_extensions import TypedDict

from ._enums import CaseInsensitiveStrEnum


class _KindMeta(CaseInsensitiveEnumMeta):
    """Case-insensitive member names, plus the deprecated ``MICROSOFT_BOT`` alias of ``MICROSOFT_TEAMS_APP``."""

    def __getattr__(cls, name: str) -> Any:
        if name.upper() == "MICROSOFT_BOT":
            warnings.warn("CommunicationIdentifierKind.MICROSOFT_BOT is deprecated; use MICROSOFT_TEAMS_APP",
                          DeprecationWarning, stacklevel=2)
            return cls._member_map_["MICROSOFT_TEAMS_APP"]
        return super().__getattr__(name)


class CommunicationIdentifierKind(CaseInsensitiveStrEnum, metaclass=_KindMeta):
    """What sort of identity an identifier names."""

    UNKNOWN = "unknown"
    COMMUNICATION_USER = "communication_user"
    PHONE_NUMBER = "phone_number"
    MICROSOFT_TEAMS_USER = "microsoft_teams_user"
    MICROSOFT_TEAMS_APP = "microsoft_teams_app"
    TEAMS_EXTENSION_USER = "teams_extension_user"


class CommunicationCloudEnvironment(CaseInsensitiveStrEnum, metaclass=CaseInsensitiveEnumMeta):
    """The Microsoft cloud a Teams identity lives in."""

    PUBLIC = "PUBLIC"
    DOD = "DOD"
    GCCH = "GCCH"


class CommunicationUserProperties(TypedDict):
    id: str


class PhoneNumberProperties(TypedDict):
    value: str


class MicrosoftTeamsUserProperties(TypedDict):
    user_id: str
    is_anonymous: bool
    cloud: Union[CommunicationCloudEnvironment, str]


class MicrosoftTeamsAppProperties(TypedDict):
    app_id: str
    cloud: Union[CommunicationCloudEnvironment, str]


class TeamsExtensionUserProperties(TypedDict):
    user_id: str
    tenant_id: str
    resource_id: str
    cloud: Union[CommunicationCloudEnvironment, str]
