"""Compatibility path: ``_shared.user_credential_async`` of azure-communication-identity 1.5.0.

Bound to ``azure.communication.identity.aio._token_credential_async`` itself (see
``user_credential``). Prefer ``from azure.communication.identity.aio import CommunicationTokenCredential``.
"""
import sys

from ..aio import _token_credential_async

sys.modules[__name__] = _token_credential_async
