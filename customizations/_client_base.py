"""What the sync and async clients share: argument checks, request models, result conversion.

Everything here runs before a request is built or after a response is parsed; no I/O.
"""

from __future__ import annotations

import inspect
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

from azure.core.credentials import AzureKeyCredential

from ._api_versions import DEFAULT_API_VERSION, ApiVersion, parse_api_version, require_feature
from ._connection_string import check_access_key, normalize_endpoint
from ._hmac import HMACCredentialPolicy, SignedRequestAuthenticationError
from ._identifiers import CommunicationUserIdentifier, identifier_to_raw_id
from ._models import AccessToken, CommunicationUserDetails
from ._policies import CREATE_ONCE, RedactingNetworkTraceLoggingPolicy
from ._scopes import expires_in_minutes, wire_scopes
from ._version import VERSION

#: Azure AD scope for Communication Services (the double slash is part of the resource id).
AAD_SCOPE = "https://communication.azure.com//.default"
MAX_CUSTOM_ID_LENGTH = 256


class ClientSettings:
    """Validated constructor arguments, shared by both clients."""

    __slots__ = ("api_version", "create_once", "endpoint", "is_key_credential", "request_ids")

    def __init__(self, endpoint: object, credential: object, api_version: object, *, asynchronous: bool) -> None:
        self.create_once = False
        self.request_ids = False
        self.endpoint = normalize_endpoint(endpoint)
        self.api_version = parse_api_version(DEFAULT_API_VERSION if api_version is None else api_version)
        if isinstance(credential, AzureKeyCredential):
            check_access_key(credential.key)  # a key that cannot sign fails here, not at the first request
            self.is_key_credential = True
        elif credential is not None and callable(getattr(credential, "get_token", None)):
            self.is_key_credential = False
            if not asynchronous and inspect.iscoroutinefunction(credential.get_token):
                raise TypeError(
                    f"{type(credential).__name__} is an async credential; use it with "
                    "azure.communication.identity.aio.CommunicationIdentityClient, or pass a sync TokenCredential"
                )
        else:
            raise TypeError(
                "credential must be an azure.core.credentials.AzureKeyCredential (the resource's access key) "
                "or a TokenCredential such as azure.identity.DefaultAzureCredential; "
                f"got {type(credential).__name__}. To use a connection string, call from_connection_string()."
            )


def generated_client_kwargs(settings: ClientSettings, credential: Any, bearer_policy_type: Any,
                            retry_policy_type: Any, kwargs: dict) -> dict:
    """Keyword arguments for the generated client: our policies plus the caller's azure-core options.

    A ``retry_policy`` or ``logging_policy`` the caller passes wins over ours.
    """
    correct_clock_skew = bool(kwargs.pop("correct_clock_skew", False))
    if settings.is_key_credential:
        policy = HMACCredentialPolicy(credential, correct_clock_skew=correct_clock_skew)
    else:
        policy = bearer_policy_type(credential, AAD_SCOPE)
    kwargs.setdefault("sdk_moniker", f"communication-identity/{VERSION}")
    settings.create_once = "retry_policy" not in kwargs
    # Unless the caller configured request ids (request_id=, auto_request_id=False), each call brings its own.
    settings.request_ids = "request_id" not in kwargs and kwargs.get("auto_request_id", True) is not False
    if settings.create_once:
        kwargs["retry_policy"] = retry_policy_type(**kwargs)
    if "logging_policy" not in kwargs:
        kwargs["logging_policy"] = RedactingNetworkTraceLoggingPolicy(**kwargs)
    return dict(kwargs, authentication_policy=policy, api_version=settings.api_version.value)


#: 401s of signed requests say when the request date was the problem.
ERROR_MAP = {401: SignedRequestAuthenticationError}


REQUEST_ID_HEADER = "x-ms-client-request-id"


