"""The README's retry table, cell by cell, against faults the emulator injects.

The table is read from README.md, so the documentation cannot drift from the behaviour: every row
names public methods, every column a kind of failure, every cell ``retried`` or ``raised``. Each
fault hits one request only, so ``retried`` means the call succeeds (only a second request can
have succeeded) and ``raised`` means the first failure reaches the caller, after one attempt.
Which layer sent the second request may differ: aiohttp itself resends a DELETE or GET once
when the server drops the connection, before azure-core's policy would.
"""

from __future__ import annotations

import inspect
import re
import socket
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, List, NamedTuple, Optional

import pytest
from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError

from acs_identity_emulator.testing import running_emulator
from azure.communication.identity import CommunicationIdentityClient, EntraAssignment
from azure.communication.identity.aio import CommunicationIdentityClient as AsyncClient

README = Path(__file__).resolve().parents[2] / "README.md"
TABLE_HEADER = "| operation | HTTP |"
PREVIEW = "2025-03-02-preview"
TEAMS_APP = "9b1c2cfa-0000-4000-8000-00000000a991"
TEAMS_USER = "5d7c2cfa-0000-4000-8000-00000000b002"
TEAMS_AUDIENCE = "https://auth.msft.communication.azure.com"
READ_TIMEOUT = 0.5
RETRY_AFTER = {"Retry-After": "0"}  # present (so it counts) and zero (so the test does not wait)
REFUSED = "refused"


