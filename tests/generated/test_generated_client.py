"""The generated client (sync and aio) against a real loopback HTTP server replying with the swagger examples.

Cases come from every swagger version's examples. The generated layer is built from the newest spec
and every version is a subset of it, so an operation, model or field of any version's example that
the generated layer lacks is a failure, naming what is missing (regenerate with `make generate`).
"""
from __future__ import annotations

import asyncio
import re
from datetime import datetime
from typing import Any, Optional
from urllib.parse import quote, unquote

import pytest
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError
from swagger_facts import Operation, definition_validator, operations, parse_date_time, versions

from azure.communication.identity._generated import CommunicationIdentityClient, models
from azure.communication.identity._generated.aio import CommunicationIdentityClient as AsyncCommunicationIdentityClient

GENERATED_VERSION = CommunicationIdentityClient("https://unused.example")._config.api_version
ERROR_TYPES = {400: HttpResponseError, 401: ClientAuthenticationError, 404: ResourceNotFoundError,
               500: HttpResponseError}


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _method_name(op: Operation) -> tuple[str, str]:
    group, action = op.operation_id.split("_", 1)
    return _snake(group), _snake(action)


def _cases():
    return [(op, example) for version in versions() for op in operations(version) for example in op.examples]


def _case_id(case):
    op, example = case
    return f"{op.version}-{example.path.stem}"


def _ref_name(schema: dict[str, Any]) -> str:
    return schema["$ref"].rsplit("/", 1)[1]


# ---------------------------------------------------------------------------------------------
# What the committed generated layer knows
# ---------------------------------------------------------------------------------------------


def _model(name: str):
    model = getattr(models, name, None)
    if model is None:
        pytest.fail(f"model {name} is not in the generated layer (built for {GENERATED_VERSION})")
    return model


def _wire_keys(model) -> dict[str, tuple[str, str]]:
    """Wire key -> (attribute, msrest type) for a generated model."""
    return {spec["key"]: (attr, spec["type"]) for attr, spec in model._attribute_map.items()}


def _require_known_fields(model, data: dict[str, Any], where: str) -> None:
    """Fails, naming the field, when an example uses a field the generated model lacks."""
    keys = _wire_keys(model)
    for key, value in data.items():
        if key not in keys:
            pytest.fail(f"{where}: {model.__name__}.{key} is not in the generated layer "
                        f"(built for {GENERATED_VERSION})")
        nested = getattr(models, keys[key][1], None)
        if isinstance(value, dict) and nested is not None:
            _require_known_fields(nested, value, where)


def _request_model(op: Operation, body: dict[str, Any]):
    """The body model with every attribute given, so nothing but the example's fields reaches the wire.

    Passing None explicitly matters: generated defaults (expiresInMinutes=1440 from the swagger's
    `default`) would otherwise be sent, which versions before 2022-10-01 do not accept.
    """
    model = _model(_ref_name(op.body_parameter["schema"]))
    _require_known_fields(model, body, op.operation_id)
    keys = _wire_keys(model)
    values = {attr: None for attr in model._attribute_map}
    values.update({keys[key][0]: value for key, value in body.items()})
    return model(**values)


def _assert_deserialized(model_obj, wire: dict[str, Any]) -> None:
    keys = _wire_keys(type(model_obj))
    for key, value in wire.items():
        attr, kind = keys[key]
        got = getattr(model_obj, attr)
        if kind == "iso-8601":
            assert isinstance(got, datetime), f"{key} should be a datetime, got {got!r}"
            assert got.utcoffset() is not None
            assert got == parse_date_time(value), key
        elif isinstance(value, dict):
            assert type(got).__name__ == kind
            _assert_deserialized(got, value)
        else:
            assert got == value, key


