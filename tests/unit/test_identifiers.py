"""Communication identifiers: raw-id parsing, round trips, equality, assignable attributes, validation."""

from __future__ import annotations

import copy
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from azure.communication.identity._identifiers import (
    CommunicationCloudEnvironment,
    CommunicationIdentifier,
    CommunicationIdentifierKind,
    CommunicationUserIdentifier,
    MicrosoftTeamsAppIdentifier,
    MicrosoftTeamsUserIdentifier,
    PhoneNumberIdentifier,
    TeamsExtensionUserIdentifier,
    UnknownIdentifier,
    identifier_from_raw_id,
    identifier_to_raw_id,
)

Kind = CommunicationIdentifierKind
Cloud = CommunicationCloudEnvironment

RES = "bbbcbc1e-9f06-482a-b5d8-20e3f26ef0cd"
TENANT = "45ab2481-1c1c-4005-be24-0ffb879b1130"
USER = "207ffef6-9444-41fb-92ab-20eacaae2768"

# (raw id, class it must parse to, kind, properties)
RAW_ID_TABLE = [
    ("4:+14255550123", PhoneNumberIdentifier, Kind.PHONE_NUMBER, {"value": "+14255550123"}),
    ("4:14255550123", PhoneNumberIdentifier, Kind.PHONE_NUMBER, {"value": "14255550123"}),
    ("4:anonymous", PhoneNumberIdentifier, Kind.PHONE_NUMBER, {"value": "anonymous"}),
    (f"4:+14255550123_{USER}", PhoneNumberIdentifier, Kind.PHONE_NUMBER, {"value": f"+14255550123_{USER}"}),
    ("4:_anonymous", PhoneNumberIdentifier, Kind.PHONE_NUMBER, {"value": "_anonymous"}),
    (f"8:acs:{RES}_{USER}", CommunicationUserIdentifier, Kind.COMMUNICATION_USER, {"id": f"8:acs:{RES}_{USER}"}),
    ("8:acs:something", CommunicationUserIdentifier, Kind.COMMUNICATION_USER, {"id": "8:acs:something"}),
    (f"8:spool:{RES}_{USER}", CommunicationUserIdentifier, Kind.COMMUNICATION_USER, {"id": f"8:spool:{RES}_{USER}"}),
    (f"8:spool:{RES}_{TENANT}_{USER}", CommunicationUserIdentifier, Kind.COMMUNICATION_USER,
     {"id": f"8:spool:{RES}_{TENANT}_{USER}"}),
    (f"8:dod-acs:{RES}_{USER}", CommunicationUserIdentifier, Kind.COMMUNICATION_USER,
     {"id": f"8:dod-acs:{RES}_{USER}"}),
    (f"8:gcch-acs:{RES}_{USER}", CommunicationUserIdentifier, Kind.COMMUNICATION_USER,
     {"id": f"8:gcch-acs:{RES}_{USER}"}),
    (f"8:acs:{RES}_{TENANT}_{USER}", TeamsExtensionUserIdentifier, Kind.TEAMS_EXTENSION_USER,
     {"user_id": USER, "tenant_id": TENANT, "resource_id": RES, "cloud": Cloud.PUBLIC}),
    (f"8:dod-acs:{RES}_{TENANT}_{USER}", TeamsExtensionUserIdentifier, Kind.TEAMS_EXTENSION_USER,
     {"user_id": USER, "tenant_id": TENANT, "resource_id": RES, "cloud": Cloud.DOD}),
    (f"8:gcch-acs:{RES}_{TENANT}_{USER}", TeamsExtensionUserIdentifier, Kind.TEAMS_EXTENSION_USER,
     {"user_id": USER, "tenant_id": TENANT, "resource_id": RES, "cloud": Cloud.GCCH}),
    # four parts, or an empty part, is not the extension shape: stays a communication user
    (f"8:acs:{RES}_{TENANT}_{USER}_x", CommunicationUserIdentifier, Kind.COMMUNICATION_USER,
     {"id": f"8:acs:{RES}_{TENANT}_{USER}_x"}),
    (f"8:acs:{RES}__{USER}", CommunicationUserIdentifier, Kind.COMMUNICATION_USER, {"id": f"8:acs:{RES}__{USER}"}),
    (f"8:orgid:{USER}", MicrosoftTeamsUserIdentifier, Kind.MICROSOFT_TEAMS_USER,
     {"user_id": USER, "is_anonymous": False, "cloud": Cloud.PUBLIC}),
    ("8:orgid:legacyFormat", MicrosoftTeamsUserIdentifier, Kind.MICROSOFT_TEAMS_USER,
     {"user_id": "legacyFormat", "is_anonymous": False, "cloud": Cloud.PUBLIC}),
    (f"8:dod:{USER}", MicrosoftTeamsUserIdentifier, Kind.MICROSOFT_TEAMS_USER,
     {"user_id": USER, "is_anonymous": False, "cloud": Cloud.DOD}),
    (f"8:gcch:{USER}", MicrosoftTeamsUserIdentifier, Kind.MICROSOFT_TEAMS_USER,
     {"user_id": USER, "is_anonymous": False, "cloud": Cloud.GCCH}),
    (f"8:teamsvisitor:{USER}", MicrosoftTeamsUserIdentifier, Kind.MICROSOFT_TEAMS_USER,
     {"user_id": USER, "is_anonymous": True, "cloud": Cloud.PUBLIC}),
    (f"28:orgid:{USER}", MicrosoftTeamsAppIdentifier, Kind.MICROSOFT_TEAMS_APP,
     {"app_id": USER, "cloud": Cloud.PUBLIC}),
    (f"28:dod:{USER}", MicrosoftTeamsAppIdentifier, Kind.MICROSOFT_TEAMS_APP, {"app_id": USER, "cloud": Cloud.DOD}),
    (f"28:gcch:{USER}", MicrosoftTeamsAppIdentifier, Kind.MICROSOFT_TEAMS_APP, {"app_id": USER, "cloud": Cloud.GCCH}),
    # unknown prefixes and known prefixes with nothing usable after them
    (f"28:{USER}", UnknownIdentifier, Kind.UNKNOWN, {}),
    (f"28:gcch-global:{USER}", UnknownIdentifier, Kind.UNKNOWN, {}),
    (f"28:dod-global:{USER}", UnknownIdentifier, Kind.UNKNOWN, {}),
    (f"48:{USER}", UnknownIdentifier, Kind.UNKNOWN, {}),
    (f"8:ORGID:{USER}", UnknownIdentifier, Kind.UNKNOWN, {}),
    (f"8:orgid{USER}", UnknownIdentifier, Kind.UNKNOWN, {}),
    ("8:orgid:", UnknownIdentifier, Kind.UNKNOWN, {}),
    ("8:teamsvisitor:  ", UnknownIdentifier, Kind.UNKNOWN, {}),
    ("28:gcch:", UnknownIdentifier, Kind.UNKNOWN, {}),
    ("4:", UnknownIdentifier, Kind.UNKNOWN, {}),
    ("a raw id that originated in the service", UnknownIdentifier, Kind.UNKNOWN, {}),
    ("someFutureFormat", UnknownIdentifier, Kind.UNKNOWN, {}),
    (" 8:acs:x", UnknownIdentifier, Kind.UNKNOWN, {}),
]


