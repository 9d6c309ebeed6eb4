"""Compatibility path ``azure.communication.identity._shared.models`` (official 1.5.0 layout).

The identifiers, their ``properties`` TypedDicts and the raw-id prefixes, as the official package
names them here. The supported path is ``azure.communication.identity``.
"""
# ruff: noqa: F401 - every import here is a re-export under the official module path

from .._identifiers import (
    _ACS_PREFIXES,
    _PHONE_PREFIX,
    _SPOOL_PREFIX,
    _TEAMS_APP_PREFIXES,
    _TEAMS_USER_PREFIXES,
    _TEAMS_VISITOR_PREFIX,
    CommunicationCloudEnvironment,
    CommunicationIdentifier,
    CommunicationIdentifierKind,
    CommunicationUserIdentifier,
    CommunicationUserProperties,
    MicrosoftBotIdentifier,
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
)

#: The deprecated bot identifier under the name the official package gives it here.
_MicrosoftBotIdentifier = MicrosoftBotIdentifier

_PUBLIC, _DOD, _GCCH = CommunicationCloudEnvironment
PHONE_NUMBER_PREFIX = _PHONE_PREFIX
BOT_PREFIX = "28:"
BOT_PUBLIC_CLOUD_PREFIX = TEAMS_APP_PUBLIC_CLOUD_PREFIX = _TEAMS_APP_PREFIXES[_PUBLIC]
BOT_DOD_CLOUD_PREFIX = TEAMS_APP_DOD_CLOUD_PREFIX = _TEAMS_APP_PREFIXES[_DOD]
BOT_GCCH_CLOUD_PREFIX = TEAMS_APP_GCCH_CLOUD_PREFIX = _TEAMS_APP_PREFIXES[_GCCH]
BOT_DOD_CLOUD_GLOBAL_PREFIX = "28:dod-global:"
BOT_GCCH_CLOUD_GLOBAL_PREFIX = "28:gcch-global:"
TEAMS_USER_ANONYMOUS_PREFIX = _TEAMS_VISITOR_PREFIX
TEAMS_USER_PUBLIC_CLOUD_PREFIX = _TEAMS_USER_PREFIXES[_PUBLIC]
TEAMS_USER_DOD_CLOUD_PREFIX = _TEAMS_USER_PREFIXES[_DOD]
TEAMS_USER_GCCH_CLOUD_PREFIX = _TEAMS_USER_PREFIXES[_GCCH]
ACS_USER_PREFIX = _ACS_PREFIXES[_PUBLIC]
ACS_USER_DOD_CLOUD_PREFIX = _ACS_PREFIXES[_DOD]
ACS_USER_GCCH_CLOUD_PREFIX = _ACS_PREFIXES[_GCCH]
SPOOL_USER_PREFIX = _SPOOL_PREFIX
