"""The hand-written swagger documents: valid Swagger 2.0, examples that match, and per-version facts."""
from __future__ import annotations

import re
import uuid

import jsonschema
import pytest
from openapi_spec_validator import OpenAPIV2SpecValidator, validate
from swagger_facts import (
    DEFINITION_REF,
    definition_validator,
    derive,
    document_path,
    load,
    operations,
    refs,
    resolved_parameters,
    schema_validator,
    versions,
)

BASE_SCOPES = {"chat", "voip"}
JOIN_SCOPES = {"chat.join", "chat.join.limited", "voip.join"}
BASE_OPERATIONS = {
    "CommunicationIdentity_Create": ("post", "/identities"),
    "CommunicationIdentity_Delete": ("delete", "/identities/{id}"),
    "CommunicationIdentity_RevokeAccessTokens": ("post", "/identities/{id}/:revokeAccessTokens"),
    "CommunicationIdentity_IssueAccessToken": ("post", "/identities/{id}/:issueAccessToken"),
}
EXCHANGE = {"CommunicationIdentity_ExchangeTeamsUserAccessToken": ("post", "/teamsUser/:exchangeAccessToken")}
GET = {"CommunicationIdentity_Get": ("get", "/identities/{id}")}
TEAMS_ASSIGNMENT = "/access/teamsExtension/tenants/{tenantId}/assignments/{objectId}"
TEAMS_EXTENSION = {
    "TeamsExtension_ExchangeAccessToken": ("post", "/access/teamsExtension/:exchangeAccessToken"),
    "TeamsExtension_GetAssignment": ("get", TEAMS_ASSIGNMENT),
    "TeamsExtension_CreateOrReplaceAssignment": ("put", TEAMS_ASSIGNMENT),
    "TeamsExtension_DeleteAssignment": ("delete", TEAMS_ASSIGNMENT),
}
ENTRA = {
    "EntraUsers_ExchangeAccessToken": ("post", "/access/entra/:exchangeAccessToken"),
    "EntraUsers_ListAssignments": ("get", "/access/entra/assignments"),
    "EntraUsers_UpdateAssignments": ("patch", "/access/entra/assignments"),
    "EntraUsers_GetAssignment": ("get", "/access/entra/assignments/{objectId}"),
    "EntraUsers_CreateOrReplaceAssignment": ("put", "/access/entra/assignments/{objectId}"),
    "EntraUsers_DeleteAssignment": ("delete", "/access/entra/assignments/{objectId}"),
}
CLASSIC = {**BASE_OPERATIONS, **EXCHANGE}
ALL_SCOPES = BASE_SCOPES | JOIN_SCOPES
REPEATABILITY = {"Repeatability-Request-ID", "Repeatability-First-Sent"}


def _facts(operations, scopes, *, lifetime=True, custom_id=False, repeatability=False):
    return {"operations": operations, "scopes": scopes, "lifetime": lifetime, "custom_id": custom_id,
            "repeatability": repeatability}


# What each api-version has, as published by the service (../shared/SERVICE-VERSIONS.md). A new swagger
# folder must add a row here: this is the oracle the documents are checked against.
EXPECTED = {
    "2021-03-07": _facts(BASE_OPERATIONS, BASE_SCOPES, lifetime=False),
    "2022-06-01": _facts(CLASSIC, BASE_SCOPES, lifetime=False),
    "2022-10-01": _facts(CLASSIC, BASE_SCOPES),
    "2023-08-01": _facts(CLASSIC, BASE_SCOPES, repeatability=True),
    "2023-10-01": _facts(CLASSIC, ALL_SCOPES),
    "2025-03-02-preview": _facts({**CLASSIC, **GET, **TEAMS_EXTENSION, **ENTRA}, ALL_SCOPES, custom_id=True),
    "2025-06-30": _facts({**CLASSIC, **TEAMS_EXTENSION}, ALL_SCOPES),
    "2026-09-23": _facts({**CLASSIC, **TEAMS_EXTENSION}, ALL_SCOPES),
}
VERSIONS = versions()
ALL_OPERATIONS = [op for version in VERSIONS for op in operations(version)]
ALL_EXAMPLES = [(op, example) for op in ALL_OPERATIONS for example in op.examples]


def _op_id(op):
    return f"{op.version}-{op.operation_id.split('_', 1)[1]}"


def test_every_version_folder_is_known():
    assert VERSIONS == sorted(EXPECTED), "a swagger folder was added or removed; update EXPECTED with its facts"