def call_options(settings: ClientSettings, kwargs: dict) -> dict:
    """Per-call options every operation gets.

    The call's ``x-ms-client-request-id`` is a uuid4 made here: azure-core's RequestIdPolicy would make a
    uuid1, whose libuuid call (a time-safe clock, looked for through uuidd) was a visible share of the client
    CPU of a ``get_token``. The policy still applies a per-call ``request_id=`` over it.
    """
    kwargs.setdefault("error_map", ERROR_MAP)
    if settings.request_ids and "request_id" not in kwargs:
        headers = kwargs.get("headers")
        if not headers:
            kwargs["headers"] = {REQUEST_ID_HEADER: str(uuid.uuid4())}
        elif not any(name.lower() == REQUEST_ID_HEADER for name in headers):
            kwargs["headers"] = {**headers, REQUEST_ID_HEADER: str(uuid.uuid4())}
    return kwargs


def create_options(settings: ClientSettings, kwargs: dict) -> dict:
    """Per-call options for a create: never replayed once the service may have acted on it."""
    if settings.create_once:
        kwargs[CREATE_ONCE] = True
    return call_options(settings, kwargs)


def user_raw_id(user: object) -> str:
    """The raw id of ``user`` (an identifier or a raw id string), refusing what cannot be one path segment."""
    kind = getattr(user, "kind", None)
    if kind is not None and not isinstance(user, (str, CommunicationUserIdentifier)) and kind != "communication_user":
        raise TypeError(f"user must be a CommunicationUserIdentifier or a raw id string such as '8:acs:...'; "
                        f"a {type(user).__name__} ({kind}) cannot hold Communication Services tokens")
    raw_id = identifier_to_raw_id(user, name="user")
    if raw_id.strip() in (".", ".."):
        raise ValueError(f"{raw_id!r} is not a communication user id; expected an id such as '8:acs:...'")
    return raw_id


def create_request_fields(api_version: ApiVersion, custom_id: Optional[str], *, with_token: bool = False,
                          scopes: Any = None, token_expires_in: Optional[timedelta] = None) -> dict:
    fields: dict = {}
    if with_token:
        fields["create_token_with_scopes"] = wire_scopes(scopes, api_version)
        minutes = expires_in_minutes(token_expires_in, api_version)
        if minutes is not None:
            fields["expires_in_minutes"] = minutes
    if custom_id is not None:
        require_feature(api_version, "custom_id")
        fields["custom_id"] = check_custom_id(custom_id)
    return fields


def issue_request_fields(api_version: ApiVersion, scopes: Any, token_expires_in: Optional[timedelta]) -> dict:
    fields: dict = {"scopes": wire_scopes(scopes, api_version)}
    minutes = expires_in_minutes(token_expires_in, api_version)
    if minutes is not None:
        fields["expires_in_minutes"] = minutes
    return fields


def check_custom_id(custom_id: object) -> str:
    if not isinstance(custom_id, str):
        raise TypeError(f"custom_id must be a str, not {type(custom_id).__name__}")
    if not custom_id.strip():
        raise ValueError("custom_id must be a non-empty string, such as your app's own user id")
    if len(custom_id) > MAX_CUSTOM_ID_LENGTH:
        raise ValueError(f"custom_id is {len(custom_id)} characters long; the service accepts at most "
                         f"{MAX_CUSTOM_ID_LENGTH}")
    return custom_id


def utc(value: datetime) -> datetime:
    if value.tzinfo is None:  # the service always sends an offset; be safe with odd proxies
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def to_access_token(model: Any) -> AccessToken:
    return AccessToken(model.token, utc(model.expires_on))


def to_user_and_token(result: Any) -> tuple:
    user = CommunicationUserIdentifier(result.identity.id)
    if result.access_token is None:
        return user, None
    return user, to_access_token(result.access_token)


def to_user_details(identity: Any) -> CommunicationUserDetails:
    issued = getattr(identity, "last_token_issued_at", None)
    return CommunicationUserDetails(identity.id, getattr(identity, "custom_id", None),
                                    utc(issued) if issued is not None else None)

