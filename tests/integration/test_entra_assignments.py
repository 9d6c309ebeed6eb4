"""Entra ID assignments through the public clients, sync and async, against the emulator
(api-version 2025-03-02-preview): CRUD, the paged listing, the bulk update, local checks, version gating,
and the exchange the assignments govern."""

from __future__ import annotations

import uuid
import warnings

import pytest
import pytest_asyncio
from azure.core.async_paging import AsyncItemPaged
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.core.paging import ItemPaged

from azure.communication.identity import (
    ApiVersion,
    CommunicationIdentityClient,
    EntraAssignment,
    EntraPrincipalType,
)
from azure.communication.identity._version_table import VERSIONS
from azure.communication.identity.aio import CommunicationIdentityClient as AsyncCommunicationIdentityClient

from .exchanges import ENTRA, user_exchange
from .local_errors import assert_validation_error

V = ApiVersion.V2025_03_02_PREVIEW
WITHOUT_ENTRA = [version for version in ApiVersion if "entraUsersListAssignments"
                 not in VERSIONS[version.value]["operations"]]


def guid() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def entra_client(emulator):
    with CommunicationIdentityClient.from_connection_string(emulator.connection_string, api_version=V) as client:
        yield client


@pytest_asyncio.fixture
async def async_entra_client(emulator):
    async with AsyncCommunicationIdentityClient.from_connection_string(emulator.connection_string,
                                                                       api_version=V) as client:
        yield client


@pytest.fixture
def small_pages(emulator):
    """Two assignments a page, so a handful of them spans several pages; the default comes back afterwards."""
    emulator.set_entra_page_size(2)
    yield 2
    emulator.set_entra_page_size(None)


def exchange(emulator, bearer):
    return user_exchange(emulator, ENTRA, V.value, bearer)


# -- sync ---------------------------------------------------------------------------------------------

def test_upsert_get_and_delete(entra_client):
    tenant, oid, app = uuid.uuid4(), guid(), guid()
    assignment, created = entra_client.upsert_entra_assignment(tenant, oid.upper(), EntraPrincipalType.USER,
                                                               [app.upper(), app])
    assert created is True
    assert assignment == EntraAssignment(oid, str(tenant), EntraPrincipalType.USER, [app])
    assert assignment.principal_type is EntraPrincipalType.USER
    other_app = guid()
    replaced, created = entra_client.upsert_entra_assignment(str(tenant), oid, "GROUP", [other_app])
    assert created is False and replaced.principal_type is EntraPrincipalType.GROUP
    assert replaced.client_ids == [other_app]
    assert entra_client.get_entra_assignment(uuid.UUID(oid)) == replaced
    entra_client.delete_entra_assignment(oid)
    with pytest.raises(ResourceNotFoundError) as info:
        entra_client.get_entra_assignment(oid)
    assert info.value.error.code == "AssignmentNotFound"
    with pytest.raises(ResourceNotFoundError):
        entra_client.delete_entra_assignment(oid)


def test_a_tenant_assignment(entra_client):
    tenant, app = guid(), guid()
    assignment, created = entra_client.upsert_entra_assignment(tenant, tenant, EntraPrincipalType.TENANT, [app])
    assert created and assignment.object_id == assignment.tenant_id == tenant
    entra_client.delete_entra_assignment(tenant)


def test_listing_follows_next_links_over_several_pages(entra_client, small_pages):
    tenant, app = guid(), guid()
    ids = sorted(guid() for _ in range(5))
    for object_id in ids:
        entra_client.upsert_entra_assignment(tenant, object_id, "user", [app])
    try:
        listing = entra_client.list_entra_assignments()
        assert isinstance(listing, ItemPaged)
        pages = [list(page) for page in listing.by_page()]
        assert len(pages) >= 3 and all(1 <= len(page) <= small_pages for page in pages)
        everything = [item for page in pages for item in page]
        assert all(isinstance(item, EntraAssignment) for item in everything)
        assert [item.object_id for item in everything] == sorted(item.object_id for item in everything)
        mine = [item for item in everything if item.tenant_id == tenant]
        assert [item.object_id for item in mine] == ids, "each exactly once, in object id order"
        assert {item.client_ids[0] for item in mine} == {app}
    finally:
        entra_client.update_entra_assignments(dict.fromkeys(ids))