# ---------------------------------------------------------------------------------------------
# Document validity
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_document_is_valid_swagger_2(version):
    doc = load(version)
    assert doc["swagger"] == "2.0"
    validate(doc, base_uri=document_path(version).as_uri(), cls=OpenAPIV2SpecValidator)


def test_validator_rejects_a_broken_document():
    """Guards the test above: the validator really is the Swagger 2.0 one and really looks."""
    doc = load(VERSIONS[-1])
    doc["paths"]["/identities"]["post"]["parameters"][0] = {"name": "api-version", "in": "cookie", "type": "string"}
    with pytest.raises(Exception, match="cookie|is not valid"):
        validate(doc, base_uri=document_path(VERSIONS[-1]).as_uri(), cls=OpenAPIV2SpecValidator)


@pytest.mark.parametrize("version", VERSIONS)
def test_info_version_matches_the_folder(version):
    assert load(version)["info"]["version"] == version
    assert load(version)["info"]["title"] == "CommunicationIdentityClient"


@pytest.mark.parametrize("version", VERSIONS)
def test_every_schema_reference_points_into_the_document(version):
    doc = load(version)
    schema_refs = [ref for ref in refs({k: v for k, v in doc.items() if k != "paths"}) + refs(doc["paths"])
                   if not ref.startswith("./examples/")]
    for ref in schema_refs:
        if ref.startswith("#/parameters/"):
            assert ref.rsplit("/", 1)[1] in doc["parameters"], ref
        else:
            assert ref.startswith(DEFINITION_REF), f"{ref}: only local definitions, so the folder stands alone"
            assert ref[len(DEFINITION_REF):] in doc["definitions"], ref


@pytest.mark.parametrize("version", VERSIONS)
def test_parameterized_host_takes_the_endpoint_from_the_client(version):
    doc = load(version)
    host = doc["x-ms-parameterized-host"]
    assert host["hostTemplate"] == "{endpoint}"
    assert host["useSchemePrefix"] is False
    assert host["parameters"] == [{"$ref": "#/parameters/Endpoint"}]
    endpoint = doc["parameters"]["Endpoint"]
    assert endpoint["name"] == "endpoint"
    assert endpoint["in"] == "path"
    assert endpoint["required"] is True
    assert endpoint["x-ms-parameter-location"] == "client"
    assert endpoint["x-ms-skip-url-encoding"] is True


@pytest.mark.parametrize("op", ALL_OPERATIONS, ids=_op_id)
def test_operation_takes_required_api_version_and_method_level_id(op):
    doc = load(op.version)
    params = [doc["parameters"][p["$ref"].rsplit("/", 1)[1]] if "$ref" in p else p for p in op.spec["parameters"]]
    api_version = [p for p in params if p["name"] == "api-version"]
    assert api_version == [{"name": "api-version", "in": "query", "description": "The version of the API to use.",
                            "required": True, "type": "string"}]
    in_path = [p for p in params if p["in"] == "path"]
    assert [p["name"] for p in in_path] == re.findall(r"{(\w+)}", op.path)
    for parameter in in_path:
        assert parameter["required"] is True
        assert parameter["x-ms-parameter-location"] == "method"


@pytest.mark.parametrize("op", ALL_OPERATIONS, ids=_op_id)
def test_every_operation_answers_errors_with_the_communication_error_model(op):
    default = op.spec["responses"]["default"]
    assert default["schema"] == {"$ref": "#/definitions/CommunicationErrorResponse"}
    # One success status per operation, except where the service tells two outcomes apart.
    expected = {"put": ["200", "201"], "patch": ["200", "204"]}.get(op.method)
    assert op.success_statuses == expected if expected else len(op.success_statuses) == 1


@pytest.mark.parametrize("version", VERSIONS)
def test_error_model_is_the_same_in_every_version(version):
    definitions = load(version)["definitions"]
    baseline = load(VERSIONS[0])["definitions"]
    assert definitions["CommunicationErrorResponse"] == baseline["CommunicationErrorResponse"]
    assert definitions["CommunicationError"] == baseline["CommunicationError"]
    error_fields = set(definitions["CommunicationError"]["properties"])
    assert error_fields == {"code", "message", "target", "details", "innererror"}


