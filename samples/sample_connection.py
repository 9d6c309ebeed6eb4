"""Where the samples get a Communication Services resource from, and a signed-in Entra ID user.

``COMMUNICATION_CONNECTION_STRING`` set: that resource (a real one in Azure, or an emulator you
started with ``make serve``). Not set: a local emulator started for the duration of the sample.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import Iterator
from typing import Any

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


class EmulatorSignIn:
    """A signed-in Entra ID user, as azure-identity gives you one, against the local emulator.

    ``get_token(*scopes)`` returns the user's access token for ``scopes`` (audience: the scopes'
    resource; permissions: the rest of each scope), minted by the emulator's development issuer,
    which the emulator trusts as the service trusts Entra ID. In production the token comes from
    Entra ID: azure-identity's ``InteractiveBrowserCredential`` or ``DeviceCodeCredential``, or a
    token your app already got from MSAL.
    """

    LIFETIME_SECONDS = 3600

    def __init__(self, emulator: Any, *, tenant_id: str, object_id: str, client_id: str) -> None:
        self._emulator = emulator
        self._user = {"tid": tenant_id, "oid": object_id, "appid": client_id}

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        resource = scopes[0].rsplit("/", 1)[0]
        permissions = " ".join(s.rsplit("/", 1)[1] for s in scopes if not s.endswith("/.default"))
        token = self._emulator.mint_aad_token(aud=resource, scp=permissions or None,
                                              expires_in=self.LIFETIME_SECONDS, **self._user)
        return AccessToken(token, int(time.time()) + self.LIFETIME_SECONDS)


class AsyncEmulatorSignIn(EmulatorSignIn):
    """The same for asyncio (azure-identity's ``aio`` credentials in production)."""

    async def get_token(self, *scopes: str, **kwargs: Any) -> Any:  # type: ignore[override]
        return await asyncio.get_running_loop().run_in_executor(None, lambda: EmulatorSignIn.get_token(self, *scopes))


def signed_in_user(conn_str: str, *, tenant_id: str, object_id: str, client_id: str, asynchronous: bool = False):
    """The user's Entra ID credential: minted by the emulator when ``conn_str`` is one, else a browser
    sign-in through azure-identity (``pip install azure-identity``)."""
    try:
        from acs_identity_emulator.testing import EmulatorConnection
    except ImportError:  # no emulator installed: a real resource
        emulator = None
    else:
        emulator = EmulatorConnection.probe(conn_str)
    if emulator is not None and emulator.is_emulator:
        kind = AsyncEmulatorSignIn if asynchronous else EmulatorSignIn
        return kind(emulator, tenant_id=tenant_id, object_id=object_id, client_id=client_id)
    # azure.identity.aio has no interactive credential; the async CommunicationTokenCredential takes sync ones too.
    from azure.identity import InteractiveBrowserCredential

    return InteractiveBrowserCredential(tenant_id=tenant_id, client_id=client_id)