def test_bulk_update(entra_client, emulator):
    tenant, app, other_app = guid(), guid(), guid()
    kept, replaced, removed, new = (guid() for _ in range(4))
    for object_id in (kept, replaced, removed):
        entra_client.upsert_entra_assignment(tenant, object_id, "user", [app])
    written = entra_client.update_entra_assignments({
        uuid.UUID(replaced): EntraAssignment(replaced, tenant, EntraPrincipalType.USER, [other_app]),
        removed.upper(): None,
        new: EntraAssignment(new, tenant, "group", [app]),
    })
    assert written == sorted([EntraAssignment(replaced, tenant, EntraPrincipalType.USER, [other_app]),
                              EntraAssignment(new, tenant, EntraPrincipalType.GROUP, [app])])
    assert entra_client.get_entra_assignment(replaced).client_ids == [other_app]
    assert entra_client.get_entra_assignment(kept).client_ids == [app]
    with pytest.raises(ResourceNotFoundError):
        entra_client.get_entra_assignment(removed)
    assert entra_client.update_entra_assignments({kept: None, replaced: None, new: None, removed: None}) == []
    with pytest.raises(ResourceNotFoundError):
        entra_client.get_entra_assignment(kept)


def test_local_checks_send_nothing(closed_port_endpoint):
    """What the service answers 400 to is its ValidationError (naming the wire field) and a ValueError; a wrong
    type is a TypeError; nothing is sent (the endpoint's port is closed)."""
    app = guid()
    good = EntraAssignment(guid(), guid(), "user", [app])
    with CommunicationIdentityClient(closed_port_endpoint, AzureKeyCredential("a2V5"), api_version=V,
                                     retry_total=0) as client:
        validation = [
            (lambda: client.get_entra_assignment(""), "objectId", "object_id must be an Entra ID GUID"),
            (lambda: client.get_entra_assignment("  "), "objectId", "got an empty string"),
            (lambda: client.delete_entra_assignment("not-a-guid"), "objectId", "'not-a-guid'"),
            (lambda: client.upsert_entra_assignment("", guid(), "user", [app]), "tenantId", "tenant_id"),
            (lambda: client.upsert_entra_assignment(guid(), "x", "user", [app]), "objectId", "object_id"),
            (lambda: client.upsert_entra_assignment(guid(), guid(), "user", []), "clientIds", "at least one"),
            (lambda: client.upsert_entra_assignment(guid(), guid(), "user", [""]), "clientIds", "each client id"),
            (lambda: client.upsert_entra_assignment(guid(), guid(), "", [app]), "principalType", "principal_type"),
            (lambda: client.update_entra_assignments({good.object_id: None, good.object_id.upper(): None}),
             good.object_id, "more than once"),
            (lambda: client.update_entra_assignments({"": None}), "", "each object id"),
            (lambda: client.update_entra_assignments({good.object_id: good._replace(client_ids=[])}),
             f"{good.object_id}.clientIds", "at least one"),
            (lambda: client.update_entra_assignments({good.object_id: good._replace(tenant_id="contoso")}),
             f"{good.object_id}.tenantId", "tenant_id must be an Entra ID GUID"),
        ]
        for call, target, message in validation:
            assert_validation_error(call, target, message)
        wrong_types = [
            (lambda: client.get_entra_assignment(42), "object_id must be a str"),
            (lambda: client.upsert_entra_assignment(guid(), guid(), "user", app), "client_ids must be"),
            (lambda: client.upsert_entra_assignment(guid(), guid(), "user", None), "client_ids must be"),
            (lambda: client.upsert_entra_assignment(guid(), guid(), 3, [app]), "principal_type"),
            (lambda: client.update_entra_assignments([good]), "mapping"),
            (lambda: client.update_entra_assignments({good.object_id: ("user", [app])}), "EntraAssignment or None"),
        ]
        for call, message in wrong_types:
            with pytest.raises(TypeError, match=message) as info:
                call()
            assert not isinstance(info.value, HttpResponseError), message
        # The body carries no objectId, so a key that disagrees with its assignment never reaches the service:
        # a plain ValueError.
        with pytest.raises(ValueError, match="same principal") as info:
            client.update_entra_assignments({guid(): good})
        assert not isinstance(info.value, HttpResponseError)


def test_principal_types_known_in_any_case_are_sent_as_the_members_value(entra_client):
    tenant, app = guid(), guid()
    for given, expected in (("GROUP", EntraPrincipalType.GROUP), ("User", EntraPrincipalType.USER),
                            ("tenant", EntraPrincipalType.TENANT),
                            (EntraPrincipalType.GROUP, EntraPrincipalType.GROUP)):
        object_id = tenant if expected is EntraPrincipalType.TENANT else guid()
        assignment, _ = entra_client.upsert_entra_assignment(tenant, object_id, given, [app])
        assert assignment.principal_type is expected, given  # the emulator takes only the exact values
        entra_client.delete_entra_assignment(object_id)


