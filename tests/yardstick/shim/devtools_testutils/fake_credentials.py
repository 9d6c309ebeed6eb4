"""``devtools_testutils.fake_credentials``: the playback credential (live runs use DefaultAzureCredential)."""
from __future__ import annotations

from typing import Any

from azure.core.credentials import AccessToken


class FakeTokenCredential:
    def __init__(self) -> None:
        self.token = AccessToken("Fake Token", 0)

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return self.token
