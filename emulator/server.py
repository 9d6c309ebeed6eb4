"""Assembling the emulator from its configuration, and running it until a signal arrives."""
from __future__ import annotations

import asyncio
import base64
import logging
import os
import secrets
import signal
import sqlite3
import tempfile
import uuid
from dataclasses import dataclass
from typing import Callable, List, Optional

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from .admin import Admin
from .app import Pipeline, build_app
from .auth import Authenticator, decode_access_key
from .clock import ServerClock
from .datalock import DataFolderLock
from .errors import StartupError
from .faults import FaultQueue
from .keys import (
    KeyRing,
    Signer,
    load_jwks_file,
    load_or_create_cert,
    load_or_create_key,
    make_private_dirs,
    restrict_to_owner,
    write_private,
)
from .operations import IdentityService
from .store import Store
from .tls import ensure_tls_files, server_context
from .tokens import TokenIssuer
from .wire import DEFAULT_CLIENT_TIMEOUT_SECONDS

log = logging.getLogger("acs_identity_emulator")

DEFAULT_DATA = os.path.join(".emulator", "identity.db")
DEFAULT_LOCATION = "unitedstates"
_FLUSH_SECONDS = 1.0
# The periodic flush runs on the event loop: it must not stall every request for SQLite's whole
# busy timeout while another connection holds the write lock; it simply tries again next time.
_FLUSH_LOCK_WAIT_SECONDS = 0.2
# Above aiohttp's 8 KiB defaults so long ids and tokens reach the handlers and get the service's
# JSON error shape; beyond these the HTTP parser itself answers 400.
_MAX_LINE = 64 * 1024
_MAX_FIELD = 32 * 1024
_MAX_HEADERS = 128
# Room for bursts of new connections (hundreds at once) without SYN retries on the client side.
_BACKLOG = 1024
# Time to finish sending the rest of a request after the response to a slow body was sent.
_LINGER_SECONDS = 2.0
# How long a stop waits for requests in flight (an injected delay may last minutes) before
# cancelling them, and then for the cancelled ones to end: at most twice this in all. aiohttp's
# default of 60 s outlasts every supervisor's patience (and the test helper's).
_SHUTDOWN_SECONDS = 1.0


