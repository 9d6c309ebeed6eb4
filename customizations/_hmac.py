"""HMAC-SHA256 request signing for access-key (connection string) authentication.

string-to-sign = ``METHOD\\n<path-and-query>\\n<x-ms-date>;<host>;<x-ms-content-sha256>``.
The service checks the path and query exactly as they arrive, and the two transports rewrite URLs
differently before sending (requests keeps ``%3A``, aiohttp/yarl decodes it to ``:``). So the policy
first rewrites the URL into a canonical form that both transports send unchanged, then signs that.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from base64 import b64decode, b64encode
from email.utils import formatdate, parsedate_to_datetime
from functools import lru_cache
from typing import Any, Optional
from urllib.parse import urlsplit

from azure.core.exceptions import ClientAuthenticationError
from azure.core.pipeline.policies import SansIOHTTPPolicy

from ._connection_string import check_access_key

_LOGGER = logging.getLogger(__name__)

#: A request date further than this from the service's clock is worth a word in the 401's message
#: (the service's own window is 15 minutes).
CLOCK_SKEW_NOTE_SECONDS = 300

EMPTY_BODY_SHA256 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
SIGNED_HEADERS = "x-ms-date;host;x-ms-content-sha256"

_HEX = "0123456789ABCDEF"
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Characters that may stand unescaped in a path segment and that neither transport re-escapes or
# decodes differently. '+' is left out: yarl keeps an escaped '+' escaped.
_PATH_LITERAL = _UNRESERVED | frozenset("!$&'()*,;=:@")
# In the query, '&', '=', ';' and '+' keep their meaning only when literal; escaped ones stay escaped.
_QUERY_LITERAL = _UNRESERVED | frozenset("!$'()*,:@/?")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _canonical_component(text: str, literal: frozenset, keep: str) -> str:
    """Decode escapes of ``literal`` characters, escape everything else, uppercase the hex.

    ``keep`` lists characters that stay as they are when they appear literally (separators).
    """
    out = []
    raw = text.encode("utf-8")
    i, n = 0, len(raw)
    while i < n:
        byte = raw[i]
        if byte == 0x25 and i + 2 < n and _is_hex(raw[i + 1 : i + 3]):  # '%XX'
            value = int(raw[i + 1 : i + 3], 16)
            char = chr(value)
            out.append(char if value < 0x80 and char in literal else "%" + _HEX[value >> 4] + _HEX[value & 15])
            i += 3
            continue
        char = chr(byte)
        if byte < 0x80 and (char in literal or char in keep):
            out.append(char)
        else:
            out.append("%" + _HEX[byte >> 4] + _HEX[byte & 15])
        i += 1
    return "".join(out)


def _is_hex(pair: bytes) -> bool:
    return len(pair) == 2 and all(c in b"0123456789abcdefABCDEF" for c in pair)


def canonical_path_and_query(path: str, query: str) -> str:
    """The ``path[?query]`` both transports send byte for byte, equivalent to the input."""
    canonical = _canonical_component(path or "/", _PATH_LITERAL, "/")
    if query:
        canonical += "?" + _canonical_component(query, _QUERY_LITERAL, "&=;+")
    return canonical


# Pure function of the URL, and a client sends the same few URLs over and over (one per user and
# operation): caching skips the byte-by-byte rewrite, about 5% of a get_token call's CPU.
@lru_cache(maxsize=1024)
def canonical_url(url: str) -> tuple[str, str, str]:
    """Split ``url`` into (url to send, host header value, path-and-query to sign)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if not host.isascii():
        host = _ascii_host(host)  # what both transports put in the Host header, so what must be signed
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    path_and_query = canonical_path_and_query(parts.path, parts.query)
    return f"{scheme}://{host}{path_and_query}", host, path_and_query


def _ascii_host(host: str) -> str:
    """An internationalised host name as sent (IDNA, as urllib3 and yarl encode it)."""
    try:
        import idna  # requests' dependency, and so always there under msrest
    except ImportError:  # pragma: no cover
        return host.encode("idna").decode("ascii")
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError:
        return host  # not encodable: the transport refuses it with its own message


def content_sha256(body: bytes) -> str:
    if not body:
        return EMPTY_BODY_SHA256
    return b64encode(hashlib.sha256(body).digest()).decode("ascii")


def string_to_sign(method: str, path_and_query: str, date: str, host: str, content_hash: str) -> str:
    return f"{method.upper()}\n{path_and_query}\n{date};{host};{content_hash}"


def sign(key: bytes, text: str) -> str:
    return b64encode(hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()).decode("ascii")


