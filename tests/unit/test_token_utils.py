"""Unverified decoding of access tokens, refresher-result handling and the refresh-timing rules."""
import base64
import json
import time
from datetime import datetime, timedelta, timezone

import pytest
from azure.core.credentials import AccessToken

from azure.communication.identity._token_utils import (
    BACKOFF_FLOOR,
    ON_DEMAND_REFRESH_WINDOW,
    CachedToken,
    backoff_delay,
    create_access_token,
    decode_access_token,
    expiry_of,
    get_current_utc_as_int,
    on_demand_window,
    read_clock,
    retry_after_failure,
    token_expiry,
    token_from_refresher,
)

UTC = timezone.utc
T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def make_jwt(claims, header=None, signature="c2lnbmF0dXJl"):
    head = header if header is not None else {"alg": "RS256", "kid": "k1", "typ": "JWT"}
    return ".".join([b64url(json.dumps(head).encode()), b64url(json.dumps(claims).encode()), signature])


REAL_LIKE_CLAIMS = {
    "skypeid": "acs:1b5cc06b-f352-4571-b1e6-d9b259b7c776_00000007-abcd",
    "scp": 1792,
    "csi": 1714564800,
    "iat": 1714564800,
    "exp": 1714651200,
    "acsScope": "chat,voip",
    "resourceId": "1b5cc06b-f352-4571-b1e6-d9b259b7c776",
    "resourceLocation": "unitedstates",
}


def assert_not_echoed(token, text):
    assert token not in text
    # Not even a recognisable prefix or the payload segment.
    assert token[:12] not in text
    for segment in token.split("."):
        if len(segment) >= 8:
            assert segment not in text


# ---------------------------------------------------------------- decode_access_token


def test_decode_reads_every_field():
    token = make_jwt(REAL_LIKE_CLAIMS)
    info = decode_access_token(token)
    assert info.expires_on == datetime(2024, 5, 2, 12, 0, 0, tzinfo=UTC)
    assert info.expires_on.tzinfo is not None and info.expires_on.utcoffset() == timedelta(0)
    assert info.issued_at == datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
    assert info.scopes == ("chat", "voip")
    assert info.user_id == "8:acs:1b5cc06b-f352-4571-b1e6-d9b259b7c776_00000007-abcd"
    assert info.resource_id == "1b5cc06b-f352-4571-b1e6-d9b259b7c776"
    assert info.resource_location == "unitedstates"
    assert info.claims == REAL_LIKE_CLAIMS


def test_decode_optional_claims_missing():
    info = decode_access_token(make_jwt({"exp": 1714651200}))
    assert info.issued_at is None
    assert info.scopes == ()
    assert info.user_id is None
    assert info.resource_id is None
    assert info.resource_location is None


def test_decode_handles_every_padding_length():
    # Payload lengths that leave 0, 2 and 3 base64 characters in the last quantum.
    for filler in ("", "a", "ab", "abc"):
        token = make_jwt({"exp": 1714651200, "x": filler})
        assert decode_access_token(token).expires_on == datetime(2024, 5, 2, 12, tzinfo=UTC)
        # Explicit padding is tolerated too.
        head, payload, sig = token.split(".")
        padded = ".".join([head, payload + "=" * (-len(payload) % 4), sig])
        assert expiry_of(padded) == datetime(2024, 5, 2, 12, tzinfo=UTC)


def test_decode_accepts_fractional_exp_and_scope_list():
    info = decode_access_token(make_jwt({"exp": 1714651200.5, "acsScope": ["chat", " voip "]}))
    assert info.expires_on == datetime(2024, 5, 2, 12, 0, 0, 500000, tzinfo=UTC)
    assert info.scopes == ("chat", "voip")


def test_decode_scopes_ignore_blanks():
    assert decode_access_token(make_jwt({"exp": 1, "acsScope": "chat, ,voip,"})).scopes == ("chat", "voip")


def test_repr_and_str_never_contain_the_token():
    token = make_jwt(REAL_LIKE_CLAIMS)
    info = decode_access_token(token)
    for text in (repr(info), str(info)):
        assert_not_echoed(token, text)
        assert "8:acs:1b5cc06b" in text and "2024-05-02" in text
    assert token not in vars(info).values()


def test_info_is_hashable_and_comparable():
    token = make_jwt(REAL_LIKE_CLAIMS)
    assert decode_access_token(token) == decode_access_token(token)
    assert len({decode_access_token(token), decode_access_token(token)}) == 1