def _status(status: int, headers: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    return {"status": status, "headers": headers or {}}


# Each column of the table, as the faults that stand for it.
COLUMN_FAULTS: Dict[str, List[Any]] = {
    "408, 429, 502, 506-599": [_status(408), _status(429), _status(502), _status(507)],
    "500, 504": [_status(500), _status(504)],
    "503": [_status(503), _status(503, RETRY_AFTER)],
    "429 with `Retry-After`": [_status(429, RETRY_AFTER)],
    "any other error status with `Retry-After`": [_status(400, RETRY_AFTER), _status(500, RETRY_AFTER),
                                                  _status(502, RETRY_AFTER)],
    "other 4xx, 501, 505": [_status(400), _status(404), _status(409), _status(501), _status(505)],
    "connection refused": [REFUSED],
    "dropped connection, read timeout": [{"drop": True}, {"delay_seconds": 2}],
}


class Operation(NamedTuple):
    fault_operation: str  # the emulator's name for it, so setup requests are never faulted
    method: str
    api_version: Optional[str]
    prepare: Callable[[Any, Any], Any]  # (emulator, setup client) -> the argument of the call
    call: Callable[[Any, Any], Any]  # (client under test, argument) -> result (awaitable for the aio client)


def _new_user(emulator, client):
    return client.create_user()


def _teams_aad_token(emulator, client):
    return emulator.mint_aad_token(oid=TEAMS_USER, appid=TEAMS_APP, aud=TEAMS_AUDIENCE)


def _new_principal(emulator, client):
    """(tenant id, object id) of no assignment yet."""
    return str(uuid.uuid4()), str(uuid.uuid4())


def _teams_extension_assignment(emulator, client):
    tenant, object_id = _new_principal(emulator, client)
    client.upsert_teams_extension_assignment(tenant, object_id, "user")
    return tenant, object_id


def _entra_assignment(emulator, client):
    tenant, object_id = _new_principal(emulator, client)
    client.upsert_entra_assignment(tenant, object_id, "user", [TEAMS_APP])
    return object_id


def _every_item(paged):
    """All the assignments of a listing: a list (sync), or an awaitable of one (aio)."""
    if hasattr(paged, "__aiter__"):
        async def collect():
            return [item async for item in paged]
        return collect()
    return list(paged)


def _bulk_update(client, principal):
    tenant, object_id = principal
    return client.update_entra_assignments({object_id: EntraAssignment(object_id, tenant, "user", [TEAMS_APP])})


OPERATIONS = {
    "create_user": Operation("create", "POST", None, lambda e, c: None, lambda client, _: client.create_user()),
    "create_user_and_token": Operation("create", "POST", None, lambda e, c: None,
                                       lambda client, _: client.create_user_and_token(["chat"])),
    "get_token": Operation("issueAccessToken", "POST", None, _new_user,
                           lambda client, user: client.get_token(user, ["chat"])),
    "issue_token": Operation("issueAccessToken", "POST", None, _new_user,
                             lambda client, user: client.issue_token(user, ["voip"])),
    "revoke_tokens": Operation("revokeAccessTokens", "POST", None, _new_user,
                               lambda client, user: client.revoke_tokens(user)),
    "get_token_for_teams_user": Operation("exchangeTeamsUserAccessToken", "POST", None, _teams_aad_token,
                                          lambda client, aad: client.get_token_for_teams_user(aad, TEAMS_APP,
                                                                                              TEAMS_USER)),
    "delete_user": Operation("delete", "DELETE", None, _new_user, lambda client, user: client.delete_user(user)),
    "get_user": Operation("get", "GET", PREVIEW, _new_user, lambda client, user: client.get_user(user)),
    "get_teams_extension_assignment": Operation(
        "teamsExtensionGetAssignment", "GET", None, _teams_extension_assignment,
        lambda client, principal: client.get_teams_extension_assignment(*principal)),
    "upsert_teams_extension_assignment": Operation(
        "teamsExtensionCreateOrReplaceAssignment", "PUT", None, _new_principal,
        lambda client, principal: client.upsert_teams_extension_assignment(*principal, "user")),
    "delete_teams_extension_assignment": Operation(
        "teamsExtensionDeleteAssignment", "DELETE", None, _teams_extension_assignment,
        lambda client, principal: client.delete_teams_extension_assignment(*principal)),
    "list_entra_assignments": Operation("entraUsersListAssignments", "GET", PREVIEW, lambda e, c: None,
                                        lambda client, _: _every_item(client.list_entra_assignments())),
    "get_entra_assignment": Operation("entraUsersGetAssignment", "GET", PREVIEW, _entra_assignment,
                                      lambda client, object_id: client.get_entra_assignment(object_id)),
    "upsert_entra_assignment": Operation(
        "entraUsersCreateOrReplaceAssignment", "PUT", PREVIEW, _new_principal,
        lambda client, principal: client.upsert_entra_assignment(*principal, "user", [TEAMS_APP])),
    "delete_entra_assignment": Operation("entraUsersDeleteAssignment", "DELETE", PREVIEW, _entra_assignment,
                                         lambda client, object_id: client.delete_entra_assignment(object_id)),
    "update_entra_assignments": Operation("entraUsersUpdateAssignments", "PATCH", PREVIEW, _new_principal,
                                          _bulk_update),
}


def _cells(line: str) -> List[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def read_retry_table() -> List[Dict[str, str]]:
    lines = README.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(TABLE_HEADER))
    header = _cells(lines[start])
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append(dict(zip(header, _cells(line))))
    return rows


def _row_operations(row: Dict[str, str]) -> List[str]:
    return re.findall(r"`([a-z_]+)`", row["operation"])


def _row_api_version(row: Dict[str, str]) -> Optional[str]:
    """A row may be for one api-version (``... at api-version `2023-08-01```); else the client's default."""
    found = re.search(r"api-version `([^`]+)`", row["operation"])
    return found.group(1) if found else None


def _operation(name: str, api_version: Optional[str]) -> Operation:
    operation = OPERATIONS[name]
    return operation._replace(api_version=api_version) if api_version else operation


CASES = [
    pytest.param(_operation(name, _row_api_version(row)), row["HTTP"], column, row[column], index == 0,
                 id=f"{name}{'@' + _row_api_version(row) if _row_api_version(row) else ''}-{column}")
    for row in read_retry_table()
    for index, name in enumerate(_row_operations(row))
    for column in row
    if column not in ("operation", "HTTP")
]


def _faults(column: str, *, with_read_timeout: bool) -> List[Any]:
    """A read timeout costs READ_TIMEOUT of waiting: the sync client checks it once per row (the
    operations of a row share their method and retry rule); drops cover the rest."""
    return [fault for fault in COLUMN_FAULTS[column]
            if with_read_timeout or not (isinstance(fault, dict) and fault.get("delay_seconds"))]


def test_the_table_covers_every_operation_and_column_and_says_retried_or_raised():
    rows = read_retry_table()
    named = [name for row in rows if _row_api_version(row) is None for name in _row_operations(row)]
    assert sorted(named) == sorted(OPERATIONS), "each public operation once, at the default api-version"
    assert {name for row in rows for name in _row_operations(row)} <= set(OPERATIONS)
    for row in rows:
        assert set(row) - {"operation", "HTTP"} == set(COLUMN_FAULTS), row["operation"]
        assert {row[column] for column in COLUMN_FAULTS} <= {"retried", "raised"}, row


@pytest.fixture(scope="module")
def emulator():
    with running_emulator(in_memory=True) as running:
        yield running


@pytest.fixture
def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Attempts:
    """Requests the client sent, retries included (the hook runs inside the retry loop)."""

    def __init__(self):
        self.count = 0

    def __call__(self, request):
        self.count += 1

    def __bool__(self):  # azure-core tests the hook for truth before calling it
        return True


def _client_kwargs(operation: Operation, attempts: Attempts, fault: Any) -> Dict[str, Any]:
    kwargs: Dict[str, Any] = {"retry_total": 1, "retry_backoff_factor": 0, "raw_request_hook": attempts}
    if operation.api_version:
        kwargs["api_version"] = operation.api_version
    if isinstance(fault, dict) and fault.get("delay_seconds"):
        kwargs["read_timeout"] = READ_TIMEOUT
    return kwargs


def _connection_string(emulator, fault: Any, closed_port: int) -> str:
    if fault == REFUSED:  # the emulator's key, a port nobody listens on
        return f"endpoint=http://127.0.0.1:{closed_port}/;accesskey={emulator.access_key}"
    return emulator.connection_string


def _arm(emulator, operation: Operation, fault: Any) -> Any:
    with CommunicationIdentityClient.from_connection_string(emulator.connection_string,
                                                            api_version=operation.api_version) as setup:
        argument = operation.prepare(emulator, setup)
    emulator.clear_faults()
    if fault != REFUSED:
        emulator.inject_fault(operation=operation.fault_operation, count=1, **fault)
    return argument


def _check(fault: Any, expected: str, attempts: Attempts, outcome: Any) -> None:
    label = f"{fault}: expected {expected}"
    if expected == "retried" and fault != REFUSED:
        assert not isinstance(outcome, BaseException), f"{label}, got {outcome!r}"
        assert attempts.count in (1, 2), label  # 1: the transport resent it (see the module's docstring)
        return
    assert isinstance(outcome, BaseException), f"{label}, but the call returned {outcome!r}"
    assert attempts.count == (2 if expected == "retried" else 1), label
    if fault == REFUSED:
        assert isinstance(outcome, ServiceRequestError), label
    elif "status" in fault:
        assert isinstance(outcome, HttpResponseError) and outcome.status_code == fault["status"], label
    else:
        assert isinstance(outcome, (ServiceRequestError, ServiceResponseError)), label


@pytest.mark.parametrize(("operation", "method", "column", "expected", "first_in_row"), CASES)
def test_sync_client_follows_the_table(emulator, closed_port, operation, method, column, expected, first_in_row):
    assert operation.method == method
    for fault in _faults(column, with_read_timeout=first_in_row):
        argument = _arm(emulator, operation, fault)
        attempts = Attempts()
        target, kwargs = _connection_string(emulator, fault, closed_port), _client_kwargs(operation, attempts, fault)
        with CommunicationIdentityClient.from_connection_string(target, **kwargs) as client:
            try:
                outcome = operation.call(client, argument)
            except (HttpResponseError, ServiceRequestError, ServiceResponseError) as error:
                outcome = error
        _check(fault, expected, attempts, outcome)
    emulator.clear_faults()


@pytest.mark.asyncio
@pytest.mark.parametrize(("operation", "method", "column", "expected", "first_in_row"), CASES)
async def test_async_client_follows_the_table(emulator, closed_port, operation, method, column, expected,
                                              first_in_row):
    for fault in _faults(column, with_read_timeout=False):
        argument = _arm(emulator, operation, fault)
        attempts = Attempts()
        target, kwargs = _connection_string(emulator, fault, closed_port), _client_kwargs(operation, attempts, fault)
        async with AsyncClient.from_connection_string(target, **kwargs) as client:
            try:
                outcome = operation.call(client, argument)
                if inspect.isawaitable(outcome):
                    outcome = await outcome
            except (HttpResponseError, ServiceRequestError, ServiceResponseError) as error:
                outcome = error
        _check(fault, expected, attempts, outcome)
    emulator.clear_faults()
