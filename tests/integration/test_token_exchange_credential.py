"""The exchange form of CommunicationTokenCredential end to end: users' Entra ID tokens, minted by the
emulator's development issuer through azure.identity-style credentials, exchanged at the emulator for
Communication Services tokens, sync and async.

Exchanges are counted by the emulator itself: a queued 1 ms delay "fault" on the exchange operation,
whose remaining count ``GET /emulator/faults`` reports, drops by one for every exchange request that
reaches the server, before it is answered (so the count is exact once a caller has its answer).
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import subprocess
import sys
import threading
import time
import uuid
import warnings
from datetime import timedelta
from typing import Callable, NamedTuple, Optional

import pytest
from azure.core.credentials import AccessToken as CoreAccessToken
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError

from azure.communication.identity import (
    ApiVersion,
    CommunicationIdentityClient,
    CommunicationTokenCredential,
    EntraPrincipalType,
    TeamsExtensionPrincipalType,
    _token_credential,
)
from azure.communication.identity.aio import CommunicationTokenCredential as AsyncCommunicationTokenCredential

TENANT_ID = "6c5b2a8e-4b1e-4d3a-9f7c-1e2d3c4b5a69"
CLIENT_APP_ID = "29cf943d-be4d-44bb-9cc4-7cd90c169b14"
TEAMS_SCOPES = ["https://auth.msft.communication.azure.com/TeamsExtension.ManageCalls"]
SHORT_TTL_SECONDS = 3  # the emulator's test lifetime: long enough to be received unexpired, short to wait out
CALLERS = 50


class Route(NamedTuple):
    """One exchange as the tests drive it: the scopes that choose it, how a user is allowed to use it, how the
    user's Entra ID token is minted, and the emulator's names for it."""

    name: str
    scopes: Optional[list]  # what the credential is given (None: its default)
    asked: tuple  # the scopes the user's credential is asked for
    operation: str  # the emulator's (and version table's) operation name
    path: str
    api_version: str
    raw_id_infix: str  # between the resource id and the user's ids in the exchanged identity
    assign: Callable  # (emulator, object_id) -> None
    unassign: Callable
    mint: Callable  # (emulator, object_id, **claims) -> the user's Entra ID access token


def _teams_client(emulator):
    return CommunicationIdentityClient.from_connection_string(emulator.connection_string)


def _teams_assign(emulator, object_id):
    with _teams_client(emulator) as client:
        client.upsert_teams_extension_assignment(TENANT_ID, object_id, TeamsExtensionPrincipalType.USER,
                                                 client_ids=[CLIENT_APP_ID])


def _teams_unassign(emulator, object_id):
    with _teams_client(emulator) as client:
        client.delete_teams_extension_assignment(TENANT_ID, object_id)


def _teams_mint(emulator, object_id, **claims):
    return emulator.mint_teams_extension_user_token(tenant_id=TENANT_ID, object_id=object_id,
                                                    client_id=CLIENT_APP_ID, **claims)


def _entra_client(emulator):
    return CommunicationIdentityClient.from_connection_string(emulator.connection_string,
                                                              api_version=ApiVersion.V2025_03_02_PREVIEW)


def _entra_assign(emulator, object_id):
    with _entra_client(emulator) as client:
        client.upsert_entra_assignment(TENANT_ID, object_id, EntraPrincipalType.USER, client_ids=[CLIENT_APP_ID])


def _entra_unassign(emulator, object_id):
    with _entra_client(emulator) as client:
        client.delete_entra_assignment(object_id)


def _entra_mint(emulator, object_id, **claims):
    return emulator.mint_entra_user_token(tenant_id=TENANT_ID, object_id=object_id, client_id=CLIENT_APP_ID, **claims)


TEAMS = Route("teams-extension", TEAMS_SCOPES, tuple(TEAMS_SCOPES), "teamsExtensionExchangeAccessToken",
              "/access/teamsExtension/:exchangeAccessToken", "2025-06-30", "_", _teams_assign, _teams_unassign,
              _teams_mint)
ENTRA = Route("entra", None, ("https://communication.azure.com/clients/.default",), "entraUsersExchangeAccessToken",
              "/access/entra/:exchangeAccessToken", "2025-03-02-preview", "_wf_", _entra_assign, _entra_unassign,
              _entra_mint)
ROUTES = [TEAMS, ENTRA]


class EntraUser:
    """An azure.identity-style credential for one signed-in user: ``get_token(*scopes)`` -> AccessToken,
    the token minted by the emulator's development issuer. ``hold`` (optional) runs before it answers."""

    def __init__(self, emulator, route, object_id, *, lifetime=3600, hold=None, **claims):
        self.emulator, self.route, self.object_id = emulator, route, object_id
        self.lifetime, self.hold, self.claims = lifetime, hold, claims
        self.scopes_asked = []
        self.issued = []

    def _mint(self, scopes):
        self.scopes_asked.append(scopes)
        token = self.route.mint(self.emulator, self.object_id, expires_in=self.lifetime, **self.claims)
        self.issued.append(token)
        return CoreAccessToken(token, int(time.time()) + self.lifetime)

    def get_token(self, *scopes, **kwargs):
        if self.hold is not None:
            self.hold()
        return self._mint(scopes)


