"""Teams Phone extensibility assignments through the public clients, sync and async, against the emulator;
the exchange itself (the credential's, not this client's) is made with raw requests carrying the user's token."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid

import pytest
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from azure.communication.identity import (
    ApiVersion,
    CommunicationIdentityClient,
    TeamsExtensionAssignment,
    TeamsExtensionPrincipalType,
)
from azure.communication.identity.aio import CommunicationIdentityClient as AsyncClient

V = ApiVersion.V2025_06_30
AUDIENCE = "https://auth.msft.communication.azure.com"


def _client(emulator, **kwargs):
    return CommunicationIdentityClient.from_connection_string(emulator.connection_string, **kwargs)


def exchange(emulator, entra_token):
    """POST /access/teamsExtension/:exchangeAccessToken with the user's bearer token: (status, document)."""
    request = urllib.request.Request(
        f"{emulator.endpoint}/access/teamsExtension/:exchangeAccessToken?api-version={V.value}", data=b"{}",
        method="POST", headers={"Authorization": f"Bearer {entra_token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_upsert_get_delete_and_the_default_version(emulator):
    tenant, user, app = (str(uuid.uuid4()) for _ in range(3))
    with _client(emulator) as client:  # the default, 2025-06-30, has Teams Phone extensibility
        created, was_created = client.upsert_teams_extension_assignment(uuid.UUID(tenant), user.upper(), "user",
                                                                        client_ids=[app, app.upper()])
        assert was_created is True
        assert isinstance(created, TeamsExtensionAssignment)
        assert created == TeamsExtensionAssignment(object_id=user, tenant_id=tenant,
                                                   principal_type=TeamsExtensionPrincipalType.USER, client_ids=[app])
        replaced, was_created = client.upsert_teams_extension_assignment(
            tenant, user, TeamsExtensionPrincipalType.RESOURCE_ACCOUNT)
        assert (was_created, replaced.principal_type, replaced.client_ids) == (False, "resourceAccount", None)
        assert client.get_teams_extension_assignment(tenant, user) == replaced
        client.delete_teams_extension_assignment(tenant, user)
        with pytest.raises(ResourceNotFoundError) as info:
            client.get_teams_extension_assignment(tenant, user)
        assert info.value.error.code == "AssignmentNotFound"
        with pytest.raises(ResourceNotFoundError):
            client.delete_teams_extension_assignment(tenant, user)


def test_unknown_tenant_or_object_id_is_not_found(emulator):
    tenant, user = str(uuid.uuid4()), str(uuid.uuid4())
    with _client(emulator, api_version=V) as client:
        client.upsert_teams_extension_assignment(tenant, user, "user")
        for other_tenant, other_user in ((str(uuid.uuid4()), user), (tenant, str(uuid.uuid4()))):
            with pytest.raises(ResourceNotFoundError):
                client.get_teams_extension_assignment(other_tenant, other_user)
            with pytest.raises(ResourceNotFoundError):
                client.delete_teams_extension_assignment(other_tenant, other_user)
        assert client.get_teams_extension_assignment(tenant, user).object_id == user


def test_a_principal_type_the_service_does_not_know_is_its_400(emulator):
    tenant, user = str(uuid.uuid4()), str(uuid.uuid4())
    with _client(emulator, api_version=V) as client:
        with pytest.raises(HttpResponseError) as info:
            client.upsert_teams_extension_assignment(tenant, user, "group")  # an Entra ID principal type
        assert info.value.status_code == 400 and info.value.error.code == "ValidationError"
        assert "principalType" in str(info.value)
        with pytest.raises(ResourceNotFoundError):
            client.get_teams_extension_assignment(tenant, user)


def test_arguments_are_checked_before_any_request(closed_port_endpoint):
    good = str(uuid.uuid4())
    cases = [
        (("not-a-guid", good, "user"), ValueError, "tenant_id must be an Entra ID GUID"),
        ((good, "a/b", "user"), ValueError, "object_id must be an Entra ID GUID"),
        ((good, 42, "user"), TypeError, "object_id must be a str"),
        ((good, good, 3), TypeError, "principal_type must be a TeamsExtensionPrincipalType or str"),
        ((good, good, "  "), ValueError, "principal_type must be a non-empty string"),
        ((good, good, "user", "app-id"), TypeError, "client_ids must be a list"),
        ((good, good, "user", []), ValueError, "pass None to allow any client application"),
        ((good, good, "user", ["nope"]), ValueError, "each client id must be an Entra ID GUID"),
    ]
    with CommunicationIdentityClient(closed_port_endpoint, AzureKeyCredential("a2V5"), retry_total=0) as client:
        for args, error, message in cases:
            with pytest.raises(error, match=message):
                client.upsert_teams_extension_assignment(*args)
        with pytest.raises(ValueError, match="tenant_id"):
            client.get_teams_extension_assignment("", good)
        with pytest.raises(ValueError, match="object_id"):
            client.delete_teams_extension_assignment(good, "x")


def test_deleting_the_assignment_revokes_the_tokens_the_user_exchanged(emulator):
    tenant, user, app = (str(uuid.uuid4()) for _ in range(3))
    entra = emulator.mint_aad_token(tid=tenant, oid=user, appid=app, aud=AUDIENCE, scp="TeamsExtension.ManageCalls")
    with _client(emulator, api_version=V) as client:
        status, refused = exchange(emulator, entra)
        assert (status, refused["error"]["code"]) == (403, "Forbidden"), "no assignment, no token"
        client.upsert_teams_extension_assignment(tenant, user, "user", [app])
        status, issued = exchange(emulator, entra)
        assert status == 200
        token = issued["accessToken"]["token"]
        assert issued["identity"]["id"].endswith(f"_{tenant}_{user}")
        assert emulator.token_status(token)["valid"] is True
        client.delete_teams_extension_assignment(tenant, user)
    assert emulator.token_status(token)["reason"] == "revoked"
    assert exchange(emulator, entra)[0] == 403


@pytest.mark.asyncio
async def test_async_twin(emulator):
    tenant, user = str(uuid.uuid4()), str(uuid.uuid4())
    async with AsyncClient.from_connection_string(emulator.connection_string, api_version=V) as client:
        created, was_created = await client.upsert_teams_extension_assignment(tenant, user, "resourceAccount")
        assert was_created is True and created.principal_type is TeamsExtensionPrincipalType.RESOURCE_ACCOUNT
        _, was_created = await client.upsert_teams_extension_assignment(tenant, user, "resourceAccount")
        assert was_created is False
        assert await client.get_teams_extension_assignment(tenant, user) == created
        await client.delete_teams_extension_assignment(tenant, user)
        with pytest.raises(ResourceNotFoundError):
            await client.get_teams_extension_assignment(tenant, user)
        with pytest.raises(ValueError, match="object_id"):
            await client.get_teams_extension_assignment(tenant, "nope")
    async with AsyncClient.from_connection_string(emulator.connection_string,
                                                  api_version=ApiVersion.V2023_10_01) as old:
        with pytest.raises(ValueError, match="upsert_teams_extension_assignment needs api_version 2025-03-02-preview "
                                             "or later; this client speaks 2023-10-01"):
            await old.upsert_teams_extension_assignment(tenant, user, "user")