# ---------------------------------------------------------------------------------------------
# Examples
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("op", ALL_OPERATIONS, ids=_op_id)
def test_every_operation_has_examples_that_exist(op):
    assert op.examples, f"{op.operation_id} has no x-ms-examples"
    for example in op.examples:
        assert example.ref.startswith("./examples/")
        assert example.path.is_file(), f"{op.version}: {example.ref} is missing"
        assert example.path.parent == document_path(op.version).parent / "examples"


def _example_id(case):
    op, example = case
    return f"{op.version}-{example.path.name}"


@pytest.mark.parametrize("case", ALL_EXAMPLES, ids=_example_id)
def test_example_matches_its_operation(case):
    op, example = case
    data = example.data()
    params = data["parameters"]
    assert params["api-version"] == op.version
    assert params["endpoint"].startswith("https://")
    if "{id}" in op.path:
        assert params["id"].startswith("8:acs:")
    for name in ("tenantId", "objectId"):
        if "{" + name + "}" in op.path:
            assert str(uuid.UUID(params[name])) == params[name], f"{name} is a lowercase GUID"
    headers = {p["name"] for p in resolved_parameters(op) if p["in"] == "header"}
    assert headers >= {key for key in params if key[0].isupper()}, "every header in the example is declared"
    body_param = op.body_parameter
    if body_param is None:
        assert "body" not in params
    elif body_param.get("required") or "body" in params:
        schema_validator(op.version, body_param["schema"]).validate(params["body"])
    assert data["responses"] and set(data["responses"]) <= set(op.success_statuses)
    for status, response in data["responses"].items():
        assert set(response.get("headers", {})) <= set(op.spec["responses"][status].get("headers", {}))
        schema = op.spec["responses"][status].get("schema")
        if schema is None:
            assert "body" not in response, f"{status} has no body"
        else:
            schema_validator(op.version, schema).validate(response["body"])


@pytest.mark.parametrize(
    ("definition", "instance"),
    [
        ("CommunicationIdentityAccessToken", {"token": "t", "expiresOn": "29 Jan 2021 18:19"}),
        ("CommunicationIdentityAccessToken", {"token": "t"}),
        ("CommunicationIdentityAccessToken", {"token": "t", "expiresOn": "2021-01-29T18:19:30Z", "extra": 1}),
        ("CommunicationIdentityAccessTokenRequest", {"scopes": ["chat"], "expiresInMinutes": 59}),
        ("CommunicationIdentityAccessTokenRequest", {"scopes": ["chat"], "expiresInMinutes": 1441}),
        ("CommunicationIdentityAccessTokenRequest", {"scopes": ["chat"], "expiresInMinutes": "60"}),
        ("CommunicationIdentityCreateRequest", {"createTokenWithScopes": ["email"]}),
        ("CommunicationErrorResponse", {"error": {"code": "X"}}),
    ],
)
def test_schema_check_rejects_bad_instances(definition, instance):
    """Guards the example check: formats, ranges, enums, required and unknown fields are enforced."""
    with pytest.raises(jsonschema.ValidationError):
        definition_validator("2023-10-01", definition).validate(instance)


def test_date_time_with_seven_fractional_digits_and_offset_is_accepted():
    token = {"token": "t", "expiresOn": "2021-01-29T18:19:30.8206627+00:00"}
    definition_validator(VERSIONS[0], "CommunicationIdentityAccessToken").validate(token)


def test_error_body_with_details_and_innererror_is_valid():
    body = {"error": {"code": "ValidationError", "message": "bad", "target": "ExpiresInMinutes",
                      "details": [{"code": "A", "message": "a"}], "innererror": {"code": "B", "message": "b"}}}
    for version in VERSIONS:
        definition_validator(version, "CommunicationErrorResponse").validate(body)


# ---------------------------------------------------------------------------------------------
# Per-version facts
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_operations_are_exactly_the_versions_operations(version):
    found = {op.operation_id: (op.method, op.path) for op in operations(version)}
    assert found == EXPECTED[version]["operations"]


@pytest.mark.parametrize("version", VERSIONS)
def test_scope_enum_is_exactly_the_versions_scopes(version):
    scope = load(version)["definitions"]["CommunicationIdentityTokenScope"]
    assert scope["type"] == "string"
    assert set(scope["enum"]) == EXPECTED[version]["scopes"]
    assert len(scope["enum"]) == len(set(scope["enum"]))
    assert scope["x-ms-enum"]["name"] == "CommunicationIdentityTokenScope"
    assert scope["x-ms-enum"]["modelAsString"] is True
    assert [value["value"] for value in scope["x-ms-enum"]["values"]] == scope["enum"]
    assert all(value["description"] for value in scope["x-ms-enum"]["values"])