class AsyncEntraUser(EntraUser):
    async def get_token(self, *scopes, **kwargs):  # type: ignore[override]
        if self.hold is not None:
            await self.hold()
        return await asyncio.get_running_loop().run_in_executor(None, self._mint, scopes)


class ExchangeCounter:
    BUDGET = 100_000

    def __init__(self, emulator, route, delay_seconds=0.001):
        self.emulator, self.operation = emulator, route.operation
        emulator.inject_fault(operation=route.operation, delay_seconds=delay_seconds, count=self.BUDGET)

    def seen(self):
        faults = self.emulator.admin("GET", "faults")["faults"]
        left = sum(fault["count"] for fault in faults if fault["operation"] == self.operation)
        return self.BUDGET - left


@pytest.fixture(autouse=True)
def normal_lifetimes(emu):
    """``emu`` (conftest): this module's own emulator, its faults cleared around each test; lifetimes too."""
    yield
    emu.set_token_ttl_seconds(None)


@pytest.fixture(params=ROUTES, ids=lambda route: route.name)
def route(request):
    return request.param


def _assigned_user(emu, route):
    object_id = str(uuid.uuid4())
    route.assign(emu, object_id)
    return object_id


@pytest.fixture
def user(emu, route):
    """A fresh user with an assignment for the route."""
    return _assigned_user(emu, route)


@pytest.fixture
def teams_user(emu):
    """A fresh Teams Phone user with an assignment, for what does not depend on the route."""
    return _assigned_user(emu, TEAMS)


def exchange_credential(emu, route, user_credential, **kwargs):
    return CommunicationTokenCredential(resource_endpoint=emu.endpoint, token_credential=user_credential,
                                        scopes=route.scopes, **kwargs)


def async_exchange_credential(emu, route, user_credential, **kwargs):
    return AsyncCommunicationTokenCredential(resource_endpoint=emu.endpoint, token_credential=user_credential,
                                             scopes=route.scopes, **kwargs)


def assert_issued_for(emu, route, token, object_id):
    status = emu.token_status(token)
    assert status["valid"] is True, status
    assert status["skypeid"].endswith(f"{route.raw_id_infix}{TENANT_ID}_{object_id}")


def wait_for(condition, seconds=20.0):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


# --------------------------------------------------------------------------- the first exchange


def test_the_first_get_token_exchanges_the_users_entra_token(emu, route, user):
    counter = ExchangeCounter(emu, route)
    signed_in = EntraUser(emu, route, user)
    sent = []
    credential = exchange_credential(emu, route, signed_in,
                                     raw_request_hook=lambda request: sent.append(request.http_request))
    assert counter.seen() == 0 and signed_in.scopes_asked == []  # nothing happens before the first get_token
    with credential:
        token = credential.get_token()
        again = credential.get_token("ignored.scope")
    assert_issued_for(emu, route, token.token, user)
    assert again == token and counter.seen() == 1
    assert signed_in.scopes_asked == [route.asked]  # BearerTokenCredentialPolicy(credential, *scopes)
    [request] = sent
    assert request.method == "POST"
    assert request.url == f"{emu.endpoint}{route.path}?api-version={route.api_version}"
    assert request.headers["Authorization"] == f"Bearer {signed_in.issued[0]}"
    assert request.headers["User-Agent"].startswith("azsdk-python-communication-identity/")
    assert token.expires_on > time.time()