SECRETISH = "eyJzZWNyZXQiOiJ0b3Agc2VjcmV0LXZhbHVlLTEyMzQ1Njc4OTAifQ"
NONE_HEADER = b64url(b'{"alg":"none"}')


@pytest.mark.parametrize(
    "token, message",
    [
        ("", "access token is empty"),
        (SECRETISH, "expected 3 dot-separated segments, found 1"),
        (SECRETISH + "." + SECRETISH, "expected 3 dot-separated segments, found 2"),
        ("a.b.c.d", "expected 3 dot-separated segments, found 4"),
        ("." + SECRETISH + ".sig", "header segment is empty"),
        (NONE_HEADER + "..sig", "payload segment is empty"),
        (NONE_HEADER + "." + SECRETISH + "!!.sig", "payload segment is not base64url"),
        (NONE_HEADER + "." + SECRETISH + "+/.sig", "payload segment is not base64url"),
        (NONE_HEADER + ".abcde.sig", "payload segment is not base64url"),
        (NONE_HEADER + "." + b64url(b"not json at all, secret-value") + ".sig", "not base64url-encoded JSON"),
        (NONE_HEADER + "." + b64url(b"\xff\xfe\x00secret") + ".sig", "not base64url-encoded JSON"),
        (NONE_HEADER + "." + b64url(b'["secret-value"]') + ".sig", "payload is JSON but not an object"),
        (b64url(b"[1]") + "." + b64url(b'{"exp": 1}') + ".sig", "header is JSON but not an object"),
        (NONE_HEADER + "." + b64url(b'{"exp": 1}') + ".si gn", "signature segment is not base64url"),
        (make_jwt({"sub": "secret-value"}), "no 'exp' (expiry) claim"),
        (make_jwt({"exp": "1714651200"}), "'exp' claim is not a valid number"),
        (make_jwt({"exp": True}), "'exp' claim is not a valid number"),
        (make_jwt({"exp": None}), "'exp' claim is not a valid number"),
        (make_jwt({"exp": 1e300}), "'exp' claim is not a valid number"),
        (NONE_HEADER + "." + b64url(b'{"exp": NaN}') + ".sig", "'exp' claim is not a valid number"),
        (NONE_HEADER + "." + b64url(b'{"exp": Infinity}') + ".sig", "'exp' claim is not a valid number"),
    ],
)
def test_malformed_tokens_raise_precise_errors_without_echo(token, message):
    with pytest.raises(ValueError) as caught:
        decode_access_token(token)
    text = str(caught.value)
    assert message in text
    if token:
        assert_not_echoed(token, text)
        assert_not_echoed(token, repr(caught.value))
    assert "secret-value" not in text
    # No chained exception smuggles the payload into tracebacks.
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None or caught.value.__suppress_context__


def test_non_str_token_is_a_type_error():
    with pytest.raises(TypeError, match="access token must be a str, not bytes"):
        decode_access_token(make_jwt({"exp": 1}).encode())
    with pytest.raises(TypeError, match="not NoneType"):
        decode_access_token(None)


# ---------------------------------------------------------------- refresher results and clocks


def test_refresher_result_str_uses_jwt_exp():
    token = make_jwt({"exp": 1714651200})
    assert token_from_refresher(token) == (token, datetime(2024, 5, 2, 12, tzinfo=UTC))


def test_refresher_result_access_token_uses_its_expires_on():
    # The token need not be a JWT: the AccessToken says when it expires.
    assert token_from_refresher(AccessToken("opaque", 1714651200)) == ("opaque", datetime(2024, 5, 2, 12, tzinfo=UTC))


def test_refresher_result_errors_never_echo():
    with pytest.raises(ValueError, match="token_refresher returned an invalid token: .*found 1") as caught:
        token_from_refresher(SECRETISH)
    assert SECRETISH not in str(caught.value)
    with pytest.raises(TypeError, match="must return a token str or an AccessToken .token, expires_on., not int"):
        token_from_refresher(42)
    with pytest.raises(TypeError, match="not tuple"):
        token_from_refresher(("tok", 1))
    with pytest.raises(ValueError, match="empty token"):
        token_from_refresher(AccessToken("", 1714651200))
    with pytest.raises(ValueError, match="neither epoch seconds, an aware datetime nor an ISO 8601 time"):
        token_from_refresher(AccessToken("x", 10**20))
    with pytest.raises(ValueError, match="nor an ISO 8601 time with an offset"):
        token_from_refresher(AccessToken("x", "2024-05-02T12:00:00"))  # no offset: ambiguous
    with pytest.raises(ValueError, match="nor an ISO 8601 time with an offset"):
        token_from_refresher(AccessToken("x", "tomorrow"))
    with pytest.raises(ValueError, match="naive datetime"):
        token_from_refresher(AccessToken("x", datetime(2024, 5, 2, 12)))


