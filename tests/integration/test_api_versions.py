"""Every supported api-version x every operation it has, sync and async, against the emulator.

Each version gets exactly its features: what it lacks is refused locally (ValueError naming the
version that has it) before any request, and what it has works end to end.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError

from azure.communication.identity import ApiVersion, CommunicationIdentityClient, CommunicationTokenScope
from azure.communication.identity._api_versions import DEFAULT_API_VERSION, has_feature
from azure.communication.identity._token_utils import decode_access_token
from azure.communication.identity.aio import CommunicationIdentityClient as AsyncClient

VERSIONS = list(ApiVersion)
JOIN_SCOPES = [CommunicationTokenScope.CHAT_JOIN, CommunicationTokenScope.CHAT_JOIN_LIMITED,
               CommunicationTokenScope.VOIP_JOIN]
TEAMS_AUDIENCE = "https://auth.msft.communication.azure.com"


def _client(emulator, version, sent=None):
    hook = {} if sent is None else {"raw_request_hook": lambda r: sent.append(r.http_request.url)}
    return CommunicationIdentityClient.from_connection_string(emulator.connection_string, api_version=version, **hook)


def test_default_is_the_newest_stable_version():
    assert DEFAULT_API_VERSION is ApiVersion.V2023_10_01
    assert CommunicationIdentityClient("https://r.communication.azure.com",
                                       __import__("azure.core.credentials").core.credentials.AzureKeyCredential("a2V5")
                                       ).api_version is ApiVersion.V2023_10_01


@pytest.mark.parametrize("version", VERSIONS, ids=str)
def test_core_operations_on_every_version_send_that_version(emulator, version):
    sent: list = []
    with _client(emulator, version.value, sent) as client:
        user = client.create_user()
        user2, token = client.create_user_and_token(["chat", "voip"])
        issued = client.get_token(user, [CommunicationTokenScope.VOIP])
        client.revoke_tokens(user)
        client.delete_user(user)
        client.delete_user(user2)
    assert emulator.token_status(issued.token)["reason"] in ("revoked", "deleted")
    assert set(decode_access_token(token.token).scopes) == {"chat", "voip"}
    assert sent and all(url.endswith(f"api-version={version.value}") for url in sent)


@pytest.mark.parametrize("version", VERSIONS, ids=str)
def test_token_lifetime_only_where_the_version_has_it(emulator, version):
    with _client(emulator, version, []) as client:
        user = client.create_user()
        if has_feature(version, "token_expires_in"):
            token = client.get_token(user, ["chat"], token_expires_in=timedelta(minutes=60))
            _, created = client.create_user_and_token(["chat"], token_expires_in=timedelta(hours=2))
            lifetime = decode_access_token(token.token).expires_on - decode_access_token(token.token).issued_at
            assert timedelta(minutes=59) <= lifetime <= timedelta(minutes=61)
            assert created.expires_on_datetime - token.expires_on_datetime > timedelta(minutes=55)
            for bad, minutes in ((timedelta(minutes=59), 59), (timedelta(minutes=1441), 1441),
                                 (timedelta(seconds=30), 0)):
                with pytest.raises(HttpResponseError, match=f"ExpiresInMinutes value {minutes} is invalid") as info:
                    client.get_token(user, ["chat"], token_expires_in=bad)
                assert isinstance(info.value, ValueError) and info.value.status_code == 400
        else:
            with pytest.raises(ValueError, match="token_expires_in needs api_version 2022-10-01 or later"):
                client.get_token(user, ["chat"], token_expires_in=timedelta(hours=1))


@pytest.mark.parametrize("version", VERSIONS, ids=str)
def test_join_scopes_only_where_the_version_has_them(emulator, version):
    with _client(emulator, version) as client:
        user = client.create_user()
        if has_feature(version, "scope:chat.join"):
            token = client.get_token(user, JOIN_SCOPES)
            assert set(decode_access_token(token.token).scopes) == {"chat.join", "chat.join.limited", "voip.join"}
        else:
            for scope in JOIN_SCOPES:
                with pytest.raises(ValueError, match=f"scope '{scope.value}' needs api_version 2023-10-01"):
                    client.get_token(user, [scope])


@pytest.mark.parametrize("version", VERSIONS, ids=str)
def test_teams_user_exchange_only_where_the_version_has_it(emulator, version):
    oid, app = str(uuid.uuid4()), str(uuid.uuid4())
    aad_token = emulator.mint_aad_token(oid=oid, appid=app, aud=TEAMS_AUDIENCE)
    with _client(emulator, version) as client:
        if not has_feature(version, "teams_user_exchange"):
            with pytest.raises(ValueError, match="get_token_for_teams_user needs api_version 2022-06-01"):
                client.get_token_for_teams_user(aad_token, app, oid)
            return
        token = client.get_token_for_teams_user(aad_token, app, oid)
        assert token.token.count(".") == 2
        assert emulator.token_status(token.token)["valid"] is True


@pytest.mark.parametrize("version", VERSIONS, ids=str)
def test_custom_id_and_get_user_only_on_the_preview(emulator, version):
    custom_id = f"app-user-{uuid.uuid4()}"
    with _client(emulator, version) as client:
        if not has_feature(version, "custom_id"):
            with pytest.raises(ValueError, match="custom_id needs api_version 2025-03-02-preview"):
                client.create_user(custom_id=custom_id)
            with pytest.raises(ValueError, match="get_user needs api_version 2025-03-02-preview"):
                client.get_user("8:acs:x_y")
            return
        first = client.create_user(custom_id=custom_id)
        assert client.create_user(custom_id=custom_id) == first
        same, token = client.create_user_and_token(["chat"], custom_id=custom_id)
        assert same == first
        details = client.get_user(first)
        assert details.id == first.raw_id and details.custom_id == custom_id
        assert details.last_token_issued_at is not None
        assert abs((details.last_token_issued_at - decode_access_token(token.token).issued_at).total_seconds()) < 2
        with pytest.raises(ValueError, match="at most 256"):
            client.create_user(custom_id="x" * 257)


class TestTeamsExchangeFailures:
    """Each mistake is caught locally with a clear message, or by the service with its error."""

    version = ApiVersion.V2023_10_01

    def test_local_checks(self, emulator, closed_port_endpoint):
        from azure.core.credentials import AzureKeyCredential

        oid, app = str(uuid.uuid4()), str(uuid.uuid4())
        good = emulator.mint_aad_token(oid=oid, appid=app, aud=TEAMS_AUDIENCE)
        expired = emulator.mint_aad_token(oid=oid, appid=app, aud=TEAMS_AUDIENCE, expires_in=-60)
        with CommunicationIdentityClient(closed_port_endpoint, AzureKeyCredential("a2V5"), retry_total=0) as client:
            cases = [
                (("not-a-jwt", app, oid), 401, "aad_token .* is not a JWT"),
                ((good, app, str(uuid.uuid4())), 400, "userId does not match the oid claim"),
                ((good, str(uuid.uuid4()), oid), 400, "appId does not match the appid claim"),
                ((expired, app, oid), 401, "aad_token has expired"),
                (("", app, oid), 401, "aad_token is empty"),
            ]
            for args, status, message in cases:
                with pytest.raises(ValueError, match=message) as info:
                    client.get_token_for_teams_user(*args)
                assert isinstance(info.value, HttpResponseError) and info.value.status_code == status
                assert good not in str(info.value) and expired not in str(info.value)

    def test_service_checks(self, emulator):
        oid, app = str(uuid.uuid4()), str(uuid.uuid4())
        with _client(emulator, self.version) as client:
            untrusted = emulator.mint_aad_token(oid=oid, appid=app, aud=TEAMS_AUDIENCE, untrusted=True)
            with pytest.raises(ClientAuthenticationError) as info:
                client.get_token_for_teams_user(untrusted, app, oid)
            assert info.value.error.code == "InvalidAccessToken"
            wrong_audience = emulator.mint_aad_token(oid=oid, appid=app, aud="https://graph.microsoft.com")
            with pytest.raises(ClientAuthenticationError, match="audience"):
                client.get_token_for_teams_user(wrong_audience, app, oid)
            no_teams_permission = emulator.mint_aad_token(oid=oid, appid=app, aud=TEAMS_AUDIENCE, scp="User.Read")
            with pytest.raises(HttpResponseError, match="Teams"):
                client.get_token_for_teams_user(no_teams_permission, app, oid)


@pytest.fixture(scope="module")
def persistent_emulator(tmp_path_factory):
    from acs_identity_emulator.testing import running_emulator

    with running_emulator(in_memory=False, data=str(tmp_path_factory.mktemp("store") / "identity.db")) as emu:
        yield emu


def test_custom_id_is_idempotent_across_restarts(persistent_emulator):
    custom_id = f"restart-{uuid.uuid4()}"
    with _client(persistent_emulator, ApiVersion.V2025_03_02_PREVIEW) as client:
        first = client.create_user(custom_id=custom_id)
    persistent_emulator.restart()
    with _client(persistent_emulator, ApiVersion.V2025_03_02_PREVIEW) as client:
        assert client.create_user(custom_id=custom_id) == first
        assert client.get_user(first).custom_id == custom_id
        assert client.get_token(first, ["chat"]).token


@pytest.mark.asyncio
@pytest.mark.parametrize("version", VERSIONS, ids=str)
async def test_every_operation_of_every_version_async(emulator, version):
    async with AsyncClient.from_connection_string(emulator.connection_string, api_version=version) as client:
        user = await client.create_user()
        _, token = await client.create_user_and_token(["chat"])
        scopes = JOIN_SCOPES if has_feature(version, "scope:voip.join") else ["voip"]
        extra = {"token_expires_in": timedelta(hours=1)} if has_feature(version, "token_expires_in") else {}
        issued = await client.get_token(user, scopes, **extra)
        assert set(decode_access_token(issued.token).scopes) == {str(s) for s in scopes}
        if has_feature(version, "teams_user_exchange"):
            oid, app = str(uuid.uuid4()), str(uuid.uuid4())
            aad = emulator.mint_aad_token(oid=oid, appid=app, aud=TEAMS_AUDIENCE)
            assert (await client.get_token_for_teams_user(aad, app, oid)).token
        else:
            with pytest.raises(ValueError, match="2022-06-01"):
                await client.get_token_for_teams_user("a.b.c", "app", "oid")
        if has_feature(version, "get_user"):
            custom = await client.create_user(custom_id=f"async-{uuid.uuid4()}")
            assert (await client.get_user(custom)).custom_id.startswith("async-")
        else:
            with pytest.raises(ValueError, match="2025-03-02-preview"):
                await client.get_user(user)
        await client.revoke_tokens(user)
        await client.delete_user(user)
    assert emulator.token_status(token.token)["valid"] is True
    assert emulator.token_status(issued.token)["valid"] is False