def authorization_header(signature: str) -> str:
    return f"HMAC-SHA256 SignedHeaders={SIGNED_HEADERS}&Signature={signature}"


def _body_bytes(request: Any) -> bytes:
    # azure.core.rest.HttpRequest keeps the body in .content; the legacy transport request in .body.
    body = getattr(request, "content", None) if not hasattr(request, "body") else request.body
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    raise ValueError(
        "HMAC signing needs the whole request body in memory (bytes or str); "
        f"got {type(body).__name__}. Read streams or files into bytes before sending."
    )


def http_date_seconds(value: Optional[str]) -> Optional[float]:
    """Seconds since the epoch of an RFC 1123 date, or None when it is missing or malformed."""
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def signing_skew_seconds(response: Any) -> Optional[float]:
    """How far the request's x-ms-date was from the service's clock (its ``Date``): positive when ahead."""
    if response is None or getattr(response, "request", None) is None:
        return None
    sent = http_date_seconds(response.request.headers.get("x-ms-date"))
    served = http_date_seconds(response.headers.get("Date"))
    if sent is None or served is None:
        return None
    return sent - served


class SignedRequestAuthenticationError(ClientAuthenticationError):
    """A 401 for an HMAC-signed request; when the request date was off, the message says by how much."""

    def __init__(self, message: Any = None, response: Any = None, **kwargs: Any) -> None:
        super().__init__(message, response=response, **kwargs)
        skew = signing_skew_seconds(response)
        self.clock_skew_seconds = skew
        if skew is not None and abs(skew) > CLOCK_SKEW_NOTE_SECONDS:
            direction = "ahead of" if skew > 0 else "behind"
            self.message = (
                f"{self.message}\nThis request was signed with a date {abs(skew):.0f} seconds {direction} the "
                "service's clock. Fix this machine's clock; a client created with correct_clock_skew=True signs "
                "its next requests with the service's time (taken from its Date header)."
            )
            self.args = (self.message,)


class _RfcDateClock:
    """The RFC 1123 date, formatted at most once a second (formatting is a visible cost per call)."""

    __slots__ = ("_second", "_text", "skew_seconds")

    def __init__(self) -> None:
        self._second = -1
        self._text = ""
        self.skew_seconds = 0.0

    def now(self) -> str:
        second = int(time.time() + self.skew_seconds)
        if second != self._second:
            self._text = formatdate(second, usegmt=True)
            self._second = second
        return self._text


class HMACCredentialPolicy(SansIOHTTPPolicy):
    """Signs every request (and every retry of it) with the resource's access key.

    Works in sync and async pipelines: signing is pure CPU work on bytes already in memory.
    """

    def __init__(self, credential: Any, *, correct_clock_skew: bool = False, date_source: Any = None) -> None:
        super().__init__()
        self._correct_clock_skew = correct_clock_skew
        self._credential = credential
        self._key_text = ""
        self._key = b""
        self._clock = _RfcDateClock()
        # Tests pin the date to check fixed vectors; everyone else uses the clock.
        self._date_source = date_source or self._clock.now

    def __repr__(self) -> str:
        return "HMACCredentialPolicy(key=<redacted>)"

    def _current_key(self) -> bytes:
        # AzureKeyCredential.update() rotates the key in place; decode only when it changed.
        text = self._credential.key
        if text != self._key_text:
            self._key = b64decode(check_access_key(text))
            self._key_text = text
        return self._key

    def on_request(self, request: Any) -> None:
        http_request = request.http_request
        url, host, path_and_query = canonical_url(http_request.url)
        http_request.url = url
        content_hash = content_sha256(_body_bytes(http_request))
        date = self._date_source()
        signature = sign(self._current_key(), string_to_sign(http_request.method, path_and_query, date, host,
                                                             content_hash))
        headers = http_request.headers
        headers["x-ms-date"] = date
        headers["x-ms-content-sha256"] = content_hash
        headers["Authorization"] = authorization_header(signature)

    def on_response(self, request: Any, response: Any) -> None:
        if not self._correct_clock_skew or response.http_response.status_code != 401:
            return
        served = http_date_seconds(response.http_response.headers.get("Date"))
        if served is None:
            return
        offset = served - time.time()
        if abs(offset) <= CLOCK_SKEW_NOTE_SECONDS:
            # The clocks agree (again, after NTP fixed one of them): a correction would now be the error.
            self._clock.skew_seconds = 0.0
        else:
            self._clock.skew_seconds = offset
            _LOGGER.warning("The service's clock is %.0f seconds %s this machine's; signing with the service's time "
                            "from now on (correct_clock_skew=True).", abs(offset),
                            "ahead of" if offset > 0 else "behind")