def test_refresher_result_with_the_services_iso_8601_expiry():
    # What CommunicationIdentityClient.get_token returns as expires_on, like the official package.
    for text in ("2024-05-02T12:00:00.0000000+00:00", "2024-05-02T14:00:00+02:00", "2024-05-02T12:00:00Z"):
        assert token_from_refresher(AccessToken("tok", text)) == ("tok", datetime(2024, 5, 2, 12, tzinfo=UTC))


def test_refresher_result_with_an_aware_datetime_expiry():
    # The shape CommunicationIdentityClient.get_token returns: expires_on is an aware datetime.
    plus_one = timezone(timedelta(hours=1))
    token, expiry = token_from_refresher(AccessToken("tok", datetime(2024, 5, 2, 13, tzinfo=plus_one)))
    assert token == "tok" and expiry == datetime(2024, 5, 2, 12, tzinfo=UTC) and expiry.tzinfo == UTC


def test_read_clock_normalises_to_aware_utc():
    assert read_clock(lambda: 1714651200) == datetime(2024, 5, 2, 12, tzinfo=UTC)
    plus_two = timezone(timedelta(hours=2))
    moment = read_clock(lambda: datetime(2024, 5, 2, 14, tzinfo=plus_two))
    assert moment == datetime(2024, 5, 2, 12, tzinfo=UTC) and moment.tzinfo == UTC
    with pytest.raises(TypeError, match="naive datetime"):
        read_clock(lambda: datetime(2024, 5, 2, 12))
    with pytest.raises(TypeError, match="not str"):
        read_clock(lambda: "now")


# ---------------------------------------------------------------- refresh timing


def test_backoff_is_half_the_remaining_lifetime_with_a_floor_capped_by_expiry():
    assert backoff_delay(timedelta(seconds=30)) == timedelta(seconds=15)
    assert backoff_delay(timedelta(hours=24)) == timedelta(hours=12)
    assert backoff_delay(timedelta(seconds=1.5)) == BACKOFF_FLOOR
    assert backoff_delay(timedelta(seconds=0.4)) == timedelta(seconds=0.4)
    assert backoff_delay(timedelta(seconds=-1)) == timedelta(0)


def token_expiring_at(moment):
    return make_jwt({"exp": int(moment.timestamp())})


def test_usable_window_boundaries():
    cached = CachedToken.initial(token_expiring_at(T0 + timedelta(minutes=10)))
    window = ON_DEMAND_REFRESH_WINDOW
    assert cached.usable(T0, window)
    assert cached.usable(T0 + timedelta(minutes=8), window)  # exactly 2 minutes left: still used (official)
    assert not cached.usable(T0 + timedelta(minutes=8, seconds=1), window)
    assert not cached.usable(T0 + timedelta(minutes=11), window)
    assert not cached.usable(T0 + timedelta(minutes=1), timedelta(minutes=10))


def test_on_demand_window():
    assert on_demand_window(False, timedelta(minutes=10)) == timedelta(minutes=2)
    assert on_demand_window(True, timedelta(minutes=10)) == timedelta(minutes=10)
    # A lead shorter than 2 minutes never makes get_token refresh later than without proactive refresh.
    assert on_demand_window(True, timedelta(seconds=30)) == timedelta(minutes=2)


def test_refreshed_sets_backoff_and_generation():
    cached = CachedToken.initial(token_expiring_at(T0))
    fresh = cached.refreshed(token_expiring_at(T0 + timedelta(seconds=30)), T0)
    assert fresh.generation == 1
    assert fresh.not_before == T0 + timedelta(seconds=15)
    # Inside the 2-minute window, but still backing off: usable.
    assert fresh.usable(T0 + timedelta(seconds=14), ON_DEMAND_REFRESH_WINDOW)
    assert not fresh.usable(T0 + timedelta(seconds=15), ON_DEMAND_REFRESH_WINDOW)


