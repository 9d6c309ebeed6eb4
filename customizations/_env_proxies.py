"""Which proxy the environment names for an origin (``HTTP(S)_PROXY``, ``ALL_PROXY``, ``NO_PROXY``).

Shared by the transports, which each ask once per origin and keep the answer.
"""

from __future__ import annotations

import urllib.request
from typing import Mapping, Optional


def proxy_for(proxies: Mapping[str, str], scheme: str, host: str) -> Optional[str]:
    """The entry of a requests-style ``proxies`` mapping for ``scheme://host``, in requests' key order."""
    for key in (f"{scheme}://{host}", scheme, f"all://{host}", "all"):
        value = proxies.get(key)
        if value:
            return value
    return None


def environment_proxy(scheme: str, host: str) -> Optional[str]:
    """The proxy URL the environment names for ``scheme://host``, or None (none set, or NO_PROXY matches)."""
    if urllib.request.proxy_bypass(host):
        return None
    return proxy_for(urllib.request.getproxies(), scheme, host)


class PerOrigin(dict):
    """Answers kept per origin ``(scheme, netloc)``; bounded, since send_request may reach other hosts."""

    limit = 64

    def remember(self, origin: tuple, value: object) -> object:
        if len(self) >= self.limit:
            self.clear()  # rare; dropping everything keeps it simple and thread-safe enough (a recompute)
        self[origin] = value
        return value
