"""One emulator per data folder: a second one refuses to start and names the holder; a holder that
dies (even by SIGKILL) leaves nothing stuck; simultaneous first starts make one signing key."""
from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import threading

import pytest
from cryptography.hazmat.primitives import serialization

from acs_identity_emulator.errors import StartupError
from acs_identity_emulator.keys import key_id
from acs_identity_emulator.server import Config, Emulator
from acs_identity_emulator.testing import EmulatorConnection, EmulatorProcess

from .hmac_client import RawClient

V = "2023-10-01"
START_TIMEOUT = 30


def _command(data):
    return [sys.executable, "-m", "acs_identity_emulator", "--data", str(data), "--port", "0"]


def _refusal(data) -> str:
    """Start an emulator that must be refused: its one stderr line (nothing on stdout, status 1)."""
    done = subprocess.run(_command(data), capture_output=True, text=True, timeout=START_TIMEOUT, check=False)
    assert done.returncode == 1, done.stderr
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "cannot start: " in lines[0]
    return lines[0]


def _signing_kid(folder) -> str:
    with open(os.path.join(folder, "acs-signing-key.pem"), "rb") as handle:
        key = serialization.load_pem_private_key(handle.read(), password=None)
    return key_id(key.public_key())


def test_a_second_emulator_on_the_folder_refuses_and_names_the_holder(tmp_path):
    data = tmp_path / "identity.db"
    holder = EmulatorProcess(data=str(data)).start()
    try:
        line = _refusal(data)
        assert f"the data folder {tmp_path} is in use by another emulator" in line
        assert f"pid {holder.process.pid} on host {socket.gethostname()}" in line
        assert f"serving {holder.endpoint}" in line
        # The holder goes on serving, unharmed.
        assert RawClient(holder.endpoint, holder.access_key).new_user(V).startswith("8:acs:")
    finally:
        assert holder.close() == 0


def test_a_sigkilled_holder_leaves_the_folder_free(tmp_path):
    data = str(tmp_path / "identity.db")
    holder = EmulatorProcess(data=data).start()
    try:
        user = RawClient(holder.endpoint, holder.access_key).new_user(V)
        first_key = holder.access_key
        holder.kill()  # no chance to unlock anything: the kernel drops the lock
        holder.start()
        assert holder.access_key == first_key
        issued = RawClient(holder.endpoint, holder.access_key).issue(user, V, {"scopes": ["chat"]})
        assert issued.status == 200
        assert holder.token_status(issued.json["token"])["valid"] is True
    finally:
        holder.close()


def test_simultaneous_first_starts_make_one_signing_key(tmp_path):
    data = tmp_path / "store" / "identity.db"
    processes = [subprocess.Popen(_command(data), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(4)]
    first_lines = {}

    def read(index, process):
        first_lines[index] = process.stdout.readline().strip()

    readers = [threading.Thread(target=read, args=(i, p), daemon=True) for i, p in enumerate(processes)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join(START_TIMEOUT)
    try:
        serving = [i for i, line in first_lines.items() if line.startswith("endpoint=")]
        assert len(serving) == 1, first_lines
        (winner,) = serving
        for index, process in enumerate(processes):
            if index == winner:
                continue
            assert process.wait(START_TIMEOUT) == 1
            refusal = process.stderr.read()
            assert "cannot start: " in refusal and f"pid {processes[winner].pid} " in refusal, refusal
        served = EmulatorConnection(first_lines[winner])
        assert [k["kid"] for k in served.jwks()["keys"]] == [_signing_kid(data.parent)]
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
            process.communicate(timeout=15)
    assert processes[winner].returncode == 0


@pytest.mark.asyncio
async def test_the_lock_is_released_by_stop_and_by_a_failed_start(tmp_path):
    data = str(tmp_path / "identity.db")
    first = Emulator(Config(data=data))
    assert stat.S_IMODE(os.stat(tmp_path / "emulator.lock").st_mode) == 0o600
    with pytest.raises(StartupError, match="is in use by another emulator"):
        Emulator(Config(data=data))
    await first.stop()

    key_file = tmp_path / "aad-signing-key.pem"
    good_key = key_file.read_bytes()
    key_file.write_bytes(b"not a key")
    with pytest.raises(StartupError, match="is not an unencrypted PEM private key"):
        Emulator(Config(data=data))  # refused after taking the lock: it must give it back
    key_file.write_bytes(good_key)
    again = Emulator(Config(data=data))
    await again.stop()
