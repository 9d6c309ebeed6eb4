"""x-ms-client-request-id, end to end: the service echoes what each call sent.

The clients make each call's id themselves (a uuid4: cheaper than azure-core's uuid1); azure-core's
``request_id``/``auto_request_id`` options keep working over that, per call and per client.
"""

from __future__ import annotations

import uuid

import pytest

from azure.communication.identity import CommunicationIdentityClient
from azure.communication.identity.aio import CommunicationIdentityClient as AsyncClient

HEADER = "x-ms-client-request-id"


class Echoes:
    """The request id each response echoed (None when the request carried none)."""

    def __init__(self):
        self.ids = []

    def __call__(self, response):
        self.ids.append(response.http_response.headers.get(HEADER))

    def __bool__(self):  # azure-core tests the hook for truth before calling it
        return True


def _ids(emulator, **kwargs):
    echoes = Echoes()
    with CommunicationIdentityClient.from_connection_string(emulator.connection_string, raw_response_hook=echoes,
                                                            **kwargs) as client:
        user = client.create_user()
        client.get_token(user, ["chat"])
        client.get_token(user, ["chat"], request_id="per-call")
        client.get_token(user, ["chat"], headers={HEADER: "in-headers"})
    return echoes.ids


def test_each_call_sends_its_own_id_and_the_options_still_apply(emulator):
    first, second, per_call, in_headers = _ids(emulator)
    assert first != second
    assert uuid.UUID(first) and uuid.UUID(second)
    assert (per_call, in_headers) == ("per-call", "in-headers")


def test_a_client_wide_request_id_wins(emulator):
    assert _ids(emulator, request_id="client-wide") == ["client-wide", "client-wide", "per-call", "in-headers"]


def test_auto_request_id_false_sends_none(emulator):
    assert _ids(emulator, auto_request_id=False) == [None, None, "per-call", "in-headers"]


@pytest.mark.asyncio
async def test_async_calls_send_their_own_ids(emulator):
    echoes = Echoes()
    async with AsyncClient.from_connection_string(emulator.connection_string, raw_response_hook=echoes) as client:
        user = await client.create_user()
        await client.get_token(user, ["chat"])
        await client.get_token(user, ["chat"], request_id="per-call")
    first, second, per_call = echoes.ids
    assert first != second and uuid.UUID(first) and uuid.UUID(second)
    assert per_call == "per-call"
