"""Transport conformance: every case runs against the sync client's default transport and against
azure-core's ``RequestsTransport``, over real sockets, and asserts the same observable result.

Servers: the emulator (plain, TLS, IPv6 loopback when the machine has it), a recording forward proxy
(plain and TLS, ``proxies.py``), and scripted servers (``http_servers.py``) for what the emulator
never sends: compressed bodies, early answers, paced chunks, malformed and repeated headers.
Where the default transport differs from requests on purpose, the test says so and asserts both.
"""

from __future__ import annotations

import base64
import gzip
import os
import socket
import subprocess
import sys
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor

import pytest
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import (
    ClientAuthenticationError,
    DecodeError,
    IncompleteReadError,
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)
from azure.core.pipeline.transport import RequestsTransport
from azure.core.rest import HttpRequest

from acs_identity_emulator.testing import running_emulator
from azure.communication.identity import CommunicationIdentityClient
from azure.communication.identity._urllib3_transport import Urllib3Transport

from .http_servers import CompressingGateway, ScriptedServer, TcpRelay, canned, chunked, response
from .proxies import ForwardProxy

API = {"api-version": "2023-10-01"}
KEY = base64.b64encode(b"conformance-key-0123456789abcdef").decode()
JSON = (("Content-Type", "application/json"),)
ENV_NAMES = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY",
             "no_proxy", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE")


@pytest.fixture(params=["default", "requests"])
def kind(request, monkeypatch):
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    return request.param


def transport(kind, **options):
    return Urllib3Transport(**options) if kind == "default" else RequestsTransport(**options)


def client(kind, endpoint, key=KEY, *, transport_options=None, **kwargs):
    """A real client whose transport is ``kind``, built with the same options for both kinds."""
    credential = key if not isinstance(key, str) else AzureKeyCredential(key)
    return CommunicationIdentityClient(endpoint, credential, transport=transport(kind, **(transport_options or {})),
                                       **kwargs)


def ipv6_loopback() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


needs_ipv6 = pytest.mark.skipif(not ipv6_loopback(), reason="this machine has no IPv6 loopback")


@pytest.fixture(scope="session")
def tls_files(tls_emulator):
    """The TLS emulator's CA and server certificate (for 127.0.0.1, ::1 and localhost), reused by local servers."""
    folder = os.path.dirname(tls_emulator.ca_cert)
    return tls_emulator.ca_cert, os.path.join(folder, "tls-cert.pem"), os.path.join(folder, "tls-key.pem")


@pytest.fixture(scope="session")
def server_tls(tls_files):
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tls_files[1], tls_files[2])
    return context


@pytest.fixture(scope="module")
def restartable():
    """An emulator with a fixed key, so that it accepts the same signatures after a restart."""
    with running_emulator(in_memory=True, args=["--access-key", KEY]) as emu:
        yield emu
        emu.clear_faults()


@pytest.fixture(scope="module")
def ipv6_emulator():
    with running_emulator(in_memory=True, tls=True, args=["--host", "::1"]) as emu:
        yield emu


def serve(server):
    return server.__enter__()


@pytest.fixture
def servers():
    """Starts servers for one test and stops them after it."""
    started = []

    def start(server):
        started.append(serve(server))
        return server

    yield start
    for server in reversed(started):
        server.__exit__()


# -- plain and TLS: connection reuse, threads, certificates ------------------------------------------
def test_calls_share_one_keep_alive_connection(kind, emulator, servers):
    relay = servers(TcpRelay(_host_port(emulator.endpoint)))
    with client(kind, relay.endpoint, emulator.access_key) as identity:
        user = identity.create_user()
        tokens = [identity.get_token(user, ["chat"]).token for _ in range(20)]
    assert all(tokens)
    assert relay.accepted == 1


