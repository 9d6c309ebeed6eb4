"""Start a real emulator process for tests, samples and benchmarks, and drive its admin API.

Standard library only on the client side (urllib), and independent of the client package::

    with running_emulator() as emulator:
        client = CommunicationIdentityClient.from_connection_string(emulator.connection_string)
        emulator.inject_fault(status=503, headers={"Retry-After": "1"}, count=1)

:class:`EmulatorConnection` drives an emulator that runs elsewhere (or tells that a connection
string points at a real resource, which has no admin API).
"""
from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from typing import Any, Dict, Iterator, Mapping, Optional, Sequence

START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0


class EmulatorError(RuntimeError):
    pass


def parse_connection_string(connection_string: str) -> Dict[str, str]:
    """``endpoint`` (no trailing slash) and ``accesskey`` of a connection string; keys are case-insensitive."""
    fields = {}
    for part in connection_string.strip().split(";"):
        name, separator, value = part.partition("=")
        if separator:
            fields[name.strip().lower()] = value.strip()
    if not fields.get("endpoint") or not fields.get("accesskey"):
        raise EmulatorError("a connection string needs endpoint=...;accesskey=...")
    fields["endpoint"] = fields["endpoint"].rstrip("/")
    return fields


class EmulatorConnection:
    """Where an emulator (or a real resource) answers, and the emulator's admin API there.

    ``is_emulator`` is False for a real resource: the admin helpers then raise EmulatorError."""

    HEALTH_TIMEOUT_SECONDS = 5.0

    def __init__(self, connection_string: str = "", *, ca_cert: Optional[str] = None,
                 is_emulator: bool = True) -> None:
        self.connection_string = ""
        self.endpoint = ""
        self.access_key = ""
        self.ca_cert = ca_cert
        self.is_emulator = is_emulator
        self._not_emulator_reason = "said to be a real resource"
        if connection_string:
            self._use(connection_string)

    def _use(self, connection_string: str) -> None:
        fields = parse_connection_string(connection_string)
        self.connection_string = connection_string.strip()
        self.endpoint = fields["endpoint"]
        self.access_key = fields["accesskey"]

    @classmethod
    def probe(cls, connection_string: str, *, ca_cert: Optional[str] = None) -> EmulatorConnection:
        """A connection to whatever answers there: ``is_emulator`` says whether its admin API answered."""
        connection = cls(connection_string, ca_cert=ca_cert)
        try:
            answer = connection.admin("GET", "health", timeout=cls.HEALTH_TIMEOUT_SECONDS)
            if answer != {"status": "ok"}:
                connection._not_emulator(f"GET /emulator/health answered {str(answer)[:100]!r}")
        except EmulatorError as exc:
            connection._not_emulator(str(exc))
        except (OSError, ValueError, http.client.HTTPException) as exc:
            connection._not_emulator(f"GET /emulator/health failed: {type(exc).__name__}: {exc}")
        return connection

    def _not_emulator(self, reason: str) -> None:
        self.is_emulator = False
        self._not_emulator_reason = reason

    # -- admin API -------------------------------------------------------------------------
    def admin(self, method: str, path: str, document: Any = None, *, timeout: float = 30) -> Any:
        if not self.is_emulator:
            raise EmulatorError(f"{self.endpoint} is not an emulator, so /emulator/{path} is not available there "
                                f"({self._not_emulator_reason})")
        data = None if document is None else json.dumps(document).encode("utf-8")
        request = urllib.request.Request(self.endpoint + "/emulator/" + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        context = ssl.create_default_context(cafile=self.ca_cert) if self.endpoint.startswith("https") else None
        try:
            with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise EmulatorError(f"admin {method} /emulator/{path} failed: {exc.code} {exc.read()[:500]!r}") from exc

    def reset(self) -> Dict[str, Any]:
        """Forget every identity, queued fault and changed setting; keys, access key and resource id stay."""
        return self.admin("POST", "reset")

    def inject_fault(self, **fields: Any) -> Any:
        return self.admin("POST", "faults", fields)

    def clear_faults(self) -> None:
        self.admin("DELETE", "faults")

    def token_status(self, token: str) -> Dict[str, Any]:
        return self.admin("POST", "tokens/validate", {"token": token})

    def mint_aad_token(self, **claims: Any) -> str:
        return self.admin("POST", "aad/token", claims)["token"]

    def set_token_ttl_seconds(self, seconds: Optional[int]) -> None:
        self.admin("POST", "settings", {"tokenTtlSeconds": seconds})

    def set_clock_offset_seconds(self, seconds: float) -> None:
        """Make the server's clock (request-date window and Date header) run ``seconds`` off the machine's."""
        self.admin("POST", "settings", {"clockOffsetSeconds": seconds})

    def jwks(self) -> Dict[str, Any]:
        return self.admin("GET", "jwks")

    def stats(self) -> Dict[str, Any]:
        return self.admin("GET", "stats")

    def mint_entra_user_token(self, *, tenant_id: str, object_id: str, client_id: str, groups: Sequence[str] = (),
                              **fields: Any) -> str:
        """An Entra ID user's access token for the Entra ID exchange (audience
        ``https://communication.azure.com/clients``), acquired through client application ``client_id``;
        ``groups`` become its group claims. ``fields`` as for ``mint_aad_token`` (``expires_in``, ``claims``, ...)."""
        return self.mint_aad_token(profile="entraUser", tid=tenant_id, oid=object_id, appid=client_id,
                                   groups=list(groups), **fields)

    def mint_teams_extension_user_token(self, *, tenant_id: str, object_id: str, client_id: Optional[str] = None,
                                        **fields: Any) -> str:
        """A Teams Phone user's access token for the Teams Phone extensibility exchange (audience
        ``https://auth.msft.communication.azure.com``, ``scp`` ``TeamsExtension.ManageCalls``)."""
        if client_id is not None:
            fields["appid"] = client_id
        return self.mint_aad_token(profile="teamsExtensionUser", tid=tenant_id, oid=object_id, **fields)

    def set_entra_page_size(self, size: Optional[int]) -> None:
        """Assignments per page of the Entra ID assignment listing; None restores the default (100)."""
        self.admin("POST", "settings", {"entraPageSize": size})

    def __repr__(self) -> str:
        # The connection string carries the access key: never shown.
        return f"{type(self).__name__}(endpoint={self.endpoint!r}, is_emulator={self.is_emulator!r})"


def _read_shared_file(handle: Any) -> bytes:
    """All of a file the child process is still writing to, without moving its write position.

    The child writes through the same open file (and so the same offset): a seek-and-read here would
    make its next lines overwrite the start of the log. ``os.pread`` reads at an offset of its own.
    """
    if not hasattr(os, "pread"):  # Windows: no shared-offset-safe read; good enough once the child is quiet
        handle.seek(0)
        return handle.read()
    chunks, offset = [], 0
    while True:
        chunk = os.pread(handle.fileno(), 65536, offset)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        offset += len(chunk)


class EmulatorProcess(EmulatorConnection):
    """One emulator process; ``restart()`` keeps its arguments, (when it can) its port and, unless it
    runs in memory, its data. ``close()`` when done: it stops the process and releases its files."""

    def __init__(self, *, in_memory: bool = True, data: Optional[str] = None, tls: bool = False,
                 args: Sequence[str] = (), env: Optional[Mapping[str, str]] = None) -> None:
        super().__init__()
        self.in_memory = in_memory and data is None
        self.data = None if self.in_memory else os.path.abspath(data or os.path.join(".emulator", "identity.db"))
        self.tls = tls
        self.args = list(args)
        self.env = dict(os.environ, **(env or {}))
        self.process: Optional[subprocess.Popen] = None
        self._port = 0
        self._stderr = tempfile.TemporaryFile()
        self._stderr_text: Optional[str] = None  # kept when the log file is closed

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> EmulatorProcess:
        command = [sys.executable, "-m", "acs_identity_emulator", "--port", str(self._port)]
        command += ["--in-memory"] if self.in_memory else ["--data", self.data]
        if self.tls:
            command.append("--tls")
        command += self.args
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=self._stderr, env=self.env)
        self._use(self._first_line())
        self._port = int(self.endpoint.rsplit(":", 1)[1])
        if self.tls:
            folder = os.path.dirname(self.data) if self.data else None
            self.ca_cert = self._ca_from_stderr() or (os.path.join(folder, "tls-ca.pem") if folder else None)
        return self

    def _first_line(self) -> str:
        assert self.process is not None and self.process.stdout is not None
        result: Dict[str, bytes] = {}
        reader = threading.Thread(target=lambda: result.setdefault("line", self.process.stdout.readline()),
                                  daemon=True)
        reader.start()
        reader.join(START_TIMEOUT_SECONDS)
        line = result.get("line", b"").decode("utf-8", "replace").strip()
        if not line.startswith("endpoint="):
            self.kill()
            raise EmulatorError(f"the emulator did not start; its stderr:\n{self.stderr_text()}")
        return line

    def _ca_from_stderr(self) -> Optional[str]:
        for line in self.stderr_text().splitlines():
            marker = "trust the CA certificate at "
            if marker in line:
                return line.split(marker, 1)[1].strip()
        return None

    def stderr_text(self) -> str:
        if self._stderr.closed:
            return self._stderr_text or ""
        return _read_shared_file(self._stderr).decode("utf-8", "replace")

    def stop(self) -> int:
        """SIGTERM and wait; returns the exit code."""
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        code = self.process.returncode
        self._close_stdout()
        return code

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to flush or clean up."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._close_stdout()

    def close(self) -> int:
        """Stop the process (SIGTERM) and release the log file; returns the exit code."""
        code = self.stop()
        if not self._stderr.closed:
            self._stderr_text = self.stderr_text()
            self._stderr.close()
        return code

    def _close_stdout(self) -> None:
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()

    def restart(self) -> EmulatorProcess:
        self.stop()
        return self.start()

    def __repr__(self) -> str:
        return f"EmulatorProcess(endpoint={self.endpoint!r}, data={self.data!r})"


@contextlib.contextmanager
def running_emulator(*, in_memory: bool = True, data: Optional[str] = None, tls: bool = False,
                     args: Sequence[str] = (), env: Optional[Mapping[str, str]] = None) -> Iterator[EmulatorProcess]:
    """A started emulator process, stopped (SIGTERM) when the block exits."""
    emulator = EmulatorProcess(in_memory=in_memory, data=data, tls=tls, args=args, env=env)
    try:
        emulator.start()
        yield emulator
    finally:
        emulator.close()