@pytest.mark.parametrize(("raw_id", "cls", "kind", "properties"), RAW_ID_TABLE, ids=[row[0] for row in RAW_ID_TABLE])
def test_raw_id_parses_to_the_documented_identifier_and_back(raw_id, cls, kind, properties):
    identifier = identifier_from_raw_id(raw_id)
    assert type(identifier) is cls
    assert identifier.kind is kind
    assert identifier.properties == properties
    assert identifier.raw_id == raw_id
    assert identifier_from_raw_id(identifier.raw_id) == identifier
    assert isinstance(identifier, CommunicationIdentifier)


# Identifiers built from their parts: the raw id each must produce, and it must parse back equal.
CONSTRUCTED = [
    (CommunicationUserIdentifier(f"8:acs:{RES}_{USER}"), f"8:acs:{RES}_{USER}"),
    (PhoneNumberIdentifier("+14255550123"), "4:+14255550123"),
    (MicrosoftTeamsUserIdentifier(USER), f"8:orgid:{USER}"),
    (MicrosoftTeamsUserIdentifier(USER, cloud=Cloud.DOD), f"8:dod:{USER}"),
    (MicrosoftTeamsUserIdentifier(USER, cloud=Cloud.GCCH), f"8:gcch:{USER}"),
    (MicrosoftTeamsUserIdentifier(USER, is_anonymous=True), f"8:teamsvisitor:{USER}"),
    (MicrosoftTeamsAppIdentifier(USER), f"28:orgid:{USER}"),
    (MicrosoftTeamsAppIdentifier(USER, cloud=Cloud.DOD), f"28:dod:{USER}"),
    (MicrosoftTeamsAppIdentifier(USER, cloud="gcch"), f"28:gcch:{USER}"),
    (TeamsExtensionUserIdentifier(USER, TENANT, RES), f"8:acs:{RES}_{TENANT}_{USER}"),
    (TeamsExtensionUserIdentifier(USER, TENANT, RES, cloud=Cloud.DOD), f"8:dod-acs:{RES}_{TENANT}_{USER}"),
    (TeamsExtensionUserIdentifier(USER, TENANT, RES, cloud=Cloud.GCCH), f"8:gcch-acs:{RES}_{TENANT}_{USER}"),
    (UnknownIdentifier("48:whatever"), "48:whatever"),
]


