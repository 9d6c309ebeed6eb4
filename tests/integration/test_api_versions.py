"""Every api-version x every operation, request field, header and scope, sync and async, against the emulator.

The cases come from the version table (derived from swagger/ by `make generate`): a version gets
exactly what its swagger has. What it has works end to end and is sent with that version; what it
lacks is refused locally (ValueError naming the versions that have it) before any request. A new
version in swagger/ adds its cases here by itself.
"""

from __future__ import annotations

import inspect
import time
import uuid
from datetime import timedelta

import pytest
import pytest_asyncio
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError

from azure.communication.identity import (
    ApiVersion,
    CommunicationIdentityClient,
    CommunicationTokenCredential,
    EntraAssignment,
    EntraPrincipalType,
    TeamsExtensionPrincipalType,
)
from azure.communication.identity._api_versions import DEFAULT_API_VERSION
from azure.communication.identity._token_utils import decode_access_token
from azure.communication.identity._version_table import API_VERSIONS, VERSIONS
from azure.communication.identity.aio import CommunicationIdentityClient as AsyncClient
from azure.communication.identity.aio import CommunicationTokenCredential as AsyncCommunicationTokenCredential

TEAMS_AUDIENCE = "https://auth.msft.communication.azure.com"
SCOPE_ENUM = "CommunicationIdentityTokenScope"
MODES = ["sync", "async"]
# Operations of the table that no method of CommunicationIdentityClient wraps: the users' token exchanges,
# which CommunicationTokenCredential's exchange form sends (their own matrix is EXCHANGES below).
NOT_ON_THE_CLIENT = {"teamsExtensionExchangeAccessToken", "entraUsersExchangeAccessToken"}


def _operations(version):
    return VERSIONS[version]["operations"]


def _field(version, operation, name):
    op = _operations(version).get(operation)
    return ((op or {}).get("body") or {}).get("fields", {}).get(name)


def _having(predicate):
    return [v for v in API_VERSIONS if predicate(v)]


class Sent:
    """Every request the client put on the wire (a raw_request_hook sees each attempt)."""

    def __init__(self):
        self.requests = []

    def __call__(self, request):
        self.requests.append(request.http_request)

    def __bool__(self):  # azure-core tests the hook for truth before calling it
        return True


class Caller:
    """One client, sync or async, called the same way: ``await caller("get_token", ...)``."""

    def __init__(self, emulator, version, mode):
        self.sent = Sent()
        cls = CommunicationIdentityClient if mode == "sync" else AsyncClient
        self.client = cls.from_connection_string(emulator.connection_string, api_version=version,
                                                 raw_request_hook=self.sent)

    async def __call__(self, method, *args, **kwargs):
        result = getattr(self.client, method)(*args, **kwargs)
        return await result if inspect.isawaitable(result) else result

    async def close(self):
        closed = self.client.close()
        if inspect.isawaitable(closed):
            await closed


@pytest_asyncio.fixture
async def caller_for(emulator):
    made = []

    def make(version, mode):
        made.append(Caller(emulator, version, mode))
        return made[-1]

    yield make
    for caller in made:
        await caller.close()


def _new_principal():
    return str(uuid.uuid4()), str(uuid.uuid4())


# -- one exerciser per wrapped operation: it must succeed on a version that has the operation ----------------

async def _create(call, emulator, version):
    user = await call("create_user")
    second, token = await call("create_user_and_token", ["chat"])
    assert user.raw_id.startswith("8:acs:") and second.raw_id != user.raw_id
    assert emulator.token_status(token.token)["valid"] is True


async def _issue(call, emulator, version):
    scopes = list(VERSIONS[version]["enums"][SCOPE_ENUM])  # every scope this version has
    user = await call("create_user")
    token = await call("get_token", user, scopes)
    assert set(decode_access_token(token.token).scopes) == set(scopes)


async def _revoke(call, emulator, version):
    user, token = await call("create_user_and_token", ["voip"])
    await call("revoke_tokens", user)
    assert emulator.token_status(token.token)["reason"] == "revoked"


async def _delete(call, emulator, version):
    user, token = await call("create_user_and_token", ["chat"])
    await call("delete_user", user)
    assert emulator.token_status(token.token)["reason"] == "deleted"
    with pytest.raises(ResourceNotFoundError):
        await call("get_token", user, ["chat"])


