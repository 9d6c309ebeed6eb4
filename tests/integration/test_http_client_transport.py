"""HttpClientTransport, the sync client's default transport, over real sockets.

Connections are counted by a small TCP relay in front of the emulator; proxies are a real forward
proxy on loopback (absolute-form and CONNECT); odd response framings come from a canned server.
"""

from __future__ import annotations

import base64
import socket
import socketserver
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError
from azure.core.pipeline.transport import HttpRequest as LegacyHttpRequest
from azure.core.pipeline.transport import RequestsTransport
from azure.core.rest import HttpRequest

from acs_identity_emulator.testing import running_emulator
from azure.communication.identity import CommunicationIdentityClient
from azure.communication.identity._http_client_transport import HttpClientTransport

from .proxies import pump

API = {"api-version": "2023-10-01"}


# -- helpers: a counting TCP relay, a forward proxy, a canned HTTP server ---------------------------
class _Relay(socketserver.ThreadingTCPServer):
    """Forwards bytes to ``upstream`` and counts the client connections it accepted."""

    daemon_threads = True

    def __init__(self, upstream: tuple) -> None:
        self.upstream = upstream
        self.accepted = 0
        super().__init__(("127.0.0.1", 0), _RelayHandler)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _RelayHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.server.accepted += 1
        pump(self.request, socket.create_connection(self.server.upstream))


def _serve(server):
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


@pytest.fixture
def relay(emulator):
    host, port = emulator.endpoint.rsplit("//", 1)[1].rsplit(":", 1)
    server = _serve(_Relay((host, int(port))))
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def no_env(monkeypatch):
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy",
                 "NO_PROXY", "no_proxy", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _client(endpoint, key, **kwargs):
    return CommunicationIdentityClient(endpoint, AzureKeyCredential(key), **kwargs)


def _transport(client) -> HttpClientTransport:
    return client._client._client._pipeline._transport


# -- pooling ---------------------------------------------------------------------------------------
def test_many_calls_share_one_keep_alive_connection(emulator, relay):
    with _client(relay.endpoint, emulator.access_key) as client:
        user = client.create_user()
        tokens = {client.get_token(user, ["chat"]).token for _ in range(30)}
    assert len(tokens) >= 1
    assert relay.accepted == 1


def test_twenty_threads_share_the_pool(emulator, relay):
    with _client(relay.endpoint, emulator.access_key, pool_maxsize=20) as client:
        user = client.create_user()
        with ThreadPoolExecutor(20) as pool:
            results = list(pool.map(lambda _: [client.get_token(user, ["voip"]).token for _ in range(20)],
                                    range(20)))
    assert sum(len(batch) for batch in results) == 400
    assert all(token for batch in results for token in batch)
    assert 1 <= relay.accepted <= 20  # never more connections than requests in flight


def test_close_closes_the_pooled_connections(emulator):
    client = _client(emulator.endpoint, emulator.access_key)
    client.create_user()
    pool = _transport(client)._pool
    idle = [conn for conns in pool._idle.values() for conn in conns]
    assert idle and all(conn.sock is not None for conn in idle)
    client.close()
    assert pool.idle_count() == 0
    assert all(conn.sock is None for conn in idle)
    assert client.create_user().raw_id  # a closed transport reconnects when used again


def test_a_connection_the_server_closed_while_idle_is_replaced():
    key = base64.b64encode(b"k" * 32).decode()  # fixed, so the restarted emulator accepts the same signatures
    with running_emulator(in_memory=True, args=["--access-key", key]) as emu, \
            _client(emu.endpoint, key, retry_total=0) as client:
        client.create_user()
        emu.restart()  # same port; the pooled connection is now dead
        assert client.create_user().raw_id.startswith("8:acs:")


# -- errors ----------------------------------------------------------------------------------------
def test_read_timeout_is_a_service_response_error_and_the_client_recovers():
    with running_emulator(in_memory=True) as emu, \
            _client(emu.endpoint, emu.access_key, retry_total=0, read_timeout=0.3) as client:
        user = client.create_user()
        emu.inject_fault(operation="issueAccessToken", delay_seconds=3, count=1)
        with pytest.raises(ServiceResponseError) as info:
            client.get_token(user, ["chat"])
        assert isinstance(info.value.__cause__, TimeoutError)
        assert info.value.inner_exception is info.value.__cause__
        assert client.get_token(user, ["chat"]).token  # the timed-out connection was not reused


