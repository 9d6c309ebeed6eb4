"""The test helpers read an emulator's stderr while it is still writing it, without corrupting it.

The child writes through the same open file as the reader; a seek-and-read there moved the child's
write position and its next lines overwrote the start of the log (the TLS CA path went missing).
"""
import subprocess
import sys
import tempfile

from acs_identity_emulator.testing import _read_shared_file

WRITER = (
    "import sys, time\n"
    "for i in range(200):\n"
    "    sys.stderr.write(f'line {i}\\n'); sys.stderr.flush(); time.sleep(0.001)\n"
)


def test_reading_while_the_child_writes_loses_no_line():
    with tempfile.TemporaryFile() as log:
        child = subprocess.Popen([sys.executable, "-c", WRITER], stderr=log)
        reads = 0
        while child.poll() is None:
            _read_shared_file(log)
            reads += 1
        child.wait()
        lines = _read_shared_file(log).decode().splitlines()
    assert reads > 1
    assert lines == [f"line {i}" for i in range(200)]
