"""Communication identifiers: who takes part in a conversation, and their canonical raw id.

Every identifier has a *raw id*, one flat string that the service treats as the identity's
canonical key (safe to store in a database or use as a dict key). This module builds identifiers,
computes their raw ids, and parses raw ids back into the richest identifier they describe.

Raw-id forms (facts from the public Communication Services documentation):

- ``4:<number>``: phone number. ``4:anonymous`` is a hidden caller id; a ``_<suffix>`` at the end
  is the asserted id that tells apart several connections through the same number.
- ``8:acs:<resource>_<user>``: Communication Services user in the public cloud; ``8:dod-acs:`` and
  ``8:gcch-acs:`` in the DoD and GCC High clouds; ``8:spool:`` is an older public-cloud form.
- ``8:acs:<resource>_<tenant>_<user>`` (three parts; also ``8:dod-acs:``, ``8:gcch-acs:``): a Teams
  Phone user extended through a Communication Services resource.
- ``8:orgid:`` / ``8:dod:`` / ``8:gcch:``: Microsoft Teams user in the public / DoD / GCC High cloud.
- ``8:teamsvisitor:``: anonymous Teams meeting visitor.
- ``28:orgid:`` / ``28:dod:`` / ``28:gcch:``: Microsoft Teams application (bot) in each cloud.
- anything else: unknown, kept verbatim.

Two identifiers are equal exactly when their raw ids are equal, whatever class built them,
because the raw id is what the service compares; they hash by raw id too. As in the official
package, ``raw_id`` and ``properties`` are plain, assignable attributes.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable, Dict, Mapping, Optional, Protocol, Union, runtime_checkable

from ._identifier_types import (
    CommunicationCloudEnvironment,
    CommunicationIdentifierKind,
    CommunicationUserProperties,
    MicrosoftTeamsAppProperties,
    MicrosoftTeamsUserProperties,
    PhoneNumberProperties,
    TeamsExtensionUserProperties,
)

__all__ = [
    "CommunicationCloudEnvironment",
    "CommunicationIdentifier",
    "CommunicationIdentifierKind",
    "CommunicationUserIdentifier",
    "CommunicationUserProperties",
    "MicrosoftTeamsAppIdentifier",
    "MicrosoftTeamsAppProperties",
    "MicrosoftTeamsUserIdentifier",
    "MicrosoftTeamsUserProperties",
    "PhoneNumberIdentifier",
    "PhoneNumberProperties",
    "TeamsExtensionUserIdentifier",
    "TeamsExtensionUserProperties",
    "UnknownIdentifier",
    "identifier_from_raw_id",
    "identifier_to_raw_id",
]


# Raw-id prefixes, keyed by cloud. Every prefix ends with the second ':' of the raw id,
# which is what lets identifier_from_raw_id dispatch with one dictionary lookup.
_PHONE_PREFIX = "4:"
_ANONYMOUS_PHONE = "anonymous"
_TEAMS_VISITOR_PREFIX = "8:teamsvisitor:"
_SPOOL_PREFIX = "8:spool:"
_TEAMS_USER_PREFIXES = {
    CommunicationCloudEnvironment.PUBLIC: "8:orgid:",
    CommunicationCloudEnvironment.DOD: "8:dod:",
    CommunicationCloudEnvironment.GCCH: "8:gcch:",
}
_TEAMS_APP_PREFIXES = {
    CommunicationCloudEnvironment.PUBLIC: "28:orgid:",
    CommunicationCloudEnvironment.DOD: "28:dod:",
    CommunicationCloudEnvironment.GCCH: "28:gcch:",
}
_ACS_PREFIXES = {
    CommunicationCloudEnvironment.PUBLIC: "8:acs:",
    CommunicationCloudEnvironment.DOD: "8:dod-acs:",
    CommunicationCloudEnvironment.GCCH: "8:gcch-acs:",
}
_EXTENSION_SEPARATOR = "_"


@runtime_checkable
class CommunicationIdentifier(Protocol):
    """What every identifier offers; use it in annotations that accept any identifier kind."""

    raw_id: str
    kind: CommunicationIdentifierKind
    properties: Mapping[str, Any]


def _require_text(value: object, what: str, example: str) -> str:
    """Return ``value`` if it is a str with some non-blank content, else raise a helpful error."""
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a non-empty string such as {example!r}, got {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{what} must be a non-empty string such as {example!r}, got an empty or blank string")
    return value


def _require_cloud(cloud: object) -> CommunicationCloudEnvironment:
    if isinstance(cloud, CommunicationCloudEnvironment):
        return cloud
    choices = ", ".join(repr(member.value) for member in CommunicationCloudEnvironment)
    expected = f"cloud must be a CommunicationCloudEnvironment or one of {choices}"
    if isinstance(cloud, str):
        try:
            return CommunicationCloudEnvironment(cloud)
        except ValueError:
            raise ValueError(f"{expected}, got {cloud!r}") from None
    raise TypeError(f"{expected}, got {type(cloud).__name__}")


def _require_bool(value: object, what: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{what} must be True or False, got {type(value).__name__}")
    return value


def _optional_raw_id(raw_id: object) -> Optional[str]:
    if raw_id is None:
        return None
    return _require_text(raw_id, "raw_id", "8:acs:...")


class _Identifier:
    """Shared behaviour: equality and hashing by raw id, repr.

    ``raw_id`` and ``properties`` are plain attributes, assignable as in the official package;
    equality and the hash always follow the current ``raw_id`` (so do not change the raw id of an
    identifier that is a dict key or in a set). The convenience accessors (``id``, ``value``,
    ``user_id``, ...) read ``properties``.
    """

    kind: CommunicationIdentifierKind
    raw_id: str
    properties: Dict[str, Any]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _Identifier):
            return self.raw_id == other.raw_id
        return NotImplemented

    def __hash__(self) -> int:
        # Tagged: an identifier never equals its raw-id string, so it has no reason to hash like one.
        return hash((_Identifier, self.raw_id))

    def __repr__(self) -> str:
        kind = getattr(self.kind, "value", self.kind)
        return f"{type(self).__name__}(kind={kind!r}, raw_id={self.raw_id!r})"


class CommunicationUserIdentifier(_Identifier):
    """A user created through the Identity API; its id is also its raw id (``8:acs:...``)."""

    kind = CommunicationIdentifierKind.COMMUNICATION_USER
    properties: CommunicationUserProperties

    def __init__(self, id: str, *, raw_id: Optional[str] = None) -> None:
        user_id = _require_text(id, "user id", "8:acs:...")
        self.raw_id = _optional_raw_id(raw_id) or user_id
        self.properties = CommunicationUserProperties(id=user_id)

    @property
    def id(self) -> str:
        return self.properties["id"]


class PhoneNumberIdentifier(_Identifier):
    """A phone number, preferably in E.164 form such as ``+14255550123``; raw id ``4:<value>``."""

    kind = CommunicationIdentifierKind.PHONE_NUMBER
    properties: PhoneNumberProperties

    def __init__(self, value: str, *, raw_id: Optional[str] = None) -> None:
        value = _require_text(value, "phone number", "+14255550123")
        self.raw_id = _optional_raw_id(raw_id) or _PHONE_PREFIX + value
        self.properties = PhoneNumberProperties(value=value)

    @property
    def value(self) -> str:
        return self.properties["value"]

    @property
    def is_anonymous(self) -> bool:
        """True for a hidden caller id (raw id ``4:anonymous``)."""
        return self.value == _ANONYMOUS_PHONE

    @property
    def asserted_id(self) -> Optional[str]:
        """The text after the last ``_``: tells apart several connections through one number."""
        _head, separator, tail = self.value.rpartition(_EXTENSION_SEPARATOR)
        return tail if separator and tail else None


class MicrosoftTeamsUserIdentifier(_Identifier):
    """A Teams user (Entra object id) or, with ``is_anonymous=True``, a Teams meeting visitor."""

    kind = CommunicationIdentifierKind.MICROSOFT_TEAMS_USER
    properties: MicrosoftTeamsUserProperties

    def __init__(
        self,
        user_id: str,
        *,
        is_anonymous: bool = False,
        cloud: Union[CommunicationCloudEnvironment, str] = CommunicationCloudEnvironment.PUBLIC,
        raw_id: Optional[str] = None,
    ) -> None:
        user_id = _require_text(user_id, "Teams user id", "00aa00aa-bb11-cc22-dd33-44ee44ee44ee")
        is_anonymous = _require_bool(is_anonymous, "is_anonymous")
        cloud = _require_cloud(cloud)
        prefix = _TEAMS_VISITOR_PREFIX if is_anonymous else _TEAMS_USER_PREFIXES[cloud]
        self.raw_id = _optional_raw_id(raw_id) or prefix + user_id
        self.properties = MicrosoftTeamsUserProperties(user_id=user_id, is_anonymous=is_anonymous, cloud=cloud)

    @property
    def user_id(self) -> str:
        return self.properties["user_id"]

    @property
    def is_anonymous(self) -> bool:
        return self.properties["is_anonymous"]

    @property
    def cloud(self) -> CommunicationCloudEnvironment:
        return self.properties["cloud"]


class _TeamsAppProperties(dict):
    """``properties`` of a Teams app, still answering the keys of the retired bot identifier (with a warning)."""

    _DEPRECATED = {
        "bot_id": "properties['bot_id'] is deprecated; use properties['app_id']",
        "is_resource_account_configured": "properties['is_resource_account_configured'] is deprecated; "
                                          "a Teams app identifier always names a resource account",
    }

    def __missing__(self, key: Any) -> Any:
        message = self._DEPRECATED.get(key)
        if message is None:
            raise KeyError(key)
        warnings.warn(message, DeprecationWarning, stacklevel=2)
        return self["app_id"] if key == "bot_id" else True


class MicrosoftTeamsAppIdentifier(_Identifier):
    """A Teams application such as a call queue or auto attendant bot (Entra object id)."""

    kind = CommunicationIdentifierKind.MICROSOFT_TEAMS_APP
    properties: MicrosoftTeamsAppProperties

    def __init__(
        self,
        app_id: str,
        *,
        cloud: Union[CommunicationCloudEnvironment, str] = CommunicationCloudEnvironment.PUBLIC,
        raw_id: Optional[str] = None,
    ) -> None:
        app_id = _require_text(app_id, "Teams app id", "00001111-aaaa-2222-bbbb-3333cccc4444")
        cloud = _require_cloud(cloud)
        self.raw_id = _optional_raw_id(raw_id) or _TEAMS_APP_PREFIXES[cloud] + app_id
        self.properties = _TeamsAppProperties(app_id=app_id, cloud=cloud)  # type: ignore[assignment]

    @property
    def app_id(self) -> str:
        return self.properties["app_id"]

    @property
    def cloud(self) -> CommunicationCloudEnvironment:
        return self.properties["cloud"]


class MicrosoftBotIdentifier(MicrosoftTeamsAppIdentifier):
    """Deprecated: the bot identifier of older releases, now a :class:`MicrosoftTeamsAppIdentifier`."""

    def __init__(self, bot_id: str, *, is_resource_account_configured: bool = True,
                 cloud: Union[CommunicationCloudEnvironment, str] = CommunicationCloudEnvironment.PUBLIC,
                 raw_id: Optional[str] = None) -> None:
        warnings.warn("MicrosoftBotIdentifier is deprecated; use MicrosoftTeamsAppIdentifier",
                      DeprecationWarning, stacklevel=2)
        super().__init__(bot_id, cloud=cloud, raw_id=raw_id)


class TeamsExtensionUserIdentifier(_Identifier):
    """A Teams Phone user extended through a Communication Services resource.

    Raw id ``8:acs:<resource_id>_<tenant_id>_<user_id>`` (``8:dod-acs:`` / ``8:gcch-acs:`` in the
    sovereign clouds); that is why none of the three ids may contain ``_``.
    """

    kind = CommunicationIdentifierKind.TEAMS_EXTENSION_USER
    properties: TeamsExtensionUserProperties

    def __init__(
        self,
        user_id: str,
        tenant_id: str,
        resource_id: str,
        *,
        cloud: Union[CommunicationCloudEnvironment, str] = CommunicationCloudEnvironment.PUBLIC,
        raw_id: Optional[str] = None,
    ) -> None:
        example = "00aa00aa-bb11-cc22-dd33-44ee44ee44ee"
        parts = {}
        for what, value in (("user_id", user_id), ("tenant_id", tenant_id), ("resource_id", resource_id)):
            text = _require_text(value, what, example)
            if _EXTENSION_SEPARATOR in text:
                raise ValueError(f"{what} must not contain '_' (it separates the parts of the raw id), got {text!r}")
            parts[what] = text
        cloud = _require_cloud(cloud)
        canonical = _ACS_PREFIXES[cloud] + _EXTENSION_SEPARATOR.join(
            (parts["resource_id"], parts["tenant_id"], parts["user_id"])
        )
        self.raw_id = _optional_raw_id(raw_id) or canonical
        self.properties = TeamsExtensionUserProperties(user_id=parts["user_id"], tenant_id=parts["tenant_id"],
                                                       resource_id=parts["resource_id"], cloud=cloud)

    @property
    def user_id(self) -> str:
        return self.properties["user_id"]

    @property
    def tenant_id(self) -> str:
        return self.properties["tenant_id"]

    @property
    def resource_id(self) -> str:
        return self.properties["resource_id"]

    @property
    def cloud(self) -> CommunicationCloudEnvironment:
        return self.properties["cloud"]


class UnknownIdentifier(_Identifier):
    """A raw id of a form this library does not know (even ``""``); kept verbatim so nothing is lost."""

    kind = CommunicationIdentifierKind.UNKNOWN

    def __init__(self, identifier: str) -> None:
        if not isinstance(identifier, str):
            raise TypeError(f"identifier must be a str such as '8:acs:...', got {type(identifier).__name__}")
        self.raw_id = identifier
        self.properties = {}


# ---------------------------------------------------------------------------------------------
# Parsing raw ids


def _parse_acs(raw_id: str, suffix: str, cloud: CommunicationCloudEnvironment) -> _Identifier:
    parts = suffix.split(_EXTENSION_SEPARATOR)
    # Three non-empty parts is the documented Teams extension shape; anything else is an ACS user.
    if len(parts) == 3 and all(part.strip() for part in parts):
        resource_id, tenant_id, user_id = parts
        return TeamsExtensionUserIdentifier(user_id, tenant_id, resource_id, cloud=cloud, raw_id=raw_id)
    return CommunicationUserIdentifier(raw_id)


def _build_parsers() -> Dict[str, Callable[[str, str], _Identifier]]:
    parsers: Dict[str, Callable[[str, str], _Identifier]] = {
        _TEAMS_VISITOR_PREFIX: lambda raw, rest: MicrosoftTeamsUserIdentifier(rest, is_anonymous=True, raw_id=raw),
        _SPOOL_PREFIX: lambda raw, rest: CommunicationUserIdentifier(raw),
    }
    for cloud in CommunicationCloudEnvironment:
        parsers[_TEAMS_USER_PREFIXES[cloud]] = lambda raw, rest, c=cloud: MicrosoftTeamsUserIdentifier(
            rest, cloud=c, raw_id=raw
        )
        parsers[_TEAMS_APP_PREFIXES[cloud]] = lambda raw, rest, c=cloud: MicrosoftTeamsAppIdentifier(
            rest, cloud=c, raw_id=raw
        )
        parsers[_ACS_PREFIXES[cloud]] = lambda raw, rest, c=cloud: _parse_acs(raw, rest, c)
    return parsers


_PARSERS = _build_parsers()


def _prefix_of(raw_id: str) -> str:
    """The raw id up to and including its second ':' (``"8:acs:"`` for ``"8:acs:x"``), or ``""``."""
    first = raw_id.find(":")
    second = raw_id.find(":", first + 1) if first >= 0 else -1
    return raw_id[: second + 1] if second >= 0 else ""


def identifier_from_raw_id(raw_id: str) -> CommunicationIdentifier:
    """Build the most specific identifier a raw id describes.

    Never loses information: ``identifier_from_raw_id(r).raw_id == r`` for every string ``r``.
    Raw ids of an unrecognised form (the empty string included), and recognised prefixes whose
    remainder is blank (for example ``"8:orgid:"``), become an :class:`UnknownIdentifier`.

    :raises TypeError: if ``raw_id`` is not a str.
    """
    if not isinstance(raw_id, str):
        raise TypeError(f"raw_id must be a str such as '8:acs:...', got {type(raw_id).__name__}")
    try:
        if raw_id.startswith(_PHONE_PREFIX):
            return PhoneNumberIdentifier(raw_id[len(_PHONE_PREFIX) :], raw_id=raw_id)
        prefix = _prefix_of(raw_id)
        parser = _PARSERS.get(prefix)
        if parser is not None:
            return parser(raw_id, raw_id[len(prefix) :])
    except ValueError:
        # A known prefix with an unusable remainder (blank, or a bad Teams extension part):
        # keep the raw id rather than refuse it, since the service may know better.
        pass
    return UnknownIdentifier(raw_id)


def identifier_to_raw_id(value: Union[CommunicationIdentifier, str], *, name: str = "identifier") -> str:
    """Return the raw id of ``value``: an identifier, anything with a ``raw_id`` string, or a raw-id str.

    Objects whose ``raw_id`` is ``None`` but whose ``properties`` hold an ``"id"`` string (older
    communication-user objects) are accepted too. ``name`` is the argument name used in error
    messages, so a client can report ``user must be ...``.

    :raises TypeError: for any other type (``bytes``, ``None``, numbers, ...).
    :raises ValueError: for an empty or blank id.
    """
    expected = f"{name} must be a CommunicationUserIdentifier or a raw id string such as '8:acs:...'"
    if isinstance(value, str):
        if not value.strip():
            raise ValueError(f"{expected}, got an empty or blank string")
        return value
    raw_id = getattr(value, "raw_id", None)
    if raw_id is None:
        properties = getattr(value, "properties", None)
        if isinstance(properties, Mapping):
            raw_id = properties.get("id")
    if raw_id is None:
        raise TypeError(f"{expected}, got {type(value).__name__}")
    if not isinstance(raw_id, str):
        raise TypeError(f"{expected}; {type(value).__name__}.raw_id is {type(raw_id).__name__}, not str")
    if not raw_id.strip():
        raise ValueError(f"{expected}; {type(value).__name__} has an empty raw id")
    return raw_id
