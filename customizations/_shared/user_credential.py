"""Compatibility path: ``_shared.user_credential`` of azure-communication-identity 1.5.0.

Applications import the official package's ``CommunicationTokenCredential`` from here. This name is
bound to ``azure.communication.identity._token_credential`` itself (not a copy of it), so everything
done through it, patching ``get_current_utc_as_int`` included, reaches the real credential. Prefer
``from azure.communication.identity import CommunicationTokenCredential``.
"""
import sys

from .. import _token_credential

sys.modules[__name__] = _token_credential