def test_an_unknown_principal_type_reaches_the_service_without_a_warning(entra_client):
    oid = guid()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(HttpResponseError) as info:
            entra_client.upsert_entra_assignment(guid(), oid, "servicePrincipal", [guid()])
    assert info.value.status_code == 400 and info.value.error.target == "principalType", "the service decided"
    with pytest.raises(ResourceNotFoundError):
        entra_client.get_entra_assignment(oid)


def test_an_unlisted_version_gets_the_entra_operations_of_the_listed_one_before_it(emulator, closed_port_endpoint):
    """2025-04-01-preview is treated as the newest listed version at or before its date (any kind, for a
    preview): 2025-03-02-preview, which has the Entra ID operations, so the request is sent (the emulator
    serves listed versions only and says so). A GA version inherits from GA versions only, none of which has
    them; a later preview (2026-01-01-preview) inherits from 2025-06-30, which has none either."""
    with CommunicationIdentityClient.from_connection_string(emulator.connection_string,
                                                            api_version="2025-04-01-preview") as client:
        for call in (lambda: list(client.list_entra_assignments()), lambda: client.get_entra_assignment(guid())):
            with pytest.raises(HttpResponseError) as info:
                call()
            assert (info.value.status_code, info.value.error.code) == (400, "UnsupportedApiVersion")
            assert "2025-04-01-preview" in info.value.error.message, "sent as given"
    for version, known in (("2025-04-01", "2023-10-01"), ("2026-01-01-preview", "2025-06-30")):
        with CommunicationIdentityClient(closed_port_endpoint, AzureKeyCredential("a2V5"), api_version=version,
                                         retry_total=0) as client:
            with pytest.raises(ValueError, match=f"get_entra_assignment needs api_version 2025-03-02-preview; this "
                                                 f"client speaks {version}, which this package treats as {known}"):
                client.get_entra_assignment(guid())


@pytest.mark.parametrize("version", WITHOUT_ENTRA)
def test_versions_without_entra_refuse_before_any_request(closed_port_endpoint, version):
    oid, app = guid(), guid()
    with CommunicationIdentityClient(closed_port_endpoint, AzureKeyCredential("a2V5"), api_version=version,
                                     retry_total=0) as client:
        calls = {
            "list_entra_assignments": client.list_entra_assignments,
            "get_entra_assignment": lambda: client.get_entra_assignment(oid),
            "upsert_entra_assignment": lambda: client.upsert_entra_assignment(guid(), oid, "user", [app]),
            "delete_entra_assignment": lambda: client.delete_entra_assignment(oid),
            "update_entra_assignments": lambda: client.update_entra_assignments({oid: None}),
        }
        for name, call in calls.items():
            with pytest.raises(ValueError, match=rf"{name} needs api_version 2025-03-02-preview; this client speaks "
                                                 rf"{version.value}.*ApiVersion.V2025_03_02_PREVIEW"):
                call()


def test_the_assignments_made_here_govern_the_exchange(entra_client, emulator):
    tenant, group, member, app = guid(), guid(), guid(), guid()
    entra_client.upsert_entra_assignment(tenant, group, EntraPrincipalType.GROUP, [app])
    bearer = emulator.mint_entra_user_token(tenant_id=tenant, object_id=member, client_id=app, groups=[group])
    status, answer = exchange(emulator, bearer)
    assert status == 200 and answer["identity"]["id"].endswith(f"_wf_{tenant}_{member}")
    token = answer["accessToken"]["token"]
    assert emulator.token_status(token)["valid"] is True
    entra_client.delete_entra_assignment(group)
    assert emulator.token_status(token)["reason"] == "revoked"
    status, answer = exchange(emulator, bearer)
    assert status == 403 and answer["error"]["code"] == "Forbidden"