def test_threads_share_the_client(kind, emulator, servers):
    relay = servers(TcpRelay(_host_port(emulator.endpoint)))
    options = {"pool_maxsize": 8} if kind == "default" else {}
    with client(kind, relay.endpoint, emulator.access_key, transport_options=options) as identity:
        user = identity.create_user()
        with ThreadPoolExecutor(8) as pool:
            batches = list(pool.map(lambda _: [identity.get_token(user, ["voip"]).token for _ in range(10)], range(8)))
    assert sum(len(batch) for batch in batches) == 80 and all(all(batch) for batch in batches)
    assert 1 <= relay.accepted <= 8  # never more connections than requests in flight


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")  # connection_verify=False on purpose
def test_tls_verification_off_on_and_ca_path(kind, tls_emulator, monkeypatch):
    with client(kind, tls_emulator.endpoint, tls_emulator.access_key, retry_total=0) as identity:
        with pytest.raises(ServiceRequestError, match="CERTIFICATE_VERIFY_FAILED"):
            identity.create_user()
    for options in ({"connection_verify": tls_emulator.ca_cert}, {"connection_verify": False}):
        with client(kind, tls_emulator.endpoint, tls_emulator.access_key, transport_options=options) as identity:
            assert identity.create_user().raw_id
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", tls_emulator.ca_cert)
    with client(kind, tls_emulator.endpoint, tls_emulator.access_key) as identity:
        assert identity.create_user().raw_id


def test_a_missing_client_certificate_is_an_os_error_naming_it(kind, tls_emulator, tmp_path):
    missing = str(tmp_path / "client.pem")
    pair = (missing, str(tmp_path / "key.pem"))
    # A list works too with the default transport (requests' pool keys cannot hash one).
    for cert in (missing, pair) + ((list(pair),) if kind == "default" else ()):
        options = {"connection_verify": tls_emulator.ca_cert, "connection_cert": cert}
        with client(kind, tls_emulator.endpoint, tls_emulator.access_key, retry_total=0,
                    transport_options=options) as identity:
            with pytest.raises(OSError, match="client.pem"):
                identity.create_user()


@needs_ipv6
def test_ipv6_loopback_direct(kind, ipv6_emulator):
    assert ipv6_emulator.endpoint.startswith("https://[::1]:")
    with client(kind, ipv6_emulator.endpoint, ipv6_emulator.access_key,
                transport_options={"connection_verify": ipv6_emulator.ca_cert}) as identity:
        user = identity.create_user()
        assert identity.get_token(user, ["chat"]).token


# -- errors and timeouts -----------------------------------------------------------------------------
def test_refused_connection_is_a_service_request_error(kind, closed_port_endpoint):
    with client(kind, closed_port_endpoint, retry_total=0) as identity, pytest.raises(ServiceRequestError) as info:
        identity.create_user()
    assert not isinstance(info.value, ServiceRequestTimeoutError)


def test_connect_timeout_is_a_service_request_timeout_error(kind):
    # A listener whose accept queue is full: the kernel drops further SYNs, so connecting hangs.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    fillers = []
    try:
        for _ in range(3):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(listener.getsockname())
            fillers.append(filler)
        endpoint = f"http://127.0.0.1:{listener.getsockname()[1]}"
        with client(kind, endpoint, retry_total=0, transport_options={"connection_timeout": 0.3}) as identity:
            with pytest.raises(ServiceRequestTimeoutError):
                identity.create_user()
    finally:
        for sock in fillers + [listener]:
            sock.close()


def test_read_timeout_is_a_service_response_timeout_error_and_the_client_recovers(kind, restartable):
    with client(kind, restartable.endpoint, KEY, retry_total=0, transport_options={"read_timeout": 0.3}) as c:
        user = c.create_user()
        restartable.inject_fault(operation="issueAccessToken", delay_seconds=2, count=1)
        with pytest.raises(ServiceResponseTimeoutError):
            c.get_token(user, ["chat"])
        assert c.get_token(user, ["chat"]).token  # the timed-out connection was not reused


def test_a_connection_the_server_closed_while_idle_is_replaced(kind, restartable):
    with client(kind, restartable.endpoint, KEY, retry_total=0) as identity:
        identity.create_user()
        restartable.restart()  # same port and key; the pooled connection is now dead
        assert identity.create_user().raw_id.startswith("8:acs:")


def test_framings_and_keep_alive(kind, servers):
    server = servers(ScriptedServer(_one_after_another(
        response("200 OK", b'{"n": 1}', JSON + (("X-A", "1"),)),
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        + chunked(b'{"n"', b": 2}"),
        response("200 OK", b'{"n": 3}', JSON + (("Connection", "close"),)),
        response("200 OK", b'{"n": 4}', JSON, length=False),  # no length: the body ends when the server closes
    )))
    with client(kind, server.url) as identity:
        answers = [identity.send_request(HttpRequest("GET", f"/{n}")).json()["n"] for n in range(1, 5)]
    assert answers == [1, 2, 3, 4]
    assert server.connections == 2  # kept alive for 1-3; a new connection after "Connection: close"