@pytest.mark.asyncio
async def test_async_first_get_token_exchanges_the_users_entra_token(emu, route, user):
    counter = ExchangeCounter(emu, route)
    signed_in = AsyncEntraUser(emu, route, user)
    async with async_exchange_credential(emu, route, signed_in) as credential:
        token = await credential.get_token()
        assert await credential.get_token() == token
    assert_issued_for(emu, route, token.token, user)
    assert counter.seen() == 1 and signed_in.scopes_asked == [route.asked]


def idle_connections(transport):
    """Keep-alive connections the sync default transport holds, over every origin it has sent to."""
    return sum(route.connections.idle_count() for route in list(transport._routes.values()))


def test_close_closes_the_pipeline_and_the_credential(emu, route, user):
    credential = exchange_credential(emu, route, EntraUser(emu, route, user))
    credential.get_token()
    transport = credential._exchange._client._client._pipeline._transport
    assert idle_connections(transport) == 1  # the exchange's keep-alive connection
    credential.close()
    assert idle_connections(transport) == 0
    with pytest.raises(RuntimeError, match="closed"):
        credential.get_token()


# --------------------------------------------------------------------------- one exchange for many callers


def test_fifty_concurrent_callers_share_one_exchange(emu, route, user):
    counter = ExchangeCounter(emu, route)
    events, lock = [], threading.Lock()
    everyone_asked = threading.Event()

    def hold():  # the exchange's Entra token is fetched only once every caller has asked
        assert everyone_asked.wait(30)

    credential = exchange_credential(emu, route, EntraUser(emu, route, user, hold=hold))
    tokens = []

    def caller():
        with lock:
            events.append("ask")
            if events.count("ask") == CALLERS:
                everyone_asked.set()
        token = credential.get_token()
        with lock:
            events.append("got")
            tokens.append(token)

    threads = [threading.Thread(target=caller) for _ in range(CALLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    credential.close()
    assert events[:CALLERS] == ["ask"] * CALLERS and len(tokens) == CALLERS
    assert len({token.token for token in tokens}) == 1
    assert counter.seen() == 1


@pytest.mark.asyncio
async def test_async_fifty_concurrent_callers_share_one_exchange(emu, route, user):
    counter = ExchangeCounter(emu, route)
    events = []
    everyone_asked = asyncio.Event()

    async def hold():
        await asyncio.wait_for(everyone_asked.wait(), 30)

    async with async_exchange_credential(emu, route, AsyncEntraUser(emu, route, user, hold=hold)) as credential:
        async def caller():
            events.append("ask")
            if events.count("ask") == CALLERS:
                everyone_asked.set()
            token = await credential.get_token()
            events.append("got")
            return token

        tokens = await asyncio.gather(*(caller() for _ in range(CALLERS)))
    assert events[:CALLERS] == ["ask"] * CALLERS
    assert len({token.token for token in tokens}) == 1
    assert counter.seen() == 1


# --------------------------------------------------------------------------- refreshing


def test_an_expired_token_is_replaced_by_exchanging_again(emu, route, user):
    emu.set_token_ttl_seconds(SHORT_TTL_SECONDS)
    counter = ExchangeCounter(emu, route)
    with exchange_credential(emu, route, EntraUser(emu, route, user)) as credential:
        first = credential.get_token()
        assert wait_for(lambda: emu.token_status(first.token)["reason"] == "expired"), "the token did not expire"
        second = credential.get_token()
    assert second.token != first.token and second.expires_on > first.expires_on
    assert_issued_for(emu, route, second.token, user)
    assert counter.seen() == 2


@pytest.mark.asyncio
async def test_async_expired_token_is_replaced_by_exchanging_again(emu, route, user):
    emu.set_token_ttl_seconds(SHORT_TTL_SECONDS)
    counter = ExchangeCounter(emu, route)
    async with async_exchange_credential(emu, route, AsyncEntraUser(emu, route, user)) as credential:
        first = await credential.get_token()
        while emu.token_status(first.token)["reason"] != "expired":
            await asyncio.sleep(0.1)
        second = await credential.get_token()
    assert second.token != first.token
    assert_issued_for(emu, route, second.token, user)
    assert counter.seen() == 2


def test_short_lived_tokens_back_off_by_half_their_remaining_lifetime(emu, teams_user, monkeypatch):
    # The credential's clock is frozen, then moved: which get_token exchanges depends on it alone.
    emu.set_token_ttl_seconds(SHORT_TTL_SECONDS)
    counter = ExchangeCounter(emu, TEAMS)
    now = [int(time.time())]
    monkeypatch.setattr(_token_credential, "get_current_utc_as_int", lambda: now[0])
    with exchange_credential(emu, TEAMS, EntraUser(emu, TEAMS, teams_user)) as credential:
        first = credential.get_token()  # inside the 2-minute window from the start: a short-lived token
        assert credential.get_token() == first and counter.seen() == 1  # backing off
        now[0] += SHORT_TTL_SECONDS // 2 + 1  # past half of the remaining lifetime, not yet expired
        second = credential.get_token()
    assert second.token != first.token and counter.seen() == 2


def test_proactive_refresh_exchanges_in_the_background(emu, teams_user):
    emu.set_token_ttl_seconds(SHORT_TTL_SECONDS)
    counter = ExchangeCounter(emu, TEAMS)
    with exchange_credential(emu, TEAMS, EntraUser(emu, TEAMS, teams_user), proactive_refresh=True,
                             refresh_before_expiry=timedelta(seconds=SHORT_TTL_SECONDS - 1)) as credential:
        assert wait_for(lambda: counter.seen() >= 1), "entering did not start the background exchange"
        first = credential.get_token()
        assert wait_for(lambda: counter.seen() >= 2), "the background exchange did not run again"
        assert wait_for(lambda: credential.get_token() != first)
        current = credential.get_token()
    assert_issued_for(emu, TEAMS, current.token, teams_user)


def test_a_busy_service_is_retried_by_the_clients_retry_policy(emu, teams_user):
    emu.inject_fault(operation=TEAMS.operation, status=503, headers={"Retry-After": "0"}, count=1)
    sent = []
    with exchange_credential(emu, TEAMS, EntraUser(emu, TEAMS, teams_user),
                             raw_request_hook=lambda request: sent.append(request.http_request.url)) as credential:
        token = credential.get_token()
    assert_issued_for(emu, TEAMS, token.token, teams_user)
    assert len(sent) == 2 and emu.admin("GET", "faults")["faults"] == []  # the 503, then the exchange


# --------------------------------------------------------------------------- refusals


def _assert_no_token_in(error, user_credential):
    text = f"{error}\n{error!r}"
    assert user_credential.issued and not any(token in text for token in user_credential.issued)


def test_without_an_assignment_the_exchange_is_refused_with_403(emu, route, user):
    route.unassign(emu, user)
    signed_in = EntraUser(emu, route, user)
    with exchange_credential(emu, route, signed_in) as credential:
        with pytest.raises(HttpResponseError) as refused:
            credential.get_token()
        assert refused.value.status_code == 403 and refused.value.error.code == "Forbidden"
        assert not isinstance(refused.value, ClientAuthenticationError)
        _assert_no_token_in(refused.value, signed_in)
        route.assign(emu, user)  # a refusal is not remembered: the next get_token exchanges again
        assert_issued_for(emu, route, credential.get_token().token, user)


@pytest.mark.asyncio
async def test_async_without_an_assignment_the_exchange_is_refused_with_403(emu, route, user):
    route.unassign(emu, user)
    signed_in = AsyncEntraUser(emu, route, user)
    async with async_exchange_credential(emu, route, signed_in) as credential:
        with pytest.raises(HttpResponseError) as refused:
            await credential.get_token()
    assert refused.value.status_code == 403 and refused.value.error.code == "Forbidden"
    _assert_no_token_in(refused.value, signed_in)


def test_a_token_the_service_does_not_accept_is_a_client_authentication_error(emu, teams_user):
    # Teams.ManageCalls is the Teams user exchange's permission, not Teams Phone extensibility's.
    signed_in = EntraUser(emu, TEAMS, teams_user, scp="Teams.ManageCalls")
    with exchange_credential(emu, TEAMS, signed_in) as credential:
        with pytest.raises(ClientAuthenticationError) as refused:
            credential.get_token()
    assert refused.value.status_code == 401 and refused.value.error.code == "InvalidAccessToken"
    _assert_no_token_in(refused.value, signed_in)


# --------------------------------------------------------------------------- secrets and close


def test_neither_token_appears_in_the_debug_logs(emu, route, user, caplog):
    signed_in = EntraUser(emu, route, user)
    caplog.set_level(logging.DEBUG)
    with exchange_credential(emu, route, signed_in, logging_enable=True) as credential:
        issued = credential.get_token()
        log_text = "\n".join(record.getMessage() for record in caplog.records) + repr(credential)
    assert route.path in log_text and "<redacted>" in log_text  # the trace was on: request and response
    assert signed_in.issued[0] not in log_text
    assert issued.token not in log_text
    for part in issued.token.split(".") + signed_in.issued[0].split("."):  # nor any segment of them
        assert part not in log_text


def test_close_during_an_exchange_returns_before_the_answer(emu, teams_user):
    counter = ExchangeCounter(emu, TEAMS, delay_seconds=1.5)  # the exchange's answer takes 1.5 s
    events = []
    credential = exchange_credential(emu, TEAMS, EntraUser(emu, TEAMS, teams_user),
                                     raw_response_hook=lambda response: events.append("answered"))

    def caller():
        try:
            credential.get_token()
            events.append("token")
        except RuntimeError:
            events.append("refused: closed")

    thread = threading.Thread(target=caller)
    thread.start()
    assert wait_for(lambda: counter.seen() == 1)  # the exchange has reached the service: it is in flight
    credential.close()
    events.append("close returned")
    thread.join(30)
    # The exchange's connection is left to finish on its own; its late answer is dropped.
    assert events == ["close returned", "answered", "refused: closed"]


def test_closing_before_the_exchange_is_sent_refuses_it_as_closed(emu, teams_user):
    # Closed after the user's Entra ID token was fetched but before the exchange went out: the closed
    # pipeline refuses to send, and the caller is told the credential was closed, not about the pipeline.
    counter = ExchangeCounter(emu, TEAMS)
    signed_in = EntraUser(emu, TEAMS, teams_user)
    credential = exchange_credential(emu, TEAMS, signed_in)
    signed_in.hold = credential.close
    with pytest.raises(RuntimeError, match="cannot be reused once it has been closed"):
        credential.get_token()
    assert counter.seen() == 0


@pytest.mark.asyncio
async def test_async_close_during_an_exchange_returns_before_the_answer(emu, teams_user):
    ExchangeCounter(emu, TEAMS, delay_seconds=1.5)
    sending = asyncio.Event()

    async def hold():
        sending.set()

    events = []
    credential = async_exchange_credential(emu, TEAMS, AsyncEntraUser(emu, TEAMS, teams_user, hold=hold),
                                           raw_response_hook=lambda response: events.append("answered"))

    async def caller():
        try:
            await credential.get_token()
            events.append("token")
        except RuntimeError:
            events.append("refused: closed")

    task = asyncio.ensure_future(caller())
    await asyncio.wait_for(sending.wait(), 10)
    await credential.close()
    events.append("close returned")
    await asyncio.wait_for(task, 10)
    # The exchange was cancelled, not waited for: no answer ever reached the pipeline.
    assert sorted(events) == ["close returned", "refused: closed"]


def test_the_async_credential_moves_between_event_loops_without_leaking_sessions(emu, teams_user, monkeypatch,
                                                                                 caplog):
    # asyncio.run twice: each exchange's aiohttp session lives and dies on the loop that made it.
    from azure.communication.identity.aio import _token_credential_async

    counter = ExchangeCounter(emu, TEAMS)
    credential = async_exchange_credential(emu, TEAMS, AsyncEntraUser(emu, TEAMS, teams_user))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        first = asyncio.run(credential.get_token())
        # The credential's clock moves into the 2-minute window of the first token: the next loop exchanges.
        monkeypatch.setattr(_token_credential_async, "get_current_utc_as_int", lambda: first.expires_on - 60)
        second = asyncio.run(credential.get_token())
        asyncio.run(credential.close())
        gc.collect()
    assert second.token != first.token and counter.seen() == 2
    assert_issued_for(emu, TEAMS, second.token, teams_user)
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)], [str(w.message) for w in caught]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_forked_child_exchanges_through_a_pipeline_of_its_own(emu, teams_user):
    scenario = os.path.join(os.path.dirname(__file__), "exchange_fork_scenario.py")
    done = subprocess.run([sys.executable, scenario, TENANT_ID, teams_user, CLIENT_APP_ID], capture_output=True,
                          text=True, timeout=90, check=False,
                          env=dict(os.environ, EXCHANGE_EMULATOR=emu.connection_string))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["child"] == {"token_from_child": True, "own_pipeline": True, "parent_pool_untouched": True}
    assert result["parent"] == {"parent_idle_before_fork": 1, "token_in_parent": True,
                                "same_pipeline_in_parent": True}
