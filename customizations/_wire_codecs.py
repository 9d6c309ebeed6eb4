"""The generated client's msrest serializer and deserializer, with the per-call cost of flat models cut.

The generated operations hand every request body to msrest's ``Serializer.body`` and every response to
its ``Deserializer``. For this service's small flat models (``{"scopes": ["chat"]}`` out,
``{"token": ..., "expiresOn": ...}`` back) msrest's generic walk (a ``Deserializer`` built per body,
a round trip through it, key transformers and extractors, per-field type dispatch, dictionary copies)
was the largest cost left in the generated layer: about 0.035 ms (body) and 0.03 ms (response) of
client CPU per ``get_token`` in the bench's steady loop (``bench/README.md``). :func:`use_wire_codecs`
installs, per generated client:

* **remembered bodies**: a body is a pure function of its model class and field values, and a client
  sends the same few bodies over and over (the scopes and lifetime, not the user, are in it). msrest
  still makes each body the first time; the serializer keeps its JSON, keyed by the class and the exact
  type and value of every field, and hands out a fresh copy when the same body comes again.
* **flat responses read directly**: :class:`FlatModelDeserializer` reads a JSON object into a model
  whose fields are all ``str``, ``int`` or ``iso-8601`` as msrest would: the same field values, unknown
  keys in ``additional_properties``, the date-times through the same reader table.
* **date-times without isodate** (``_wire_datetime.py``).

Whatever is not exactly that shape (nested or polymorphic models, read-only or constant fields, a field
of another type or a value of an unexpected JSON type, extra options, client-side validation, a
failure) goes to msrest unchanged, so odd input fails or succeeds exactly as before.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Dict, Optional, Tuple

from msrest import Deserializer, Serializer
from msrest.serialization import rest_key_extractor, xml_key_extractor

from ._wire_datetime import use_fast_iso_datetimes

_MAX_REMEMBERED = 256  # distinct bodies (scopes x lifetime combinations); the table starts over when full
_SCALAR_TYPES = (str, int, bool)  # not float: 0.0 and -0.0 are equal keys but different JSON
_FLAT_BODY_TYPES = frozenset({"str", "int", "bool", "[str]", "[int]", "[bool]"})
_NOT_FLAT = object()
_DEFAULT_EXTRACTORS = (rest_key_extractor, xml_key_extractor)
# Response field types read directly, with the exact JSON type each takes; anything else is msrest's.
_FLAT_RESPONSE_TYPES = {"str": str, "int": int, "iso-8601": str}


def _plain_keys(model: type) -> Optional[Dict[str, Any]]:
    """``model``'s attribute map when msrest maps it to one JSON object with plain keys, else None."""
    attribute_map = getattr(model, "_attribute_map", None)
    if not isinstance(attribute_map, dict) or getattr(model, "_subtype_map", None) or getattr(model, "_xml_map", None):
        return None
    for name, description in attribute_map.items():
        key = description.get("key")
        if name == "additional_properties" or not isinstance(key, str) or not key or "." in key or "\\" in key:
            return None
    return attribute_map


# -- request bodies -----------------------------------------------------------------------------------
def _body_fields(model: type) -> Optional[Tuple[str, ...]]:
    attribute_map = _plain_keys(model)
    if attribute_map is None or any(d.get("type") not in _FLAT_BODY_TYPES for d in attribute_map.values()):
        return None
    return tuple(attribute_map)


def _value_key(value: Any) -> Any:
    """``value`` as part of a memo key (type included: ``True`` and ``1`` are written differently), or _NOT_FLAT."""
    if value is None:
        return None
    kind = type(value)
    if kind in _SCALAR_TYPES:
        return kind, value
    if kind is list and all(type(item) in _SCALAR_TYPES for item in value):
        return list, tuple((type(item), item) for item in value)
    return _NOT_FLAT


def _is_flat_json(document: Any) -> bool:
    return type(document) is dict and all(
        type(value) in _SCALAR_TYPES or (type(value) is list and all(type(item) in _SCALAR_TYPES for item in value))
        for value in document.values())


def _copy(document: Dict[str, Any]) -> Dict[str, Any]:
    return {name: list(value) if type(value) is list else value for name, value in document.items()}


