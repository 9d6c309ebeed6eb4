"""The private module paths applications import from the official package (``_shared.*``), used as they use them.

Expected values are the official 1.5.0 package's results for the same calls.
"""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import datetime, timedelta, timezone

import pytest
from azure.core.credentials import AccessToken, AzureKeyCredential
from azure.core.pipeline import Pipeline
from azure.core.pipeline.policies import BearerTokenCredentialPolicy
from azure.core.pipeline.transport import RequestsTransport
from azure.core.rest import HttpRequest

KEY = "a2V5"


def _jwt(payload: dict, *, urlsafe: bool = True) -> str:
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    segment = encode(json.dumps(payload).encode()).decode().rstrip("=")
    return f"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.{segment}.c2ln"


@pytest.mark.parametrize(("conn_str", "expected"), [
    ("endpoint=https://res.communication.azure.com/;accesskey=abc==", ("res.communication.azure.com", "abc==")),
    ("endpoint=http://127.0.0.1:8080/;accesskey=k", ("127.0.0.1:8080", "k")),
    ("Endpoint=https://x/;AccessKey=k;extra=1", ("x", "k")),
    ("endpoint=res.communication.azure.com;accesskey=k", ("res.communication.azure.com", "k")),
    ("endpoint=https://x/;accesskey=a;endpoint=https://y/", ("y", "a")),  # the last one wins
    ("endpoint=https://sanitized.communication.azure.com/;accesskey=fake===",
     ("sanitized.communication.azure.com", "fake===")),  # the official suite's playback string
])
def test_parse_connection_str_returns_host_and_key(conn_str, expected):
    from azure.communication.identity._shared.utils import parse_connection_str

    assert parse_connection_str(conn_str) == expected


@pytest.mark.parametrize("conn_str", [None, "", "endpoint=https://x/", "accesskey=k", "garbage"])
def test_parse_connection_str_refuses_with_value_error_never_echoing_the_key(conn_str):
    from azure.communication.identity._shared.utils import parse_connection_str

    with pytest.raises(ValueError) as info:
        parse_connection_str(conn_str)
    assert "accesskey=k" not in str(info.value)


def test_create_access_token_reads_exp_as_whole_epoch_seconds():
    from azure.communication.identity._shared.utils import create_access_token

    for token in (_jwt({"exp": 1700000000}), _jwt({"exp": 1700000000.7}), _jwt({"exp": 32503680000}, urlsafe=False)):
        result = create_access_token(token)
        assert isinstance(result, AccessToken) and result.token == token and token not in repr(result)
        assert result.expires_on == int(json.loads(base64.b64decode(token.split(".")[1] + "==="))["exp"])
    # The official suite's helper puts a newline and spaces before the payload: still read.
    spaced = _jwt({"exp": 1700000000}).replace(".", ".\n        ", 1)
    assert create_access_token(spaced).expires_on == 1700000000


@pytest.mark.parametrize(("token", "error"), [
    ("foo.bar.tar", ValueError), ("abc", ValueError), ("", ValueError), (None, TypeError),
    (_jwt({"no": "exp"}), KeyError), (_jwt({"no": "exp"}), ValueError), (_jwt({"exp": "soon"}), TypeError),
])
def test_create_access_token_errors_match_the_official_types(token, error):
    from azure.communication.identity._shared.utils import create_access_token

    with pytest.raises(error) as info:
        create_access_token(token)
    assert not token or token not in str(info.value)


def test_time_helpers():
    from email.utils import parsedate_to_datetime

    from azure.communication.identity._shared import utils

    assert utils.get_current_utc_time().endswith(" GMT")
    assert abs(parsedate_to_datetime(utils.get_current_utc_time()).timestamp() - utils.get_current_utc_as_int()) <= 1
    assert isinstance(utils.get_current_utc_as_int(), int)
    assert utils._convert_datetime_to_utc_int(datetime(1970, 1, 1)) == 0  # naive is UTC
    assert utils._convert_datetime_to_utc_int(datetime(1970, 1, 1, tzinfo=timezone(timedelta(hours=-8)))) == 8 * 3600
    assert utils._convert_datetime_to_utc_int(datetime(2020, 1, 1, 0, 0, 0, 999999)) == 1577836800
    assert utils.TZ_UTC is timezone.utc


