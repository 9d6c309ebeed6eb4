"""The sync transport's responses: azure-core's two response types over a urllib3 ``HTTPResponse``.

The body is urllib3's to read and decode (``Content-Encoding`` gzip/deflate, and br/zstd when those
packages are installed; chunked bodies stream chunk by chunk). What urllib3 leaves undone, a
transfer coding other than ``chunked`` (``Transfer-Encoding: gzip, chunked``), is undone here. Read
errors become the azure-core errors ``RequestsTransport`` raises for them.
"""

from __future__ import annotations

import http.client
import logging
import zlib
from typing import Any, Iterator, List, Optional

from azure.core.exceptions import (
    DecodeError,
    HttpResponseError,
    IncompleteReadError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)
from azure.core.pipeline.transport import HttpResponse as LegacyHttpResponse
from azure.core.rest._http_response_impl import HttpResponseImpl
from azure.core.utils import case_insensitive_dict
from urllib3.exceptions import DecodeError as Urllib3DecodeError
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import ProtocolError, ReadTimeoutError

from ._urllib3_pool import Connections

_LOGGER = logging.getLogger(__name__)


class Exchange:
    """One response and the connection it arrived on: the connection goes back to its route once the
    body has been read to the end, and is closed if the body is abandoned or broke."""

    __slots__ = ("raw", "_conn", "_connections", "_done")

    def __init__(self, raw: Any, conn: Any, connections: Connections) -> None:
        self.raw = raw
        self._conn = conn
        self._connections = connections
        self._done = False

    def finish(self) -> None:
        if self._done:
            return
        self._done = True
        if self.raw.closed:  # read to the end: the connection is at a message boundary
            self._connections.give_back(self._conn)
        else:
            self.raw.close()
            self._conn.close()

    def discard(self) -> None:
        self._done = True
        self.raw.close()
        self._conn.close()

    def close(self) -> None:
        """Without reading on: a body left unread would be taken for the next response."""
        self.finish()


def _is_incomplete(err: ProtocolError) -> bool:
    return any(isinstance(arg, http.client.IncompleteRead) for arg in err.args)


def body_error(err: Exception, *, raw: bool = False, in_send: bool = False) -> Exception:
    """The azure-core error for a failure while reading a body, as RequestsTransport raises it.

    ``in_send``: the body read inside ``send`` (a pipeline response not streamed); ``raw``: streamed
    without decompression. One deliberate difference: a read timeout is always a
    ``ServiceResponseTimeoutError`` (requests's non-streamed path reports a ``ServiceRequestError``,
    which would tell the retry policy that nothing was sent).
    """
    if isinstance(err, ReadTimeoutError):
        return ServiceResponseTimeoutError(err, error=err)
    if isinstance(err, Urllib3DecodeError):
        return ServiceResponseError(err, error=err) if in_send else DecodeError(err, error=err)
    if isinstance(err, ProtocolError) and not raw:
        if _is_incomplete(err):
            _LOGGER.warning("Incomplete download.")
            return IncompleteReadError(err, error=err)
        return HttpResponseError(err, error=err)
    return ServiceResponseError(err, error=err)


# -- transfer codings urllib3 leaves in place -------------------------------------------------------
_ZLIB_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


def transfer_codings(raw: Any) -> List[str]:
    """The transfer codings left to undo (urllib3 removes ``chunked`` only), last applied first."""
    value = raw.headers.get("transfer-encoding")
    if not value or value.strip().lower() == "chunked":
        return []
    codings = [coding.strip().lower() for coding in value.split(",")]
    return [coding for coding in reversed(codings) if coding in _ZLIB_WBITS]


def _inflate(chunks: Iterator[bytes], coding: str, limit: int) -> Iterator[bytes]:
    """``chunks`` with ``coding`` undone, at most ``limit`` bytes at a time (a small body cannot blow up)."""
    decoder = zlib.decompressobj(_ZLIB_WBITS[coding])
    try:
        for chunk in chunks:
            pending = chunk
            while pending:
                out = decoder.decompress(pending, limit)
                if out:
                    yield out
                pending = decoder.unconsumed_tail
        tail = decoder.flush()
        if tail:
            yield tail
    except zlib.error as err:
        raise DecodeError(f"The {coding}-coded body could not be decoded: {err}", error=err) from err


def _chunks(raw: Any, block_size: int, decompress: bool) -> Iterator[bytes]:
    codings = transfer_codings(raw)
    if not codings:
        return raw.stream(block_size, decode_content=decompress)
    # Transfer codings first; a content coding under them is then undone only if it is gzip or deflate.
    chunks = raw.stream(block_size, decode_content=False)
    for coding in codings:
        chunks = _inflate(chunks, coding, block_size)
    content = (raw.headers.get("content-encoding") or "").strip().lower()
    if decompress and content in _ZLIB_WBITS:
        chunks = _inflate(chunks, content, block_size)
    return chunks


def stream(exchange: Exchange, block_size: int, decompress: bool) -> Iterator[bytes]:
    """The body as it arrives, each chunk as soon as it is there; the connection is freed at the end."""
    try:
        yield from _chunks(exchange.raw, block_size, decompress)
    except Urllib3Error as err:
        exchange.discard()
        raise body_error(err, raw=not decompress) from err
    except BaseException:
        exchange.discard()
        raise
    exchange.finish()


def read_all(exchange: Exchange) -> bytes:
    """The whole body, decoded, read inside ``send``; errors as RequestsTransport raises them there."""
    raw = exchange.raw
    if transfer_codings(raw):
        return b"".join(stream(exchange, 65536, True))
    try:
        data = raw.read(decode_content=True)
    except Urllib3Error as err:
        exchange.discard()
        raise body_error(err, in_send=True) from err
    exchange.finish()
    return data


def _stream_download(pipeline: Any, response: Any, *, decompress: bool = True, **kwargs: Any) -> Iterator[bytes]:
    if kwargs:
        raise TypeError(f"Got an unexpected keyword argument: {next(iter(kwargs))}")
    return stream(response.internal_response, response.block_size, decompress)


class Urllib3TransportResponse(LegacyHttpResponse):
    """The pipeline's (legacy) response: status, case-insensitive headers, the body read unless streamed.

    ``internal_response`` is the :class:`Exchange`; its ``raw`` is urllib3's ``HTTPResponse``.
    """

    def __init__(self, request: Any, exchange: Exchange, block_size: int) -> None:
        super().__init__(request, exchange, block_size=block_size)
        raw = exchange.raw
        self.status_code = raw.status
        self.reason = raw.reason
        self.headers = case_insensitive_dict(raw.headers)
        self.content_type = self.headers.get("Content-Type")
        self._body: Optional[bytes] = None

    def body(self) -> bytes:
        if self._body is None:
            self._body = read_all(self.internal_response)
        return self._body

    def stream_download(self, pipeline: Any, **kwargs: Any) -> Iterator[bytes]:
        return _stream_download(pipeline, self, **kwargs)


class RestUrllib3TransportResponse(HttpResponseImpl):
    """The ``azure.core.rest.HttpResponse`` that ``send_request`` returns: read(), json(), iter_bytes()..."""

    def __init__(self, *, request: Any, internal_response: Exchange, block_size: int) -> None:
        headers = case_insensitive_dict(internal_response.raw.headers)
        super().__init__(request=request, internal_response=internal_response, block_size=block_size,
                         status_code=internal_response.raw.status, reason=internal_response.raw.reason,
                         headers=headers, content_type=headers.get("Content-Type"),
                         stream_download_generator=_stream_download)
