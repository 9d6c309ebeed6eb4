"""The sync transport's response-head reader makes exactly the HTTPMessage http.client makes, for any head.

Plain heads take the fast path; anything else goes to the email parser. Either way the headers, their
order and case, the defects and the unparsed rest must be what ``http.client.parse_headers`` gives.
"""

from __future__ import annotations

import http.client
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from azure.communication.identity._urllib3_connections import _read_head_lines, parse_head

HEADS = [
    b"Content-Type: application/json; charset=utf-8\r\nContent-Length: 2\r\n\r\n",
    b"X-A: 1\r\nx-a: 2\r\nWWW-Authenticate: Bearer a\r\nwww-authenticate: Basic b\r\n\r\n",
    b"X-Empty:\r\nX-Spaces:   padded  \r\nX-Tab:\tv\r\n\r\n",
    b"X-Before: 1\r\nthis line has no colon\r\nX-After: 2\r\n\r\n",  # issue case 8
    b"X-Folded: a\r\n  continued\r\nX-B: b\r\n\r\n",
    b"X-Bare-CR: a\rb\r\nX-B: b\r\n\r\n",
    b"From nobody\r\nX-B: b\r\n\r\n",
    b": no name\r\nX-B: b\r\n\r\n",
    b"X-Latin: caf\xe9 \x85 next\r\nX-B: b\r\n\r\n",
    b"X-LF-Only: 1\nX-B: 2\n\n",
    b"X-Control: a\x0bb\r\n\r\n",
    b"X Space: 1\r\n\r\n",
    b"",
]


def _expected(raw: bytes) -> http.client.HTTPMessage:
    return http.client.parse_headers(io.BytesIO(raw))


def _assert_same(raw: bytes) -> None:
    got = parse_head(_read_head_lines(io.BytesIO(raw)))
    expected = _expected(raw)
    assert got.items() == expected.items()
    assert [type(defect) for defect in got.defects] == [type(defect) for defect in expected.defects]
    assert (got.get_payload() or "") == (expected.get_payload() or "")
    assert type(got) is type(expected)


@pytest.mark.parametrize("raw", HEADS)
def test_known_heads(raw):
    _assert_same(raw)


_LINE_PARTS = st.sampled_from([b"X-A", b"content-length", b"Set-Cookie", b"", b" ", b"\t", b":", b": ", b"v",
                               b"a b", b"\r", b"\x00", b"\x0b", b"\x85", b"\xe9", b"From ", b"=", b";"])
_LINES = st.lists(st.lists(_LINE_PARTS, min_size=1, max_size=6).map(b"".join), max_size=8)


@given(_LINES, st.sampled_from([b"\r\n", b"\n"]))
def test_generated_heads(lines, ending):
    raw = b"".join(line.replace(b"\n", b"") + ending for line in lines) + ending
    _assert_same(raw)


def test_the_limits_are_http_clients():
    with pytest.raises(http.client.LineTooLong):
        _read_head_lines(io.BytesIO(b"X-A: " + b"a" * 70000 + b"\r\n\r\n"))
    with pytest.raises(http.client.HTTPException, match="more than 100 headers"):
        _read_head_lines(io.BytesIO(b"X-A: 1\r\n" * 101 + b"\r\n"))
