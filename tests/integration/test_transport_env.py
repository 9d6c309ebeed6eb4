"""The clients' default transports read proxy and CA settings from the environment once per origin.

A real forward proxy on loopback records what passes through it, so "went through the proxy"
is observed on a socket, not inferred from a mock.
"""

from __future__ import annotations

import pytest

from azure.communication.identity import CommunicationIdentityClient
from azure.communication.identity._http_client_transport import HttpClientTransport


@pytest.fixture
def clean_proxy_env(monkeypatch):
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy",
                 "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _get_token(emulator, **kwargs):
    with CommunicationIdentityClient.from_connection_string(emulator.connection_string, **kwargs) as client:
        user = client.create_user()
        token = client.get_token(user, ["chat"])
        assert token.token
        return client


def test_default_transport_is_the_http_client_transport(emulator):
    client = CommunicationIdentityClient.from_connection_string(emulator.connection_string)
    assert isinstance(client._client._client._pipeline._transport, HttpClientTransport)


def test_http_proxy_from_the_environment_is_used(emulator, forward_proxy, clean_proxy_env):
    clean_proxy_env.setenv("HTTP_PROXY", forward_proxy.url)
    _get_token(emulator)
    assert any(":issueAccessToken" in path for path in forward_proxy.paths)
    assert all(path.startswith(emulator.endpoint) for path in forward_proxy.paths)


def test_no_proxy_from_the_environment_bypasses_the_proxy(emulator, forward_proxy, clean_proxy_env):
    clean_proxy_env.setenv("HTTP_PROXY", forward_proxy.url)
    clean_proxy_env.setenv("NO_PROXY", "127.0.0.1,localhost")
    _get_token(emulator)
    assert forward_proxy.paths == []


def test_explicit_proxies_keyword_wins(emulator, forward_proxy, clean_proxy_env):
    _get_token(emulator, proxies={"http": forward_proxy.url})
    assert len(forward_proxy.paths) == 2  # create_user and get_token


def test_use_env_settings_false_ignores_the_environment(emulator, forward_proxy, clean_proxy_env):
    clean_proxy_env.setenv("HTTP_PROXY", forward_proxy.url)
    _get_token(emulator, use_env_settings=False)
    assert forward_proxy.paths == []


def test_ca_bundle_from_the_environment_is_trusted(tls_emulator, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", tls_emulator.ca_cert)
    _get_token(tls_emulator)


def test_without_the_ca_bundle_tls_to_the_emulator_fails(tls_emulator, monkeypatch):
    from azure.core.exceptions import ServiceRequestError

    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with pytest.raises(ServiceRequestError):
        _get_token(tls_emulator, retry_total=0)


# The async client's default transport: the same environment rules, looked up once per origin on the loop's
# thread instead of by aiohttp in a worker thread on every request.

async def _async_get_token(emulator, **kwargs):
    from azure.communication.identity.aio import CommunicationIdentityClient as AsyncClient

    async with AsyncClient.from_connection_string(emulator.connection_string, **kwargs) as client:
        user = await client.create_user()
        assert (await client.get_token(user, ["chat"])).token
        assert (await client.get_token(user, ["voip"])).token
        return client


@pytest.mark.asyncio
async def test_async_default_transport_and_proxy_from_the_environment(emulator, forward_proxy, clean_proxy_env):
    from azure.communication.identity.aio._transport_async import EnvOnceAioHttpTransport

    clean_proxy_env.setenv("HTTP_PROXY", forward_proxy.url)
    client = await _async_get_token(emulator)
    transport = client._client._client._pipeline._transport
    assert isinstance(transport, EnvOnceAioHttpTransport)
    assert len(forward_proxy.paths) == 3 and all(path.startswith(emulator.endpoint) for path in forward_proxy.paths)
    assert list(transport._proxy_by_origin.values()) == [forward_proxy.url]  # asked once, for the one origin


@pytest.mark.asyncio
async def test_async_no_proxy_and_use_env_settings_false(emulator, forward_proxy, clean_proxy_env):
    clean_proxy_env.setenv("HTTP_PROXY", forward_proxy.url)
    clean_proxy_env.setenv("NO_PROXY", "127.0.0.1")
    await _async_get_token(emulator)
    clean_proxy_env.delenv("NO_PROXY")
    await _async_get_token(emulator, use_env_settings=False)
    assert forward_proxy.paths == []


@pytest.mark.asyncio
async def test_async_explicit_proxies_keyword_wins(emulator, forward_proxy, clean_proxy_env):
    clean_proxy_env.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    await _async_get_token(emulator, proxies={"http": forward_proxy.url})
    assert len(forward_proxy.paths) == 3


@pytest.mark.asyncio
async def test_async_closed_client_refuses_reuse(emulator):
    from azure.communication.identity.aio import CommunicationIdentityClient as AsyncClient

    client = AsyncClient.from_connection_string(emulator.connection_string)
    await client.create_user()
    await client.close()
    with pytest.raises(ValueError, match="already been closed"):
        await client.create_user()
