"""The token-exchange form of ``CommunicationTokenCredential``: a user's Entra ID token for a Communication
Services token.

``CommunicationTokenCredential(resource_endpoint=..., token_credential=..., scopes=...)`` gets an Entra
ID access token for ``scopes`` from ``token_credential`` (an azure-identity credential, or anything
with ``get_token(*scopes)``), sends it as the bearer token of the resource's exchange operation and
hands out the Communication Services token it answers with. The scopes choose the exchange:

* all under ``https://auth.msft.communication.azure.com/``: a Teams Phone extensibility user,
  ``POST /access/teamsExtension/:exchangeAccessToken``;
* all under ``https://communication.azure.com/clients/`` (the default,
  ``https://communication.azure.com/clients/.default``): an Entra ID user,
  ``POST /access/entra/:exchangeAccessToken``.

Which api-version each exchange sends comes from the version table, by the rule the package uses
wherever it names a version for a feature (:func:`._api_versions.preferred_version`): the client's
default api-version when it has the operation, else the newest GA version that has it, else the
newest preview that has it. Today that is 2025-06-30 for Teams Phone extensibility (the default) and
2025-03-02-preview for Entra ID users (no GA version has that operation), the versions the other
SDKs' credentials call. ``api_version=`` picks another version that has the operation.

This module holds what the sync and async credentials share (argument checks, routing, the
pipeline's options, reading the answer) and the sync exchange; ``aio/_token_exchange_async.py`` the
async one. Neither token is ever put into a message, a repr or a log line.
"""

from __future__ import annotations

import inspect
import ipaddress
import threading
from typing import Any, NamedTuple, Tuple
from urllib.parse import urlsplit

from azure.core.exceptions import HttpResponseError

from ._api_versions import VersionFeatures, describe_versions, parse_api_version, preferred_version
from ._connection_string import normalize_endpoint
from ._errors import ArgumentTypeError
from ._policies import RedactingNetworkTraceLoggingPolicy
from ._token_utils import CLOSED_MESSAGE, CachedToken
from ._version import VERSION
from ._version_table import API_VERSIONS

TEAMS_EXTENSION_SCOPE_PREFIX = "https://auth.msft.communication.azure.com/"
ENTRA_SCOPE_PREFIX = "https://communication.azure.com/clients/"
DEFAULT_SCOPES = (ENTRA_SCOPE_PREFIX + ".default",)


class _NoToken:
    """The default of the credential's ``token`` argument: tells "not given" from ``None`` (which, as in the
    official package, is a ``TypeError("Token must be a string.")``)."""

    def __repr__(self) -> str:
        return "<no token>"


NO_TOKEN: Any = _NoToken()


class ExchangeRoute(NamedTuple):
    """One exchange: who it is for, the scopes that select it, and where it lives in the table and the
    generated client."""

    user_kind: str  # for messages
    scope_prefix: str
    table_operation: str  # the version table's name of the operation
    operations: str  # the generated client's operation group

    def api_version(self) -> str:
        version = preferred_version(lambda features: features.has_operation(self.table_operation))
        if version is None:  # the version table lost the operation: a build problem, not the caller's
            raise RuntimeError(f"no api-version in the version table has {self.table_operation}")
        return version


TEAMS_EXTENSION_ROUTE = ExchangeRoute("Teams Phone extensibility user", TEAMS_EXTENSION_SCOPE_PREFIX,
                                      "teamsExtensionExchangeAccessToken", "teams_extension")
ENTRA_ROUTE = ExchangeRoute("Entra ID user", ENTRA_SCOPE_PREFIX, "entraUsersExchangeAccessToken", "entra_users")
ROUTES = (TEAMS_EXTENSION_ROUTE, ENTRA_ROUTE)

_SCOPES_RULE = (f"scopes must all start with '{TEAMS_EXTENSION_SCOPE_PREFIX}' (a Teams Phone extensibility user, "
                f"e.g. '{TEAMS_EXTENSION_SCOPE_PREFIX}TeamsExtension.ManageCalls') or all with "
                f"'{ENTRA_SCOPE_PREFIX}' (an Entra ID user; the default is '{DEFAULT_SCOPES[0]}')")


