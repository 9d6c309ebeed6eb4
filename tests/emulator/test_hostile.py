"""Hostile and malformed input gets a 4xx with the error shape; never a 500, and the server stays up."""
from __future__ import annotations

import re
import socket

import pytest

from .hmac_client import user_path

V = "2023-10-01"
JSON = "application/json; charset=utf-8"


def assert_4xx(reply, status=None):
    assert 400 <= reply.status < 500, reply.raw[:300]
    if status:
        assert reply.status == status
    assert reply.headers["Content-Type"] == JSON
    assert set(reply.json["error"]) >= {"code", "message"}


@pytest.fixture(autouse=True)
def still_serving(client):
    yield
    assert client.create(V).status == 201


@pytest.mark.parametrize("body", [
    b"{", b"[]", b"null", b"42", b'"text"', b"{'single': 1}", b"\x00\x01", b'{"scopes": ["chat"]',
    b"[" * 100000 + b"]" * 100000, b'{"scopes": ["chat"], "expiresInMinutes": 1' + b"0" * 5000 + b"}",
    b'{"scopes": ["chat"], "expiresInMinutes": NaN}',
])
def test_malformed_json(client, body):
    assert_4xx(client.issue(client.new_user(V), V, body), 400)


def test_non_utf8_body(client):
    assert_4xx(client.issue(client.new_user(V), V, b'{"scopes": ["\xff\xfe"]}'), 400)
    assert_4xx(client.create(V, b'{"customId": "\xc3\x28"}'), 400)


def test_two_mib_body(client):
    body = b'{"scopes": ["chat"], "pad": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    try:
        reply = client.issue(client.new_user(V), V, body)
    except (ConnectionError, OSError):
        return  # the server may close the connection after answering 413 early
    assert_4xx(reply, 413)


def test_oversized_body_chunked(client):
    """No Content-Length: the limit applies while reading."""
    with socket.create_connection((client.hostname, client.port), timeout=10) as sock:
        sock.sendall(f"POST /identities?api-version={V} HTTP/1.1\r\nHost: {client.host}\r\n"
                     "Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n".encode())
        chunk = b"a" * 65536
        try:
            for _ in range(40):
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:100]


def test_ten_kb_id(client):
    huge = "8:acs:" + "a" * 10240
    for reply in (client.issue(huge, V, {"scopes": ["chat"]}), client.delete(huge, V), client.revoke(huge, V),
                  client.get(huge, "2025-03-02-preview")):
        assert_4xx(reply)
        assert huge not in reply.raw.decode()


@pytest.mark.parametrize("user_id", ["nonsense", "8:acs:../../identities", "8:acs:x/y?z#w", "%00", " "])
def test_malformed_ids(client, user_id):
    assert_4xx(client.delete(user_id, V))


def test_encoded_slash_stays_in_one_segment(client):
    user = client.new_user(V)
    sneaky = user + "/:revokeAccessTokens"
    reply = client.send("DELETE", user_path(sneaky) + f"?api-version={V}")
    assert_4xx(reply)
    assert client.issue(user, V, {"scopes": ["chat"]}).status == 200


def test_well_formed_unknown_id(client):
    reply = client.delete("8:acs:00000000-0000-0000-0000-000000000000_deadbeef", V)
    assert_4xx(reply, 404)


def test_header_injection_attempts(client):
    reply = client.create(V, headers={"x-ms-client-request-id": "abc\u00e9\u2028".encode()})
    assert reply.status == 201
    assert "x-ms-client-request-id" not in reply.headers
    # CR/LF cannot get into a header at the socket level either: the server answers 400, not 500.
    with socket.create_connection((client.hostname, client.port), timeout=10) as sock:
        sock.sendall(f"POST /identities?api-version={V} HTTP/1.1\r\nHost: {client.host}\r\n"
                     "x-ms-client-request-id: a\rSet-Cookie: x=1\r\nContent-Length: 0\r\n\r\n".encode())
        answer = sock.recv(65536)
    # aiohttp's HTTP parser refuses it before any handler runs (a plain-text 400).
    assert re.match(rb"HTTP/1\.[01] 4\d\d ", answer), answer[:100]
    assert b"set-cookie" not in answer.split(b"\r\n\r\n", 1)[0].lower()


def test_wrong_json_types(client):
    user = client.new_user(V)
    for body in ({"scopes": {"chat": True}}, {"scopes": [["chat"]]}, {"scopes": "chat,voip"}):
        assert_4xx(client.issue(user, V, body), 400)
    for body in ({"createTokenWithScopes": "chat"}, {"createTokenWithScopes": [1, 2]}, [1]):
        assert_4xx(client.create(V, body), 400)


def test_weird_methods_and_paths(client):
    for method, path in [("PATCH", f"/identities?api-version={V}"), ("OPTIONS", "/identities"),
                         ("GET", "/"), ("GET", "/%zz"), ("POST", "//identities"), ("GET", "/emulator/nope"),
                         ("PUT", "/emulator/health")]:
        reply = client.send(method, path)
        assert_4xx(reply)


def test_bad_fault_definitions(emulator):
    from acs_identity_emulator.testing import EmulatorError

    for fields in ({"count": 0, "status": 503}, {"status": "503"}, {"operation": "nope", "status": 503},
                   {"headers": {"a": "b\r\nc: d"}, "status": 503}, {"bogus": 1}, {}):
        with pytest.raises(EmulatorError, match="400"):
            emulator.inject_fault(**fields)


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd", "x-unknown"])
def test_compressed_bodies_are_refused_not_crashed(client, encoding):
    """Found by the fuzzer: a body that is not what its Content-Encoding says once gave a 500."""
    reply = client.create(V, b"{}", headers={"Content-Encoding": encoding})
    assert_4xx(reply, 415)
    assert reply.error["target"] == "Content-Encoding"


@pytest.mark.parametrize("path", [f"/identities/%0A?api-version={V}", "/%0A", "/%0D%0A/x",
                                  f"/identities/a%0Ab/:issueAccessToken?api-version={V}"])
def test_encoded_newlines_in_paths_get_json_errors(client, path):
    """Found by the fuzzer: a decoded newline once missed the catch-all route (plain-text 404)."""
    assert_4xx(client.send("POST", path, {"scopes": ["chat"]}))
