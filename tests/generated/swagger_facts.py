"""Loads the hand-written swagger documents and their examples, and validates JSON against them.

Shared by the swagger tests and the generated-client tests, so both read the same facts.
"""
from __future__ import annotations

import importlib.util
import json
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Optional

import jsonschema

SWAGGER_ROOT = Path(__file__).resolve().parents[2] / "swagger"
DOCUMENT = "CommunicationIdentity.json"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
DEFINITION_REF = "#/definitions/"


def _load_codegen():
    # codegen/ is build-time tooling, not a package; load the derivation by path under a private name.
    name = "_tests_derive_versions"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, SWAGGER_ROOT.parent / "codegen" / "derive_versions.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


derive = _load_codegen()


def versions() -> list[str]:
    """Every api-version (autorest.md's tags, each with its swagger folder), oldest first."""
    return list(derive.tagged_versions(SWAGGER_ROOT.parent))


def document_path(version: str) -> Path:
    return SWAGGER_ROOT / version / DOCUMENT


@cache
def _load(version: str) -> str:
    return document_path(version).read_text(encoding="utf-8")


def load(version: str) -> dict[str, Any]:
    """A fresh copy of the document, so a test may mutate it."""
    return json.loads(_load(version))


@dataclass
class Example:
    title: str
    ref: str
    path: Path

    def data(self) -> dict[str, Any]:
        return json.loads(self.path.read_text(encoding="utf-8"))


@dataclass
class Operation:
    version: str
    operation_id: str
    method: str
    path: str
    spec: dict[str, Any]
    examples: list[Example] = field(default_factory=list)

    @property
    def body_parameter(self) -> Optional[dict[str, Any]]:
        return next((p for p in self.spec.get("parameters", []) if p.get("in") == "body"), None)

    @property
    def success_statuses(self) -> list[str]:
        return sorted(code for code in self.spec["responses"] if code != "default")


def resolved_parameters(op: Operation) -> list[dict[str, Any]]:
    """The operation's parameters with `#/parameters/...` references replaced by what they point at."""
    shared = load(op.version)["parameters"]
    return [shared[p["$ref"].rsplit("/", 1)[1]] if "$ref" in p else p for p in op.spec.get("parameters", [])]


def operations(version: str) -> list[Operation]:
    doc = load(version)
    found = []
    for path, item in doc["paths"].items():
        for method in HTTP_METHODS:
            if method not in item:
                continue
            spec = item[method]
            examples = [
                Example(title, ref["$ref"], (SWAGGER_ROOT / version / ref["$ref"]).resolve())
                for title, ref in spec.get("x-ms-examples", {}).items()
            ]
            found.append(Operation(version, spec["operationId"], method, path, spec, examples))
    return found


def strip_extensions(node: Any) -> Any:
    """Swagger's vendor extensions (x-*) mean nothing to JSON Schema; drop them (``x-nullable`` becomes "or null")."""
    if isinstance(node, dict):
        stripped = {key: strip_extensions(value) for key, value in node.items() if not key.startswith("x-")}
        return {"anyOf": [stripped, {"type": "null"}]} if node.get("x-nullable") is True else stripped
    if isinstance(node, list):
        return [strip_extensions(item) for item in node]
    return node


def _close_objects(node: Any) -> Any:
    """Forbid undeclared properties, so a misspelt or out-of-version field in an example fails."""
    if isinstance(node, dict):
        node = {key: _close_objects(value) for key, value in node.items()}
        if node.get("type") == "object" and "properties" in node:
            node.setdefault("additionalProperties", False)
    elif isinstance(node, list):
        node = [_close_objects(item) for item in node]
    return node


# RFC 3339 date-time as the service writes it: any number of fractional digits, Z or an offset.
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$")


def parse_date_time(value: str) -> datetime:
    """Parses the service's date-times (up to 7 fractional digits) on every supported Python."""
    if not _DATE_TIME.match(value):
        raise ValueError(f"not an RFC 3339 date-time: {value!r}")
    value = re.sub(r"[Zz]$", "+00:00", value)
    value = re.sub(r"\.(\d{1,6})\d*", lambda m: "." + m.group(1).ljust(6, "0"), value)
    return datetime.fromisoformat(value.replace("t", "T"))


FORMAT_CHECKER = jsonschema.FormatChecker(formats=())


@FORMAT_CHECKER.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if isinstance(value, str):
        parse_date_time(value)
    return True


def schema_validator(version: str, schema: dict[str, Any]) -> jsonschema.Draft4Validator:
    """A validator for `schema` whose `#/definitions/...` references resolve within the document."""
    doc = load(version)
    definitions = _close_objects(strip_extensions(doc["definitions"]))
    root = {**_close_objects(strip_extensions(schema)), "definitions": definitions}
    return jsonschema.Draft4Validator(root, format_checker=FORMAT_CHECKER)


def definition_validator(version: str, name: str) -> jsonschema.Draft4Validator:
    return schema_validator(version, {"$ref": DEFINITION_REF + name})


def refs(node: Any) -> list[str]:
    """Every $ref in a JSON tree."""
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in refs(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in refs(item)]
    return []