@pytest.mark.parametrize(("identifier", "raw_id"), CONSTRUCTED, ids=[row[1] for row in CONSTRUCTED])
def test_constructed_identifier_has_canonical_raw_id_and_round_trips(identifier, raw_id):
    assert identifier.raw_id == raw_id
    parsed = identifier_from_raw_id(identifier.raw_id)
    assert parsed == identifier
    assert type(parsed) is type(identifier)
    assert parsed.properties == identifier.properties


def test_anonymous_teams_visitor_ignores_cloud_in_raw_id():
    visitor = MicrosoftTeamsUserIdentifier(USER, is_anonymous=True, cloud=Cloud.GCCH)
    assert visitor.raw_id == f"8:teamsvisitor:{USER}"
    assert visitor.properties == {"user_id": USER, "is_anonymous": True, "cloud": Cloud.GCCH}


def test_explicit_raw_id_wins_over_the_computed_one():
    phone = PhoneNumberIdentifier("+112345556789", raw_id="4:112345556789")
    assert phone.raw_id == "4:112345556789"
    assert phone.value == "+112345556789"
    teams = MicrosoftTeamsUserIdentifier("legacy", raw_id="8:orgid:legacyFormat")
    assert teams.raw_id == "8:orgid:legacyFormat"
    assert teams == identifier_from_raw_id("8:orgid:legacyFormat")


def test_phone_number_anonymous_and_asserted_id():
    assert PhoneNumberIdentifier("anonymous").is_anonymous is True
    assert PhoneNumberIdentifier("+14255550123").is_anonymous is False
    assert PhoneNumberIdentifier("anonymous_123").is_anonymous is False
    assert PhoneNumberIdentifier("+14255550123").asserted_id is None
    assert PhoneNumberIdentifier(f"+14255550123_{USER}").asserted_id == USER
    assert PhoneNumberIdentifier(f"+14255550123_{USER}_123").asserted_id == "123"
    assert PhoneNumberIdentifier("+14255550123_").asserted_id is None
    assert PhoneNumberIdentifier("_anonymous").asserted_id == "anonymous"
    assert identifier_from_raw_id("4:anonymous").is_anonymous is True


