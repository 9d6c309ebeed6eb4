"""The sync client end to end against the emulator: every public method, its errors, both auth kinds."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError
from azure.core.rest import HttpRequest

from azure.communication.identity import (
    AccessToken,
    CommunicationIdentityClient,
    CommunicationTokenScope,
    CommunicationUserIdentifier,
    MicrosoftTeamsUserIdentifier,
)
from azure.communication.identity._token_utils import decode_access_token

from .ids import ODD_IDS, assert_reached_service_as_one_id


def _assert_fresh_token(token: AccessToken, scopes: tuple, lifetime: timedelta = timedelta(hours=24)):
    assert isinstance(token, AccessToken)
    assert token.token.count(".") == 2
    assert isinstance(token.expires_on, str)  # the service's ISO 8601 text
    expires = token.expires_on_datetime
    assert expires.tzinfo is not None and expires.utcoffset() == timedelta(0)
    expected = datetime.now(timezone.utc) + lifetime
    assert abs((expires - expected).total_seconds()) < 120
    info = decode_access_token(token.token)
    assert info.expires_on == expires.replace(microsecond=0)
    assert set(info.scopes) == set(scopes)


def test_create_user_returns_an_acs_identifier(client):
    user = client.create_user()
    assert isinstance(user, CommunicationUserIdentifier)
    assert user.raw_id.startswith("8:acs:")
    assert user.properties["id"] == user.raw_id
    assert client.create_user() != user


def test_create_user_and_token(client, emulator):
    user, token = client.create_user_and_token([CommunicationTokenScope.CHAT, "VoIP"])
    assert user.raw_id.startswith("8:acs:")
    _assert_fresh_token(token, ("chat", "voip"))
    assert decode_access_token(token.token).user_id == user.raw_id
    assert emulator.token_status(token.token)["valid"] is True


def test_get_token_accepts_identifier_or_raw_id_and_issue_token_is_an_alias(client, emulator):
    user = client.create_user()
    by_identifier = client.get_token(user, ["chat"])
    by_raw_id = client.issue_token(user.raw_id, (s for s in [CommunicationTokenScope.VOIP]))
    _assert_fresh_token(by_identifier, ("chat",))
    _assert_fresh_token(by_raw_id, ("voip",))
    assert by_identifier.token != by_raw_id.token
    assert emulator.token_status(by_raw_id.token)["valid"] is True


def test_token_lifetime_is_sent_as_whole_minutes(client):
    user = client.create_user()
    token = client.get_token(user, ["chat"], token_expires_in=timedelta(hours=1))
    _assert_fresh_token(token, ("chat",), lifetime=timedelta(hours=1))


def test_sub_minute_lifetime_is_truncated_to_whole_minutes_as_the_official_package_does(client):
    sent = []
    user = client.create_user()
    client.get_token(user, ["chat"], token_expires_in=timedelta(minutes=90, seconds=30),
                     raw_request_hook=lambda request: sent.append(request.http_request.body))
    _, token = client.create_user_and_token(["chat"], token_expires_in=timedelta(minutes=60, seconds=59),
                                            raw_request_hook=lambda request: sent.append(request.http_request.body))
    assert [json.loads(body)["expiresInMinutes"] for body in sent] == [90, 60]
    _assert_fresh_token(token, ("chat",), lifetime=timedelta(minutes=60))


def test_revoke_tokens_invalidates_earlier_tokens_only(client, emulator):
    user, before = client.create_user_and_token(["chat"])
    assert client.revoke_tokens(user) is None
    assert emulator.token_status(before.token)["valid"] is False
    after = client.get_token(user, ["chat"])
    assert emulator.token_status(after.token)["valid"] is True


def test_delete_user_then_every_operation_is_not_found(client, emulator):
    user, token = client.create_user_and_token(["chat"])
    assert client.delete_user(user) is None
    assert emulator.token_status(token.token)["valid"] is False
    for call in (lambda: client.get_token(user, ["chat"]), lambda: client.revoke_tokens(user),
                 lambda: client.delete_user(user)):
        with pytest.raises(ResourceNotFoundError) as info:
            call()
        assert info.value.status_code == 404
        assert info.value.error is not None and info.value.error.code
        assert str(info.value).startswith(f"({info.value.error.code}) {info.value.error.message}")


def test_service_validation_error_carries_code_and_message(emulator):
    # A scope the 2021-03-07 service does not know is refused by the client first; send it raw instead.
    with CommunicationIdentityClient.from_connection_string(emulator.connection_string,
                                                           api_version="2021-03-07") as client:
        user = client.create_user()
        request = HttpRequest("POST", f"/identities/{user.raw_id}/:issueAccessToken",
                              params={"api-version": "2021-03-07"}, json={"scopes": ["chat.join"]})
        response = client.send_request(request)
        assert response.status_code == 400
        with pytest.raises(HttpResponseError) as info:
            response.raise_for_status()
        assert info.value.status_code == 400
        assert response.json()["error"]["code"]


def test_ids_that_need_encoding_stay_one_path_segment(client):
    for raw_id in ODD_IDS:
        for call, args in ((client.get_token, (raw_id, ["chat"])), (client.delete_user, (raw_id,))):
            with pytest.raises(HttpResponseError) as info:
                call(*args)
            assert_reached_service_as_one_id(info.value, raw_id)


def test_wrong_access_key_is_client_authentication_error(emulator):
    endpoint = emulator.endpoint
    with CommunicationIdentityClient(endpoint, AzureKeyCredential("d3Jvbmcta2V5LXdyb25nLWtleQ==")) as client:
        with pytest.raises(ClientAuthenticationError) as info:
            client.create_user()
    assert info.value.status_code == 401
    assert emulator.access_key not in str(info.value)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda c: c.get_token("", ["chat"]), ValueError, "user"),
        (lambda c: c.get_token("   ", ["chat"]), ValueError, "user"),
        (lambda c: c.get_token(None, ["chat"]), TypeError, "user must be"),
        (lambda c: c.get_token(MicrosoftTeamsUserIdentifier("x"), ["chat"]), TypeError, "cannot hold"),
        (lambda c: c.get_token("8:acs:x", []), ValueError, "at least one scope"),
        (lambda c: c.get_token("8:acs:x", ["chat", "email"]), ValueError, "The scope 'email' is not a valid scope"),
        (lambda c: c.get_token("8:acs:x", "chat"), TypeError, r"scopes must be a list such as \['chat'\]"),
        (lambda c: c.get_token("8:acs:x", [1]), TypeError, "each scope"),
        (lambda c: c.get_token("8:acs:x", ["chat"], token_expires_in=timedelta(minutes=59)), ValueError,
         r"ExpiresInMinutes value 59 is invalid. Value must be within the \[60, 1440\] interval"),
        (lambda c: c.get_token("8:acs:x", ["chat"], token_expires_in=timedelta(minutes=59, seconds=59)),
         ValueError, "ExpiresInMinutes value 59 is invalid"),
        (lambda c: c.get_token("8:acs:x", ["chat"], token_expires_in=60), TypeError, "timedelta"),
        (lambda c: c.create_user_and_token([]), ValueError, "at least one scope"),
        (lambda c: c.create_user_and_token(None), TypeError, "scopes must be a list"),
        (lambda c: c.revoke_tokens(".."), ValueError, "not a communication user id"),
        (lambda c: c.get_token(".", ["chat"]), ValueError, "not a communication user id"),
        (lambda c: c.delete_user(42), TypeError, "user must be"),
    ],
)
def test_client_side_mistakes_fail_before_any_request(closed_port_endpoint, call, error, message):
    # Nothing listens on this endpoint: a request would surface as ServiceRequestError instead.
    client = CommunicationIdentityClient(closed_port_endpoint, AzureKeyCredential("a2V5"), retry_total=0)
    with pytest.raises(error, match=message):
        call(client)


def test_sync_client_refuses_an_async_credential():
    class AsyncOnly:
        async def get_token(self, *scopes, **kwargs):
            raise AssertionError("never called")

    with pytest.raises(TypeError, match="async credential"):
        CommunicationIdentityClient("https://res.communication.azure.com", AsyncOnly())


def test_constructor_checks_its_arguments():
    with pytest.raises(TypeError, match="AzureKeyCredential"):
        CommunicationIdentityClient("https://res.communication.azure.com", 42)
    with pytest.raises(ValueError, match="not valid base64") as info:
        CommunicationIdentityClient("https://res.communication.azure.com", "not-a-credential")  # a str is the key
    assert "not-a-credential" not in str(info.value)
    with pytest.raises(ValueError, match="absolute http"):
        CommunicationIdentityClient("ftp://res.communication.azure.com", AzureKeyCredential("a2V5"))
    with pytest.raises(ValueError, match="api_version '2020-01-01' is older than every Identity API version"):
        CommunicationIdentityClient("https://res.communication.azure.com", AzureKeyCredential("a2V5"),
                                    api_version="2020-01-01")
    with pytest.raises(ValueError, match="not valid base64"):
        CommunicationIdentityClient.from_connection_string("endpoint=https://r.communication.azure.com/;accesskey=@@")
    with pytest.raises(ValueError, match="not valid base64") as info:
        CommunicationIdentityClient("https://r.communication.azure.com", AzureKeyCredential("secret-not-base64!"))
    assert "secret-not-base64" not in str(info.value)


def test_http_endpoint_is_used_as_given_and_user_agent_names_the_package(emulator):
    seen = []
    with CommunicationIdentityClient.from_connection_string(
        emulator.connection_string, raw_request_hook=lambda request: seen.append(request.http_request)
    ) as client:
        client.create_user()
    assert seen[0].url.startswith(emulator.endpoint + "/identities?")
    assert seen[0].url.startswith("http://")
    from azure.communication.identity import __version__

    assert f"azsdk-python-communication-identity/{__version__}" in seen[0].headers["User-Agent"]


def test_send_request_goes_through_the_signed_pipeline(client):
    created = client.send_request(HttpRequest("POST", "/identities", params={"api-version": "2023-10-01"},
                                              json={"createTokenWithScopes": ["chat"]}))
    assert created.status_code == 201
    body = created.json()
    assert body["identity"]["id"].startswith("8:acs:")
    assert body["accessToken"]["token"].count(".") == 2
    deleted = body["identity"]["id"]
    client.delete_user(deleted)
    missing = client.send_request(HttpRequest("DELETE", f"/identities/{deleted}", params={"api-version": "2023-10-01"}))
    assert missing.status_code == 404
    assert missing.json()["error"]["code"]


def test_bearer_token_credential_over_tls(tls_emulator, aad_credential):
    credential = aad_credential(tls_emulator)
    with CommunicationIdentityClient(tls_emulator.endpoint, credential,
                                     connection_verify=tls_emulator.ca_cert) as client:
        user, token = client.create_user_and_token(["chat"])
        client.revoke_tokens(user)
        client.delete_user(user)
    assert tls_emulator.endpoint.startswith("https://")
    assert credential.scopes_asked[0] == ("https://communication.azure.com//.default",)
    assert token.token.count(".") == 2


def test_bearer_token_with_wrong_audience_is_refused(tls_emulator, aad_credential):
    credential = aad_credential(tls_emulator, aud="https://management.azure.com")
    with CommunicationIdentityClient(tls_emulator.endpoint, credential,
                                     connection_verify=tls_emulator.ca_cert) as client:
        with pytest.raises(ClientAuthenticationError) as info:
            client.create_user()
    assert info.value.status_code == 401


def test_key_auth_over_tls_trusting_the_emulator_ca(tls_emulator):
    with CommunicationIdentityClient.from_connection_string(tls_emulator.connection_string,
                                                           connection_verify=tls_emulator.ca_cert) as client:
        user = client.create_user()
        client.delete_user(user)


def test_close_and_context_manager(emulator):
    client = CommunicationIdentityClient.from_connection_string(emulator.connection_string)
    client.create_user()
    client.close()
    with CommunicationIdentityClient.from_connection_string(emulator.connection_string) as again:
        assert again.create_user().raw_id.startswith("8:acs:")
    assert "accesskey" not in repr(again).lower() and emulator.access_key not in repr(again)


def test_azure_core_keywords_pass_through(emulator):
    from azure.core.pipeline.transport import RequestsTransport

    seen = []
    transport = RequestsTransport(connection_timeout=5)
    with CommunicationIdentityClient.from_connection_string(
        emulator.connection_string, user_agent="contoso-token-service/2.1", transport=transport,
        raw_request_hook=lambda request: seen.append(request.http_request.headers["User-Agent"]),
    ) as client:
        client.create_user()
        client.create_user(user_agent="per-call/1.0")
    assert seen[0].startswith("contoso-token-service/2.1 azsdk-python-communication-identity/")
    assert "per-call/1.0" in seen[1]