def test_hmac_policy_signs_a_request_the_emulator_accepts(emulator):
    """A hand-built pipeline with the _shared policy, as applications calling other ACS APIs build one."""
    from azure.communication.identity._shared.policy import HMACCredentialsPolicy
    from azure.communication.identity._shared.utils import parse_connection_str

    host, key = parse_connection_str(emulator.connection_string)
    for credential in (key, AzureKeyCredential(key)):
        for decode_url in (False, True):
            with Pipeline(RequestsTransport(), [HMACCredentialsPolicy(host, credential, decode_url=decode_url)]) as p:
                request = HttpRequest("POST", emulator.endpoint + "/identities?api-version=2023-10-01", json={})
                response = p.run(request).http_response
            assert response.status_code == 201, response.text()
    with Pipeline(RequestsTransport(), [HMACCredentialsPolicy(host, "d3Jvbmc=")]) as pipeline:
        assert pipeline.run(HttpRequest("POST", emulator.endpoint + "/identities?api-version=2023-10-01",
                                        json={})).http_response.status_code == 401


def test_get_authentication_policy_picks_hmac_or_bearer():
    from azure.core.pipeline.policies import AsyncBearerTokenCredentialPolicy

    from azure.communication.identity._shared.auth_policy_utils import get_authentication_policy
    from azure.communication.identity._shared.policy import HMACCredentialsPolicy

    class Credential:
        def get_token(self, *scopes, **kwargs):
            return AccessToken("t", 0)

    endpoint = "https://res.communication.azure.com"
    assert isinstance(get_authentication_policy(endpoint, KEY), HMACCredentialsPolicy)
    assert isinstance(get_authentication_policy(endpoint, AzureKeyCredential(KEY), is_async=True),
                      HMACCredentialsPolicy)
    assert type(get_authentication_policy(endpoint, Credential())) is BearerTokenCredentialPolicy
    bearer = get_authentication_policy(endpoint, Credential(), is_async=True)
    assert type(bearer) is AsyncBearerTokenCredentialPolicy
    assert bearer._scopes == ("https://communication.azure.com//.default",)
    with pytest.raises(ValueError):
        get_authentication_policy(endpoint, None)
    with pytest.raises(TypeError):
        get_authentication_policy(endpoint, 42)


def test_shared_models_are_the_package_identifiers():
    import azure.communication.identity as package
    from azure.communication.identity._shared import models

    for name in ("CommunicationUserIdentifier", "PhoneNumberIdentifier", "MicrosoftTeamsUserIdentifier",
                 "MicrosoftTeamsAppIdentifier", "UnknownIdentifier", "CommunicationIdentifierKind",
                 "CommunicationCloudEnvironment", "identifier_from_raw_id", "CommunicationUserProperties"):
        assert getattr(models, name) is getattr(package, name)
    assert models.ACS_USER_PREFIX == "8:acs:" and models.TEAMS_APP_DOD_CLOUD_PREFIX == "28:dod:"
    assert isinstance(models.identifier_from_raw_id("8:acs:x"), models.CommunicationUserIdentifier)


@pytest.mark.asyncio
async def test_async_timer_calls_back_once_and_cancels():
    from azure.communication.identity._shared.utils_async import AsyncTimer

    calls = []
    done = {"sync": asyncio.Event(), "async": asyncio.Event()}

    async def callback():
        calls.append("async")
        done["async"].set()

    AsyncTimer(0, lambda: (calls.append("sync"), done["sync"].set())).start()
    AsyncTimer(0, callback).start()
    cancelled = AsyncTimer(0, callback)
    cancelled.start()
    cancelled.cancel()
    await done["sync"].wait()
    await done["async"].wait()
    await asyncio.sleep(0)
    assert sorted(calls) == ["async", "sync"]  # the cancelled timer never called back
