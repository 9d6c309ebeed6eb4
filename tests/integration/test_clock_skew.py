"""A wrong clock: the 401 says so and names the skew; correct_clock_skew=True makes the next request work.

The emulator's clock is set off from the machine's through its admin settings, which is the same, as far
as the signature goes, as this machine's clock being off by the opposite amount.
"""

from __future__ import annotations

import pytest
from azure.core.exceptions import ClientAuthenticationError

from acs_identity_emulator.testing import running_emulator
from azure.communication.identity import CommunicationIdentityClient
from azure.communication.identity.aio import CommunicationIdentityClient as AsyncClient

OFFSET = 20 * 60  # the service's window is 15 minutes


@pytest.fixture
def skewed():
    with running_emulator(in_memory=True) as emu:
        emu.set_clock_offset_seconds(OFFSET)
        yield emu


def test_the_error_names_the_skew_and_how_to_fix_it(skewed):
    with CommunicationIdentityClient.from_connection_string(skewed.connection_string, retry_total=0) as client:
        with pytest.raises(ClientAuthenticationError) as info:
            client.create_user()
        with pytest.raises(ClientAuthenticationError):
            client.create_user()  # without the opt-in, nothing changes
    message = str(info.value)
    assert info.value.status_code == 401
    assert "x-ms-date" in message and "behind the server's clock" in message  # the service's own words
    assert "seconds behind the service's clock" in message and "correct_clock_skew=True" in message
    assert abs(info.value.clock_skew_seconds + OFFSET) < 5


def test_opt_in_correction_makes_the_next_request_succeed(skewed):
    with CommunicationIdentityClient.from_connection_string(skewed.connection_string, retry_total=0,
                                                           correct_clock_skew=True) as client:
        with pytest.raises(ClientAuthenticationError):
            client.create_user()
        user, token = client.create_user_and_token(["chat"])
        client.delete_user(user)
    assert token.token


def test_correction_is_dropped_when_the_clocks_agree_again(skewed):
    with CommunicationIdentityClient.from_connection_string(skewed.connection_string, retry_total=0,
                                                           correct_clock_skew=True) as client:
        with pytest.raises(ClientAuthenticationError):
            client.create_user()
        client.create_user()  # corrected
        skewed.set_clock_offset_seconds(0)  # the service's clock is fixed (or ours was, by NTP)
        with pytest.raises(ClientAuthenticationError):
            client.create_user()  # signed with the stale correction: refused, and the correction is dropped
        assert client.create_user().raw_id.startswith("8:acs:")


def test_small_skew_is_not_blamed_for_a_wrong_key(emulator):
    from azure.core.credentials import AzureKeyCredential

    with CommunicationIdentityClient(emulator.endpoint, AzureKeyCredential("d3Jvbmcta2V5")) as client:
        with pytest.raises(ClientAuthenticationError) as info:
            client.create_user()
    assert "correct_clock_skew" not in str(info.value)
    assert abs(info.value.clock_skew_seconds) < 5


@pytest.mark.asyncio
async def test_async_correction(skewed):
    async with AsyncClient.from_connection_string(skewed.connection_string, retry_total=0,
                                                  correct_clock_skew=True) as client:
        with pytest.raises(ClientAuthenticationError, match="seconds behind the service's clock"):
            await client.create_user()
        assert (await client.create_user()).raw_id.startswith("8:acs:")