# --- equality and hashing ---------------------------------------------------------------------


def test_same_raw_id_is_equal_and_hashes_alike():
    a = CommunicationUserIdentifier("8:acs:one")
    b = CommunicationUserIdentifier("8:acs:one")
    assert a == b
    assert not (a != b)
    assert hash(a) == hash(b)
    assert a is not b


def test_different_raw_ids_are_unequal():
    assert CommunicationUserIdentifier("8:acs:one") != CommunicationUserIdentifier("8:acs:two")
    assert MicrosoftTeamsUserIdentifier(USER) != MicrosoftTeamsUserIdentifier(USER, cloud=Cloud.DOD)
    assert MicrosoftTeamsUserIdentifier(USER) != MicrosoftTeamsAppIdentifier(USER)
    assert MicrosoftTeamsUserIdentifier(USER) != MicrosoftTeamsUserIdentifier(USER, is_anonymous=True)


def test_equality_follows_the_raw_id_across_classes():
    # The raw id is the service's key, so an unknown wrapper of the same id is the same identity.
    assert UnknownIdentifier("8:acs:one") == CommunicationUserIdentifier("8:acs:one")
    extension = TeamsExtensionUserIdentifier(USER, TENANT, RES)
    assert extension == CommunicationUserIdentifier(f"8:acs:{RES}_{TENANT}_{USER}")


@pytest.mark.parametrize("other", ["8:acs:one", b"8:acs:one", None, 1, {"id": "8:acs:one"}])
def test_identifier_never_equals_a_non_identifier(other):
    user = CommunicationUserIdentifier("8:acs:one")
    assert user != other
    assert other != user
    assert not (user == other)


def test_usable_in_sets_and_as_dict_keys():
    users = {
        CommunicationUserIdentifier("8:acs:one"),
        CommunicationUserIdentifier("8:acs:one"),
        identifier_from_raw_id("8:acs:one"),
        CommunicationUserIdentifier("8:acs:two"),
    }
    assert len(users) == 2
    names = {CommunicationUserIdentifier("8:acs:one"): "alice"}
    assert names[identifier_from_raw_id("8:acs:one")] == "alice"
    assert "8:acs:one" not in names
    phones = {PhoneNumberIdentifier("+14255550123"): 1}
    assert identifier_from_raw_id("4:+14255550123") in phones


# --- assignable attributes (as in the official package), repr, pickling --------------------------


def _fresh(row):
    """A copy of a CONSTRUCTED identifier, so a test that assigns attributes changes no other test's."""
    return copy.deepcopy(row[0]), row[1]


@pytest.mark.parametrize("row", CONSTRUCTED, ids=[row[1] for row in CONSTRUCTED])
def test_raw_id_is_assignable_and_equality_and_hash_follow_it(row):
    identifier, raw_id = _fresh(row)
    twin, _ = _fresh(row)
    assert identifier == twin and hash(identifier) == hash(twin)
    identifier.raw_id = "8:acs:other"
    assert identifier.raw_id == "8:acs:other"
    assert identifier != twin
    assert identifier == UnknownIdentifier("8:acs:other")
    assert hash(identifier) == hash(UnknownIdentifier("8:acs:other"))
    assert identifier in {UnknownIdentifier("8:acs:other")}
    assert twin.raw_id == raw_id


@pytest.mark.parametrize("row", CONSTRUCTED, ids=[row[1] for row in CONSTRUCTED])
def test_properties_and_kind_are_plain_attributes(row):
    identifier, raw_id = _fresh(row)
    identifier.properties["injected"] = "x"
    assert identifier.properties["injected"] == "x"
    identifier.properties = {"replaced": True}
    assert identifier.properties == {"replaced": True}
    identifier.note = "an application's own attribute"
    assert identifier.note == "an application's own attribute"
    assert identifier.raw_id == raw_id  # properties are not the raw id, in either package