class RememberedBodies:
    """Stands in for a serializer's ``body``: msrest's result, remembered for flat models."""

    __slots__ = ("_serializer", "_make", "_key_transformer", "_fields", "_bodies", "_lock")

    def __init__(self, serializer: Serializer) -> None:
        self._serializer = serializer
        self._make: Callable[..., Any] = serializer.body
        self._key_transformer = serializer.key_transformer
        self._fields: Dict[type, Optional[Tuple[str, ...]]] = {}
        self._bodies: Dict[tuple, Dict[str, Any]] = {}
        self._lock = threading.Lock()

    def _key(self, data: Any, data_type: Any) -> Optional[tuple]:
        serializer = self._serializer
        if serializer.client_side_validation or serializer.key_transformer is not self._key_transformer:
            return None
        model = type(data)
        if not isinstance(data_type, str) or serializer.dependencies.get(data_type) is not model:
            return None
        try:
            fields = self._fields[model]
        except KeyError:
            fields = self._fields[model] = _body_fields(model)
        if fields is None:
            return None
        values = tuple(_value_key(getattr(data, name, _NOT_FLAT)) for name in fields)  # a missing field: msrest's error
        if _NOT_FLAT in values:
            return None
        return data_type, model, values

    def __call__(self, data: Any, data_type: Any, **kwargs: Any) -> Any:
        key = None if kwargs else self._key(data, data_type)
        if key is None:
            return self._make(data, data_type, **kwargs)
        document = self._bodies.get(key)
        if document is not None:
            return _copy(document)
        document = self._make(data, data_type)
        if _is_flat_json(document):
            with self._lock:
                if len(self._bodies) >= _MAX_REMEMBERED:
                    self._bodies.clear()
                self._bodies[key] = _copy(document)
        return document


# -- responses ----------------------------------------------------------------------------------------
_ResponsePlan = Tuple[Tuple[Tuple[str, str, str], ...], frozenset]


def _response_plan(model: type) -> Optional[_ResponsePlan]:
    """((attribute, JSON key, type) of each field, the JSON keys) when ``model`` is read directly, else None."""
    attribute_map = _plain_keys(model)
    if attribute_map is None:
        return None
    validation = getattr(model, "_validation", None) or {}
    if any(rule.get("readonly") or rule.get("constant") for rule in validation.values()):
        return None  # msrest sets these after construction: its path
    if any(d.get("type") not in _FLAT_RESPONSE_TYPES for d in attribute_map.values()):
        return None
    fields = tuple((name, d["key"], d["type"]) for name, d in attribute_map.items())
    return fields, frozenset(key for _, key, _ in fields)


class FlatModelDeserializer(Deserializer):
    """msrest's ``Deserializer``; a JSON object for a flat model (see the module docstring) is read directly."""

    def __init__(self, classes: Any = None) -> None:
        super().__init__(classes)
        self._plans: Dict[type, Optional[_ResponsePlan]] = {}

    def _read_flat(self, target_obj: Any, response_data: Any) -> Any:
        """The model msrest would make, or None when msrest must read this itself."""
        model = self.dependencies.get(target_obj) if isinstance(target_obj, str) else None
        context = getattr(response_data, "context", None)
        if model is None or not context or tuple(self.key_extractors) != _DEFAULT_EXTRACTORS:
            return None
        data = context.get("deserialized_data")  # azure-core's ContentDecodePolicy parsed it, as msrest reads it
        if type(data) is not dict:
            return None
        try:
            plan = self._plans[model]
        except KeyError:
            plan = self._plans[model] = _response_plan(model)
        if plan is None:
            return None
        fields, known = plan
        values = {}
        readers = self.deserialize_type
        for name, key, kind in fields:
            value = data.get(key)
            if value is not None:
                if type(value) is not _FLAT_RESPONSE_TYPES[kind]:
                    return None
                if kind == "iso-8601":
                    value = readers[kind](value)
            values[name] = value
        instance = model(**values)
        if self.additional_properties_detection:  # keys the model does not know, kept as msrest keeps them
            extra = {key: value for key, value in data.items() if key not in known}
            if extra:
                instance.additional_properties = extra
        return instance

    def __call__(self, target_obj: Any, response_data: Any, content_type: Any = None) -> Any:
        try:
            instance = self._read_flat(target_obj, response_data)
        except Exception:  # noqa: BLE001 - msrest reads it again and reports the failure its own way
            instance = None
        if instance is None:
            return super().__call__(target_obj, response_data, content_type)
        return instance


def use_wire_codecs(generated_client: Any) -> None:
    """Give a generated client (sync or async) and its operation groups the codecs described above."""
    previous = generated_client._deserialize  # noqa: SLF001 - the generated client's msrest objects
    deserializer = FlatModelDeserializer(previous.dependencies)
    use_fast_iso_datetimes(deserializer)
    for holder in (generated_client, *vars(generated_client).values()):
        if getattr(holder, "_deserialize", None) is previous:
            holder._deserialize = deserializer  # noqa: SLF001
    serializer = generated_client._serialize  # noqa: SLF001 - shared by every operation group
    serializer.body = RememberedBodies(serializer)
