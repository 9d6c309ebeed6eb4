"""NO_PROXY as the sync transport reads it: the same answers as requests gives, case by case."""

from __future__ import annotations

import pytest
from requests.utils import should_bypass_proxies

from azure.communication.identity._env_proxies import bypasses_proxy, environment_proxies, proxy_for

CASES = [
    # (host, port, NO_PROXY, direct?)
    ("127.0.0.1", 8080, "127.0.0.0/8", True),
    ("10.1.2.3", None, "10.0.0.0/8", True),
    ("10.1.2.3", None, "10.0.0.0/16", False),
    ("10.1.2.3", None, "192.168.0.0/16, 10.1.2.0/24", True),
    ("10.1.2.3", None, "10.1.2.3", True),
    ("10.1.2.3", None, "10.0.0.0/0", False),  # a /0 is not a CIDR entry for requests
    ("10.1.2.3", None, "10.0.0.0/33", False),
    ("127.0.0.1", 8080, "localhost", False),
    ("api.example.com", None, "example.com", True),
    ("api.example.com", None, ".example.com", True),
    ("badexample.com", None, "example.com", False),  # a subdomain matches, a longer name does not
    ("example.com", None, ".example.com", True),
    ("example.org", None, "example.com", False),
    ("example.com", 8443, "example.com:8443", True),
    ("example.com", 8443, "example.com:443", False),
    ("example.com", None, "*", True),
    ("example.com", None, "", False),
    ("::1", 8080, "::1", True),
]


@pytest.mark.parametrize("host, port, no_proxy, direct", CASES)
def test_no_proxy_reads_as_requests_reads_it(monkeypatch, host, port, no_proxy, direct):
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", no_proxy)
    netloc = (f"[{host}]" if ":" in host else host) + (f":{port}" if port else "")
    assert bypasses_proxy(host, port) is direct
    assert should_bypass_proxies(f"http://{netloc}/", no_proxy=None) is direct
    # The ``no_proxy`` key of a proxies mapping overrides the environment, as in requests.
    monkeypatch.setenv("NO_PROXY", "unrelated.invalid")
    assert bypasses_proxy(host, port, no_proxy) is direct
    assert should_bypass_proxies(f"http://{netloc}/", no_proxy=no_proxy) is direct


def test_environment_proxies_are_empty_for_a_bypassed_origin(monkeypatch):
    for name in ("no_proxy", "all_proxy", "https_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("NO_PROXY", "10.0.0.0/8")
    assert environment_proxies("10.9.9.9", None) == {}
    assert environment_proxies("192.0.2.1", None) == {"http": "http://proxy.invalid:3128"}


def test_proxy_for_uses_requests_key_order():
    proxies = {"all": "a", "http": "h", "all://x.example": "ax", "http://y.example": "hy"}
    assert proxy_for(proxies, "http", "y.example") == "hy"
    assert proxy_for(proxies, "http", "x.example") == "h"
    assert proxy_for(proxies, "https", "x.example") == "ax"
    assert proxy_for(proxies, "https", "z.example") == "a"
    assert proxy_for({}, "https", "z.example") is None