def test_accessors_read_the_properties_and_cannot_be_reassigned():
    teams = MicrosoftTeamsUserIdentifier(USER)
    with pytest.raises(AttributeError):
        teams.user_id = "other"
    with pytest.raises(AttributeError):
        teams.cloud = Cloud.DOD
    teams.properties["user_id"] = "edited"
    assert teams.user_id == "edited"
    assert teams.raw_id == f"8:orgid:{USER}"


@pytest.mark.parametrize("row", CONSTRUCTED, ids=[row[1] for row in CONSTRUCTED])
def test_repr_shows_class_kind_and_raw_id(row):
    identifier, raw_id = _fresh(row)
    text = repr(identifier)
    assert text.startswith(type(identifier).__name__ + "(")
    assert f"kind={identifier.kind.value!r}" in text
    assert f"raw_id={raw_id!r}" in text


@pytest.mark.parametrize("row", CONSTRUCTED, ids=[row[1] for row in CONSTRUCTED])
def test_pickle_and_copy_preserve_identifier(row):
    identifier, _ = _fresh(row)
    for clone in (pickle.loads(pickle.dumps(identifier)), copy.copy(identifier), copy.deepcopy(identifier)):
        assert type(clone) is type(identifier)
        assert clone == identifier
        assert clone.properties == identifier.properties
        assert type(clone.properties) is type(identifier.properties)


# --- enums --------------------------------------------------------------------------------------


def test_kind_values():
    assert {kind.value for kind in Kind} == {
        "unknown",
        "communication_user",
        "phone_number",
        "microsoft_teams_user",
        "microsoft_teams_app",
        "teams_extension_user",
    }
    assert Kind.COMMUNICATION_USER == "communication_user"
    assert str(Kind.PHONE_NUMBER) == "phone_number"
    assert f"{Kind.UNKNOWN}" == "unknown"


def test_cloud_values_and_case_insensitive_lookup():
    assert [cloud.value for cloud in Cloud] == ["PUBLIC", "DOD", "GCCH"]
    assert Cloud("gcch") is Cloud.GCCH
    assert Cloud("Dod") is Cloud.DOD
    assert Cloud.PUBLIC == "PUBLIC"
    with pytest.raises(ValueError):
        Cloud("azurechina")


@pytest.mark.parametrize(("cloud", "teams_prefix", "app_prefix", "acs_prefix"), [
    (Cloud.PUBLIC, "8:orgid:", "28:orgid:", "8:acs:"),
    (Cloud.DOD, "8:dod:", "28:dod:", "8:dod-acs:"),
    (Cloud.GCCH, "8:gcch:", "28:gcch:", "8:gcch-acs:"),
])
def test_cloud_maps_to_prefixes_and_back(cloud, teams_prefix, app_prefix, acs_prefix):
    assert MicrosoftTeamsUserIdentifier("u", cloud=cloud).raw_id == teams_prefix + "u"
    assert MicrosoftTeamsAppIdentifier("a", cloud=cloud).raw_id == app_prefix + "a"
    assert TeamsExtensionUserIdentifier("u", "t", "r", cloud=cloud).raw_id == acs_prefix + "r_t_u"
    assert identifier_from_raw_id(teams_prefix + "u").cloud is cloud
    assert identifier_from_raw_id(app_prefix + "a").cloud is cloud
    assert identifier_from_raw_id(acs_prefix + "r_t_u").cloud is cloud
    assert identifier_from_raw_id(acs_prefix + "r_u").kind is Kind.COMMUNICATION_USER


