"""Compatibility path ``azure.communication.identity._shared.policy`` (official 1.5.0 layout).

:class:`HMACCredentialsPolicy` is this package's HMAC-SHA256 signing policy under the official name
and signature. It signs the request as it is sent (host, path and query taken from the request's
URL), so ``host`` and ``decode_url`` are kept for the official signature but change nothing: both
transports' requests verify.
"""

from __future__ import annotations

from typing import Union

from azure.core.credentials import AzureKeyCredential

from .._hmac import HMACCredentialPolicy


class HMACCredentialsPolicy(HMACCredentialPolicy):
    """Signs every request with the resource's access key (a base64 str or an ``AzureKeyCredential``)."""

    def __init__(self, host: str, access_key: Union[str, AzureKeyCredential], decode_url: bool = False) -> None:
        if isinstance(access_key, str):
            access_key = AzureKeyCredential(access_key)
        if not isinstance(access_key, AzureKeyCredential):
            raise TypeError(f"access_key must be a str or an AzureKeyCredential, not {type(access_key).__name__}")
        super().__init__(access_key)
        self._host = host
        self._decode_url = decode_url