def exchange_requested(token: Any, token_refresher: Any, resource_endpoint: Any, token_credential: Any,
                       scopes: Any) -> bool:
    """Which form of the credential the arguments ask for: True for the exchange, False for a token
    (static, or with a refresher). Mixing the two forms is refused."""
    given = [name for name, value in (("resource_endpoint", resource_endpoint),
                                      ("token_credential", token_credential), ("scopes", scopes))
             if value is not None]
    if token is NO_TOKEN and token_refresher is None and not given:
        # The official package's TypeError (token is required there), and the ValueError of the exchange form.
        raise ArgumentTypeError("CommunicationTokenCredential needs a token (a str, optionally with a "
                                "token_refresher), or resource_endpoint and token_credential to exchange a user's "
                                "Entra ID token; none of them was given")
    if given and (token is not NO_TOKEN or token_refresher is not None):
        mine = "a token" if token is not NO_TOKEN else "a token_refresher"
        raise ValueError(f"pass either a token (optionally with a token_refresher) or resource_endpoint and "
                         f"token_credential, not both: got {mine} and {', '.join(given)}")
    if token is NO_TOKEN and not given:
        raise ArgumentTypeError("CommunicationTokenCredential needs the initial token (a str) along with "
                                "token_refresher; to exchange a user's Entra ID token instead, pass "
                                "resource_endpoint and token_credential")
    return bool(given)


def token_source(token: Any, kwargs: dict, *, token_refresher: Any, resource_endpoint: Any, token_credential: Any,
                 scopes: Any, exchange_type: Any, asynchronous: bool) -> Tuple[CachedToken, Any, Any]:
    """What a credential starts from: (its first cached token, where new tokens come from, its exchange or
    None). The exchange form has no token yet and gets every token from ``exchange_type`` (the sync or
    async exchange, which takes the remaining ``kwargs`` as pipeline options); the other forms start from
    ``token`` and renew it through ``token_refresher``, if any."""
    if not exchange_requested(token, token_refresher, resource_endpoint, token_credential, scopes):
        return CachedToken.initial(token), token_refresher, None
    settings = ExchangeSettings(resource_endpoint, token_credential, scopes, kwargs.pop("api_version", None),
                                asynchronous=asynchronous)
    exchange = exchange_type(settings, kwargs)
    return CachedToken.none(), exchange, exchange


def exchange_route(scopes: Any) -> Tuple[ExchangeRoute, Tuple[str, ...]]:
    """The exchange ``scopes`` select, and the scopes as a tuple (``None``: the Entra ID default)."""
    if scopes is None:
        return ENTRA_ROUTE, DEFAULT_SCOPES
    if isinstance(scopes, str):
        scopes = (scopes,)  # one scope; iterating the str would give its characters
    try:
        scopes = tuple(scopes)
    except TypeError:
        raise TypeError(f"scopes must be a list of scope strings, not {type(scopes).__name__}") from None
    if not scopes:
        raise ValueError(f"scopes is empty; {_SCOPES_RULE}")
    for scope in scopes:
        if not isinstance(scope, str):
            raise TypeError(f"scopes must be scope strings, not {type(scope).__name__}")
        if not scope.strip() or scope != scope.strip() or any(ch.isspace() for ch in scope):
            raise ValueError(f"scope {scope!r} is not one scope (scopes are separate strings without spaces); "
                             f"{_SCOPES_RULE}")
    for route in ROUTES:
        prefix = route.scope_prefix
        if all(s.lower().startswith(prefix) and len(s) > len(prefix) for s in scopes):
            return route, scopes
    raise ValueError(f"{_SCOPES_RULE}; got {', '.join(repr(s) for s in scopes)}")


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ExchangeSettings:
    """Validated arguments of the exchange form, shared by the sync and async credentials."""

    __slots__ = ("api_version", "endpoint", "plain_http", "route", "scopes", "token_credential")

    def __init__(self, resource_endpoint: Any, token_credential: Any, scopes: Any, api_version: Any, *,
                 asynchronous: bool) -> None:
        missing = [name for name, value in (("resource_endpoint", resource_endpoint),
                                            ("token_credential", token_credential)) if value is None]
        if missing:
            raise ValueError(f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing: the exchange "
                             "form needs resource_endpoint (the resource's URL, such as "
                             "'https://<resource>.communication.azure.com') and token_credential (a credential "
                             "that gets the user's Entra ID token, such as one from azure.identity)")
        self.route, self.scopes = exchange_route(scopes)
        self.endpoint = _checked_endpoint(resource_endpoint)
        # Plain http only to this machine (the local emulator): the request carries the user's Entra ID token.
        self.plain_http = self.endpoint.startswith("http://")
        self.token_credential = _checked_token_credential(token_credential, asynchronous)
        self.api_version = self.route.api_version() if api_version is None else _checked_version(api_version,
                                                                                                  self.route)

    def describe(self) -> str:
        return f"exchange={self.route.operations} resource_endpoint={self.endpoint}"


def _checked_endpoint(resource_endpoint: Any) -> str:
    try:
        endpoint = normalize_endpoint(resource_endpoint)
    except ValueError as exc:  # ArgumentTypeError included; the messages name "endpoint"
        raise type(exc)(f"resource_endpoint is not usable: {exc}") from None
    host = urlsplit(endpoint).hostname or ""
    if endpoint.startswith("http://") and not _is_loopback(host):
        raise ValueError("resource_endpoint must be an https URL: the exchange sends the user's Entra ID token "
                         "(plain http is accepted for this machine only, such as the local emulator)")
    return endpoint