def test_connection_refused_is_a_service_request_error(closed_port_endpoint):
    with _client(closed_port_endpoint, "a2V5", retry_total=0) as client, pytest.raises(ServiceRequestError) as info:
        client.create_user()
    assert isinstance(info.value.__cause__, ConnectionRefusedError)


# -- TLS -------------------------------------------------------------------------------------------
def test_tls_verification_on_off_and_ca_path(tls_emulator, no_env):
    with _client(tls_emulator.endpoint, tls_emulator.access_key, retry_total=0) as client:
        with pytest.raises(ServiceRequestError, match="CERTIFICATE_VERIFY_FAILED"):
            client.create_user()
    with _client(tls_emulator.endpoint, tls_emulator.access_key, connection_verify=tls_emulator.ca_cert) as client:
        assert client.create_user().raw_id
    with _client(tls_emulator.endpoint, tls_emulator.access_key, connection_verify=False) as client:
        assert client.create_user().raw_id
    no_env.setenv("SSL_CERT_FILE", tls_emulator.ca_cert)
    with _client(tls_emulator.endpoint, tls_emulator.access_key) as client:
        assert client.create_user().raw_id


def test_client_certificate_is_loaded(tls_emulator, tmp_path):
    missing = str(tmp_path / "client.pem")
    with _client(tls_emulator.endpoint, tls_emulator.access_key, retry_total=0,
                 connection_verify=tls_emulator.ca_cert, connection_cert=missing) as client:
        with pytest.raises(ServiceRequestError) as info:
            client.create_user()
    assert isinstance(info.value.__cause__, FileNotFoundError)


# -- proxies ---------------------------------------------------------------------------------------
def test_http_proxy_gets_absolute_form_and_basic_credentials(emulator, forward_proxy, no_env):
    proxy = forward_proxy.url.replace("http://", "http://alice:s%40cret@")
    with _client(emulator.endpoint, emulator.access_key, proxies={"http": proxy}) as client:
        user = client.create_user()
        assert client.get_token(user, ["chat"]).token
    assert [method for method, _ in forward_proxy.seen] == ["POST", "POST"]
    assert all(path.startswith(emulator.endpoint + "/identities") for _, path in forward_proxy.seen)
    assert forward_proxy.auth == ["Basic " + base64.b64encode(b"alice:s@cret").decode()] * 2


def test_https_goes_through_a_connect_tunnel(tls_emulator, forward_proxy, no_env):
    no_env.setenv("HTTPS_PROXY", forward_proxy.url)
    with _client(tls_emulator.endpoint, tls_emulator.access_key, connection_verify=tls_emulator.ca_cert) as client:
        user = client.create_user()
        assert client.get_token(user, ["chat"]).token
    authority = tls_emulator.endpoint.split("//", 1)[1]
    assert forward_proxy.seen == [("CONNECT", authority)]  # one tunnel, kept alive for both calls


def test_proxy_credentials_stay_out_of_error_messages(closed_port_endpoint, no_env):
    with _client("http://acs.invalid", "a2V5", retry_total=0,
                 proxies={"http": closed_port_endpoint.replace("http://", "http://bob:hunter2@")}) as client:
        with pytest.raises(ServiceRequestError) as info:
            client.create_user()
    assert "hunter2" not in str(info.value)
    assert "through the proxy 127.0.0.1" in str(info.value)


# -- send_request (azure.core.rest) ----------------------------------------------------------------
def test_send_request_returns_a_read_rest_response(client):
    response = client.send_request(HttpRequest("POST", "/identities", params=API, json={}))
    response.raise_for_status()
    assert response.status_code == 201
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["identity"]["id"].startswith("8:acs:")
    assert response.text() == response.read().decode("utf-8")
    assert response.is_closed and response.is_stream_consumed


def test_send_request_can_stream(client):
    response = client.send_request(HttpRequest("POST", "/identities", params=API, json={}), stream=True)
    assert not response.is_stream_consumed
    body = b"".join(response.iter_bytes())
    assert body.startswith(b"{") and response.is_closed
    missing = client.send_request(HttpRequest("DELETE", "/identities/8:acs:nobody", params=API), stream=True)
    with pytest.raises(HttpResponseError):
        missing.raise_for_status()
    missing.close()  # unread body: that connection is dropped, the next call still works
    assert client.send_request(HttpRequest("POST", "/identities", params=API, json={})).status_code == 201


