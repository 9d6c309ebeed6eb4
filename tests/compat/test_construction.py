"""Building a client the ways the official package accepts, each followed by a real request."""

from __future__ import annotations

import pytest
from azure.core.credentials import AzureKeyCredential

from azure.communication.identity import CommunicationIdentityClient
from azure.communication.identity.aio import CommunicationIdentityClient as AsyncCommunicationIdentityClient


def _host(emulator) -> str:
    return emulator.endpoint.split("://", 1)[1]


def test_a_bare_host_is_https_and_a_str_is_the_access_key(trusts_tls_emulator):
    emulator = trusts_tls_emulator
    seen = []
    with CommunicationIdentityClient(_host(emulator), emulator.access_key,
                                     raw_request_hook=lambda request: seen.append(request.http_request.url)) as client:
        user = client.create_user()
        token = client.get_token(user, ["chat"])
    assert seen[0].startswith(emulator.endpoint + "/identities?") and seen[0].startswith("https://")
    assert emulator.token_status(token.token)["valid"] is True


@pytest.mark.asyncio
async def test_a_bare_host_and_a_str_key_async(tls_emulator):
    # aiohttp reads SSL_CERT_FILE once, when it is imported (long before this test): trust the CA explicitly.
    async with AsyncCommunicationIdentityClient(_host(tls_emulator), tls_emulator.access_key,
                                                connection_verify=tls_emulator.ca_cert) as client:
        user, token = await client.create_user_and_token(["voip"])
    assert tls_emulator.token_status(token.token)["valid"] is True
    assert user.properties["id"].startswith("8:acs:")


@pytest.mark.parametrize("extra", ["region=westus", "SharedAccessKeyName=primary", "x=1;y=2"])
def test_connection_strings_with_other_parts_work(emulator, extra):
    for conn_str in (f"{emulator.connection_string};{extra}", f"{extra};{emulator.connection_string}"):
        with CommunicationIdentityClient.from_connection_string(conn_str) as client:
            assert client.create_user().properties["id"].startswith("8:acs:")


def test_a_connection_string_without_scheme_is_https(trusts_tls_emulator):
    conn_str = f"endpoint={_host(trusts_tls_emulator)};accesskey={trusts_tls_emulator.access_key}"
    with CommunicationIdentityClient.from_connection_string(conn_str) as client:
        assert client.create_user().properties["id"].startswith("8:acs:")


@pytest.mark.parametrize("build", [
    lambda: CommunicationIdentityClient.from_connection_string(None),
    lambda: CommunicationIdentityClient(None, AzureKeyCredential("a2V5")),
    lambda: CommunicationIdentityClient("https://res.communication.azure.com", None),
    lambda: AsyncCommunicationIdentityClient.from_connection_string(None),
    lambda: AsyncCommunicationIdentityClient(None, AzureKeyCredential("a2V5")),
    lambda: AsyncCommunicationIdentityClient("https://res.communication.azure.com", None),
])
def test_none_arguments_are_value_errors(build):
    with pytest.raises(ValueError, match="is None"):
        build()


def test_keyword_options_the_official_tests_pass_are_accepted(emulator):
    from azure.core.pipeline.policies import HttpLoggingPolicy

    with CommunicationIdentityClient.from_connection_string(emulator.connection_string,
                                                            http_logging_policy=HttpLoggingPolicy()) as client:
        assert client.create_user().properties["id"]
