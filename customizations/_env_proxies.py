"""Which proxy the environment names for an origin (``HTTP(S)_PROXY``, ``ALL_PROXY``, ``NO_PROXY``).

Shared by the transports, which each ask once per origin and keep the answer. Each reads ``NO_PROXY``
as the library it stands in for does:

* the sync transport as requests does (:func:`bypasses_proxy`): an IPv4 host is matched against
  address entries and CIDR blocks (``10.0.0.0/8``), any other host against names and their
  subdomains (with or without ``:port``), then the standard library's rules (``*``);
* the async transport as aiohttp does: the standard library's rules only.
"""

from __future__ import annotations

import ipaddress
import os
import urllib.request
from typing import Dict, Mapping, Optional


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


def _ipv4_network(entry: str) -> Optional[ipaddress.IPv4Network]:
    """``a.b.c.d/n`` with 1 <= n <= 32 as a network; anything else (a name, a bare address, /0) is None."""
    address, slash, bits = entry.partition("/")
    if not slash or not bits.isdigit() or not 1 <= int(bits) <= 32:
        return None
    try:
        return ipaddress.IPv4Network(f"{address}/{bits}", strict=False)
    except ValueError:
        return None


def _ipv4(host: str) -> Optional[ipaddress.IPv4Address]:
    try:
        return ipaddress.IPv4Address(host)
    except ValueError:
        return None


def bypasses_proxy(host: str, port: Optional[int], no_proxy: Optional[str] = None) -> bool:
    """Whether ``NO_PROXY`` (or ``no_proxy``, when given) sends ``host`` direct, read as requests reads it."""
    listed = no_proxy if no_proxy is not None else (os.environ.get("no_proxy") or os.environ.get("NO_PROXY"))
    address = _ipv4(host)
    for entry in (listed or "").replace(" ", "").split(","):
        if not entry:
            continue
        if address is not None:
            network = _ipv4_network(entry)
            if entry == host or (network is not None and address in network):
                return True
        else:
            name = entry.lstrip(".")
            for candidate in (host, f"{host}:{port}") if port else (host,):
                if candidate == name or candidate.endswith("." + name):
                    return True
    # Then the standard library's own reading (``*``, leading dots; the system settings on macOS/Windows).
    try:
        if no_proxy is None:
            return bool(urllib.request.proxy_bypass(host))
        return bool(urllib.request.proxy_bypass_environment(host, {"no": no_proxy}))
    except (TypeError, OSError):
        return False


def environment_proxies(host: str, port: Optional[int], no_proxy: Optional[str] = None) -> Dict[str, str]:
    """The environment's ``{scheme: proxy URL}`` for an origin; empty when ``NO_PROXY`` sends it direct."""
    if bypasses_proxy(host, port, no_proxy):
        return {}
    return {key: value for key, value in urllib.request.getproxies().items() if key != "no"}


class PerOrigin(dict):
    """Answers kept per origin ``(scheme, netloc)``; bounded, since send_request may reach other hosts."""

    limit = 64

    def remember(self, origin: tuple, value: object) -> object:
        if len(self) >= self.limit:
            self.clear()  # rare; dropping everything keeps it simple and thread-safe enough (a recompute)
        self[origin] = value
        return value