class _Call:
    """One operation call prepared from an example: arguments, expected wire request and reply."""

    def __init__(self, op: Operation, example_data: dict[str, Any], *, check_reply: bool = True) -> None:
        self.op = op
        params = example_data["parameters"]
        self.id: Optional[str] = params.get("id")
        self.body: Optional[dict[str, Any]] = params.get("body") if op.body_parameter else None
        self.status = int(op.success_statuses[0])
        self.reply: Optional[dict[str, Any]] = example_data["responses"][str(self.status)].get("body")
        schema = op.spec["responses"][str(self.status)].get("schema")
        self.response_model = _model(_ref_name(schema)) if schema else None
        if check_reply and self.reply is not None:
            _require_known_fields(self.response_model, self.reply, op.operation_id)
        self.args: list[Any] = [] if self.id is None else [self.id]
        if self.body is not None:
            self.args.append(_request_model(op, self.body))
        # The pinned generator (@autorest/python 5.16.0) reads api-version from the call's keywords,
        # defaulting to the version it was generated for; the client's api_version= keyword is stored
        # in its config but never read by operations. So other versions are passed per call.
        self.kwargs = {} if op.version == GENERATED_VERSION else {"api_version": op.version}

    def expected_path(self) -> str:
        # The action segment keeps its literal ':' as the generated URL template has it.
        return self.op.path.replace("{id}", quote(self.id, safe="")) if self.id else self.op.path

    def check_request(self, recorded, transport: str) -> None:
        assert recorded.method == self.op.method.upper()
        expected = self.expected_path()
        if transport == "sync":
            assert recorded.raw_path == expected
        else:
            # aiohttp (yarl) requotes the path and sends ':' unescaped; the segment still decodes to the id.
            assert recorded.raw_path == expected.replace("%3A", ":")
        if self.id:
            assert unquote(recorded.raw_path.split("/")[2]) == self.id
        assert recorded.query == {"api-version": [self.op.version]}
        assert recorded.headers["accept"] == "application/json"
        if self.body is None:
            assert recorded.body == b""
        else:
            assert recorded.headers["content-type"] == "application/json"
            assert recorded.json() == self.body

    def check_result(self, result) -> None:
        if self.reply is None:
            assert result is None
            return
        assert isinstance(result, self.response_model)
        _assert_deserialized(result, self.reply)


def _operation(client, op: Operation):
    """The generated method for an operation; fails, naming it, when the generated layer lacks it."""
    group, action = _method_name(op)
    method = getattr(getattr(client, group), action, None)
    if method is None:
        pytest.fail(f"{op.operation_id} is not in the generated layer (built for {GENERATED_VERSION})")
    return method


def _sync_client(server, version: str) -> CommunicationIdentityClient:
    return CommunicationIdentityClient(server.endpoint, api_version=version, authentication_policy=None, retry_total=0)


def _async_client(server, version: str) -> AsyncCommunicationIdentityClient:
    return AsyncCommunicationIdentityClient(server.endpoint, api_version=version, authentication_policy=None,
                                            retry_total=0)


# ---------------------------------------------------------------------------------------------
# Success: every example of every version, sync and async
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", _cases(), ids=_case_id)
def test_sync_operation_round_trip(recording_server, case):
    op, example = case
    with _sync_client(recording_server, op.version) as client:
        method = _operation(client, op)
        call = _Call(op, example.data())
        recording_server.reply_with(call.status, call.reply)
        result = method(*call.args, **call.kwargs)
    [recorded] = recording_server.received()
    call.check_request(recorded, "sync")
    call.check_result(result)


@pytest.mark.asyncio
@pytest.mark.parametrize("case", _cases(), ids=_case_id)
async def test_async_operation_round_trip(recording_server, case):
    op, example = case
    async with _async_client(recording_server, op.version) as client:
        method = _operation(client, op)
        call = _Call(op, example.data())
        recording_server.reply_with(call.status, call.reply)
        result = await method(*call.args, **call.kwargs)
    [recorded] = recording_server.received()
    call.check_request(recorded, "async")
    call.check_result(result)


def test_generated_default_version_is_sent_without_per_call_override(recording_server):
    """The client built for its generated version needs nothing per call to send that version."""
    recording_server.reply_with(204)
    with CommunicationIdentityClient(recording_server.endpoint, authentication_policy=None, retry_total=0) as client:
        client.communication_identity.revoke_access_tokens("8:acs:r_1")
    [recorded] = recording_server.received()
    assert recorded.query == {"api-version": [GENERATED_VERSION]}
    assert "communication-identity/" in recorded.headers["user-agent"]


@pytest.mark.parametrize("transport", ["sync", "async"])
def test_hostile_id_stays_one_path_segment(recording_server, transport):
    hostile = "8:acs:a/b c?d#e%2Ff+g&h"
    recording_server.reply_with(204)
    if transport == "sync":
        with _sync_client(recording_server, GENERATED_VERSION) as client:
            client.communication_identity.delete(hostile)
    else:
        async def run():
            async with _async_client(recording_server, GENERATED_VERSION) as client:
                await client.communication_identity.delete(hostile)
        asyncio.run(run())
    [recorded] = recording_server.received()
    segments = recorded.raw_path.split("/")
    assert segments[:2] == ["", "identities"] and len(segments) == 3
    assert unquote(segments[2]) == hostile
    assert recorded.query == {"api-version": [GENERATED_VERSION]}
    if transport == "sync":
        assert segments[2] == quote(hostile, safe="")


