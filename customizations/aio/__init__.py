"""asyncio twins of the Identity client and token credential (install the ``aio`` extra for aiohttp)."""

from typing import TYPE_CHECKING

_EXPORTS = {
    "CommunicationIdentityClient": "._communication_identity_client_async",
    "CommunicationTokenCredential": "._token_credential_async",
}

__all__ = ["CommunicationIdentityClient", "CommunicationTokenCredential"]


def __getattr__(name: str):
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module_name, __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # pragma: no cover
    from ._communication_identity_client_async import CommunicationIdentityClient
    from ._token_credential_async import CommunicationTokenCredential
