"""``devtools_testutils.fake_credentials_async``: the async playback credential."""
from __future__ import annotations

from typing import Any

from azure.core.credentials import AccessToken


class AsyncFakeCredential:
    def __init__(self) -> None:
        self.token = AccessToken("Fake Token", 0)

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return self.token

    async def close(self) -> None:
        return None

    async def __aenter__(self) -> AsyncFakeCredential:
        return self

    async def __aexit__(self, *exc_details: Any) -> None:
        return None
