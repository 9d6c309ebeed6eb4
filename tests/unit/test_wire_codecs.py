"""The generated client's codecs give exactly what msrest gives, for every model of the package and any input.

Remembered bodies: the JSON msrest makes for a request model, the first time and every time after, as
independent copies. Flat responses: the model msrest makes of a response document (field values,
date-time offsets, unknown keys), or the same error.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from msrest import Deserializer, Serializer
from msrest.exceptions import ValidationError

from azure.communication.identity._generated import models
from azure.communication.identity._wire_codecs import FlatModelDeserializer, RememberedBodies
from azure.communication.identity._wire_datetime import use_fast_iso_datetimes

CLASSES = {name: value for name, value in vars(models).items() if isinstance(value, type)}
MODELS = sorted(name for name, value in CLASSES.items() if hasattr(value, "_attribute_map"))
SCOPE = models.CommunicationTokenScope


def _serializer() -> Serializer:
    serializer = Serializer(CLASSES)
    serializer.client_side_validation = False  # as the generated client sets it
    return serializer


def _outcome(call):
    try:
        return "ok", call()
    except Exception as err:  # noqa: BLE001 - the kind of failure is what is compared
        return "error", type(err)


# -- request bodies -----------------------------------------------------------------------------------
SCALARS = st.one_of(st.none(), st.text(max_size=6), st.integers(-3, 3), st.booleans(),
                    st.floats(allow_nan=False, width=16), st.sampled_from(list(SCOPE)))
FIELD_VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3), st.dictionaries(st.text(max_size=2), SCALARS,
                                                                                 max_size=2))


def _model(name: str, values: dict):
    model = CLASSES[name]
    instance = model.__new__(model)
    instance.additional_properties = {}
    for field in model._attribute_map:
        setattr(instance, field, values.get(field))
    return instance


@given(name=st.sampled_from(MODELS), data=st.data())
def test_a_remembered_body_is_what_msrest_makes_first_and_every_time(name, data):
    fields = list(CLASSES[name]._attribute_map)
    values = data.draw(st.fixed_dictionaries({}, optional={field: FIELD_VALUES for field in fields}))
    remembered = RememberedBodies(_serializer())
    expected = _outcome(lambda: _serializer().body(_model(name, values), name))
    for _ in range(3):  # the first call makes it, the others may come from memory
        assert _outcome(lambda: remembered(_model(name, values), name)) == expected


def test_values_equal_in_python_but_written_differently_are_told_apart():
    remembered = RememberedBodies(_serializer())
    for custom_id in (1, True, "1", 1, True):
        model = models.CommunicationIdentityCreateRequest(custom_id=custom_id)
        assert remembered(model, "CommunicationIdentityCreateRequest") == \
            _serializer().body(model, "CommunicationIdentityCreateRequest")


def test_each_caller_gets_its_own_copy():
    remembered = RememberedBodies(_serializer())
    first = remembered(models.CommunicationIdentityAccessTokenRequest(scopes=["chat"]),
                       "CommunicationIdentityAccessTokenRequest")
    first["scopes"].append("voip")
    first["extra"] = 1
    again = remembered(models.CommunicationIdentityAccessTokenRequest(scopes=["chat"]),
                       "CommunicationIdentityAccessTokenRequest")
    assert again == {"scopes": ["chat"]}


def test_msrest_makes_a_flat_body_once_and_everything_else_every_time():
    serializer = _serializer()
    made = []
    make = serializer.body
    serializer.body = lambda *args, **kwargs: made.append(args[1]) or make(*args, **kwargs)
    remembered = RememberedBodies(serializer)
    for _ in range(3):
        remembered(models.CommunicationIdentityAccessTokenRequest(scopes=["chat"], expires_in_minutes=60),
                   "CommunicationIdentityAccessTokenRequest")
        remembered(models.CommunicationIdentityAccessTokenRequest(scopes=[SCOPE.CHAT]),  # an enum member
                   "CommunicationIdentityAccessTokenRequest")
        remembered(models.EntraAssignmentList(value=[]), "EntraAssignmentList")  # not flat
    assert made == ["CommunicationIdentityAccessTokenRequest"] + [
        "CommunicationIdentityAccessTokenRequest", "EntraAssignmentList"] * 3


def test_a_model_missing_a_field_is_msrest_s_to_write_even_after_the_same_body_without_it():
    remembered = RememberedBodies(_serializer())
    name = "CommunicationIdentityAccessTokenRequest"
    assert remembered(models.CommunicationIdentityAccessTokenRequest(scopes=["chat"]), name) == {"scopes": ["chat"]}
    broken = models.CommunicationIdentityAccessTokenRequest(scopes=["chat"])
    del broken.expires_in_minutes
    expected = _outcome(lambda: _serializer().body(broken, name))
    assert expected != ("ok", {"scopes": ["chat"]})  # msrest gives up on the model (None)
    assert _outcome(lambda: remembered(broken, name)) == expected


def test_client_side_validation_turned_on_is_applied_to_every_body():
    serializer = _serializer()
    remembered = RememberedBodies(serializer)
    short = models.CommunicationIdentityAccessTokenRequest(scopes=["chat"], expires_in_minutes=5)
    assert remembered(short, "CommunicationIdentityAccessTokenRequest") == {"scopes": ["chat"], "expiresInMinutes": 5}
    serializer.client_side_validation = True
    with pytest.raises(ValidationError, match="greater than 60"):
        remembered(short, "CommunicationIdentityAccessTokenRequest")


# -- responses ----------------------------------------------------------------------------------------
class _PipelineResponse:
    """What the generated operations hand the deserializer: a response whose context holds the parsed JSON."""

    def __init__(self, document) -> None:
        self.context = {"deserialized_data": document}


def _msrest_deserializer() -> Deserializer:
    deserializer = Deserializer(CLASSES)
    use_fast_iso_datetimes(deserializer)  # as the client has it: only the model walk is compared
    return deserializer


def _flat_deserializer() -> FlatModelDeserializer:
    deserializer = FlatModelDeserializer(CLASSES)
    use_fast_iso_datetimes(deserializer)
    return deserializer


def _state(value):
    """Everything observable of a deserialized value, date-time offsets included."""
    if hasattr(value, "_attribute_map"):
        return type(value), {name: _state(field) for name, field in sorted(vars(value).items())}
    if isinstance(value, datetime):
        return value, value.utcoffset()
    if isinstance(value, list):
        return [_state(item) for item in value]
    if isinstance(value, dict):
        return {key: _state(item) for key, item in value.items()}
    return type(value), value


JSON_KEYS = sorted({d["key"] for name in MODELS for d in CLASSES[name]._attribute_map.values()} | {"extra", "Token"})
DATES = st.sampled_from(["2021-01-29T18:19:30.8206627+00:00", "2021-01-29T18:19:30-05:30", "2021-02-30T00:00:00Z",
                         "yesterday", ""])
JSON_SCALARS = st.one_of(st.none(), st.text(max_size=5), DATES, st.integers(-3, 3), st.booleans(),
                         st.floats(allow_nan=False, width=16))
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=2), st.dictionaries(st.sampled_from(JSON_KEYS), inner, max_size=3)), max_leaves=6)
DOCUMENTS = st.one_of(st.dictionaries(st.sampled_from(JSON_KEYS), JSON_VALUES, max_size=5), JSON_VALUES)


@given(name=st.sampled_from(MODELS), document=DOCUMENTS)
def test_a_response_reads_as_msrest_reads_it(name, document):
    expected = _outcome(lambda: _state(_msrest_deserializer()(name, _PipelineResponse(document))))
    assert _outcome(lambda: _state(_flat_deserializer()(name, _PipelineResponse(document)))) == expected


@pytest.mark.parametrize("document", [
    {"token": "t", "expiresOn": "2021-01-29T18:19:30.8206627+02:00"},
    {"token": "t", "expiresOn": "2021-01-29T18:19:30Z", "refreshAfter": "soon", "x": [1]},
    {"token": "t", "unknown": 1},  # as many keys as fields, one of them not a field
    {"token": 5, "expiresOn": "2021-01-29T18:19:30Z"},  # msrest makes "5" of it
    {"expiresOn": "2021-02-30T00:00:00Z"},  # msrest's error
    {},
])
def test_service_shaped_tokens(document):
    name = "CommunicationIdentityAccessToken"
    expected = _outcome(lambda: _state(_msrest_deserializer()(name, _PipelineResponse(document))))
    assert _outcome(lambda: _state(_flat_deserializer()(name, _PipelineResponse(document)))) == expected


def test_unknown_keys_are_kept_as_msrest_keeps_them():
    token = _flat_deserializer()("CommunicationIdentityAccessToken",
                                 _PipelineResponse({"token": "t", "expiresOn": None, "refreshAfter": "soon"}))
    assert token.token == "t" and token.expires_on is None
    assert token.additional_properties == {"refreshAfter": "soon"}
