"""What the sync and async clients share: argument checks, request models, result conversion.

Everything here runs before a request is built or after a response is parsed; no I/O.
"""

from __future__ import annotations

import inspect
import json
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

from azure.core.credentials import AzureKeyCredential

from ._api_versions import DEFAULT_API_VERSION, VersionFeatures, parse_api_version
from ._connection_string import check_access_key, normalize_endpoint
from ._errors import validation_error
from ._hmac import HMACCredentialPolicy, SignedRequestAuthenticationError
from ._identifiers import CommunicationUserIdentifier, identifier_to_raw_id
from ._models import AccessToken, CommunicationUserDetails
from ._policies import CREATE_ONCE, REPEATABLE, RedactingNetworkTraceLoggingPolicy
from ._scopes import expires_in_minutes, wire_scopes
from ._version import VERSION

#: Azure AD scope for Communication Services (the double slash is part of the resource id).
AAD_SCOPE = "https://communication.azure.com//.default"
#: The header pair with which a version's create may be sent again (2023-08-01), and the generated keywords.
REPEATABILITY_HEADERS = {"Repeatability-Request-ID": "repeatability_request_id",
                         "Repeatability-First-Sent": "repeatability_first_sent"}


class ClientSettings:
    """Validated constructor arguments, shared by both clients."""

    __slots__ = ("create_once", "credential", "endpoint", "is_key_credential", "repeatable_create", "request_ids",
                 "version")

    def __init__(self, endpoint: object, credential: object, api_version: object, *, asynchronous: bool) -> None:
        self.create_once = False
        self.request_ids = False
        self.endpoint = normalize_endpoint(endpoint)
        self.version: VersionFeatures = parse_api_version(DEFAULT_API_VERSION if api_version is None else api_version)
        self.repeatable_create = all(self.version.header("create", name) for name in REPEATABILITY_HEADERS)
        if credential is None:
            raise ValueError("credential is None; pass the resource's access key (an AzureKeyCredential or the key "
                             "str) or a TokenCredential such as azure.identity.DefaultAzureCredential")
        if isinstance(credential, str):  # the access key itself, as the official package accepts
            credential = AzureKeyCredential(credential)
        self.credential = credential
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
                "credential must be an azure.core.credentials.AzureKeyCredential or str (the resource's access key) "
                "or a TokenCredential such as azure.identity.DefaultAzureCredential; "
                f"got {type(credential).__name__}. To use a connection string, call from_connection_string()."
            )


def generated_client_kwargs(settings: ClientSettings, bearer_policy_type: Any, retry_policy_type: Any,
                            kwargs: dict) -> dict:
    """Keyword arguments for the generated client: our policies plus the caller's azure-core options.

    A ``retry_policy`` or ``logging_policy`` the caller passes wins over ours.
    """
    credential = settings.credential
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
    return dict(kwargs, authentication_policy=policy, api_version=settings.version.sent)


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
    """Per-call options for a create.

    Where the version defines repeatability headers (2023-08-01), the create carries a fresh
    ``Repeatability-Request-ID`` and its ``Repeatability-First-Sent``, fixed for every retry of this
    call, and is retried like any other request: the service answers a repeat with what the first
    one created. Elsewhere it is never replayed once the service may have acted on it.
    """
    if settings.repeatable_create:
        kwargs.setdefault("repeatability_request_id", str(uuid.uuid4()))
        kwargs.setdefault("repeatability_first_sent", datetime.now(timezone.utc).replace(microsecond=0))
        if settings.create_once:  # our retry policy: let it replay the POST after a lost response
            kwargs[REPEATABLE] = True
    elif settings.create_once:
        kwargs[CREATE_ONCE] = True
    return call_options(settings, kwargs)


def user_raw_id(user: object) -> str:
    """The raw id of ``user`` (an identifier or a raw id string), refusing what cannot be one path segment."""
    kind = getattr(user, "kind", None)
    if kind is not None and not isinstance(user, (str, CommunicationUserIdentifier)) and kind != "communication_user":
        raise TypeError(f"user must be a CommunicationUserIdentifier or a raw id string such as '8:acs:...'; "
                        f"a {type(user).__name__} ({kind}) cannot hold Communication Services tokens")
    if isinstance(user, CommunicationUserIdentifier):
        user = user.properties.get("id")  # what the official package sends: the identity's id
        if not isinstance(user, str):
            raise TypeError("user.properties['id'] must be the identity's id str, such as '8:acs:...'")
    raw_id = identifier_to_raw_id(user, name="user")
    if raw_id.strip() in (".", ".."):
        raise ValueError(f"{raw_id!r} is not a communication user id; expected an id such as '8:acs:...'")
    return raw_id


def create_request_fields(version: VersionFeatures, custom_id: Optional[str], *, with_token: bool = False,
                          scopes: Any = None, token_expires_in: Optional[timedelta] = None) -> dict:
    fields: dict = {}
    if with_token:
        fields["create_token_with_scopes"] = wire_scopes(scopes, version, field="createTokenWithScopes")
        minutes = expires_in_minutes(token_expires_in, version, "create")
        if minutes is not None:
            fields["expires_in_minutes"] = minutes
    if custom_id is not None:
        fields["custom_id"] = check_custom_id(custom_id, version)
    return fields


def issue_request_fields(version: VersionFeatures, scopes: Any, token_expires_in: Optional[timedelta]) -> dict:
    fields: dict = {"scopes": wire_scopes(scopes, version)}
    minutes = expires_in_minutes(token_expires_in, version, "issueAccessToken")
    if minutes is not None:
        fields["expires_in_minutes"] = minutes
    return fields


def check_custom_id(custom_id: object, version: VersionFeatures) -> str:
    if not isinstance(custom_id, str):
        raise TypeError(f"custom_id must be a str, not {type(custom_id).__name__}")
    field = version.require_field("create", "customId", "custom_id")
    if not custom_id.strip():
        raise validation_error("customId must be a non-empty string: pass your app's own user id as custom_id.",
                               target="customId")
    longest = field.get("maxLength")
    if longest is not None and len(custom_id) > longest:
        raise validation_error(f"customId must be at most {longest} characters long: custom_id is "
                               f"{len(custom_id)} characters long.", target="customId")
    return custom_id


def utc(value: datetime) -> datetime:
    if value.tzinfo is None:  # the service always sends an offset; be safe with odd proxies
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _document(pipeline_response: Any) -> dict:
    # The model's datetimes dropped the service's text, which the official package returns as it came
    # (expiresOn): take it from the JSON azure-core's ContentDecodePolicy already parsed.
    document = pipeline_response.context.get("deserialized_data")
    return document if isinstance(document, dict) else json.loads(pipeline_response.http_response.text())


def access_token_from_response(pipeline_response: Any, model: Any, _headers: Any) -> AccessToken:
    """``cls`` hook of the token operations: the token and the service's ``expiresOn`` string."""
    return AccessToken(model.token, _document(pipeline_response)["expiresOn"])


def user_and_token_from_response(pipeline_response: Any, result: Any, _headers: Any) -> tuple:
    """``cls`` hook of create: ``(user, token)`` (token None when none was asked for)."""
    user = CommunicationUserIdentifier(result.identity.id)
    if result.access_token is None:
        return user, None
    return user, AccessToken(result.access_token.token, _document(pipeline_response)["accessToken"]["expiresOn"])


def to_user_details(identity: Any) -> CommunicationUserDetails:
    issued = getattr(identity, "last_token_issued_at", None)
    return CommunicationUserDetails(identity.id, getattr(identity, "custom_id", None),
                                    utc(issued) if issued is not None else None)

