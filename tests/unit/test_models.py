"""The AccessToken the clients return: azure-core's type, the service's expiresOn text, an aware datetime too."""

from __future__ import annotations

import pickle
from datetime import datetime, timedelta, timezone

import pytest
from azure.core.credentials import AccessToken as CoreAccessToken

from azure.communication.identity import AccessToken
from azure.communication.identity._models import parse_service_time

UTC = timezone.utc


@pytest.mark.parametrize(("text", "expected"), [
    ("2021-01-29T18:19:30.8206627+00:00", datetime(2021, 1, 29, 18, 19, 30, 820662, tzinfo=UTC)),
    ("2026-12-02T19:40:56.0000000+00:00", datetime(2026, 12, 2, 19, 40, 56, tzinfo=UTC)),
    ("2026-12-02T19:40:56Z", datetime(2026, 12, 2, 19, 40, 56, tzinfo=UTC)),
    ("2026-12-02T19:40:56.5", datetime(2026, 12, 2, 19, 40, 56, 500000, tzinfo=UTC)),  # no offset: UTC
    ("2026-12-03T01:10:56+05:30", datetime(2026, 12, 2, 19, 40, 56, tzinfo=UTC)),
    ("2026-12-02T14:40:56-0500", datetime(2026, 12, 2, 19, 40, 56, tzinfo=UTC)),
])
def test_service_times_parse_to_aware_utc(text, expected):
    moment = parse_service_time(text)
    assert moment == expected and moment.utcoffset() == timedelta(0)


@pytest.mark.parametrize("text", ["", "tomorrow", "2026-12-02", "2026-13-02T00:00:00Z", "2026-12-02T19:40:56+5"])
def test_other_text_is_a_value_error(text):
    with pytest.raises(ValueError):
        parse_service_time(text)


def test_access_token_is_azure_cores_tuple_with_an_aware_datetime_and_a_redacted_repr():
    token = AccessToken("eyJ.secret.sig", "2026-12-02T19:40:56.0000000+00:00")
    assert isinstance(token, CoreAccessToken) and isinstance(token, tuple)
    assert token == CoreAccessToken("eyJ.secret.sig", "2026-12-02T19:40:56.0000000+00:00")
    assert token == ("eyJ.secret.sig", "2026-12-02T19:40:56.0000000+00:00")
    assert token.expires_on_datetime == datetime(2026, 12, 2, 19, 40, 56, tzinfo=UTC)
    assert "secret" not in repr(token) and "secret" not in str(token) and "2026-12-02T19:40:56" in repr(token)
    assert type(token._replace(token="x")) is AccessToken
    clone = pickle.loads(pickle.dumps(token))
    assert type(clone) is AccessToken and clone == token
    with pytest.raises(AttributeError):
        token.extra = 1  # no per-instance storage: the token is just the two-field tuple