def test_refreshed_rejects_expired_tokens_without_echo():
    cached = CachedToken.initial(token_expiring_at(T0))
    stale = token_expiring_at(T0 - timedelta(seconds=5))
    with pytest.raises(ValueError) as caught:
        cached.refreshed(stale, T0)
    assert str(caught.value) == "The token returned from the token_refresher is expired."  # the official message
    assert "already expired at 2024-05-01T11:59:55+00:00 (5 s ago)" in str(caught.value.__cause__)
    assert_not_echoed(stale, str(caught.value.__cause__))
    with pytest.raises(ValueError, match="is expired"):
        cached.refreshed(token_expiring_at(T0), T0)  # expiring this very second counts as expired


def test_proactive_due_respects_lead_and_backoff():
    lead = timedelta(minutes=10)
    initial = CachedToken.initial(token_expiring_at(T0 + timedelta(hours=1)))
    assert initial.proactive_due(lead, T0) == T0 + timedelta(minutes=50)
    # Inside the lead time: after half of the remaining lifetime (the official fractional backoff).
    assert initial.proactive_due(lead, T0 + timedelta(minutes=55)) == T0 + timedelta(minutes=57, seconds=30)
    assert initial.proactive_due(lead, T0 + timedelta(hours=2)) == T0 + timedelta(hours=2)  # expired: now
    short = initial.refreshed(token_expiring_at(T0 + timedelta(seconds=30)), T0)
    assert short.proactive_due(lead, T0) == T0 + timedelta(seconds=15)
    # A refreshed token outside the lead time still waits for its back-off.
    medium = initial.refreshed(token_expiring_at(T0 + timedelta(minutes=14)), T0)
    assert medium.proactive_due(lead, T0) == T0 + timedelta(minutes=7)


def test_retry_after_failure():
    cached = CachedToken.initial(token_expiring_at(T0 + timedelta(seconds=60)))
    assert retry_after_failure(cached, T0) == T0 + timedelta(seconds=30)
    assert retry_after_failure(cached, T0 + timedelta(seconds=60)) is None


def test_cached_token_repr_hides_token():
    token = token_expiring_at(T0)
    cached = CachedToken.initial(token)
    assert_not_echoed(token, repr(cached))
    result = cached.access_token()
    assert result == AccessToken(token, int(T0.timestamp()))
    assert isinstance(result, AccessToken) and result.token == token and result.expires_on == int(T0.timestamp())
    for text in (repr(result), str(result)):
        assert_not_echoed(token, text)
        assert str(int(T0.timestamp())) in text


# ---------------------------------------------------------------- the official package's helpers


def test_token_expiry_reads_tokens_as_the_official_package_does():
    claims = {"exp": 1714651200.7}
    standard = base64.b64encode(json.dumps({**claims, "x": "??>>"}).encode()).decode()
    assert "/" in standard or "+" in standard
    bare = b64url(json.dumps(claims).encode())
    for token in (make_jwt(claims), f"h.{standard}.s", f"h.\n   {standard}.s", f".{bare}."):
        assert token_expiry(token) == datetime(2024, 5, 2, 12, 0, 0, 700000, tzinfo=UTC)


@pytest.mark.parametrize(
    "token, reason",
    [
        ("", "found 1"),
        ("a.b", "found 2"),
        ("a.b.c.d", "found 4"),
        ("h..s", "payload segment is empty"),
        ("h.!!!!.s", "not base64url"),
        ("foo.bar.tar", "not base64url"),
        ("h." + b64url(b'{"sub": "secret-value"}') + ".s", "no 'exp'"),
        ("h." + b64url(b'{"exp": "soon"}') + ".s", "not a valid number"),
    ],
)
def test_token_expiry_errors_are_the_official_message_with_a_precise_cause(token, reason):
    with pytest.raises(ValueError) as caught:
        token_expiry(token)
    assert str(caught.value) == "Token is not formatted correctly"
    assert reason in str(caught.value.__cause__)
    assert "secret-value" not in str(caught.value.__cause__)


def test_token_expiry_of_a_non_str_is_the_official_type_error():
    with pytest.raises(TypeError) as caught:
        token_expiry(b"a.b.c")
    assert str(caught.value) == "Token must be a string." and "not bytes" in str(caught.value.__cause__)


def test_create_access_token_matches_the_official_helper():
    token = make_jwt({"exp": 1714651200.9})
    result = create_access_token(token)
    assert result == AccessToken(token, 1714651200) and type(result.expires_on) is int
    assert token not in repr(result)
    with pytest.raises(ValueError, match="^Token is not formatted correctly$"):
        create_access_token("foo.bar.tar")


def test_get_current_utc_as_int_is_whole_epoch_seconds():
    before = time.time()
    now = get_current_utc_as_int()
    after = time.time()
    assert type(now) is int and int(before) <= now <= after
