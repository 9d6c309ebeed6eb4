"""The generated client (sync and aio) against a real loopback HTTP server replying with the swagger examples.

Cases come from every swagger version's examples. The generated layer is built from the union of every
version's document (autorest.md), so an operation, model or field of any version's example that the
generated layer lacks is a failure, naming what is missing (regenerate with `make generate`).
"""
from __future__ import annotations

import asyncio
import re
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, Optional
from urllib.parse import quote, unquote

import pytest
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError
from swagger_facts import (
    Operation,
    definition_validator,
    load,
    operations,
    parse_date_time,
    resolved_parameters,
    versions,
)

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
    """The body as the generated method takes it: a model with every attribute given (so nothing but the
    example's fields reaches the wire), a dict of models for a map body, or the dict itself for a free object.

    Passing None explicitly matters: generated defaults (expiresInMinutes=1440 from the swagger's
    `default`) would otherwise be sent, which versions before 2022-10-01 do not accept.
    """
    name = _ref_name(op.body_parameter["schema"])
    model = getattr(models, name, None)
    if model is None:
        definition = load(op.version)["definitions"][name]
        if definition.get("properties"):
            pytest.fail(f"model {name} is not in the generated layer (built for {GENERATED_VERSION})")
        values = definition.get("additionalProperties")
        if isinstance(values, dict) and "$ref" in values:  # a map body: object id -> model (or null)
            value_model = _model(_ref_name(values))
            return {key: None if value is None else _filled(value_model, value, op) for key, value in body.items()}
        return body  # an object without declared properties: the generator takes any JSON object
    return _filled(model, body, op)


def _filled(model, body: dict[str, Any], op: Operation):
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
        elif isinstance(value, list) and kind.strip("[]") != kind and getattr(models, kind.strip("[]"), None):
            assert len(got) == len(value), key
            for item, wire_item in zip(got, value):
                _assert_deserialized(item, wire_item)
        else:
            assert got == value, key


def _snake_header(name: str) -> str:
    return name.lower().replace("-", "_")


class _Call:
    """One operation call prepared from an example: arguments, expected wire request and reply."""

    def __init__(self, op: Operation, example_data: dict[str, Any], *, check_reply: bool = True) -> None:
        self.op = op
        params = example_data["parameters"]
        self.path_values = {name: params[name] for name in re.findall(r"{(\w+)}", op.path)}
        self.body: Optional[dict[str, Any]] = params.get("body") if op.body_parameter else None
        self.status = int(next(iter(example_data["responses"])))
        response = example_data["responses"][str(self.status)]
        self.reply: Optional[dict[str, Any]] = response.get("body")
        self.reply_headers: dict[str, str] = response.get("headers", {})
        self.pageable = op.spec.get("x-ms-pageable")
        schema = op.spec["responses"][str(self.status)].get("schema")
        self.response_model = _model(_ref_name(schema)) if schema else None
        if check_reply and self.reply is not None:
            _require_known_fields(self.response_model, self.reply, op.operation_id)
        self.args: list[Any] = list(self.path_values.values())
        # The pinned generator (@autorest/python 5.16.0) reads api-version from the call's keywords,
        # defaulting to the version it was generated for; the client's api_version= keyword is stored
        # in its config but never read by operations. So other versions are passed per call.
        self.kwargs: dict[str, Any] = {} if op.version == GENERATED_VERSION else {"api_version": op.version}
        if self.body is not None:
            self.kwargs["body"] = _request_model(op, self.body)
        self.headers = {p["name"]: params[p["name"]] for p in resolved_parameters(op)
                        if p["in"] == "header" and p["name"] in params}
        for parameter in resolved_parameters(op):
            if parameter["in"] == "header" and parameter["name"] in params:
                value = params[parameter["name"]]
                if parameter.get("format") == "date-time-rfc1123":
                    value = parsedate_to_datetime(value)
                self.kwargs[_snake_header(parameter["name"])] = value
        if self.reply_headers:
            self.kwargs["cls"] = lambda response, deserialized, headers: (deserialized, headers)
        self.content_type = (op.spec.get("consumes") or ["application/json"])[0]

    def expected_path(self) -> str:
        # The action segment keeps its literal ':' as the generated URL template has it.
        path = self.op.path
        for name, value in self.path_values.items():
            path = path.replace("{" + name + "}", quote(value, safe=""))
        return path

    def check_request(self, recorded, transport: str) -> None:
        assert recorded.method == self.op.method.upper()
        expected = self.expected_path()
        if transport == "sync":
            assert recorded.raw_path == expected
        else:
            # aiohttp (yarl) requotes the path and sends ':' unescaped; the segment still decodes to the id.
            assert recorded.raw_path == expected.replace("%3A", ":")
        if "id" in self.path_values:
            assert unquote(recorded.raw_path.split("/")[2]) == self.path_values["id"]
        assert recorded.query == {"api-version": [self.op.version]}
        assert recorded.headers["accept"] == "application/json"
        for name, value in self.headers.items():
            assert recorded.headers[name.lower()] == value
        if self.body is None:
            assert recorded.body == b""
        else:
            assert recorded.headers["content-type"] == self.content_type
            assert recorded.json() == self.body

    def check_result(self, result) -> None:
        if self.reply_headers:
            result, headers = result
            assert headers == self.reply_headers
        if self.reply is None:
            assert result is None
            return
        if self.pageable:
            items, next_link = result
            # The page model's item attribute is typed "[ItemModel]".
            item_model = _model(self.response_model._attribute_map["value"]["type"].strip("[]"))
            assert next_link == self.reply.get(self.pageable["nextLinkName"])
            assert len(items) == len(self.reply[self.pageable["itemName"]])
            for item, wire in zip(items, self.reply[self.pageable["itemName"]]):
                assert isinstance(item, item_model)
                _assert_deserialized(item, wire)
            return
        assert isinstance(result, self.response_model)
        _assert_deserialized(result, self.reply)


def _first_page(result, call: _Call):
    """A pager's first page (items, next link), without following the link: one request, like the others."""
    if not call.pageable:
        return result
    pages = result.by_page()
    items = list(next(pages))
    return items, pages.continuation_token


async def _first_page_async(result, call: _Call):
    if not call.pageable:
        return await result
    pages = result.by_page()
    items = [item async for item in await pages.__anext__()]
    return items, pages.continuation_token


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
        recording_server.reply_with(call.status, call.reply, call.reply_headers)
        result = _first_page(method(*call.args, **call.kwargs), call)
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
        recording_server.reply_with(call.status, call.reply, call.reply_headers)
        result = await _first_page_async(method(*call.args, **call.kwargs), call)
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
            _first_page(method(*call.args, **call.kwargs), call)
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
            await _first_page_async(method(*call.args, **call.kwargs), call)
    assert len(recording_server.received()) == 1, "no retries were configured"
    _check_error(info.value, status, body)


def test_error_without_json_body_still_raises_with_status(recording_server):
    recording_server.reply_with(503, None)
    with _sync_client(recording_server, GENERATED_VERSION) as client:
        with pytest.raises(HttpResponseError) as info:
            client.communication_identity.delete("8:acs:r_1")
    assert info.value.status_code == 503
    assert info.value.error is None