async def _get(call, emulator, version):
    custom = {"custom_id": f"matrix-{uuid.uuid4()}"} if _field(version, "create", "customId") else {}
    user, token = await call("create_user_and_token", ["chat"], **custom)
    details = await call("get_user", user)
    assert details.id == user.raw_id and details.custom_id == custom.get("custom_id")
    issued_at = decode_access_token(token.token).issued_at
    assert abs((details.last_token_issued_at - issued_at).total_seconds()) < 2


async def _teams_user_exchange(call, emulator, version):
    oid, app = str(uuid.uuid4()), str(uuid.uuid4())
    aad = emulator.mint_aad_token(oid=oid, appid=app, aud=TEAMS_AUDIENCE)
    token = await call("get_token_for_teams_user", aad, app, oid)
    assert emulator.token_status(token.token)["valid"] is True


async def _upsert_assignment(call, emulator, version):
    tenant, principal = _new_principal()
    client_id = str(uuid.uuid4())
    created, was_created = await call("upsert_teams_extension_assignment", tenant, principal,
                                      TeamsExtensionPrincipalType.USER, [client_id])
    assert was_created is True
    assert created == (principal, tenant, "user", [client_id])
    replaced, was_created = await call("upsert_teams_extension_assignment", tenant, principal, "resourceAccount")
    assert was_created is False
    assert replaced.principal_type is TeamsExtensionPrincipalType.RESOURCE_ACCOUNT and replaced.client_ids is None


async def _get_assignment(call, emulator, version):
    tenant, principal = _new_principal()
    written, _ = await call("upsert_teams_extension_assignment", tenant, principal, "user")
    assert await call("get_teams_extension_assignment", tenant, principal) == written
    with pytest.raises(ResourceNotFoundError):
        await call("get_teams_extension_assignment", tenant, str(uuid.uuid4()))


async def _delete_assignment(call, emulator, version):
    tenant, principal = _new_principal()
    await call("upsert_teams_extension_assignment", tenant, principal, "user")
    await call("delete_teams_extension_assignment", tenant, principal)
    with pytest.raises(ResourceNotFoundError):
        await call("get_teams_extension_assignment", tenant, principal)


async def _upsert_entra(call, emulator, version):
    tenant, group = _new_principal()
    app = str(uuid.uuid4())
    created, was_created = await call("upsert_entra_assignment", tenant, group, EntraPrincipalType.GROUP, [app])
    assert was_created is True and created == (group, tenant, "group", [app])
    replaced, was_created = await call("upsert_entra_assignment", tenant, group, "group", [app, str(uuid.uuid4())])
    assert was_created is False and len(replaced.client_ids) == 2


async def _get_entra(call, emulator, version):
    tenant, user = _new_principal()
    written, _ = await call("upsert_entra_assignment", tenant, user, "user", [str(uuid.uuid4())])
    assert await call("get_entra_assignment", user) == written
    with pytest.raises(ResourceNotFoundError):
        await call("get_entra_assignment", str(uuid.uuid4()))


async def _list_entra(call, emulator, version):
    tenant, user = _new_principal()
    written, _ = await call("upsert_entra_assignment", tenant, user, "user", [str(uuid.uuid4())])
    listed = call.client.list_entra_assignments()
    found = [item async for item in listed] if hasattr(listed, "__aiter__") else list(listed)
    assert written in found


async def _update_entra(call, emulator, version):
    tenant, user = _new_principal()
    _, old = _new_principal()
    app = str(uuid.uuid4())
    await call("upsert_entra_assignment", tenant, old, "user", [app])
    wanted = EntraAssignment(user, tenant, EntraPrincipalType.USER, [app])
    assert await call("update_entra_assignments", {user: wanted, old: None}) == [wanted]
    with pytest.raises(ResourceNotFoundError):
        await call("get_entra_assignment", old)


async def _delete_entra(call, emulator, version):
    tenant, user = _new_principal()
    await call("upsert_entra_assignment", tenant, user, "user", [str(uuid.uuid4())])
    await call("delete_entra_assignment", user)
    with pytest.raises(ResourceNotFoundError):
        await call("get_entra_assignment", user)


