"""Where the samples get a Communication Services resource from.

``COMMUNICATION_CONNECTION_STRING`` set: that resource (a real one in Azure, or an emulator you
started with ``make serve``). Not set: a local emulator started for the duration of the sample.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

ENV_VAR = "COMMUNICATION_CONNECTION_STRING"


@contextlib.contextmanager
def connection_string(*, in_memory: bool = True) -> Iterator[str]:
    configured = os.environ.get(ENV_VAR, "").strip()
    if configured:
        yield configured
        return
    from acs_identity_emulator.testing import running_emulator

    with running_emulator(in_memory=in_memory) as emulator:
        print(f"(no {ENV_VAR} set: using a local emulator at {emulator.endpoint})", file=sys.stderr)
        yield emulator.connection_string
