"""The exchange form's arguments, checked before any request: routing by scopes, what is missing, the
api-version rule. Nothing here sends a request (the endpoints point at nothing)."""

from __future__ import annotations

import pytest

from azure.communication.identity import ApiVersion, CommunicationTokenCredential
from azure.communication.identity._api_versions import DEFAULT_API_VERSION
from azure.communication.identity._token_exchange import (
    DEFAULT_SCOPES,
    ENTRA_ROUTE,
    ENTRA_SCOPE_PREFIX,
    TEAMS_EXTENSION_ROUTE,
    TEAMS_EXTENSION_SCOPE_PREFIX,
    exchange_route,
)
from azure.communication.identity._version_table import API_VERSIONS, VERSIONS
from azure.communication.identity.aio import CommunicationTokenCredential as AsyncCommunicationTokenCredential

ENDPOINT = "https://contoso.communication.azure.com"
TEAMS_SCOPE = TEAMS_EXTENSION_SCOPE_PREFIX + "TeamsExtension.ManageCalls"


class NeverCalled:
    """A credential these checks must never reach."""

    def get_token(self, *scopes, **kwargs):
        raise AssertionError("the token credential was called")


class AsyncNeverCalled:
    async def get_token(self, *scopes, **kwargs):
        raise AssertionError("the token credential was called")


CREDENTIALS = [CommunicationTokenCredential, AsyncCommunicationTokenCredential]
# A well-formed token whose expiry is far away (header {"alg":"none"}, payload {"exp": 4102444800}).
A_TOKEN = "eyJhbGciOiJub25lIn0.eyJleHAiOiA0MTAyNDQ0ODAwfQ.c2ln"


# --------------------------------------------------------------------------- routing by scopes


@pytest.mark.parametrize("scopes", [[TEAMS_SCOPE], (TEAMS_SCOPE, TEAMS_EXTENSION_SCOPE_PREFIX + "Other"),
                                    ["HTTPS://AUTH.MSFT.COMMUNICATION.AZURE.COM/TeamsExtension.ManageCalls"]])
def test_scopes_under_the_teams_prefix_choose_the_teams_extension_exchange(scopes):
    route, kept = exchange_route(scopes)
    assert route is TEAMS_EXTENSION_ROUTE
    assert kept == tuple(scopes)  # sent to the token credential as given


@pytest.mark.parametrize("scopes", [None, [ENTRA_SCOPE_PREFIX + ".default"], [ENTRA_SCOPE_PREFIX + "VoIP"]])
def test_scopes_under_the_clients_prefix_or_none_choose_the_entra_exchange(scopes):
    route, kept = exchange_route(scopes)
    assert route is ENTRA_ROUTE
    assert kept == (DEFAULT_SCOPES if scopes is None else tuple(scopes))
    assert DEFAULT_SCOPES == ("https://communication.azure.com/clients/.default",)


def test_one_scope_string_is_one_scope():
    assert exchange_route(TEAMS_SCOPE) == (TEAMS_EXTENSION_ROUTE, (TEAMS_SCOPE,))


@pytest.mark.parametrize("scopes", [
    [TEAMS_SCOPE, ENTRA_SCOPE_PREFIX + ".default"],  # a mix
    ["https://communication.azure.com//.default"],  # the resource owner's scope, not a user's
    ["https://graph.microsoft.com/.default"],
    [TEAMS_EXTENSION_SCOPE_PREFIX],  # the prefix alone names no scope
    ["https://auth.msft.communication.azure.com.evil.test/x"],
])
@pytest.mark.parametrize("credential_type", CREDENTIALS)
def test_other_scopes_are_a_value_error_naming_both_prefixes(credential_type, scopes):
    with pytest.raises(ValueError) as caught:
        credential_type(resource_endpoint=ENDPOINT, token_credential=NeverCalled(), scopes=scopes)
    message = str(caught.value)
    assert TEAMS_EXTENSION_SCOPE_PREFIX in message and ENTRA_SCOPE_PREFIX in message


@pytest.mark.parametrize("scopes, error", [
    ([], ValueError),
    ([TEAMS_SCOPE + " " + TEAMS_EXTENSION_SCOPE_PREFIX + "Other"], ValueError),  # two scopes in one string
    ([" " + TEAMS_SCOPE], ValueError),
    ([TEAMS_SCOPE, 7], TypeError),
    (42, TypeError),
])
def test_malformed_scopes_are_refused(scopes, error):
    with pytest.raises(error, match="scope"):
        CommunicationTokenCredential(resource_endpoint=ENDPOINT, token_credential=NeverCalled(), scopes=scopes)


# --------------------------------------------------------------------------- which form, what is missing


@pytest.mark.parametrize("credential_type", CREDENTIALS)
def test_no_arguments_at_all_is_both_the_official_type_error_and_a_value_error(credential_type):
    with pytest.raises(TypeError) as caught:
        credential_type()
    assert isinstance(caught.value, ValueError)
    for name in ("token", "resource_endpoint", "token_credential"):
        assert name in str(caught.value)


@pytest.mark.parametrize("credential_type", CREDENTIALS)
@pytest.mark.parametrize("given, missing", [
    ({"resource_endpoint": ENDPOINT}, "token_credential is missing"),
    ({"token_credential": NeverCalled()}, "resource_endpoint is missing"),
    ({"scopes": [TEAMS_SCOPE]}, "resource_endpoint and token_credential are missing"),
])
def test_a_missing_exchange_argument_is_named(credential_type, given, missing):
    with pytest.raises(ValueError, match=missing):
        credential_type(**given)


