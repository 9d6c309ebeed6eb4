"""pytest plugin (entry point ``pytest11``): an Identity service for any project's test suite.

Fixtures:

* ``acs_identity_service`` (session): an in-memory emulator on a free loopback port, started on first
  use and stopped at the end of the session; or, with ``--acs-connection-string``, the emulator or
  real resource that connection string names.
* ``acs_identity`` (function): the same service with a clean state: every identity, assignment, queued
  fault and changed setting of earlier tests is gone (on a real resource nothing can be reset, and nothing is).

Both are :class:`acs_identity_emulator.testing.EmulatorConnection` objects: ``connection_string``,
``endpoint``, ``access_key``, ``ca_cert``, ``is_emulator`` and the admin helpers (``inject_fault``,
``token_status``, ``mint_aad_token``, ``set_token_ttl_seconds``, ...). Disable the plugin with
``-p no:acs_identity_emulator``.
"""
from __future__ import annotations

from typing import Iterator

import pytest

from .testing import EmulatorConnection, EmulatorError, parse_connection_string, running_emulator

_GROUP = "acs-identity-emulator"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup(_GROUP, "Azure Communication Services Identity emulator")
    group.addoption("--acs-connection-string", metavar="CONNECTION_STRING", default=None,
                    help="use this Identity service (an emulator already running, or a real resource) "
                         "instead of starting an emulator; an emulator there is reset before each test "
                         "that uses acs_identity")
    group.addoption("--acs-ca-cert", metavar="PATH", default=None,
                    help="CA certificate to trust for an https --acs-connection-string (an emulator's tls-ca.pem)")
    group.addoption("--acs-emulator-tls", action="store_true", default=None,
                    help="start the emulator with HTTPS (its CA certificate is acs_identity.ca_cert)")
    parser.addini("acs_emulator_tls", type="bool", default=False,
                  help="start the emulator with HTTPS (as --acs-emulator-tls)")


def pytest_configure(config: pytest.Config) -> None:
    connection_string = config.getoption("acs_connection_string", None)
    if connection_string:
        try:
            parse_connection_string(connection_string)
        except EmulatorError as exc:  # never echo the value: it holds the access key
            raise pytest.UsageError(f"--acs-connection-string: {exc}") from None


@pytest.fixture(scope="session")
def acs_identity_service(pytestconfig: pytest.Config) -> Iterator[EmulatorConnection]:
    """The Identity service for the whole session (see the module's documentation)."""
    connection_string = pytestconfig.getoption("acs_connection_string")
    ca_cert = pytestconfig.getoption("acs_ca_cert")
    if connection_string:
        yield EmulatorConnection.probe(connection_string, ca_cert=ca_cert)
        return
    tls = pytestconfig.getoption("acs_emulator_tls") or pytestconfig.getini("acs_emulator_tls")
    with running_emulator(in_memory=True, tls=bool(tls)) as emulator:
        yield emulator


@pytest.fixture
def acs_identity(acs_identity_service: EmulatorConnection) -> EmulatorConnection:
    """The session's Identity service with a clean state for this test."""
    if acs_identity_service.is_emulator:
        acs_identity_service.reset()
    return acs_identity_service