def test_cloud_accepts_strings_and_rejects_others():
    assert MicrosoftTeamsUserIdentifier("u", cloud="dod").cloud is Cloud.DOD
    with pytest.raises(ValueError, match=r"cloud must be a CommunicationCloudEnvironment or one of 'PUBLIC'"):
        MicrosoftTeamsUserIdentifier("u", cloud="moon")
    with pytest.raises(TypeError, match=r"cloud must be .* got int"):
        MicrosoftTeamsAppIdentifier("a", cloud=3)


# --- validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("build", "message"), [
    (CommunicationUserIdentifier, r"user id must be a non-empty string such as '8:acs:\.\.\.'"),
    (PhoneNumberIdentifier, r"phone number must be a non-empty string such as '\+14255550123'"),
    (MicrosoftTeamsUserIdentifier, r"Teams user id must be a non-empty string"),
    (MicrosoftTeamsAppIdentifier, r"Teams app id must be a non-empty string"),
    (lambda v: TeamsExtensionUserIdentifier(v, TENANT, RES), r"user_id must be a non-empty string"),
    (lambda v: TeamsExtensionUserIdentifier(USER, v, RES), r"tenant_id must be a non-empty string"),
    (lambda v: TeamsExtensionUserIdentifier(USER, TENANT, v), r"resource_id must be a non-empty string"),
])
@pytest.mark.parametrize(("bad", "error"), [
    ("", ValueError),
    ("   ", ValueError),
    ("\t\n", ValueError),
    (None, TypeError),
    (42, TypeError),
    (b"8:acs:x", TypeError),
    (["8:acs:x"], TypeError),
])
def test_constructors_reject_bad_required_fields(build, message, bad, error):
    with pytest.raises(error, match=message):
        build(bad)


@pytest.mark.parametrize(("bad", "error"), [("", ValueError), (" ", ValueError), (5, TypeError), (b"4:+1", TypeError)])
def test_explicit_raw_id_is_validated(bad, error):
    with pytest.raises(error, match=r"raw_id must be a non-empty string"):
        PhoneNumberIdentifier("+1", raw_id=bad)
    with pytest.raises(error, match=r"raw_id must be a non-empty string"):
        MicrosoftTeamsUserIdentifier(USER, raw_id=bad)


def test_type_error_names_the_wrong_type():
    with pytest.raises(TypeError, match=r"got bytes"):
        CommunicationUserIdentifier(b"8:acs:x")
    with pytest.raises(ValueError, match=r"empty or blank"):
        CommunicationUserIdentifier("")


def test_is_anonymous_must_be_a_bool():
    with pytest.raises(TypeError, match=r"is_anonymous must be True or False, got str"):
        MicrosoftTeamsUserIdentifier(USER, is_anonymous="yes")


def test_teams_extension_parts_must_not_contain_the_separator():
    with pytest.raises(ValueError, match=r"tenant_id must not contain '_'"):
        TeamsExtensionUserIdentifier(USER, "a_b", RES)


def test_keyword_only_options():
    with pytest.raises(TypeError):
        MicrosoftTeamsUserIdentifier(USER, True)
    with pytest.raises(TypeError):
        PhoneNumberIdentifier("+1", "4:+1")


@pytest.mark.parametrize("bad", [None, 7, b"4:+1"])
def test_identifier_from_raw_id_and_unknown_identifier_reject_non_str(bad):
    with pytest.raises(TypeError, match=r"must be a str such as '8:acs:\.\.\.'"):
        identifier_from_raw_id(bad)
    with pytest.raises(TypeError, match=r"identifier must be a str"):
        UnknownIdentifier(bad)


@pytest.mark.parametrize("raw_id", ["", "  ", "\t\n"])
def test_empty_and_blank_raw_ids_are_unknown_identifiers_as_in_the_official_package(raw_id):
    parsed = identifier_from_raw_id(raw_id)
    assert type(parsed) is UnknownIdentifier
    assert parsed.raw_id == raw_id
    assert parsed.kind is Kind.UNKNOWN
    assert parsed.properties == {}
    assert parsed == UnknownIdentifier(raw_id)
    with pytest.raises(ValueError, match=r"has an empty raw id"):
        identifier_to_raw_id(parsed, name="user")  # still never sent as a user id


