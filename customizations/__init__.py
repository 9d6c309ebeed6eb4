"""Azure Communication Services Identity: create users, issue scoped access tokens, revoke, delete.

Names are loaded on first use (PEP 562), so ``import azure.communication.identity`` stays cheap
and a process that never builds a client never pays for the pipeline and serializer imports.
"""

from typing import TYPE_CHECKING

from ._version import VERSION

__version__ = VERSION

_EXPORTS = {
    "CommunicationIdentityClient": "._communication_identity_client",
    "ApiVersion": "._api_versions",
    "CommunicationTokenScope": "._scopes",
    "AccessToken": "._models",
    "CommunicationUserDetails": "._models",
    "EntraAssignment": "._entra",
    "EntraPrincipalType": "._entra",
    "CommunicationIdentifier": "._identifiers",
    "CommunicationIdentifierKind": "._identifiers",
    "CommunicationCloudEnvironment": "._identifiers",
    "CommunicationUserIdentifier": "._identifiers",
    "PhoneNumberIdentifier": "._identifiers",
    "MicrosoftTeamsUserIdentifier": "._identifiers",
    "MicrosoftTeamsAppIdentifier": "._identifiers",
    "UnknownIdentifier": "._identifiers",
    "TeamsExtensionUserIdentifier": "._identifiers",
    "TeamsExtensionAssignment": "._teams_extension",
    "TeamsExtensionPrincipalType": "._teams_extension",
    "CommunicationUserProperties": "._identifiers",
    "PhoneNumberProperties": "._identifiers",
    "MicrosoftTeamsUserProperties": "._identifiers",
    "MicrosoftTeamsAppProperties": "._identifiers",
    "TeamsExtensionUserProperties": "._identifiers",
    "identifier_to_raw_id": "._identifiers",
    "identifier_from_raw_id": "._identifiers",
    "parse_connection_string": "._connection_string",
    "decode_access_token": "._token_utils",
    "AccessTokenClaims": "._token_utils",
    "CommunicationTokenCredential": "._token_credential",
}

__all__ = [
    "AccessToken",
    "AccessTokenClaims",
    "ApiVersion",
    "CommunicationCloudEnvironment",
    "CommunicationIdentifier",
    "CommunicationIdentifierKind",
    "CommunicationIdentityClient",
    "CommunicationTokenCredential",
    "CommunicationTokenScope",
    "CommunicationUserDetails",
    "CommunicationUserIdentifier",
    "CommunicationUserProperties",
    "EntraAssignment",
    "EntraPrincipalType",
    "MicrosoftTeamsAppIdentifier",
    "MicrosoftTeamsAppProperties",
    "MicrosoftTeamsUserIdentifier",
    "MicrosoftTeamsUserProperties",
    "PhoneNumberIdentifier",
    "TeamsExtensionAssignment",
    "TeamsExtensionPrincipalType",
    "PhoneNumberProperties",
    "TeamsExtensionUserIdentifier",
    "TeamsExtensionUserProperties",
    "UnknownIdentifier",
    "decode_access_token",
    "identifier_from_raw_id",
    "identifier_to_raw_id",
    "parse_connection_string",
]


def __getattr__(name: str):
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module_name, __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # pragma: no cover - static analysers see the eager imports
    from ._api_versions import ApiVersion
    from ._communication_identity_client import CommunicationIdentityClient
    from ._connection_string import parse_connection_string
    from ._entra import EntraAssignment, EntraPrincipalType
    from ._identifiers import (
        CommunicationCloudEnvironment,
        CommunicationIdentifier,
        CommunicationIdentifierKind,
        CommunicationUserIdentifier,
        CommunicationUserProperties,
        MicrosoftTeamsAppIdentifier,
        MicrosoftTeamsAppProperties,
        MicrosoftTeamsUserIdentifier,
        MicrosoftTeamsUserProperties,
        PhoneNumberIdentifier,
        PhoneNumberProperties,
        TeamsExtensionUserIdentifier,
        TeamsExtensionUserProperties,
        UnknownIdentifier,
        identifier_from_raw_id,
        identifier_to_raw_id,
    )
    from ._models import AccessToken, CommunicationUserDetails
    from ._scopes import CommunicationTokenScope
    from ._teams_extension import TeamsExtensionAssignment, TeamsExtensionPrincipalType
    from ._token_credential import CommunicationTokenCredential
    from ._token_utils import AccessTokenClaims, decode_access_token