# operation -> (public method, the arguments that would call it, exerciser)
WRAPPED = {
    "create": ("create_user", (), _create),
    "issueAccessToken": ("get_token", ("8:acs:r_u", ["chat"]), _issue),
    "revokeAccessTokens": ("revoke_tokens", ("8:acs:r_u",), _revoke),
    "delete": ("delete_user", ("8:acs:r_u",), _delete),
    "get": ("get_user", ("8:acs:r_u",), _get),
    "exchangeTeamsUserAccessToken": ("get_token_for_teams_user", ("a.b.c", "app", "oid"), _teams_user_exchange),
    "teamsExtensionCreateOrReplaceAssignment": ("upsert_teams_extension_assignment",
                                                (str(uuid.uuid4()), str(uuid.uuid4()), "user"), _upsert_assignment),
    "teamsExtensionGetAssignment": ("get_teams_extension_assignment", (str(uuid.uuid4()), str(uuid.uuid4())),
                                    _get_assignment),
    "teamsExtensionDeleteAssignment": ("delete_teams_extension_assignment", (str(uuid.uuid4()), str(uuid.uuid4())),
                                       _delete_assignment),
    "entraUsersCreateOrReplaceAssignment": ("upsert_entra_assignment",
                                            (str(uuid.uuid4()), str(uuid.uuid4()), "user", [str(uuid.uuid4())]),
                                            _upsert_entra),
    "entraUsersGetAssignment": ("get_entra_assignment", (str(uuid.uuid4()),), _get_entra),
    "entraUsersListAssignments": ("list_entra_assignments", (), _list_entra),
    "entraUsersUpdateAssignments": ("update_entra_assignments", ({str(uuid.uuid4()): None},), _update_entra),
    "entraUsersDeleteAssignment": ("delete_entra_assignment", (str(uuid.uuid4()),), _delete_entra),
}
OPERATION_CASES = [(version, operation, mode) for version in API_VERSIONS for operation in WRAPPED for mode in MODES]


def _case_id(case):
    return "-".join(case)


def test_every_operation_of_the_table_is_exercised_or_named():
    union = {name for version in API_VERSIONS for name in _operations(version)}
    assert union == set(WRAPPED) | NOT_ON_THE_CLIENT, "a new operation in swagger/: wrap it, or name it above"


@pytest.mark.asyncio
@pytest.mark.parametrize("case", OPERATION_CASES, ids=_case_id)
async def test_operation_on_every_version(emulator, caller_for, case):
    version, operation, mode = case
    call = caller_for(version, mode)
    method, refused_args, exercise = WRAPPED[operation]
    if operation in _operations(version):
        await exercise(call, emulator, version)
        assert call.sent.requests
        assert all(r.url.split("?", 1)[1].endswith(f"api-version={version}") for r in call.sent.requests)
        return
    having = _having(lambda v: operation in _operations(v))
    with pytest.raises(ValueError, match=f"{method} needs api_version {having[0]}") as info:
        await call(method, *refused_args)
    assert all(v in str(info.value) for v in having) or "or later" in str(info.value)
    assert call.sent.requests == [], "refused before any request"


# -- request fields, scopes and headers, per version ------------------------------------------------------

async def _lifetime(call, operation, version):
    if operation == "create":
        _, token = await call("create_user_and_token", ["chat"], token_expires_in=timedelta(minutes=90))
    else:
        token = await call("get_token", await call("create_user"), ["chat"], token_expires_in=timedelta(minutes=90))
    claims = decode_access_token(token.token)
    assert claims.expires_on - claims.issued_at == timedelta(minutes=90)
    low, high = _field(version, operation, "expiresInMinutes")["minimum"], \
        _field(version, operation, "expiresInMinutes")["maximum"]
    for minutes in (low - 1, high + 1):
        pattern = rf"ExpiresInMinutes value {minutes} is invalid\. Value must be within the \[{low}, {high}\] interval"
        with pytest.raises(HttpResponseError, match=pattern) as info:
            await call("get_token", "8:acs:r_u", ["chat"], token_expires_in=timedelta(minutes=minutes))
        assert isinstance(info.value, ValueError) and info.value.status_code == 400


async def _custom_id(call, operation, version):
    custom_id = f"app-user-{uuid.uuid4()}"
    first = await call("create_user", custom_id=custom_id)
    assert await call("create_user", custom_id=custom_id) == first
    same, _ = await call("create_user_and_token", ["chat"], custom_id=custom_id)
    assert same == first
    longest = _field(version, "create", "customId")["maxLength"]
    assert (await call("create_user", custom_id="x" * longest)).raw_id.startswith("8:acs:")
    with pytest.raises(ValueError, match=f"at most {longest}"):
        await call("create_user", custom_id="x" * (longest + 1))


