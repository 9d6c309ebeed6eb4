"""codegen/derive_versions.py as pure functions: the union rules, the refusals, the table's source text."""
from __future__ import annotations

import copy

import pytest
from swagger_facts import derive, load, versions


def _doc(version, paths=None, definitions=None, parameters=None):
    return {"info": {"version": version, "title": "T"}, "paths": paths or {}, "definitions": definitions or {},
            "parameters": parameters or {}, "consumes": ["application/json"], "security": [{"azure_auth": []}]}


def _op(operation_id, *parameters, responses=None):
    return {"operationId": operation_id, "parameters": list(parameters),
            "responses": responses or {"200": {"description": "ok"}}}


def test_union_adds_what_only_older_versions_have_and_the_newest_wins():
    old = _doc("2020-01-01", {"/a": {"get": _op("G_A"), "post": _op("G_Old")}},
               {"M": {"type": "object", "properties": {"x": {"type": "string", "description": "old"}, "gone": {
                   "type": "integer"}}, "required": ["x"]},
                "E": {"type": "string", "enum": ["a", "b"]}})
    new = _doc("2021-01-01", {"/a": {"get": _op("G_A")}, "/b": {"get": _op("G_B")}},
               {"M": {"type": "object", "properties": {"x": {"type": "string", "description": "new"}, "y": {
                   "type": "string"}}, "required": ["x", "y"]},
                "E": {"type": "string", "enum": ["b", "c"]}})
    union = derive.union_document({"2020-01-01": old, "2021-01-01": new})
    assert set(union["paths"]["/a"]) == {"get", "post"} and "/b" in union["paths"]
    model = union["definitions"]["M"]
    assert model["properties"]["x"]["description"] == "new"
    assert set(model["properties"]) == {"x", "y", "gone"}
    assert model["required"] == ["x"], "y is required by the newer version only"
    assert union["definitions"]["E"]["enum"] == ["b", "c", "a"]
    assert union["info"]["version"] == "2021-01-01"


def test_union_keeps_a_header_parameter_only_one_version_declares():
    header = {"name": "H", "in": "header", "type": "string", "required": False}
    old = _doc("2020-01-01", {"/a": {"post": _op("G_A", header)}})
    new = _doc("2021-01-01", {"/a": {"post": _op("G_A")}})
    union = derive.union_document({"2020-01-01": old, "2021-01-01": new})
    assert union["paths"]["/a"]["post"]["parameters"] == [header]


@pytest.mark.parametrize("conflict", ["operation id", "field type", "required header"])
def test_union_refuses_what_one_generation_cannot_hold(conflict):
    old, new = _doc("2020-01-01", {"/a": {"get": _op("G_A")}}), _doc("2021-01-01", {"/a": {"get": _op("G_A")}})
    if conflict == "operation id":
        new["paths"]["/a"]["get"]["operationId"] = "G_Renamed"
        message = "keeps its id"
    elif conflict == "field type":
        old["definitions"]["M"] = {"type": "object", "properties": {"x": {"type": "string"}}}
        new["definitions"]["M"] = {"type": "object", "properties": {"x": {"type": "integer"}}}
        message = "different type"
    else:
        old["paths"]["/a"]["get"]["parameters"] = [{"name": "H", "in": "header", "type": "string", "required": True}]
        message = "cannot require it"
    with pytest.raises(derive.DerivationError, match=message):
        derive.union_document({"2020-01-01": old, "2021-01-01": new})


def test_versions_come_from_the_tags_and_every_folder_needs_one(tmp_path):
    root = tmp_path
    for version in ("2020-01-01", "2020-01-01-preview"):
        (root / "swagger" / version).mkdir(parents=True)
        (root / "swagger" / version / "CommunicationIdentity.json").write_text("{}")
    tag = "``` yaml $(tag) == 'package-{0}'\ninput-file: swagger/{0}/CommunicationIdentity.json\n```\n"
    (root / "autorest.md").write_text(tag.format("2020-01-01"))
    with pytest.raises(derive.DerivationError, match="without a tag in autorest.md: 2020-01-01-preview"):
        derive.tagged_versions(root)
    (root / "autorest.md").write_text(tag.format("2020-01-01") + tag.format("2020-01-01-preview"))
    assert list(derive.tagged_versions(root)) == ["2020-01-01-preview", "2020-01-01"], "a preview precedes its GA"


def test_operation_names():
    assert derive.operation_name("CommunicationIdentity_IssueAccessToken") == "issueAccessToken"
    assert derive.operation_name("TeamsExtension_GetAssignment") == "teamsExtensionGetAssignment"


def test_table_source_evaluates_back_to_the_table():
    documents = {version: load(version) for version in versions()}
    table = derive.version_table(copy.deepcopy(documents))
    namespace: dict = {}
    exec(derive.table_source(table, with_enum=False), namespace)  # noqa: S102 - text we just generated
    assert namespace["VERSIONS"] == table
    assert namespace["API_VERSIONS"] == tuple(documents)
    assert all(len(line) <= 120 for line in derive.table_source(table, with_enum=True).splitlines())
