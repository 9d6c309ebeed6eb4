"""urllib3's connections, with the two savings of the old ``http.client`` transport that still matter.

Measured in a steady ``get_token`` loop (``bench/README.md``), on top of plain urllib3 connections:

* **An ordinary response head is read without the email parser.** http.client hands every header
  block to ``email.parser``, the largest single cost of receiving a response (about 0.06 ms of a
  0.65 ms call). :class:`FastHeadResponse` reads the lines itself and, when every line is a plain
  ``Name: value`` line, builds the same ``HTTPMessage`` the email parser would; anything else (a
  line without a colon, folding, control characters, an envelope ``From `` line) goes to the email parser
  exactly as http.client sends it there, so odd heads are read as under requests.
* **The request head and a small body go out in one write** (about 0.02 ms: one TLS record and one
  loopback wake-up fewer). urllib3 writes them separately; :class:`OneWriteMixin` holds the head
  until the body follows, and sends whatever it still holds when ``request`` returns.

Everything else (TLS, proxies, CONNECT, body framing and decoding) is urllib3's and http.client's.
"""

from __future__ import annotations

import email.parser
import http.client
import re
from typing import Any, List, Optional, Tuple

from urllib3.connection import HTTPConnection, HTTPSConnection

_MAX_LINE = 65536  # the limits http.client applies to a response head
_MAX_HEADERS = 100
_MAX_HELD_BODY = 65536  # larger bodies are written as urllib3 writes them
# Header lines the email parser reads as plain ``name: value``: names of visible characters without ':', values
# of printable latin-1 (no control characters, which the parser may take for line breaks), no folding.
_NAME, _VALUE = r"[\x21-\x39\x3b-\x7e]+", r"[\t\x20-\x7e\x80-\x84\x86-\xff]*?"
_PLAIN_BLOCK = re.compile(rf"(?:{_NAME}:{_VALUE}\r?\n)*").fullmatch
_PLAIN_FIELD = re.compile(rf"({_NAME}):[ \t]*({_VALUE})\r?\n").findall


def _read_head_lines(fp: Any) -> List[bytes]:
    """The header lines up to and including the blank one, with http.client's limits."""
    lines = []
    while True:
        line = fp.readline(_MAX_LINE + 1)
        if len(line) > _MAX_LINE:
            raise http.client.LineTooLong("header line")
        lines.append(line)
        if len(lines) > _MAX_HEADERS:
            raise http.client.HTTPException(f"got more than {_MAX_HEADERS} headers")
        if line in (b"\r\n", b"\n", b""):
            return lines


def _plain_fields(lines: List[bytes]) -> Optional[List[Tuple[str, str]]]:
    block = b"".join(lines[:-1]).decode("iso-8859-1")
    return _PLAIN_FIELD(block) if _PLAIN_BLOCK(block) else None


def parse_head(lines: List[bytes]) -> http.client.HTTPMessage:
    """The ``HTTPMessage`` http.client would make of these header lines."""
    fields = _plain_fields(lines)
    if fields is None:  # not plain: the email parser, fed as http.client feeds it
        return email.parser.Parser(_class=http.client.HTTPMessage).parsestr(b"".join(lines).decode("iso-8859-1"))
    message = http.client.HTTPMessage()
    for name, value in fields:
        message[name] = value
    message.set_payload("")
    return message


class FastHeadResponse(http.client.HTTPResponse):
    """http.client's response, reading its head with :func:`parse_head`; the body is http.client's to read."""

    def begin(self) -> None:
        if self.headers is not None:
            return
        while True:
            version, status, reason = self._read_status()
            if status != http.client.CONTINUE:
                break
            _read_head_lines(self.fp)  # an interim 100 Continue: its head is skipped, the real one follows
        self.code = self.status = status
        self.reason = reason.strip()
        if version in ("HTTP/1.0", "HTTP/0.9"):
            self.version = 10
        elif version.startswith("HTTP/1."):
            self.version = 11
        else:
            raise http.client.UnknownProtocol(version)
        self.headers = self.msg = parse_head(_read_head_lines(self.fp))
        encoding = self.headers.get("transfer-encoding")
        self.chunked = bool(encoding) and encoding.lower() == "chunked"
        self.chunk_left = None
        self.will_close = self._check_close()
        self.length = None
        length = self.headers.get("content-length")
        if length and not self.chunked:
            try:
                self.length = int(length)
            except ValueError:
                self.length = None
            else:
                if self.length < 0:
                    self.length = None
        if status in (http.client.NO_CONTENT, http.client.NOT_MODIFIED) or status < 200 or self._method == "HEAD":
            self.length = 0
        if not self.will_close and not self.chunked and self.length is None:
            self.will_close = True  # the body ends when the server closes the connection


class OneWriteMixin:
    """Holds the request head urllib3 writes first, and sends it with the body that follows."""

    _held: Optional[bytes] = None
    _hold_next = False

    def request(self, method: str, url: str, body: Any = None, headers: Any = None, **kwargs: Any) -> None:
        self._hold_next = isinstance(body, bytes) and 0 < len(body) <= _MAX_HELD_BODY
        try:
            super().request(method, url, body=body, headers=headers, **kwargs)  # type: ignore[misc]
        except BaseException:
            self._hold_next, self._held = False, None  # the connection is not used again
            raise
        self._hold_next = False
        held, self._held = self._held, None
        if held is not None:  # nothing followed the head: send it alone
            super().send(held)  # type: ignore[misc]

    def send(self, data: Any) -> None:
        if self._hold_next:
            self._hold_next = False
            self._held = bytes(data)
            return
        held, self._held = self._held, None
        if held is not None:
            if isinstance(data, bytes):
                data = held + data
            else:
                super().send(held)  # type: ignore[misc]
        super().send(data)  # type: ignore[misc]


class Connection(OneWriteMixin, HTTPConnection):
    response_class = FastHeadResponse


class TLSConnection(OneWriteMixin, HTTPSConnection):
    response_class = FastHeadResponse