def test_a_truncated_body_is_an_incomplete_read_error(kind, servers):
    server = servers(ScriptedServer(canned(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", keep_open=False)))
    with client(kind, server.url, retry_total=0) as identity, pytest.raises(IncompleteReadError):
        identity.create_user()


def test_a_closed_client_refuses_further_calls(kind, emulator):
    identity = client(kind, emulator.endpoint, emulator.access_key)
    assert identity.create_user().raw_id
    identity.close()
    with pytest.raises(ValueError, match="already been closed"):
        identity.create_user()


# -- proxies -----------------------------------------------------------------------------------------
def test_http_through_a_proxy_absolute_form_with_credentials(kind, emulator, servers):
    proxy = servers(ForwardProxy())
    with client(kind, emulator.endpoint, emulator.access_key,
                proxies={"http": proxy.url.replace("http://", "http://alice:s%40cret@")}) as identity:
        user = identity.create_user()
        assert identity.get_token(user, ["chat"]).token
    assert [method for method, _ in proxy.seen] == ["POST", "POST"]
    assert all(path.startswith(emulator.endpoint + "/identities") for path in proxy.paths)
    assert proxy.auth == ["Basic " + base64.b64encode(b"alice:s@cret").decode()] * 2


def test_https_goes_through_one_connect_tunnel(kind, tls_emulator, servers, monkeypatch):
    proxy = servers(ForwardProxy())
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    with client(kind, tls_emulator.endpoint, tls_emulator.access_key,
                transport_options={"connection_verify": tls_emulator.ca_cert}) as identity:
        user = identity.create_user()
        assert identity.get_token(user, ["chat"]).token
    assert proxy.seen == [("CONNECT", tls_emulator.endpoint.split("//", 1)[1])]  # kept alive for both calls


@needs_ipv6
def test_connect_to_an_ipv6_literal_is_bracketed(kind, ipv6_emulator, servers):
    """Issue case 2: ``CONNECT [::1]:port``; unbracketed, the proxy answers 400."""
    proxy = servers(ForwardProxy(ipv6=True))
    with client(kind, ipv6_emulator.endpoint, ipv6_emulator.access_key, proxies={"https": proxy.url},
                transport_options={"connection_verify": ipv6_emulator.ca_cert}) as identity:
        assert identity.create_user().raw_id
    assert proxy.seen == [("CONNECT", ipv6_emulator.endpoint.split("//", 1)[1])]
    assert proxy.seen[0][1].startswith("[::1]:")


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")  # connection_verify=False on purpose
def test_an_https_proxy_is_spoken_to_over_tls(kind, emulator, tls_emulator, server_tls, servers):
    """Issue case 3: ``https://`` proxy URLs, for http (forwarded) and https (tunnelled) endpoints.

    (requests does not verify the proxy's certificate on the forwarded http leg, and warns; the default
    transport verifies it with ``connection_verify`` there too.)"""
    proxy = servers(ForwardProxy(tls=server_tls))
    assert proxy.url.startswith("https://")
    options = {"connection_verify": tls_emulator.ca_cert}  # the proxy's certificate comes from the same CA
    for emu in (emulator, tls_emulator):
        with client(kind, emu.endpoint, emu.access_key, proxies={"http": proxy.url, "https": proxy.url},
                    transport_options=options) as identity:
            assert identity.create_user().raw_id
    assert proxy.seen == [("POST", proxy.seen[0][1]), ("CONNECT", tls_emulator.endpoint.split("//", 1)[1])]
    assert proxy.seen[0][1].startswith(emulator.endpoint + "/identities")


def test_the_https_proxy_certificate_is_verified_on_the_forwarded_leg_too(emulator, server_tls, servers, monkeypatch):
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    proxy = servers(ForwardProxy(tls=server_tls))
    with client("default", emulator.endpoint, emulator.access_key, retry_total=0, proxies={"http": proxy.url}) as c:
        with pytest.raises(ServiceRequestError, match="CERTIFICATE_VERIFY_FAILED"):
            c.create_user()
    assert proxy.seen == []


@pytest.mark.parametrize("no_proxy, through_proxy", [
    ("127.0.0.0/8", False), ("10.0.0.0/8,127.0.0.1/32", False), ("10.0.0.0/8", True), ("127.0.0.1", False),
])
def test_no_proxy_cidr_entries(kind, emulator, servers, monkeypatch, no_proxy, through_proxy):
    """Issue case 4: NO_PROXY CIDR blocks send matching addresses direct."""
    proxy = servers(ForwardProxy())
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", no_proxy)
    with client(kind, emulator.endpoint, emulator.access_key) as identity:
        assert identity.create_user().raw_id
    assert len(proxy.paths) == (1 if through_proxy else 0)


def test_proxy_credentials_stay_out_of_error_messages(kind, closed_port_endpoint):
    proxy = closed_port_endpoint.replace("http://", "http://bob:hunter2@")
    with client(kind, "http://acs.invalid", retry_total=0, proxies={"http": proxy}) as identity:
        with pytest.raises(ServiceRequestError) as info:
            identity.create_user()
    assert "hunter2" not in str(info.value) and "bob" not in str(info.value)


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")  # connection_verify=False on purpose
def test_idn_hosts_are_sent_as_punycode(kind, emulator, servers, tls_emulator):
    """Issue case 9: an internationalised host name, through a proxy that resolves it to a local server.
    The signed requests are accepted: the HMAC policy signs the host as it is sent."""
    echo = servers(ScriptedServer(canned(response("200 OK", b"{}", JSON))))
    port = echo.server_address[1]
    emulator_host, emulator_port = _host_port(emulator.endpoint)
    health_port = int(tls_emulator.endpoint.rsplit(":", 1)[1])
    proxy = servers(ForwardProxy(hosts={"xn--bcher-kva.example": ("127.0.0.1", port),
                                        "xn--caf-dma.example": ("127.0.0.1", health_port),
                                        "xn--nmlich-bua.example": (emulator_host, emulator_port)}))
    proxies = {"http": proxy.url, "https": proxy.url}
    with client(kind, f"http://bücher.example:{port}", proxies=proxies,
                transport_options={"connection_verify": False}) as identity:
        assert identity.send_request(HttpRequest("GET", "/x")).status_code == 200
        health = identity.send_request(HttpRequest("GET", f"https://café.example:{health_port}/emulator/health"))
        assert health.status_code == 200
    with client(kind, f"http://nämlich.example:{emulator_port}", emulator.access_key, proxies=proxies) as signed:
        assert signed.create_user().raw_id.startswith("8:acs:")
    assert proxy.seen[:2] == [("GET", f"http://xn--bcher-kva.example:{port}/x"),
                              ("CONNECT", f"xn--caf-dma.example:{health_port}")]
    assert proxy.seen[2][1].startswith(f"http://xn--nmlich-bua.example:{emulator_port}/identities")
    assert echo.requests[0].header("Host") == f"xn--bcher-kva.example:{port}"


# -- bodies and heads --------------------------------------------------------------------------------
@pytest.mark.parametrize("coding", ["gzip", "deflate"])
def test_a_gateway_that_compresses_anyway(kind, emulator, servers, coding):
    """Issue case 1: compressed responses are decoded for the client, json() and iter_bytes()."""
    gateway = servers(CompressingGateway(_host_port(emulator.endpoint), coding))
    with client(kind, gateway.url, emulator.access_key) as identity:
        user, token = identity.create_user_and_token(["chat"])
        assert user.raw_id.startswith("8:acs:") and token.token.count(".") == 2
        created = identity.send_request(HttpRequest("POST", "/identities", params=API, json={}))
        assert created.status_code == 201 and created.json()["identity"]["id"].startswith("8:acs:")
        streamed = identity.send_request(HttpRequest("POST", "/identities", params=API, json={}), stream=True)
        assert b"".join(streamed.iter_bytes()).startswith(b'{"identity"')
        raw = identity.send_request(HttpRequest("POST", "/identities", params=API, json={}), stream=True)
        compressed = b"".join(raw.iter_raw())
        assert (gzip.decompress(compressed) if coding == "gzip" else zlib.decompress(compressed)).startswith(b"{")
    assert all(request.header("Accept-Encoding") == "gzip, deflate" for request in gateway.requests)


def test_transfer_encoding_gzip_chunked(kind, servers):
    """Issue case 1, the transfer-coded variant. Both remove the chunking; requests stops there and hands
    over the gzip bytes, the default transport also undoes the gzip transfer coding (RFC 9112, 6.1)."""
    document = b'{"identity": {"id": "8:acs:x"}}'
    packed = gzip.compress(document)
    raw = (b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
           + chunked(packed[:10], packed[10:]))
    server = servers(ScriptedServer(canned(raw)))
    with client(kind, server.url, retry_total=0) as identity:
        body = identity.send_request(HttpRequest("POST", "/identities", params=API), stream=True).read()
        if kind == "default":
            assert body == document
            assert identity.create_user().raw_id == "8:acs:x"
        else:
            assert body == packed
            with pytest.raises(DecodeError, match="JSON is invalid"):
                identity.create_user()


def test_repeated_response_headers_are_joined(kind, servers):
    """Issue case 5: two WWW-Authenticate challenges stay two, joined with ', ' as requests joins them."""
    challenge = response("401 Unauthorized", b'{"error": {"code": "Denied", "message": "no"}}',
                         JSON + (("WWW-Authenticate", 'Bearer realm="a"'), ("www-authenticate", "HMAC-SHA256")))
    server = servers(ScriptedServer(canned(challenge)))
    with client(kind, server.url, retry_total=0) as identity:
        with pytest.raises(ClientAuthenticationError) as info:
            identity.create_user()
        rest = identity.send_request(HttpRequest("GET", "/x"))
    assert info.value.response.headers["WWW-Authenticate"] == 'Bearer realm="a", HMAC-SHA256'
    assert rest.headers["www-authenticate"] == 'Bearer realm="a", HMAC-SHA256'


def test_an_early_answer_is_returned(kind, servers):
    """Issue case 6: the server answers 413 and closes while the request body is still being sent."""
    def refuse(request, sock):
        sock.sendall(response("413 Payload Too Large", b'{"error": {"code": "TooLarge"}}',
                              JSON + (("Connection", "close"),)))
        return False  # closes without reading the body

    server = servers(ScriptedServer(refuse))
    with client(kind, server.url, retry_total=0) as identity:
        answer = identity.send_request(HttpRequest("POST", "/identities", content=b"x" * (8 << 20)))
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "TooLarge"


def test_streaming_yields_each_chunk_as_it_arrives(kind, servers):
    """Issue case 7: the first chunk reaches the caller while the server still holds back the second."""
    released = threading.Event()
    seen = {}

    def paced(request, sock):
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"5\r\nfirst\r\n")
        seen["released by the client"] = released.wait(10)  # the client sets it after reading "first"
        sock.sendall(b"6\r\nsecond\r\n0\r\n\r\n")
        return True

    server = servers(ScriptedServer(paced))
    with client(kind, server.url) as identity:
        streamed = identity.send_request(HttpRequest("GET", "/stream"), stream=True)
        chunks = streamed.iter_bytes()
        first = next(chunks)
        released.set()
        rest = b"".join(chunks)
    assert (first, rest) == (b"first", b"second")
    assert seen["released by the client"] is True


def test_a_header_line_without_a_colon_is_tolerated(kind, servers):
    """Issue case 8: http.client's parser keeps what it can, as it does under requests."""
    raw = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nX-Before: 1\r\n"
           b"this line has no colon\r\nX-After: 2\r\n\r\n{}")
    server = servers(ScriptedServer(canned(raw)))
    with client(kind, server.url) as identity:
        answer = identity.send_request(HttpRequest("GET", "/x"))
    assert (answer.status_code, answer.json(), answer.headers.get("X-Before")) == (200, {}, "1")
    assert "X-After" not in answer.headers  # dropped by the parser, under both


def test_a_client_never_closed_leaves_no_resource_warning(kind, emulator):
    """Issue case 10: code ported from the official package (no close()) exits without a socket warning."""
    script = (
        "import sys\n"
        "from azure.communication.identity import CommunicationIdentityClient\n"
        "from azure.core.pipeline.transport import RequestsTransport\n"
        "kwargs = {'transport': RequestsTransport()} if sys.argv[1] == 'requests' else {}\n"
        "client = CommunicationIdentityClient.from_connection_string(sys.argv[2], **kwargs)\n"
        "user = client.create_user()\n"
        "print(client.get_token(user, ['chat']).token.count('.'))\n"
    )
    done = subprocess.run([sys.executable, "-X", "dev", "-W", "always::ResourceWarning", "-c", script, kind,
                           emulator.connection_string], check=False, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2"
    assert "ResourceWarning" not in done.stderr


def test_request_bodies_and_default_headers(kind, servers):
    # The transport alone: the client's HMAC policy signs bytes only, and would refuse the form.
    server = servers(ScriptedServer(canned(response("200 OK", b"{}", JSON))))
    with transport(kind) as sender:
        sender.send(HttpRequest("POST", server.url + "/bytes", content=b"abc"))
        sender.send(HttpRequest("POST", server.url + "/json", json={"a": "b"}, headers={"accept": "x/y"}))
        sender.send(HttpRequest("POST", server.url + "/form", data={"a": "b c", "n": ["1", "2"]}))
        sender.send(HttpRequest("GET", server.url + "/a b?q=%2f x"))
    sent = {request.target: request for request in server.requests}
    assert [(r.method, r.body) for r in server.requests] == [
        ("POST", b"abc"), ("POST", b'{"a": "b"}'), ("POST", b"a=b+c&n=1&n=2"), ("GET", b"")]
    assert sent["/form"].header("Content-Type") == "application/x-www-form-urlencoded"
    assert sent["/json"].header("Accept") == "x/y" and sent["/bytes"].header("Accept") == "*/*"
    assert "/a%20b?q=%2F%20x" in sent  # the target is percent-encoded, as requests sends it
    assert all(r.header("Accept-Encoding") == "gzip, deflate" for r in server.requests)
    assert [r.header("Content-Length") for r in server.requests[:3]] == ["3", "10", "13"]


def test_header_injection_never_reaches_the_server(kind, servers):
    """Both refuse before sending. The default transport raises ValueError naming the header, not quoting
    its value; requests's InvalidHeader becomes azure-core's (retried) ServiceResponseError."""
    server = servers(ScriptedServer(canned(response("200 OK", b"{}", JSON))))
    expected = ValueError if kind == "default" else ServiceResponseError
    with client(kind, server.url, retry_total=0) as identity, pytest.raises(expected) as info:
        identity.send_request(HttpRequest("GET", "/", headers={"X-Bad": "secret\r\nInjected: 1"}))
    assert server.requests == []
    if kind == "default":
        assert "X-Bad" in str(info.value) and "secret" not in str(info.value)


def test_send_request_reads_streams_and_closes(kind, emulator):
    with client(kind, emulator.endpoint, emulator.access_key) as identity:
        read = identity.send_request(HttpRequest("POST", "/identities", params=API, json={}))
        assert read.status_code == 201 and read.is_closed and read.is_stream_consumed
        assert read.json()["identity"]["id"].startswith("8:acs:") and read.text() == read.content.decode()
        streamed = identity.send_request(HttpRequest("POST", "/identities", params=API, json={}), stream=True)
        assert not streamed.is_stream_consumed
        assert b"".join(streamed.iter_bytes()).startswith(b"{") and streamed.is_closed
        unread = identity.send_request(HttpRequest("DELETE", "/identities/8:acs:nobody", params=API), stream=True)
        unread.close()  # its connection is dropped; the next call still works
        assert identity.send_request(HttpRequest("POST", "/identities", params=API, json={})).status_code == 201


def _one_after_another(*answers: bytes):
    """Reads each request's body, then sends the next canned answer; closes after one without framing."""
    queue = list(answers)

    def answer(request, sock):
        request.read_body()
        raw = queue.pop(0)
        sock.sendall(raw)
        head = raw.partition(b"\r\n\r\n")[0].lower()
        return b"connection: close" not in head and (b"content-length" in head or b"chunked" in head)

    return answer


def _host_port(endpoint: str) -> tuple:
    host, port = endpoint.rsplit("//", 1)[1].rsplit(":", 1)
    return host.strip("[]"), int(port)