class _MalformedRequestFilter(logging.Filter):
    """aiohttp logs every request its parser refuses as an ERROR with a traceback quoting the
    offending bytes (which may hold a signature or a token). Hostile input is expected here:
    one line naming the kind of problem is enough."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            log.info("refused a malformed request (%s, status %s)", type(error).__name__, error.code)
            return False
        return True


_MALFORMED_FILTER = _MalformedRequestFilter()


@dataclass
class Config:
    host: str = "127.0.0.1"
    port: int = 0
    access_key: Optional[str] = None
    data: Optional[str] = DEFAULT_DATA  # None means in memory
    tls: bool = False
    resource_id: Optional[str] = None
    token_ttl_minutes: int = 1440
    test_token_ttl_seconds: Optional[int] = None
    trusted_issuer_jwks: Optional[str] = None
    location: str = DEFAULT_LOCATION
    access_log: bool = False
    # Seconds a connection may stay without a complete request head (idle keep-alive, or a client
    # sending its headers slowly), and separately the seconds a request body may take to arrive.
    client_timeout: float = DEFAULT_CLIENT_TIMEOUT_SECONDS


class Emulator:
    """Everything one running emulator owns: storage, keys, the app and its listener."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._tempdir: Optional[tempfile.TemporaryDirectory] = None
        self._lock: Optional[DataFolderLock] = None
        try:
            self._open(config)
        except BaseException:
            self._release_lock()
            raise

    def _open(self, config: Config) -> None:
        if config.data is None:
            self._tempdir = tempfile.TemporaryDirectory(prefix="acs-identity-emulator-")
            self.folder = self._tempdir.name
            self.store = Store(None)
        else:
            self.folder = os.path.dirname(os.path.abspath(config.data))
            make_private_dirs(self.folder)
            # Before anything in the folder is read or created: the database, the keys.
            self._lock = DataFolderLock(self.folder).acquire()
            try:
                self.store = Store(config.data)
            except sqlite3.Error as exc:
                raise StartupError(f"cannot open the database {config.data}: {exc}") from exc
        persist = config.data is not None
        self.access_key_text = self._access_key(persist)
        self.resource_id = self._resource_id()

        acs_key_path = self._path("acs-signing-key.pem") if persist else None
        acs_key = load_or_create_key(acs_key_path)
        acs_cert = load_or_create_cert(self._path("acs-signing-cert.pem") if persist else None, acs_key,
                                       "ACS Identity Emulator token signing")
        self.issuer = TokenIssuer(Signer(acs_key, acs_cert), self.resource_id, config.location)
        self.issuer.test_ttl_seconds = config.test_token_ttl_seconds

        aad_key = load_or_create_key(self._path("aad-signing-key.pem") if persist else None)
        self.aad_signer = Signer(aad_key)
        aad_keys = KeyRing([(self.aad_signer.kid, self.aad_signer.public_key)])
        if config.trusted_issuer_jwks:
            for kid, key in load_jwks_file(config.trusted_issuer_jwks):
                aad_keys.add(kid, key)

        self.faults = FaultQueue()
        self.clock = ServerClock()
        service = IdentityService(self.store, self.issuer, aad_keys, config.token_ttl_minutes, clock=self.clock.now)
        admin = Admin(self.store, self.issuer, self.faults, self.aad_signer, Signer(aad_key_untrusted()),
                      entra=service.entra, clock=self.clock)
        auth = Authenticator(decode_access_key(self.access_key_text), aad_keys, clock=self.clock.now)
        self.pipeline = Pipeline(service, auth, self.faults, admin)
        self.app = build_app(self.pipeline, self.clock, client_timeout=config.client_timeout)
        self.ca_cert: Optional[str] = None
        self._runner: Optional[web.AppRunner] = None
        self._flusher: Optional[asyncio.Task] = None

    def _path(self, name: str) -> str:
        return os.path.join(self.folder, name)

    def _access_key(self, persist: bool) -> str:
        if self.config.access_key:
            decode_access_key(self.config.access_key)
            return self.config.access_key
        path = self._path("access-key")
        if persist and os.path.exists(path):
            restrict_to_owner(path)
            try:
                with open(path, encoding="ascii") as handle:
                    key = handle.read().strip()
                decode_access_key(key)
            except ValueError as exc:  # UnicodeDecodeError included
                raise StartupError(f"the access key file {path} is not a base64 key ({exc}); "
                                   "fix it, or delete it to generate a new key") from exc
            return key
        key = base64.b64encode(secrets.token_bytes(64)).decode("ascii")
        if persist:
            write_private(path, key.encode("ascii"))
        return key

    def _resource_id(self) -> str:
        if self.config.resource_id:
            return str(uuid.UUID(self.config.resource_id))
        stored = self.store.meta("resource_id")
        if stored:
            return stored
        resource_id = str(uuid.uuid4())
        self.store.set_meta("resource_id", resource_id)
        return resource_id

    async def start(self) -> str:
        """Start listening; returns the connection string."""
        ssl_context = None
        if self.config.tls:
            self.ca_cert, cert_path, key_path = ensure_tls_files(self.folder)
            ssl_context = server_context(cert_path, key_path)
            log.info("TLS enabled; trust the CA certificate at %s", self.ca_cert)
        raise_open_file_limit()
        server_log = logging.getLogger("aiohttp.server")
        if _MALFORMED_FILTER not in server_log.filters:
            server_log.addFilter(_MALFORMED_FILTER)
        # aiohttp's keep-alive timer runs from the connection's start (and from each response)
        # until a complete request head arrives, so it doubles as the header-read timeout.
        self._runner = web.AppRunner(self.app, access_log=log if self.config.access_log else None,
                                     handle_signals=False, max_line_size=_MAX_LINE, max_field_size=_MAX_FIELD,
                                     max_headers=_MAX_HEADERS, keepalive_timeout=self.config.client_timeout,
                                     auto_decompress=False,
                                     lingering_time=min(_LINGER_SECONDS, self.config.client_timeout),
                                     shutdown_timeout=_SHUTDOWN_SECONDS)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, self.config.port, ssl_context=ssl_context,
                           backlog=_BACKLOG)
        await site.start()
        port = self._runner.addresses[0][1]
        self._flusher = asyncio.ensure_future(self._flush_forever())
        if self._lock is not None:
            self._lock.describe(self.endpoint(port))
        return f"endpoint={self.endpoint(port)}/;accesskey={self.access_key_text}"

    def endpoint(self, port: int) -> str:
        host = self.config.host
        if host in ("", "0.0.0.0"):
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        if ":" in host:
            host = f"[{host}]"
        scheme = "https" if self.config.tls else "http"
        return f"{scheme}://{host}:{port}"

    async def _flush_forever(self) -> None:
        while True:
            await asyncio.sleep(_FLUSH_SECONDS)
            try:
                self.store.flush(lock_wait=_FLUSH_LOCK_WAIT_SECONDS)
            except Exception:  # one bad flush must not end the batching for good
                log.warning("flushing lastTokenIssuedAt failed", exc_info=True)

    async def stop(self) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
            try:
                await self._flusher
            except asyncio.CancelledError:
                pass
        # Written before the listener winds down, which may take up to _SHUTDOWN_SECONDS.
        self.store.flush()
        if self._runner is not None:
            await self._runner.cleanup()
        self.store.close()
        self._release_lock()
        if self._tempdir is not None:
            self._tempdir.cleanup()

    def _release_lock(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None


def raise_open_file_limit() -> None:
    """Use the hard limit on open files, so many concurrent connections do not exhaust the soft one."""
    try:
        import resource
    except ImportError:  # not on Windows
        return
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        wanted = 65536 if hard == resource.RLIM_INFINITY else min(hard, 65536)
        if soft != resource.RLIM_INFINITY and soft < wanted:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    except (ValueError, OSError):
        pass


def aad_key_untrusted():
    """A throwaway key nobody trusts, for minting tokens that must be refused."""
    return load_or_create_key(None)


async def serve(config: Config, on_ready: Callable[[str], None]) -> None:
    emulator = Emulator(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    installed: List[int] = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(signum, stop.set)
            installed.append(signum)
        except (NotImplementedError, RuntimeError):
            pass
    try:
        on_ready(await emulator.start())
        log.info("resource id %s; data %s", emulator.resource_id, config.data or "in memory")
        await stop.wait()
        log.info("stopping")
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)
        await emulator.stop()
