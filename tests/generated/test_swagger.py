"""The hand-written swagger documents: valid Swagger 2.0, examples that match, and per-version facts."""
from __future__ import annotations

import jsonschema
import pytest
from openapi_spec_validator import OpenAPIV2SpecValidator, validate
from swagger_facts import (
    DEFINITION_REF,
    definition_validator,
    document_path,
    load,
    operations,
    refs,
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

# What each api-version has, as published by the service. A new swagger folder must add a row here.
EXPECTED = {
    "2021-03-07": {"operations": BASE_OPERATIONS, "scopes": BASE_SCOPES, "lifetime": False, "custom_id": False},
    "2022-06-01": {"operations": {**BASE_OPERATIONS, **EXCHANGE}, "scopes": BASE_SCOPES, "lifetime": False,
                   "custom_id": False},
    "2022-10-01": {"operations": {**BASE_OPERATIONS, **EXCHANGE}, "scopes": BASE_SCOPES, "lifetime": True,
                   "custom_id": False},
    "2023-10-01": {"operations": {**BASE_OPERATIONS, **EXCHANGE}, "scopes": BASE_SCOPES | JOIN_SCOPES,
                   "lifetime": True, "custom_id": False},
    "2025-03-02-preview": {"operations": {**BASE_OPERATIONS, **EXCHANGE, **GET}, "scopes": BASE_SCOPES | JOIN_SCOPES,
                           "lifetime": True, "custom_id": True},
}
VERSIONS = versions()
CONSECUTIVE = list(zip(VERSIONS, VERSIONS[1:]))
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
    ids = [p for p in params if p["in"] == "path"]
    if "{id}" in op.path:
        assert [p["name"] for p in ids] == ["id"]
        assert ids[0]["required"] is True
        assert ids[0]["x-ms-parameter-location"] == "method"
    else:
        assert ids == []


@pytest.mark.parametrize("op", ALL_OPERATIONS, ids=_op_id)
def test_every_operation_answers_errors_with_the_communication_error_model(op):
    default = op.spec["responses"]["default"]
    assert default["schema"] == {"$ref": "#/definitions/CommunicationErrorResponse"}
    assert len(op.success_statuses) == 1, "one success status per operation, as the service answers"


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
    body_param = op.body_parameter
    if body_param is None:
        assert "body" not in params
    elif body_param.get("required") or "body" in params:
        schema_validator(op.version, body_param["schema"]).validate(params["body"])
    assert sorted(data["responses"]) == op.success_statuses
    for status, response in data["responses"].items():
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


@pytest.mark.parametrize(("older", "newer"), CONSECUTIVE, ids=[f"{a}..{b}" for a, b in CONSECUTIVE])
def test_newer_version_is_a_superset_of_the_older(older, newer):
    old_ops = {op.operation_id: op for op in operations(older)}
    new_ops = {op.operation_id: op for op in operations(newer)}
    assert old_ops.keys() <= new_ops.keys()
    for operation_id, old in old_ops.items():
        new = new_ops[operation_id]
        assert (new.method, new.path) == (old.method, old.path), f"{operation_id} moved"
        assert new.success_statuses == old.success_statuses
        assert bool(new.body_parameter) == bool(old.body_parameter)
    old_defs, new_defs = load(older)["definitions"], load(newer)["definitions"]
    assert old_defs.keys() <= new_defs.keys()
    for name, old in old_defs.items():
        new = new_defs[name]
        assert set(old.get("properties", {})) <= set(new.get("properties", {})), f"{name} lost a property"
        assert old.get("required", []) == new.get("required", []), f"{name} changed what it requires"
    scope = "CommunicationIdentityTokenScope"
    assert set(old_defs[scope]["enum"]) <= set(new_defs[scope]["enum"])


@pytest.mark.parametrize("version", VERSIONS)
def test_no_header_parameters(version):
    """The service's identity operations take no custom headers (no Repeatability-* even in the preview)."""
    doc = load(version)
    for op in operations(version):
        for param in op.spec["parameters"]:
            resolved = doc["parameters"][param["$ref"].rsplit("/", 1)[1]] if "$ref" in param else param
            assert resolved["in"] != "header", f"{op.operation_id}: {resolved['name']}"