def _checked_token_credential(token_credential: Any, asynchronous: bool) -> Any:
    get_token = getattr(token_credential, "get_token", None)
    if not callable(get_token) and not callable(getattr(token_credential, "get_token_info", None)):
        raise TypeError(f"token_credential must be a credential with get_token(*scopes), such as one from "
                        f"azure.identity; got {type(token_credential).__name__}")
    if not asynchronous and inspect.iscoroutinefunction(get_token):
        raise TypeError(f"{type(token_credential).__name__} is an async credential; use it with "
                        "azure.communication.identity.aio.CommunicationTokenCredential, or pass a sync credential")
    return token_credential


def _checked_version(api_version: Any, route: ExchangeRoute) -> str:
    features: VersionFeatures = parse_api_version(api_version)
    if not features.has_operation(route.table_operation):
        having = [v for v in API_VERSIONS if VersionFeatures(v, v).has_operation(route.table_operation)]
        raise ValueError(f"api_version {features.sent} has no token exchange for {route.user_kind}s; it needs "
                         f"api_version {describe_versions(having)} (leave api_version out for "
                         f"{route.api_version()})")
    return features.sent


def exchange_client_kwargs(settings: ExchangeSettings, bearer_policy_type: Any, retry_policy_type: Any,
                           kwargs: dict) -> dict:
    """Keyword arguments for the generated client behind an exchange: the bearer policy with the user's
    credential and scopes, the package's retry and redacting trace policies (unless the caller passed
    their own) and user agent, and the caller's azure-core options."""
    options = dict(kwargs)
    options.setdefault("sdk_moniker", f"communication-identity/{VERSION}")
    if "retry_policy" not in options:
        options["retry_policy"] = retry_policy_type(**options)
    if "logging_policy" not in options:
        options["logging_policy"] = RedactingNetworkTraceLoggingPolicy(**options)
    options["authentication_policy"] = bearer_policy_type(settings.token_credential, *settings.scopes)
    return options


def call_options(settings: ExchangeSettings) -> dict:
    options: dict = {"body": {}, "api_version": settings.api_version, "cls": exchanged_token}
    if settings.plain_http:
        options["enforce_https"] = False  # BearerTokenCredentialPolicy refuses http otherwise
    return options


def exchanged_token(pipeline_response: Any, result: Any, _headers: Any) -> Any:
    """``cls`` hook of the exchange operations: the answer's ``accessToken`` (``token`` and an aware
    ``expires_on``), which the credential caches. A 200 without them is an ``HttpResponseError``."""
    access_token = getattr(result, "access_token", None)
    if access_token is None or not getattr(access_token, "token", None) or access_token.expires_on is None:
        raise HttpResponseError(message="The token exchange answered 200 without accessToken.token and "
                                        "accessToken.expiresOn", response=pipeline_response.http_response)
    return access_token


class TokenExchange:
    """The sync exchange: a zero-argument callable that exchanges once and returns the new token.

    Its pipeline (generated client, bearer policy, transport) is made at the first exchange and kept; a
    forked child makes its own (``after_fork_in_child``), since the parent's pooled connections are not
    the child's to use, unless the caller passed their own ``transport``.
    """

    def __init__(self, settings: ExchangeSettings, kwargs: dict) -> None:
        self.settings = settings
        self._kwargs = kwargs
        self._lock = threading.Lock()
        self._client: Any = None
        self._closed = False

    def __call__(self) -> Any:
        with self._lock:
            if self._closed:
                raise RuntimeError(CLOSED_MESSAGE)
            if self._client is None:
                self._client = self._new_client()
            client = self._client
        operations = getattr(client, self.settings.route.operations)
        return operations.exchange_access_token(**call_options(self.settings))

    def _new_client(self) -> Any:
        # The generated layer loads with the first exchange, as with the first client.
        from azure.core.pipeline.policies import BearerTokenCredentialPolicy

        from ._generated import CommunicationIdentityClient as _GeneratedClient
        from ._policies import RetryPolicy
        from ._urllib3_transport import with_default_transport

        options = exchange_client_kwargs(self.settings, BearerTokenCredentialPolicy, RetryPolicy, self._kwargs)
        return _GeneratedClient(self.settings.endpoint, **with_default_transport(options))

    def close(self) -> None:
        """Close the pipeline; an exchange in flight finishes on its own connection (its result is dropped)."""
        with self._lock:
            self._closed = True
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def after_fork_in_child(self) -> None:
        # A thread of the parent may have held the lock at the fork; the pipeline's pooled connections
        # are shared with the parent: forget both (without closing anything the parent still uses).
        self._lock = threading.Lock()
        if "transport" not in self._kwargs:
            self._client = None