FIELDS = {
    ("create", "expiresInMinutes"): ("token_expires_in", _lifetime,
                                     lambda call: call("create_user_and_token", ["chat"],
                                                       token_expires_in=timedelta(hours=1))),
    ("issueAccessToken", "expiresInMinutes"): ("token_expires_in", _lifetime,
                                               lambda call: call("get_token", "8:acs:r_u", ["chat"],
                                                                 token_expires_in=timedelta(hours=1))),
    ("create", "customId"): ("custom_id", _custom_id, lambda call: call("create_user", custom_id="alice")),
}
FIELD_CASES = [(version, operation, field, mode) for version in API_VERSIONS for (operation, field) in FIELDS
               for mode in MODES]


def test_every_optional_request_field_of_the_table_is_exercised():
    optional = {(op_name, field) for version in API_VERSIONS for op_name, op in _operations(version).items()
                if op_name in WRAPPED and op["body"] for field, spec in op["body"].get("fields", {}).items()
                if not spec["required"] and op_name in ("create", "issueAccessToken")}
    assert optional == set(FIELDS) | {("create", "createTokenWithScopes")}


@pytest.mark.asyncio
@pytest.mark.parametrize("case", FIELD_CASES, ids=_case_id)
async def test_request_field_on_every_version(emulator, caller_for, case):
    version, operation, field, mode = case
    call = caller_for(version, mode)
    keyword, exercise, use = FIELDS[(operation, field)]
    if _field(version, operation, field) is not None:
        await exercise(call, operation, version)
        return
    having = _having(lambda v: _field(v, operation, field) is not None)
    with pytest.raises(ValueError, match=f"{keyword} needs api_version {having[0]}"):
        await use(call)
    assert call.sent.requests == []


ALL_SCOPES = sorted({scope for version in API_VERSIONS for scope in VERSIONS[version]["enums"][SCOPE_ENUM]})
SCOPE_CASES = [(version, scope) for version in API_VERSIONS for scope in ALL_SCOPES]


@pytest.mark.parametrize("case", SCOPE_CASES, ids=_case_id)
def test_scope_on_every_version(emulator, case):
    version, scope = case
    sent = Sent()
    with CommunicationIdentityClient.from_connection_string(emulator.connection_string, api_version=version,
                                                            raw_request_hook=sent) as client:
        if scope in VERSIONS[version]["enums"][SCOPE_ENUM]:
            _, token = client.create_user_and_token([scope.upper()])
            assert list(decode_access_token(token.token).scopes) == [scope]
            return
        first = _having(lambda v: scope in VERSIONS[v]["enums"][SCOPE_ENUM])[0]
        with pytest.raises(ValueError, match=f"scope '{scope}' needs api_version {first}"):
            client.create_user_and_token([scope])
    assert sent.requests == []


@pytest.mark.parametrize("version", API_VERSIONS)
def test_repeatability_headers_exactly_where_the_version_declares_them(emulator, version):
    sent = Sent()
    with CommunicationIdentityClient.from_connection_string(emulator.connection_string, api_version=version,
                                                            raw_request_hook=sent) as client:
        client.create_user()
        client.create_user_and_token(["chat"])
    declared = set(_operations(version)["create"]["headers"])
    for request in sent.requests:
        names = {name for name in request.headers if name.lower().startswith("repeatability-")}
        assert names == declared
    if declared:
        ids = [request.headers["Repeatability-Request-ID"] for request in sent.requests]
        assert len(set(ids)) == 2 and all(uuid.UUID(i).version == 4 for i in ids), "a fresh v4 id per create"
        assert all(request.headers["Repeatability-First-Sent"].endswith(" GMT") for request in sent.requests)


# -- the default, unlisted and malformed versions ---------------------------------------------------------