@pytest.mark.parametrize("credential_type", CREDENTIALS)
def test_a_token_and_the_exchange_arguments_together_are_refused(credential_type):
    with pytest.raises(ValueError, match="not both"):
        credential_type(A_TOKEN, resource_endpoint=ENDPOINT, token_credential=NeverCalled())
    with pytest.raises(ValueError, match="not both"):
        credential_type(token_refresher=lambda: None, resource_endpoint=ENDPOINT, token_credential=NeverCalled())


def test_a_refresher_without_a_token_names_the_token():
    with pytest.raises(TypeError, match="initial token"):
        CommunicationTokenCredential(token_refresher=lambda: None)


def test_token_none_stays_the_official_type_error():
    with pytest.raises(TypeError, match="^Token must be a string.$"):
        CommunicationTokenCredential(None)


@pytest.mark.parametrize("endpoint", ["http://contoso.communication.azure.com", "http://10.0.0.7:8080"])
def test_plain_http_is_refused_except_to_this_machine(endpoint):
    with pytest.raises(ValueError, match="https"):
        CommunicationTokenCredential(resource_endpoint=endpoint, token_credential=NeverCalled())
    for local in ("http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080"):
        with CommunicationTokenCredential(resource_endpoint=local, token_credential=NeverCalled()) as credential:
            assert f"resource_endpoint={local} " in repr(credential)


@pytest.mark.parametrize("endpoint, error", [("endpoint=https://x/;accesskey=c2VjcmV0", ValueError),
                                             ("https://contoso.communication.azure.com/path", ValueError),
                                             (42, TypeError)])
def test_an_unusable_endpoint_names_resource_endpoint(endpoint, error):
    with pytest.raises(error, match="^resource_endpoint is not usable") as caught:
        CommunicationTokenCredential(resource_endpoint=endpoint, token_credential=NeverCalled())
    assert "c2VjcmV0" not in str(caught.value)


def test_the_token_credential_must_have_get_token():
    with pytest.raises(TypeError, match="get_token"):
        CommunicationTokenCredential(resource_endpoint=ENDPOINT, token_credential="a token")


def test_the_sync_credential_refuses_an_async_token_credential():
    with pytest.raises(TypeError, match="aio.CommunicationTokenCredential"):
        CommunicationTokenCredential(resource_endpoint=ENDPOINT, token_credential=AsyncNeverCalled())


@pytest.mark.asyncio
async def test_the_async_credential_takes_a_sync_or_async_token_credential():
    for token_credential in (NeverCalled(), AsyncNeverCalled()):
        async with AsyncCommunicationTokenCredential(resource_endpoint=ENDPOINT,
                                                     token_credential=token_credential) as credential:
            assert "exchange=entra_users" in repr(credential)
        with pytest.raises(RuntimeError, match="closed"):
            await credential.get_token()


def test_the_repr_shows_where_and_how_but_no_token():
    with CommunicationTokenCredential(resource_endpoint=ENDPOINT + "/", token_credential=NeverCalled(),
                                      scopes=[TEAMS_SCOPE]) as credential:
        assert repr(credential) == (f"<CommunicationTokenCredential exchange=teams_extension "
                                    f"resource_endpoint={ENDPOINT} expires_on=(no token yet) "
                                    "proactive_refresh=False open>")


def test_a_closed_exchange_credential_refuses_use_without_calling_anything():
    credential = CommunicationTokenCredential(resource_endpoint=ENDPOINT, token_credential=NeverCalled())
    credential.close()
    credential.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        credential.get_token()


# --------------------------------------------------------------------------- the api-version rule


def _versions_with(operation):
    return [v for v in API_VERSIONS if operation in VERSIONS[v]["operations"]]


@pytest.mark.parametrize("route", [TEAMS_EXTENSION_ROUTE, ENTRA_ROUTE])
def test_each_exchange_uses_the_default_version_or_else_the_newest_ga_or_else_the_newest_preview(route):
    having = _versions_with(route.table_operation)
    assert having, "the version table lost the operation"
    ga = [v for v in having if not VERSIONS[v]["preview"]]
    expected = DEFAULT_API_VERSION.value if DEFAULT_API_VERSION.value in having else (ga or having)[-1]
    assert route.api_version() == expected


def test_the_rule_gives_the_versions_the_other_sdks_call():
    # SERVICE-VERSIONS.md: the other SDKs' credentials call 2025-06-30 (Teams Phone extensibility) and
    # 2025-03-02-preview (Entra ID users). A change to the default version or the swagger that moves either
    # should be a decision, not an accident.
    assert TEAMS_EXTENSION_ROUTE.api_version() == "2025-06-30"
    assert ENTRA_ROUTE.api_version() == "2025-03-02-preview"


def test_api_version_picks_another_version_that_has_the_exchange():
    with CommunicationTokenCredential(resource_endpoint=ENDPOINT, token_credential=NeverCalled(),
                                      scopes=[TEAMS_SCOPE], api_version=ApiVersion.V2026_09_23) as credential:
        assert credential._exchange.settings.api_version == "2026-09-23"


@pytest.mark.parametrize("scopes, version", [([TEAMS_SCOPE], "2023-10-01"), (None, "2025-06-30")])
def test_api_version_without_the_exchange_is_refused_naming_the_versions_that_have_it(scopes, version):
    with pytest.raises(ValueError, match=f"^api_version {version} has no token exchange") as caught:
        CommunicationTokenCredential(resource_endpoint=ENDPOINT, token_credential=NeverCalled(), scopes=scopes,
                                     api_version=version)
    operation = (TEAMS_EXTENSION_ROUTE if scopes else ENTRA_ROUTE).table_operation
    assert _versions_with(operation)[0] in str(caught.value)