# --- identifier_to_raw_id -----------------------------------------------------------------------


@pytest.mark.parametrize("row", CONSTRUCTED, ids=[row[1] for row in CONSTRUCTED])
def test_identifier_to_raw_id_accepts_every_identifier(row):
    identifier, raw_id = _fresh(row)
    assert identifier_to_raw_id(identifier) == raw_id


def test_identifier_to_raw_id_accepts_strings_verbatim():
    assert identifier_to_raw_id("8:acs:abc") == "8:acs:abc"
    assert identifier_to_raw_id("8:acs:with space/and?query") == "8:acs:with space/and?query"


def test_identifier_to_raw_id_accepts_foreign_objects_with_raw_id():
    class Foreign:
        raw_id = "8:acs:foreign"

    class Legacy:
        raw_id = None
        properties = {"id": "8:acs:legacy"}

    assert identifier_to_raw_id(Foreign()) == "8:acs:foreign"
    assert identifier_to_raw_id(Legacy()) == "8:acs:legacy"


@pytest.mark.parametrize(("bad", "error", "message"), [
    ("", ValueError,
     r"^user must be a CommunicationUserIdentifier or a raw id string such as '8:acs:\.\.\.', got an empty"),
    ("   ", ValueError, r"user must be .* got an empty or blank string"),
    (None, TypeError, r"user must be a CommunicationUserIdentifier .* got NoneType"),
    (12, TypeError, r"got int"),
    (b"8:acs:x", TypeError, r"got bytes"),
    ({"id": "8:acs:x"}, TypeError, r"got dict"),
    (type("BadRaw", (), {"raw_id": 5})(), TypeError, r"BadRaw\.raw_id is int, not str"),
    (type("EmptyRaw", (), {"raw_id": ""})(), ValueError, r"EmptyRaw has an empty raw id"),
])
def test_identifier_to_raw_id_rejects_with_precise_errors(bad, error, message):
    with pytest.raises(error, match=message):
        identifier_to_raw_id(bad, name="user")


def test_identifier_to_raw_id_default_name():
    with pytest.raises(ValueError, match=r"^identifier must be"):
        identifier_to_raw_id("")


# --- properties (hypothesis) --------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_acs_raw_id_round_trips(suffix):
    raw_id = "8:acs:" + suffix
    parsed = identifier_from_raw_id(raw_id)
    assert parsed.raw_id == raw_id
    assert parsed == CommunicationUserIdentifier(raw_id)
    assert identifier_from_raw_id(CommunicationUserIdentifier(raw_id).raw_id) == CommunicationUserIdentifier(raw_id)
    assert parsed.kind in (Kind.COMMUNICATION_USER, Kind.TEAMS_EXTENSION_USER)
    if "_" not in suffix:
        assert parsed.kind is Kind.COMMUNICATION_USER
        assert parsed.properties == {"id": raw_id}


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_raw_id_parses_without_error_and_round_trips(raw_id):
    parsed = identifier_from_raw_id(raw_id)
    assert parsed.raw_id == raw_id
    assert identifier_from_raw_id(parsed.raw_id) == parsed
    if raw_id.strip():
        assert identifier_to_raw_id(parsed) == raw_id


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(list(Cloud)),
    st.text(alphabet=st.characters(blacklist_characters="_"), min_size=1).filter(lambda s: s.strip()),
)
def test_constructed_teams_identifiers_round_trip_with_their_fields(cloud, name):
    for identifier in (
        MicrosoftTeamsUserIdentifier(name, cloud=cloud),
        MicrosoftTeamsAppIdentifier(name, cloud=cloud),
        TeamsExtensionUserIdentifier(name, name, name, cloud=cloud),
    ):
        parsed = identifier_from_raw_id(identifier.raw_id)
        assert type(parsed) is type(identifier)
        assert parsed.properties == identifier.properties


