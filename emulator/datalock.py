"""One emulator per data folder.

Two emulators on one folder would each serve from their own caches (a user deleted on one still
gets tokens from the other), and two first starts would each write a signing key. The holder keeps
an exclusive ``flock`` on ``emulator.lock`` in the folder: the kernel drops it when the process
ends, however it ends (SIGKILL included), so a crash never leaves the folder stuck. The file also
says who holds it, so the one refused can name the holder.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import time
from typing import Optional

from .errors import StartupError

try:
    import fcntl
except ImportError:  # Windows has no flock
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("acs_identity_emulator")

LOCK_FILE = "emulator.lock"
_MAX_DESCRIPTION = 4096
_DESCRIBE_GRACE_SECONDS = 2.0


class DataFolderLock:
    """The exclusive hold on a data folder; ``release()`` (or the process's end) gives it up."""

    def __init__(self, folder: str) -> None:
        self.path = os.path.join(folder, LOCK_FILE)
        self._fd: Optional[int] = None

    def acquire(self) -> DataFolderLock:
        if fcntl is None:
            log.warning("no file locking on this platform: nothing stops a second emulator on %s",
                        os.path.dirname(self.path))
            return self
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StartupError(f"cannot open the lock file {self.path}: {exc.strerror or exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = _wait_for_holder(fd)
            os.close(fd)
            raise StartupError(f"the data folder {os.path.dirname(self.path)} is in use by another emulator "
                               f"({holder}); stop it, or pass another --data") from None
        self._fd = fd
        self.describe(None)
        return self

    def describe(self, endpoint: Optional[str]) -> None:
        """Say who holds the folder (and, once serving, where). Written in place: replacing the file
        would put the lock on an inode that newcomers no longer open."""
        if self._fd is None:
            return
        text = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "endpoint": endpoint}).encode()
        try:  # written over the old text, then cut to length: the file is never seen empty
            os.pwrite(self._fd, text, 0)
            os.ftruncate(self._fd, len(text))
        except OSError as exc:  # the description is a courtesy; the lock itself holds regardless
            log.warning("cannot write %s: %s", self.path, exc.strerror or exc)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None


def _wait_for_holder(fd: int) -> str:
    """Who holds the lock; a holder that has only just taken it gets a moment to write that down."""
    deadline = time.monotonic() + _DESCRIBE_GRACE_SECONDS
    while True:
        document = _holder(fd)
        if document is not None or time.monotonic() >= deadline:
            return _describe_holder(document)
        time.sleep(0.02)


def _holder(fd: int) -> Optional[dict]:
    try:
        document = json.loads(os.pread(fd, _MAX_DESCRIPTION, 0) or b"null")
    except (OSError, ValueError):  # not written yet, or caught halfway through a rewrite
        return None
    return document if isinstance(document, dict) else None


def _describe_holder(document: Optional[dict]) -> str:
    if document is None:
        return "a process that has not said who it is yet"
    described = f"pid {document.get('pid')} on host {document.get('host')}"
    endpoint = document.get("endpoint")
    return described + (f", serving {endpoint}" if endpoint else ", still starting")
