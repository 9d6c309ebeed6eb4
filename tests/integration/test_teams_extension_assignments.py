"""Teams Phone extensibility assignments through the public clients, sync and async, against the emulator;
the exchange itself (the credential's, not this client's) is made with raw requests carrying the user's token."""

from __future__ import annotations

import uuid
import warnings

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

from .exchanges import TEAMS_EXTENSION, user_exchange
from .local_errors import assert_validation_error

V = ApiVersion.V2025_06_30
AUDIENCE = "https://auth.msft.communication.azure.com"


def _client(emulator, **kwargs):
    return CommunicationIdentityClient.from_connection_string(emulator.connection_string, **kwargs)


def exchange(emulator, bearer):
    return user_exchange(emulator, TEAMS_EXTENSION, V.value, bearer)


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
    """As for Entra ID assignments: what the service answers 400 to is its ValidationError (naming the wire
    field) and a ValueError, a wrong type a TypeError; nothing is sent (the endpoint's port is closed)."""
    good = str(uuid.uuid4())
    validation = [
        (("not-a-guid", good, "user"), "tenantId", "tenant_id must be an Entra ID GUID"),
        ((good, "a/b", "user"), "objectId", "object_id must be an Entra ID GUID"),
        ((good, good, "  "), "principalType", "principal_type must be a non-empty string"),
        ((good, good, "user", []), "clientIds", "pass None to allow any client application"),
        ((good, good, "user", ["nope"]), "clientIds", "each client id must be an Entra ID GUID"),
    ]
    wrong_types = [
        ((good, 42, "user"), "object_id must be a str"),
        ((good, good, 3), "principal_type must be a TeamsExtensionPrincipalType or str"),
        ((good, good, "user", "app-id"), "client_ids must be a list"),
    ]
    with CommunicationIdentityClient(closed_port_endpoint, AzureKeyCredential("a2V5"), retry_total=0) as client:
        calls = [(lambda args=args: client.upsert_teams_extension_assignment(*args), target, message)
                 for args, target, message in validation]
        calls += [(lambda: client.get_teams_extension_assignment("", good), "tenantId", "tenant_id"),
                  (lambda: client.delete_teams_extension_assignment(good, "x"), "objectId", "object_id")]
        for call, target, message in calls:
            assert_validation_error(call, target, message)
        for args, message in wrong_types:
            with pytest.raises(TypeError, match=message) as info:
                client.upsert_teams_extension_assignment(*args)
            assert not isinstance(info.value, HttpResponseError), message


def test_principal_types_known_in_any_case_are_sent_as_the_members_value(emulator):
    """The emulator takes only the swagger's exact values, so a member named in another case reaching it as
    given would be refused; a string no member has is sent unchanged, without a warning, for the service
    to decide (the emulator also takes the 'teamsResourceAccount' spelling and returns it as sent)."""
    tenant = str(uuid.uuid4())
    with _client(emulator, api_version=V) as client:
        for given, expected in (("USER", TeamsExtensionPrincipalType.USER),
                                ("RESOURCEACCOUNT", TeamsExtensionPrincipalType.RESOURCE_ACCOUNT),
                                ("resource_account", TeamsExtensionPrincipalType.RESOURCE_ACCOUNT),
                                ("teamsResourceAccount", "teamsResourceAccount")):
            user = str(uuid.uuid4())
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                assignment, _ = client.upsert_teams_extension_assignment(tenant, user, given)
            assert assignment.principal_type == expected and type(assignment.principal_type) is type(expected), given
            client.delete_teams_extension_assignment(tenant, user)


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