@pytest.mark.parametrize("version", VERSIONS)
def test_token_lifetime_is_there_exactly_from_2022_10_01(version):
    definitions = load(version)["definitions"]
    for name in ("CommunicationIdentityCreateRequest", "CommunicationIdentityAccessTokenRequest"):
        lifetime = definitions[name]["properties"].get("expiresInMinutes")
        if not EXPECTED[version]["lifetime"]:
            assert lifetime is None, f"{version} {name} must not know expiresInMinutes"
            continue
        assert {k: v for k, v in lifetime.items() if k != "description"} == {
            "type": "integer", "format": "int32", "minimum": 60, "maximum": 1440, "default": 1440}
        assert "expiresInMinutes" not in definitions[name].get("required", [])


@pytest.mark.parametrize("version", VERSIONS)
def test_custom_id_and_last_token_issued_at_only_in_the_preview(version):
    definitions = load(version)["definitions"]
    create = definitions["CommunicationIdentityCreateRequest"]["properties"]
    identity = definitions["CommunicationIdentity"]["properties"]
    if not EXPECTED[version]["custom_id"]:
        assert "customId" not in create
        assert set(identity) == {"id"}
        return
    assert create["customId"]["type"] == "string"
    assert (create["customId"]["minLength"], create["customId"]["maxLength"]) == (1, 256)
    assert identity["customId"]["type"] == "string"
    assert identity["lastTokenIssuedAt"] == {**identity["lastTokenIssuedAt"], "type": "string", "format": "date-time"}
    assert definitions["CommunicationIdentity"]["required"] == ["id"]


@pytest.mark.parametrize("version", [v for v in VERSIONS if EXCHANGE.keys() <= EXPECTED[v]["operations"].keys()])
def test_teams_exchange_request_requires_token_app_and_user(version):
    request = load(version)["definitions"]["TeamsUserExchangeTokenRequest"]
    assert set(request["properties"]) == {"token", "appId", "userId"}
    assert set(request["required"]) == {"token", "appId", "userId"}
    assert all(prop["type"] == "string" for prop in request["properties"].values())
    op = next(op for op in operations(version) if op.operation_id in EXCHANGE)
    assert op.body_parameter["required"] is True
    assert op.spec["responses"]["200"]["schema"] == {"$ref": "#/definitions/CommunicationIdentityAccessToken"}


def _everywhere(kind):
    """(version, name, thing) for every operation or definition of every version."""
    for version in VERSIONS:
        if kind == "operations":
            for op in operations(version):
                yield version, op.operation_id, op
        else:
            for name, definition in load(version)["definitions"].items():
                yield version, name, definition


def test_an_operation_means_the_same_in_every_version_that_has_it():
    """The property one generation for all versions stands on (it replaced 'each version is a superset of the
    one before', which 2025-06-30 broke): an operation id keeps its method, path, body and success statuses."""
    seen = {}
    for version, operation_id, op in _everywhere("operations"):
        shape = (op.method, op.path, bool(op.body_parameter), tuple(op.success_statuses))
        first = seen.setdefault(operation_id, (version, shape))
        assert shape == first[1], f"{operation_id} differs between {first[0]} and {version}"


def _wire_shape(schema):
    return {k: v for k, v in schema.items() if k in ("type", "format", "$ref", "items", "additionalProperties")}


def test_a_field_has_one_type_in_every_version_that_has_it():
    seen = {}
    for version, name, definition in _everywhere("definitions"):
        for field, schema in definition.get("properties", {}).items():
            first = seen.setdefault((name, field), (version, _wire_shape(schema)))
            assert _wire_shape(schema) == first[1], f"{name}.{field} differs between {first[0]} and {version}"


def test_the_union_document_holds_every_version():
    """AutoRest's input (codegen's union) has every operation, parameter, field and enum value of every version,
    and requires nothing that some version does not require."""
    union = derive.union_document({version: load(version) for version in VERSIONS})
    for version, operation_id, op in _everywhere("operations"):
        mine = union["paths"][op.path][op.method]
        assert mine["operationId"] == operation_id
        keys = {(p["in"], p["name"]) for p in resolved_parameters(op)}
        union_keys = {(r["in"], r["name"]) for r in (union["parameters"][p["$ref"].rsplit("/", 1)[1]] if "$ref" in p
                                                      else p for p in mine["parameters"])}
        assert keys <= union_keys, f"{version} {operation_id}"
        assert set(op.success_statuses) <= set(mine["responses"])
    for version, name, definition in _everywhere("definitions"):
        mine = union["definitions"][name]
        assert set(definition.get("properties", {})) <= set(mine.get("properties", {})), f"{version} {name}"
        assert set(mine.get("required", [])) <= set(definition.get("required", [])), f"{version} {name}"
        assert set(definition.get("enum", [])) <= set(mine.get("enum", [])), f"{version} {name}"
    assert union["info"]["version"] == VERSIONS[-1]