def test_request_model_without_lifetime_sends_no_lifetime(recording_server):
    """Issue-token with only scopes puts only scopes on the wire (no generated default sneaks in)."""
    request = _request_model(
        next(op for op in operations(GENERATED_VERSION) if op.operation_id == "CommunicationIdentity_IssueAccessToken"),
        {"scopes": ["chat"]})
    recording_server.reply_with(200, {"token": "t", "expiresOn": "2021-01-29T18:19:30.8206627+00:00"})
    with _sync_client(recording_server, GENERATED_VERSION) as client:
        client.communication_identity.issue_access_token("8:acs:r_1", request)
    assert recording_server.received()[0].json() == {"scopes": ["chat"]}


# ---------------------------------------------------------------------------------------------
# Errors: the service's error body reaches the caller
# ---------------------------------------------------------------------------------------------


def _error_body(status: int) -> dict[str, Any]:
    body = {"error": {"code": f"Code{status}", "message": f"The service said no ({status}).", "target": "id"}}
    if status == 400:
        body["error"]["details"] = [{"code": "ValidationError", "message": "ExpiresInMinutes is invalid."}]
        body["error"]["innererror"] = {"code": "Inner", "message": "inner detail"}
    return body


def _error_cases():
    newest = versions()[-1]
    return [(op, status) for op in operations(newest) for status in ERROR_TYPES]


def _error_case_id(case):
    op, status = case
    return f"{op.operation_id.split('_', 1)[1]}-{status}"


def _check_error(exc: HttpResponseError, status: int, body: dict[str, Any]) -> None:
    assert type(exc) is ERROR_TYPES[status]
    assert exc.status_code == status
    assert exc.error.code == body["error"]["code"]
    assert exc.error.message == body["error"]["message"]
    assert body["error"]["code"] in str(exc) and body["error"]["message"] in str(exc)
    if type(exc) is HttpResponseError:
        # Statuses outside the generated error_map raise with the deserialized error model attached.
        assert isinstance(exc.model, models.CommunicationErrorResponse)
        assert exc.model.error.code == body["error"]["code"]
        assert exc.model.error.message == body["error"]["message"]
        assert exc.model.error.target == body["error"]["target"]
        if "details" in body["error"]:
            assert [d.code for d in exc.model.error.details] == ["ValidationError"]
            assert exc.model.error.innererror.code == "Inner"


def _error_call(op: Operation) -> _Call:
    return _Call(op, op.examples[0].data(), check_reply=False)


@pytest.mark.parametrize("case", _error_cases(), ids=_error_case_id)
def test_sync_error_status_raises_with_service_code_and_message(recording_server, case):
    op, status = case
    body = _error_body(status)
    definition_validator(op.version, "CommunicationErrorResponse").validate(body)
    with _sync_client(recording_server, op.version) as client:
        method = _operation(client, op)
        call = _error_call(op)
        recording_server.reply_with(status, body)
        with pytest.raises(HttpResponseError) as info:
            method(*call.args, **call.kwargs)
    assert len(recording_server.received()) == 1, "no retries were configured"
    _check_error(info.value, status, body)


@pytest.mark.asyncio
@pytest.mark.parametrize("case", _error_cases(), ids=_error_case_id)
async def test_async_error_status_raises_with_service_code_and_message(recording_server, case):
    op, status = case
    body = _error_body(status)
    async with _async_client(recording_server, op.version) as client:
        method = _operation(client, op)
        call = _error_call(op)
        recording_server.reply_with(status, body)
        with pytest.raises(HttpResponseError) as info:
            await method(*call.args, **call.kwargs)
    assert len(recording_server.received()) == 1, "no retries were configured"
    _check_error(info.value, status, body)


def test_error_without_json_body_still_raises_with_status(recording_server):
    recording_server.reply_with(503, None)
    with _sync_client(recording_server, GENERATED_VERSION) as client:
        with pytest.raises(HttpResponseError) as info:
            client.communication_identity.delete("8:acs:r_1")
    assert info.value.status_code == 503
    assert info.value.error is None