def test_assignments_with_the_resource_azure_ad_token_over_tls(tls_emulator, aad_credential):
    credential = aad_credential(tls_emulator)
    tls_emulator.set_entra_page_size(1)
    try:
        with CommunicationIdentityClient(tls_emulator.endpoint, credential, api_version=V,
                                         connection_verify=tls_emulator.ca_cert) as client:
            tenant, first, second = guid(), guid(), guid()
            assignment, created = client.upsert_entra_assignment(tenant, first, "user", [guid()])
            assert created and client.get_entra_assignment(first) == assignment
            client.upsert_entra_assignment(tenant, second, "user", [guid()])
            pages = list(client.list_entra_assignments().by_page())
            assert {first, second} <= {item.object_id for page in pages for item in page}
            assert len(pages) >= 2, "the https nextLinks were followed with the bearer token"
            client.update_entra_assignments({first: None, second: None})
    finally:
        tls_emulator.set_entra_page_size(None)
    assert credential.scopes_asked and all(scopes == ("https://communication.azure.com//.default",)
                                           for scopes in credential.scopes_asked)


# -- async --------------------------------------------------------------------------------------------

@pytest.mark.asyncio
async def test_async_upsert_get_and_delete(async_entra_client):
    tenant, oid, app = guid(), guid(), guid()
    assignment, created = await async_entra_client.upsert_entra_assignment(tenant, oid, "user", [app])
    assert created and assignment == EntraAssignment(oid, tenant, EntraPrincipalType.USER, [app])
    replaced, created = await async_entra_client.upsert_entra_assignment(tenant, oid, "user", [app, guid()])
    assert created is False and len(replaced.client_ids) == 2
    assert await async_entra_client.get_entra_assignment(oid) == replaced
    await async_entra_client.delete_entra_assignment(oid)
    with pytest.raises(ResourceNotFoundError):
        await async_entra_client.get_entra_assignment(oid)


@pytest.mark.asyncio
async def test_async_listing_follows_next_links_over_several_pages(async_entra_client, small_pages):
    tenant, app = guid(), guid()
    ids = sorted(guid() for _ in range(5))
    for object_id in ids:
        await async_entra_client.upsert_entra_assignment(tenant, object_id, "user", [app])
    try:
        listing = async_entra_client.list_entra_assignments()
        assert isinstance(listing, AsyncItemPaged)
        pages = []
        async for page in listing.by_page():
            pages.append([item async for item in page])
        assert len(pages) >= 3 and all(1 <= len(page) <= small_pages for page in pages)
        mine = [item.object_id for page in pages for item in page if item.tenant_id == tenant]
        assert mine == ids
        assert ids[0] in {item.object_id async for item in async_entra_client.list_entra_assignments()}
    finally:
        await async_entra_client.update_entra_assignments(dict.fromkeys(ids))


@pytest.mark.asyncio
async def test_async_bulk_update(async_entra_client):
    tenant, app = guid(), guid()
    first, second = guid(), guid()
    written = await async_entra_client.update_entra_assignments({
        first: EntraAssignment(first, tenant, "user", [app]),
        second: EntraAssignment(second, tenant, "group", [app]),
    })
    assert [item.object_id for item in written] == sorted([first, second])
    assert await async_entra_client.update_entra_assignments({first: None, second: None}) == []
    with pytest.raises(ResourceNotFoundError):
        await async_entra_client.get_entra_assignment(second)


@pytest.mark.asyncio
async def test_async_local_checks_and_gating_send_nothing(closed_port_endpoint):
    async with AsyncCommunicationIdentityClient(closed_port_endpoint, AzureKeyCredential("a2V5"), api_version=V,
                                                retry_total=0) as client:
        with pytest.raises(ValueError, match="object_id"):
            await client.get_entra_assignment("")
        with pytest.raises(ValueError, match="at least one"):
            await client.upsert_entra_assignment(guid(), guid(), "user", [])
        with pytest.raises(TypeError, match="mapping"):
            await client.update_entra_assignments(None)
    async with AsyncCommunicationIdentityClient(closed_port_endpoint, AzureKeyCredential("a2V5"),
                                                api_version=WITHOUT_ENTRA[-1], retry_total=0) as client:
        with pytest.raises(ValueError, match="list_entra_assignments needs api_version 2025-03-02-preview"):
            client.list_entra_assignments()
        with pytest.raises(ValueError, match="delete_entra_assignment needs api_version 2025-03-02-preview"):
            await client.delete_entra_assignment(guid())


@pytest.mark.asyncio
async def test_async_unknown_principal_type_passes_through(async_entra_client):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(HttpResponseError) as info:
            await async_entra_client.upsert_entra_assignment(guid(), guid(), "servicePrincipal", [guid()])
    assert info.value.status_code == 400 and info.value.error.target == "principalType"