# --- names and aliases of the official package ----------------------------------------------------


def test_communication_user_takes_the_official_raw_id_keyword():
    user = CommunicationUserIdentifier(f"8:acs:{RES}_{USER}", raw_id=f"8:acs:{RES}_{USER}")
    assert user.raw_id == user.properties["id"] == f"8:acs:{RES}_{USER}"
    legacy = CommunicationUserIdentifier(f"8:acs:{RES}_{USER}", raw_id="8:acs:stored-form")
    assert legacy.raw_id == "8:acs:stored-form"
    assert legacy.properties == {"id": f"8:acs:{RES}_{USER}"}
    with pytest.raises(TypeError):
        CommunicationUserIdentifier("8:acs:x", "8:acs:x")  # keyword-only, as the official **kwargs


def test_microsoft_bot_kind_is_a_deprecated_alias_of_teams_app():
    with pytest.deprecated_call(match="MICROSOFT_BOT is deprecated"):
        assert Kind.MICROSOFT_BOT is Kind.MICROSOFT_TEAMS_APP
    with pytest.deprecated_call():
        assert Kind.microsoft_bot is Kind.MICROSOFT_TEAMS_APP
    assert "MICROSOFT_BOT" not in Kind.__members__
    assert len(list(Kind)) == 6
    with pytest.raises(AttributeError):
        _ = Kind.NOT_A_KIND


def test_enum_member_names_are_case_insensitive_as_in_azure_core():
    assert Kind.communication_user is Kind.COMMUNICATION_USER
    assert Kind["phone_number"] is Kind.PHONE_NUMBER
    assert Cloud.gcch is Cloud.GCCH


def test_teams_app_properties_answer_the_retired_bot_keys_with_a_warning():
    app = MicrosoftTeamsAppIdentifier(USER)
    with pytest.deprecated_call(match=r"properties\['bot_id'\] is deprecated"):
        assert app.properties["bot_id"] == USER
    with pytest.deprecated_call():
        assert app.properties["is_resource_account_configured"] is True
    assert app.properties.get("bot_id") is None and "bot_id" not in app.properties
    assert dict(app.properties) == {"app_id": USER, "cloud": Cloud.PUBLIC}
    with pytest.raises(KeyError):
        app.properties["not_a_thing"]


def test_deprecated_bot_identifier_is_a_teams_app_identifier():
    from azure.communication.identity._shared.models import _MicrosoftBotIdentifier

    with pytest.deprecated_call(match="MicrosoftBotIdentifier is deprecated"):
        bot = _MicrosoftBotIdentifier("bot", is_resource_account_configured=False, cloud="DOD")
    assert isinstance(bot, MicrosoftTeamsAppIdentifier) and isinstance(bot, CommunicationIdentifier)
    assert bot.raw_id == "28:dod:bot" and bot.kind is Kind.MICROSOFT_TEAMS_APP


def test_properties_typed_dicts_import_from_the_package_with_real_types():
    import typing

    from azure.communication.identity import (
        CommunicationUserProperties,
        MicrosoftTeamsAppProperties,
        MicrosoftTeamsUserProperties,
        PhoneNumberProperties,
    )

    assert CommunicationUserProperties.__annotations__ == {"id": str}
    assert PhoneNumberProperties.__annotations__ == {"value": str}
    assert MicrosoftTeamsUserProperties.__annotations__["is_anonymous"] is bool
    assert MicrosoftTeamsAppProperties.__annotations__["cloud"] == typing.Union[Cloud, str]
    assert MicrosoftTeamsUserIdentifier(USER).properties == MicrosoftTeamsUserProperties(
        user_id=USER, is_anonymous=False, cloud=Cloud.PUBLIC)