@pytest.mark.parametrize("op", ALL_OPERATIONS, ids=_op_id)
def test_only_the_repeatable_create_takes_headers(op):
    """The Repeatability-* pair on 2023-08-01's create is the only header parameter any version declares."""
    headers = {p["name"] for p in resolved_parameters(op) if p["in"] == "header"}
    repeatable = EXPECTED[op.version]["repeatability"] and op.operation_id == "CommunicationIdentity_Create"
    assert headers == (REPEATABILITY if repeatable else set())
    result_header = op.spec["responses"][op.success_statuses[0]].get("headers", {}).get("Repeatability-Result")
    if repeatable:
        assert not any(p.get("required") for p in resolved_parameters(op) if p["in"] == "header")
        assert result_header["enum"] == ["accepted", "rejected"]
        first_sent = next(p for p in resolved_parameters(op) if p["name"] == "Repeatability-First-Sent")
        assert first_sent["format"] == "date-time-rfc1123"
    else:
        assert result_header is None


TEAMS_VERSIONS = [v for v in VERSIONS if TEAMS_EXTENSION.keys() <= EXPECTED[v]["operations"].keys()]
ENTRA_VERSIONS = [v for v in VERSIONS if ENTRA.keys() <= EXPECTED[v]["operations"].keys()]


@pytest.mark.parametrize("version", TEAMS_VERSIONS)
def test_teams_extension_assignment_shapes(version):
    definitions = load(version)["definitions"]
    assignment = definitions["TeamsExtensionAssignment"]
    assert set(assignment["properties"]) == {"objectId", "tenantId", "principalType", "clientIds"}
    assert assignment["required"] == ["objectId", "tenantId", "principalType"]
    request = definitions["TeamsExtensionAssignmentRequest"]
    assert set(request["properties"]) == {"principalType", "clientIds"} and request["required"] == ["principalType"]
    principal = definitions["TeamsExtensionPrincipalType"]
    assert principal["enum"] == ["resourceAccount", "user"] and principal["x-ms-enum"]["modelAsString"] is True
    ops = {op.operation_id: op for op in operations(version)}
    exchange = ops["TeamsExtension_ExchangeAccessToken"]
    assert exchange.spec["security"] == [{"teams_extension_user": [
        "https://auth.msft.communication.azure.com/TeamsExtension.ManageCalls"]}]
    assert exchange.spec["responses"]["200"]["schema"] == {"$ref": "#/definitions/AccessTokenExchangeResult"}
    assert definitions["AccessTokenExchangeResult"]["required"] == ["identity", "accessToken"]


@pytest.mark.parametrize("version", ENTRA_VERSIONS)
def test_entra_assignment_shapes(version):
    definitions = load(version)["definitions"]
    assert definitions["EntraAssignment"]["required"] == ["objectId", "tenantId", "principalType", "clientIds"]
    assert definitions["EntraAssignmentRequest"]["required"] == ["tenantId", "principalType", "clientIds"]
    assert definitions["EntraPrincipalType"]["enum"] == ["user", "group", "tenant"]
    ops = {op.operation_id: op for op in operations(version)}
    listing = ops["EntraUsers_ListAssignments"].spec
    assert listing["x-ms-pageable"] == {"nextLinkName": "nextLink", "itemName": "value"}
    assert set(definitions["EntraAssignmentList"]["properties"]) == {"value", "nextLink"}
    patch = ops["EntraUsers_UpdateAssignments"].spec
    assert patch["consumes"] == ["application/merge-patch+json"]
    values = definitions["EntraAssignmentsPatch"]["additionalProperties"]
    assert values == {"$ref": "#/definitions/EntraAssignmentRequest", "x-nullable": True}
    assert ops["EntraUsers_ExchangeAccessToken"].spec["security"] == [{"entra_user": [
        "https://communication.azure.com/clients/.default"]}]
