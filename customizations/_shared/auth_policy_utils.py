"""Compatibility path ``azure.communication.identity._shared.auth_policy_utils`` (official 1.5.0 layout)."""

from __future__ import annotations

from typing import Any, Union

from azure.core.credentials import AzureKeyCredential
from azure.core.pipeline.policies import AsyncBearerTokenCredentialPolicy, BearerTokenCredentialPolicy

from .._client_base import AAD_SCOPE
from .policy import HMACCredentialsPolicy


def get_authentication_policy(endpoint: str, credential: Union[Any, AzureKeyCredential, str],
                              decode_url: bool = False, is_async: bool = False) -> Any:
    """The pipeline policy that authenticates with ``credential``.

    An access key (str or ``AzureKeyCredential``) gives :class:`HMACCredentialsPolicy`; anything with
    ``get_token`` gives azure-core's (async, with ``is_async``) bearer token policy for the
    Communication Services scope.

    :raises ValueError: ``credential`` is None.
    :raises TypeError: ``credential`` is none of the above.
    """
    if credential is None:
        raise ValueError("Parameter 'credential' must not be None.")
    if callable(getattr(credential, "get_token", None)):
        policy_type = AsyncBearerTokenCredentialPolicy if is_async else BearerTokenCredentialPolicy
        return policy_type(credential, AAD_SCOPE)
    if isinstance(credential, (AzureKeyCredential, str)):
        host = endpoint.partition("//")[2] or endpoint
        return HMACCredentialsPolicy(host, credential, decode_url=decode_url)
    raise TypeError(f"Unsupported credential: {type(credential).__name__}. Use the access key (str or "
                    "AzureKeyCredential) or a token credential from azure.identity.")
