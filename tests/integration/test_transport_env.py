"""The clients' default transports read proxy and CA settings from the environment once per origin.

A real forward proxy on loopback records what passes through it, so "went through the proxy"
is observed on a socket, not inferred from a mock. (What the sync default transport shares with
requests is in ``test_transport_conformance.py``; this file holds what is its own.)
"""

from __future__ import annotations

import pytest
from azure.core.rest import HttpRequest

from azure.communication.identity import CommunicationIdentityClient
from azure.communication.identity._urllib3_transport import Urllib3Transport

from .http_servers import ScriptedServer, canned, response


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


def test_default_transport_is_the_urllib3_transport(emulator):
    client = CommunicationIdentityClient.from_connection_string(emulator.connection_string)
    assert isinstance(client._client._client._pipeline._transport, Urllib3Transport)


def test_the_environment_is_read_once_per_origin(emulator, forward_proxy, clean_proxy_env):
    with CommunicationIdentityClient.from_connection_string(emulator.connection_string) as client:
        user = client.create_user()
        clean_proxy_env.setenv("HTTP_PROXY", forward_proxy.url)  # too late for this origin: decided already
        assert client.get_token(user, ["chat"]).token
    assert forward_proxy.paths == []
    _get_token(emulator)  # a new client reads it
    assert len(forward_proxy.paths) == 2


def test_netrc_is_never_consulted(emulator, tmp_path, monkeypatch):
    # requests (trust_env) would replace the signed Authorization header with these Basic credentials.
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login mallory password stolen\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    _get_token(emulator)


def test_close_closes_the_pooled_connections(clean_proxy_env):
    with ScriptedServer(canned(response("200 OK", b"{}", (("Content-Type", "application/json"),)))) as server:
        client = CommunicationIdentityClient(server.url, _key())
        client.send_request(HttpRequest("GET", "/a"))
        client.send_request(HttpRequest("GET", "/b"))
        assert (server.connections, server.closed_by_client) == (1, 0)
        client.close()
        _wait_for(lambda: server.closed_by_client == 1)


def test_malformed_proxy_url_error_does_not_quote_the_password(emulator, clean_proxy_env):
    clean_proxy_env.setenv("HTTP_PROXY", "http://bob:hunter#2@proxy.invalid:3128")
    with CommunicationIdentityClient.from_connection_string(emulator.connection_string, retry_total=0) as client:
        with pytest.raises(ValueError) as info:
            client.create_user()
    assert "hunter" not in str(info.value) and "percent-encode" in str(info.value)


def test_socks_proxies_are_refused_with_a_pointer(emulator, clean_proxy_env):
    with CommunicationIdentityClient.from_connection_string(emulator.connection_string,
                                                            proxies={"http": "socks5://127.0.0.1:1080"}) as client:
        with pytest.raises(ValueError, match="RequestsTransport"):
            client.create_user()


def _key():
    from azure.core.credentials import AzureKeyCredential

    return AzureKeyCredential("a2V5")


def _wait_for(condition, seconds: float = 5.0) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the server never saw the connection close"
        time.sleep(0.01)


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


def test_ssl_cert_file_is_trusted_too(tls_emulator, monkeypatch):
    # requests itself reads REQUESTS_CA_BUNDLE only; the standard library's variable works here as well.
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SSL_CERT_FILE", tls_emulator.ca_cert)
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