# -- framings and the transport used on its own ----------------------------------------------------
class _Canned(socketserver.ThreadingTCPServer):
    """Answers every request on a connection with the next canned response (raw bytes)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, responses: list) -> None:
        self.responses = list(responses)
        self.connections = 0
        self.requests: list = []
        super().__init__(("127.0.0.1", 0), _CannedHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _CannedHandler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        self.server.connections += 1
        while self.server.responses:
            head = b""
            while not head.endswith(b"\r\n\r\n"):
                line = self.rfile.readline()
                if not line:
                    return
                head += line
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            self.server.requests.append(head + self.rfile.read(length))
            answer = self.server.responses.pop(0)
            self.wfile.write(answer)
            if b"Connection: close" in answer or b"Content-Length" not in answer and b"chunked" not in answer:
                return


@pytest.fixture
def canned():
    servers = []

    def make(*responses):
        server = _serve(_Canned(responses))
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.shutdown()
        server.server_close()


def test_framings_and_connection_close(canned):
    server = canned(
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\nx-a: 2\r\n\r\nhello",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close",
    )
    with HttpClientTransport() as transport:
        first = transport.send(LegacyHttpRequest("GET", server.url + "/a?x=%2F%20"))
        assert (first.status_code, first.body(), first.headers["X-A"]) == (200, b"hello", "2")
        chunked = transport.send(LegacyHttpRequest("POST", server.url + "/b", data=b'{"k": 1}'))
        assert chunked.body() == b"abcde"
        assert transport.send(LegacyHttpRequest("GET", server.url + "/c")).text() == "ok"
        last = transport.send(LegacyHttpRequest("GET", server.url + "/d"))
        assert (last.body(), last.content_type) == (b"until close", "text/plain")
    assert server.connections == 2  # kept alive for a, b, c; a new connection after "Connection: close"
    first_request, post = server.requests[0], server.requests[1]
    assert first_request.startswith(b"GET /a?x=%2F%20 HTTP/1.1\r\n")  # sent exactly as signed, not re-quoted
    assert b"Accept-Encoding: identity" in first_request and b"User-Agent" not in first_request
    assert post.endswith(b'\r\nContent-Length: 8\r\n\r\n{"k": 1}')


def test_a_truncated_body_is_a_service_response_error(canned):
    server = canned(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\nabc")
    with HttpClientTransport() as transport, pytest.raises(ServiceResponseError):
        transport.send(LegacyHttpRequest("GET", server.url + "/"))


def test_header_injection_is_refused_before_sending(canned):
    server = canned(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    request = LegacyHttpRequest("GET", server.url + "/", headers={"X-Bad": "a\r\nInjected: 1"})
    with HttpClientTransport() as transport, pytest.raises(ValueError, match="X-Bad"):
        transport.send(request)
    assert server.requests == []


def test_requests_stays_available(emulator):
    with _client(emulator.endpoint, emulator.access_key, transport=RequestsTransport()) as client:
        assert isinstance(_transport(client), RequestsTransport)
        assert client.create_user().raw_id


def test_malformed_proxy_url_error_does_not_quote_the_password(emulator, monkeypatch):
    for name in ("NO_PROXY", "no_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", "http://bob:hunter#2@proxy.invalid:3128")
    with CommunicationIdentityClient.from_connection_string(emulator.connection_string, retry_total=0) as client:
        with pytest.raises(ValueError) as info:
            client.create_user()
    assert "hunter" not in str(info.value) and "percent-encode" in str(info.value)


def test_unsendable_path_is_a_value_error_before_connecting(closed_port_endpoint):
    # (Key-signed clients never get here: the HMAC policy percent-encodes the URL it signs.)
    from azure.core.rest import HttpRequest

    # Nothing listens on the port: a connection attempt would be a ServiceRequestError, not a ValueError.
    transport = HttpClientTransport()
    with pytest.raises(ValueError, match="spaces or control characters"):
        transport.send(HttpRequest("GET", f"{closed_port_endpoint}/identities/a b"))


def test_connection_cert_may_be_a_list(tls_emulator, tmp_path):
    transport = HttpClientTransport(connection_verify=tls_emulator.ca_cert)
    from azure.core.rest import HttpRequest

    missing = [str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")]
    from azure.core.exceptions import ServiceRequestError

    # Not a TypeError from hashing a list: the (missing) files are the only problem left.
    with pytest.raises(ServiceRequestError):
        transport.send(HttpRequest("GET", f"{tls_emulator.endpoint}/emulator/health"), connection_cert=missing)