def test_default_is_2025_06_30_and_all_versions_are_selectable():
    from azure.core.credentials import AzureKeyCredential

    assert DEFAULT_API_VERSION is ApiVersion.V2025_06_30
    assert [v.value for v in ApiVersion] == list(API_VERSIONS)
    for version in [None, *ApiVersion]:
        client = CommunicationIdentityClient("https://r.communication.azure.com", AzureKeyCredential("a2V5"),
                                             api_version=version)
        assert client.api_version is (version or ApiVersion.V2025_06_30)
        assert ApiVersion(str(client.api_version)) is client.api_version


@pytest.mark.parametrize(("given", "sent", "treated_as"), [
    ("2024-01-01", "2024-01-01", "2023-10-01"),
    ("2025-07-15", "2025-07-15", "2025-06-30"),
    ("2025-04-01-PREVIEW", "2025-04-01-preview", "2025-03-02-preview"),
    ("2025-03-02", "2025-03-02", "2023-10-01"),  # a GA version does not inherit a preview's features
    (" 2023-09-01 ", "2023-09-01", "2023-08-01"),
])
def test_a_well_formed_unlisted_version_is_sent_with_the_features_of_the_newest_listed_one_before_it(
        emulator, given, sent, treated_as):
    seen = Sent()
    with CommunicationIdentityClient.from_connection_string(emulator.connection_string, api_version=given,
                                                            raw_request_hook=seen) as client:
        assert client.api_version == sent and not isinstance(client.api_version, ApiVersion)
        for operation, (method, args, _) in WRAPPED.items():
            if operation not in _operations(treated_as):
                with pytest.raises(ValueError, match=f"this client speaks {sent}, which this package treats as "
                                                     f"{treated_as}"):
                    getattr(client, method)(*args)
        assert seen.requests == []
        with pytest.raises(HttpResponseError) as info:  # the emulator serves listed versions only
            client.create_user()
    assert info.value.error.code == "UnsupportedApiVersion"
    assert seen.requests[0].url.endswith(f"api-version={sent}")


@pytest.mark.parametrize("garbage", ["latest", "2025-13-01", "2025-06-31", "2025-06-30-beta", "v2025-06-30",
                                     "", "2025-6-30", 20250630, b"2025-06-30"])
def test_a_malformed_version_is_refused_with_a_clear_message(garbage):
    from azure.core.credentials import AzureKeyCredential

    with pytest.raises(ValueError, match="api_version") as info:
        CommunicationIdentityClient("https://r.communication.azure.com", AzureKeyCredential("a2V5"),
                                    api_version=garbage)
    message = str(info.value)
    assert "YYYY-MM-DD" in message or "must be an ApiVersion" in message


def test_a_version_older_than_every_listed_one_is_refused():
    from azure.core.credentials import AzureKeyCredential

    with pytest.raises(ValueError, match=f"older than every Identity API version .the first is {API_VERSIONS[0]}"):
        CommunicationIdentityClient("https://r.communication.azure.com", AzureKeyCredential("a2V5"),
                                    api_version="2020-12-31")


# -- Teams user exchange failures, and custom ids across restarts -----------------------------------------

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
                (("not-a-jwt", app, oid), "aad_token", 401),
                ((good, app, str(uuid.uuid4())), "userId does not match the oid claim", 400),
                ((good, str(uuid.uuid4()), oid), "appId does not match the appid claim", 400),
                ((expired, app, oid), "aad_token has expired", 401),
                (("", app, oid), "aad_token is empty", 401),
            ]
            for args, message, status in cases:
                with pytest.raises(ValueError, match=message) as info:
                    client.get_token_for_teams_user(*args)
                assert isinstance(info.value, HttpResponseError) and info.value.status_code == status
                assert isinstance(info.value, ClientAuthenticationError) == (status == 401)
                assert good not in str(info.value) and expired not in str(info.value)

    def test_service_checks(self, emulator):
        oid, app = str(uuid.uuid4()), str(uuid.uuid4())
        with CommunicationIdentityClient.from_connection_string(emulator.connection_string,
                                                                api_version=self.version) as client:
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


def test_custom_ids_and_assignments_survive_restarts(persistent_emulator):
    custom_id = f"restart-{uuid.uuid4()}"
    tenant, principal = _new_principal()
    with CommunicationIdentityClient.from_connection_string(persistent_emulator.connection_string,
                                                            api_version=ApiVersion.V2025_03_02_PREVIEW) as client:
        first = client.create_user(custom_id=custom_id)
        assignment, _ = client.upsert_teams_extension_assignment(tenant, principal, "user", [str(uuid.uuid4())])
    persistent_emulator.restart()
    with CommunicationIdentityClient.from_connection_string(persistent_emulator.connection_string,
                                                            api_version=ApiVersion.V2025_03_02_PREVIEW) as client:
        assert client.create_user(custom_id=custom_id) == first
        assert client.get_user(first).custom_id == custom_id
        assert client.get_token(first, ["chat"]).token
        assert client.get_teams_extension_assignment(tenant, principal) == assignment


