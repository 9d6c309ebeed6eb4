"""Connection-string parsing: good forms, missing parts, spacing, padding, key case, and no key echo."""

from __future__ import annotations

import pytest

from azure.communication.identity._connection_string import normalize_endpoint, parse_connection_string

KEY = "c2VjcmV0LWtleS12YWx1ZS1mb3ItdGVzdHM9PQ=="  # base64 with '=' padding


@pytest.mark.parametrize(
    "text",
    [
        f"endpoint=https://res.communication.azure.com/;accesskey={KEY}",
        f"endpoint=https://res.communication.azure.com;accesskey={KEY};",
        f"  Endpoint = https://res.communication.azure.com/ ; AccessKey = {KEY}  ",
        f"ENDPOINT=https://res.communication.azure.com/;ACCESSKEY={KEY}",
        f"accesskey={KEY};endpoint=https://res.communication.azure.com/",
        # parts other than endpoint and accesskey are ignored, as in the official package
        f"endpoint=https://res.communication.azure.com/;accesskey={KEY};region=x",
        f"Region=westus;endpoint=https://res.communication.azure.com/;accesskey={KEY}",
        # an endpoint without a scheme is https, as in the official package
        f"endpoint=res.communication.azure.com;accesskey={KEY}",
    ],
)
def test_good_connection_strings(text):
    parts = parse_connection_string(text)
    assert parts.endpoint == "https://res.communication.azure.com"
    assert parts.access_key == KEY  # padding kept: split on the first '=' only


def test_http_endpoint_with_port_is_kept_as_given():
    parts = parse_connection_string(f"endpoint=http://127.0.0.1:8080/;accesskey={KEY}")
    assert parts.endpoint == "http://127.0.0.1:8080"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"accesskey={KEY}", "missing endpoint"),
        ("endpoint=https://res.communication.azure.com/", "missing accesskey"),
        ("", "missing endpoint and accesskey"),
        (f"endpoint=https://res.communication.azure.com/;accesskey={KEY};accesskey={KEY}", "twice"),
        (f"endpoint=https://res.communication.azure.com/;{KEY}", "missing accesskey"),
        ("endpoint=https://res.communication.azure.com/;secretwithoutequals", "without 'name=value'"),
        ("endpoint=https://res.communication.azure.com/;accesskey=not*base64!", "not valid base64"),
        (f"endpoint=ftp://res;accesskey={KEY}", r"absolute http\(s\) URL"),
        (f"endpoint=https://res.communication.azure.com/identities;accesskey={KEY}", "without path"),
        (f"endpoint=https://res:notaport/;accesskey={KEY}", "not a valid URL"),
    ],
)
def test_bad_connection_strings_say_what_is_wrong_and_never_echo_the_key(text, message):
    with pytest.raises(ValueError, match=message) as info:
        parse_connection_string(text)
    assert KEY not in str(info.value)
    assert "not*base64!" not in str(info.value)
    assert "secretwithoutequals" not in str(info.value)
    assert KEY.rstrip("=") not in str(info.value)


def test_none_is_a_value_error_and_a_wrong_type_is_also_a_type_error():
    with pytest.raises(ValueError, match="connection string is None"):
        parse_connection_string(None)
    for parse in (parse_connection_string, normalize_endpoint):
        with pytest.raises(TypeError, match="must be a str") as info:
            parse(b"endpoint=https://res.communication.azure.com/")
        assert isinstance(info.value, ValueError)  # the official package raises ValueError here
    with pytest.raises(ValueError, match="endpoint is None"):
        normalize_endpoint(None)


def test_repr_of_parts_hides_the_key():
    parts = parse_connection_string(f"endpoint=https://res.communication.azure.com/;accesskey={KEY}")
    assert KEY not in repr(parts)


@pytest.mark.parametrize("endpoint", [
    f"endpoint=https://res.communication.azure.com/;accesskey={KEY}",
    f"https://res.communication.azure.com/{KEY}",
    f"https://res.communication.azure.com/?k={KEY}",
    f"https://res.communication.azure.com:{KEY}/",
    f"{KEY}",
])
def test_endpoint_errors_never_echo_what_was_passed(endpoint):
    with pytest.raises(ValueError) as info:
        normalize_endpoint(endpoint)
    assert KEY not in str(info.value) and KEY[:12] not in str(info.value)


def test_a_connection_string_passed_as_endpoint_is_named():
    with pytest.raises(ValueError, match="from_connection_string"):
        normalize_endpoint(f"endpoint=https://res.communication.azure.com/;accesskey={KEY}")


def test_endpoint_normalisation():
    assert normalize_endpoint("HTTPS://Res.Communication.Azure.com/") == "https://res.communication.azure.com"
    assert normalize_endpoint("res.communication.azure.com") == "https://res.communication.azure.com"
    assert normalize_endpoint("127.0.0.1:8443/") == "https://127.0.0.1:8443"
    assert normalize_endpoint("localhost:8443") == "https://localhost:8443"
    with pytest.raises(ValueError, match="not a valid host name"):
        normalize_endpoint("https://res.communication.azure.com=/")
    with pytest.raises(ValueError, match="must not carry credentials"):
        normalize_endpoint("https://user:pw@res.communication.azure.com")