# -- the users' token exchanges, through CommunicationTokenCredential's exchange form ------------------------

TEAMS_EXTENSION_SCOPES = ["https://auth.msft.communication.azure.com/TeamsExtension.ManageCalls"]
ENTRA_SCOPES = ["https://communication.azure.com/clients/.default"]


class _SignedInUser:
    """An azure.identity-style credential whose tokens the emulator's development issuer mints."""

    def __init__(self, mint):
        self.mint = mint

    def get_token(self, *scopes, **kwargs):
        return AccessToken(self.mint(), int(time.time()) + 3600)


class _AsyncSignedInUser(_SignedInUser):
    async def get_token(self, *scopes, **kwargs):  # type: ignore[override]
        return super().get_token(*scopes, **kwargs)


def _assignment_version(operation):
    """A version with the assignments that let a user exchange (the exchange's own version may lack them)."""
    return _having(lambda v: operation in _operations(v))[-1]


def _teams_extension_user(emulator):
    tenant, user = _new_principal()
    app = str(uuid.uuid4())
    with CommunicationIdentityClient.from_connection_string(
            emulator.connection_string,
            api_version=_assignment_version("teamsExtensionCreateOrReplaceAssignment")) as client:
        client.upsert_teams_extension_assignment(tenant, user, "user", [app])
    return lambda: emulator.mint_teams_extension_user_token(tenant_id=tenant, object_id=user, client_id=app)


def _entra_user(emulator):
    tenant, user = _new_principal()
    app = str(uuid.uuid4())
    with CommunicationIdentityClient.from_connection_string(
            emulator.connection_string,
            api_version=_assignment_version("entraUsersCreateOrReplaceAssignment")) as client:
        client.upsert_entra_assignment(tenant, user, "user", [app])
    return lambda: emulator.mint_entra_user_token(tenant_id=tenant, object_id=user, client_id=app)


# operation -> (the scopes that route to it, a user allowed to exchange)
EXCHANGES = {
    "teamsExtensionExchangeAccessToken": (TEAMS_EXTENSION_SCOPES, _teams_extension_user),
    "entraUsersExchangeAccessToken": (ENTRA_SCOPES, _entra_user),
}
EXCHANGE_CASES = [(version, operation, mode) for version in API_VERSIONS for operation in EXCHANGES for mode in MODES]


def test_every_exchange_of_the_table_has_a_case():
    assert set(EXCHANGES) == NOT_ON_THE_CLIENT


@pytest.mark.asyncio
@pytest.mark.parametrize("case", EXCHANGE_CASES, ids=_case_id)
async def test_exchange_on_every_version(emulator, case):
    version, operation, mode = case
    scopes, allowed_user = EXCHANGES[operation]
    sync = mode == "sync"
    credential_type = CommunicationTokenCredential if sync else AsyncCommunicationTokenCredential
    user_type = _SignedInUser if sync else _AsyncSignedInUser
    if operation not in _operations(version):
        having = _having(lambda v: operation in _operations(v))
        with pytest.raises(ValueError, match=f"api_version {version} has no token exchange") as info:
            credential_type(resource_endpoint=emulator.endpoint, token_credential=user_type(lambda: "x.y.z"),
                            scopes=scopes, api_version=version)
        assert all(v in str(info.value) for v in having) or "or later" in str(info.value)
        return
    sent = Sent()
    user = user_type(allowed_user(emulator))
    credential = credential_type(resource_endpoint=emulator.endpoint, token_credential=user, scopes=scopes,
                                 api_version=version, raw_request_hook=sent)
    try:
        token = credential.get_token() if sync else await credential.get_token()
    finally:
        closed = credential.close()
        if inspect.isawaitable(closed):
            await closed
    assert emulator.token_status(token.token)["valid"] is True
    assert [r.url.split("?", 1)[1] for r in sent.requests] == [f"api-version={version}"]
