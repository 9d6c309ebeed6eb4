"""CommunicationIdentityClient: create users, issue and revoke their tokens, delete them (sync)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any, List, Optional, Union

from azure.core.credentials import AzureKeyCredential, TokenCredential
from azure.core.paging import ItemPaged
from azure.core.pipeline.policies import BearerTokenCredentialPolicy
from azure.core.rest import HttpRequest, HttpResponse
from azure.core.tracing.decorator import distributed_trace

from . import _entra
from ._api_versions import ApiVersion
from ._assignments import with_status
from ._client_base import (
    ClientSettings,
    access_token_from_response,
    call_options,
    create_options,
    create_request_fields,
    generated_client_kwargs,
    issue_request_fields,
    to_user_details,
    user_and_token_from_response,
    user_raw_id,
)
from ._connection_string import parse_connection_string
from ._entra import EntraAssignment, EntraPrincipalType
from ._identifiers import CommunicationUserIdentifier
from ._models import AccessToken, CommunicationUserDetails
from ._policies import RetryPolicy
from ._scopes import ScopeLike
from ._teams_extension import (
    DELETE,
    GET,
    UPSERT,
    TeamsExtensionAssignment,
    TeamsExtensionPrincipalType,
    assignment_request,
    principal_ids,
    to_assignment,
)
from ._teams_token import check_teams_user_token

UserLike = Union[CommunicationUserIdentifier, str]


class CommunicationIdentityClient:
    """Manages Communication Services identities and their access tokens.

    :param str endpoint: The resource's endpoint, e.g. ``https://<resource>.communication.azure.com``.
        ``http://`` endpoints (the local emulator) are used as given; a bare host gets ``https://``.
    :param credential: An :class:`~azure.core.credentials.AzureKeyCredential` holding the access key, or the
        key itself as a str (requests are signed with HMAC-SHA256), or a
        :class:`~azure.core.credentials.TokenCredential`
        (Azure AD bearer tokens for ``https://communication.azure.com//.default``).
    :keyword api_version: The Identity API version to speak: an :class:`ApiVersion`, or a version string.
        Defaults to 2025-06-30. A well-formed version this package does not list (``YYYY-MM-DD`` or
        ``YYYY-MM-DD-preview``) is sent as given, with the features of the newest listed version at or
        before its date (GA versions inherit from GA versions only).
    :keyword kwargs: azure-core options such as ``retry_total``, ``logging_enable``, ``transport``,
        ``connection_timeout``, ``read_timeout``, ``proxies``, ``user_agent``.
    """

    def __init__(
        self,
        endpoint: str,
        credential: Union[AzureKeyCredential, TokenCredential],
        *,
        api_version: Union[ApiVersion, str, None] = None,
        **kwargs: Any,
    ) -> None:
        self._settings = ClientSettings(endpoint, credential, api_version, asynchronous=False)
        # The generated layer (and msrest, and requests under it) loads with the first client, not with the
        # package: a process pays for it only when it talks to the service.
        from ._generated import CommunicationIdentityClient as _GeneratedClient
        from ._generated import models
        from ._urllib3_transport import with_default_transport
        from ._wire_codecs import use_wire_codecs

        self._wire = models
        self._client = _GeneratedClient(
            self._settings.endpoint,
            **with_default_transport(
                generated_client_kwargs(self._settings, BearerTokenCredentialPolicy, RetryPolicy, kwargs)
            ),
        )
        use_wire_codecs(self._client)
        self._ops = self._client.communication_identity
        self._version = self._settings.version
        self._api = self._version.sent

    @classmethod
    def from_connection_string(cls, conn_str: str, **kwargs: Any) -> CommunicationIdentityClient:
        """Create a client from ``endpoint=...;accesskey=...``; keyword arguments as for the constructor."""
        endpoint, access_key = parse_connection_string(conn_str)
        return cls(endpoint, AzureKeyCredential(access_key), **kwargs)

    @property
    def api_version(self) -> Union[ApiVersion, str]:
        """The api-version this client sends (a plain string for a version this package does not list)."""
        return self._version.public

    def __repr__(self) -> str:
        return f"CommunicationIdentityClient(endpoint={self._settings.endpoint!r}, api_version={self._api!r})"

    @distributed_trace
    def create_user(self, *, custom_id: Optional[str] = None, **kwargs: Any) -> CommunicationUserIdentifier:
        """Create a new identity.

        :keyword str custom_id: Your own id for the user (api-version 2025-03-02-preview only); creating with
            the same custom id again returns the same identity.
        """
        fields = create_request_fields(self._version, custom_id)
        body = self._wire.CommunicationIdentityCreateRequest(**fields) if fields else None
        result = self._ops.create(body=body, api_version=self._api, **create_options(self._settings, kwargs))
        return CommunicationUserIdentifier(result.identity.id)

    @distributed_trace
    def create_user_and_token(
        self,
        scopes: Iterable[ScopeLike],
        *,
        token_expires_in: Optional[timedelta] = None,
        custom_id: Optional[str] = None,
        **kwargs: Any,
    ) -> tuple[CommunicationUserIdentifier, AccessToken]:
        """Create a new identity and issue it a token with ``scopes``.

        :keyword token_expires_in: Token lifetime from 1 to 24 hours (api-version 2022-10-01+); a sub-minute part
            is dropped, as in the official package (90 minutes 30 seconds is sent as 90 minutes).
        :return: ``(user, token)``; ``token`` is an ``azure.core.credentials.AccessToken`` whose ``expires_on``
            is the service's ISO 8601 string (``token.expires_on_datetime`` is the aware datetime).
        """
        fields = create_request_fields(self._version, custom_id, with_token=True, scopes=scopes,
                                       token_expires_in=token_expires_in)
        body = self._wire.CommunicationIdentityCreateRequest(**fields)
        return self._ops.create(body=body, api_version=self._api, cls=user_and_token_from_response,
                                **create_options(self._settings, kwargs))

    @distributed_trace
    def get_token(
        self,
        user: UserLike,
        scopes: Iterable[ScopeLike],
        *,
        token_expires_in: Optional[timedelta] = None,
        **kwargs: Any,
    ) -> AccessToken:
        """Issue a new token with ``scopes`` for ``user`` (an identifier or its raw id).

        :keyword token_expires_in: Token lifetime from 1 to 24 hours (api-version 2022-10-01+); a sub-minute part
            is dropped, as in the official package.
        :return: an ``azure.core.credentials.AccessToken``: ``(token, expires_on)``, ``expires_on`` the service's
            ISO 8601 string (``expires_on_datetime`` is the aware datetime).
        """
        raw_id = user_raw_id(user)
        fields = issue_request_fields(self._version, scopes, token_expires_in)
        body = self._wire.CommunicationIdentityAccessTokenRequest(**fields)
        return self._ops.issue_access_token(raw_id, body, api_version=self._api, cls=access_token_from_response,
                                            **self._options(kwargs))

    issue_token = get_token

    @distributed_trace
    def revoke_tokens(self, user: UserLike, **kwargs: Any) -> None:
        """Revoke every token issued to ``user`` so far; tokens issued afterwards work."""
        self._ops.revoke_access_tokens(user_raw_id(user), api_version=self._api, **self._options(kwargs))

    @distributed_trace
    def delete_user(self, user: UserLike, **kwargs: Any) -> None:
        """Delete ``user``, revoking its tokens and deleting its data."""
        self._ops.delete(user_raw_id(user), api_version=self._api, **self._options(kwargs))

    @distributed_trace
    def get_user(self, user: UserLike, **kwargs: Any) -> CommunicationUserDetails:
        """Read an identity's id, custom id and last token issue time (api-version 2025-03-02-preview only)."""
        self._version.require_operation("get", "get_user")
        return to_user_details(self._ops.get(user_raw_id(user), api_version=self._api, **self._options(kwargs)))

    @distributed_trace
    def get_token_for_teams_user(self, aad_token: str, client_id: str, user_object_id: str,
                                 **kwargs: Any) -> AccessToken:
        """Exchange a Teams user's Azure AD token for a Communication Services token (api-version 2022-06-01+).

        :param aad_token: The Teams user's Azure AD access token.
        :param client_id: The Azure AD application's client id; must match the token's ``appid``.
        :param user_object_id: The Teams user's object id; must match the token's ``oid``.
        """
        self._version.require_operation("exchangeTeamsUserAccessToken", "get_token_for_teams_user")
        check_teams_user_token(aad_token, client_id, user_object_id)
        body = self._wire.TeamsUserExchangeTokenRequest(token=aad_token, app_id=client_id, user_id=user_object_id)
        return self._ops.exchange_teams_user_access_token(body, api_version=self._api, cls=access_token_from_response,
                                                          **self._options(kwargs))

    @distributed_trace
    def get_teams_extension_assignment(self, tenant_id: str, object_id: str,
                                       **kwargs: Any) -> TeamsExtensionAssignment:
        """Read the Teams Phone extensibility assignment of ``object_id`` (a Teams Phone user or resource
        account) in Entra ID tenant ``tenant_id`` (api-version 2025-03-02-preview, and 2025-06-30 on).

        :raises ~azure.core.exceptions.ResourceNotFoundError: when there is no such assignment.
        """
        self._version.require_operation(GET, "get_teams_extension_assignment")
        tenant, principal = principal_ids(tenant_id, object_id)
        result = self._client.teams_extension.get_assignment(tenant, principal, api_version=self._api,
                                                             **self._options(kwargs))
        return to_assignment(result)

    @distributed_trace
    def upsert_teams_extension_assignment(
        self,
        tenant_id: str,
        object_id: str,
        principal_type: Union[TeamsExtensionPrincipalType, str],
        client_ids: Optional[Iterable[str]] = None,
        **kwargs: Any,
    ) -> tuple[TeamsExtensionAssignment, bool]:
        """Let ``object_id`` of tenant ``tenant_id`` exchange its Entra ID tokens for this resource's tokens,
        creating its Teams Phone extensibility assignment or replacing the one it has
        (api-version 2025-03-02-preview, and 2025-06-30 on).

        :param principal_type: :class:`TeamsExtensionPrincipalType` ``USER`` or ``RESOURCE_ACCOUNT`` (other
            strings are sent as given).
        :param client_ids: The Entra ID client (application) ids the principal may exchange tokens
            through; None allows any.
        :return: ``(assignment, created)``: ``created`` is True when the assignment is new, False when an
            existing one was replaced.
        """
        self._version.require_operation(UPSERT, "upsert_teams_extension_assignment")
        tenant, principal = principal_ids(tenant_id, object_id)
        body = assignment_request(self._wire, principal_type, client_ids)
        result, created = self._client.teams_extension.create_or_replace_assignment(
            tenant, principal, body, api_version=self._api, cls=with_status, **self._options(kwargs))
        return to_assignment(result), created

    @distributed_trace
    def delete_teams_extension_assignment(self, tenant_id: str, object_id: str, **kwargs: Any) -> None:
        """Delete the Teams Phone extensibility assignment of ``object_id`` in tenant ``tenant_id``: it can no
        longer exchange tokens, and the tokens it got already are revoked
        (api-version 2025-03-02-preview, and 2025-06-30 on).

        :raises ~azure.core.exceptions.ResourceNotFoundError: when there is no such assignment.
        """
        self._version.require_operation(DELETE, "delete_teams_extension_assignment")
        tenant, principal = principal_ids(tenant_id, object_id)
        self._client.teams_extension.delete_assignment(tenant, principal, api_version=self._api,
                                                       **self._options(kwargs))

    def _options(self, kwargs: dict) -> dict:
        """The per-call options every operation of this client gets (error map, request id)."""
        return call_options(self._settings, kwargs)

    def send_request(self, request: HttpRequest, *, stream: bool = False, **kwargs: Any) -> HttpResponse:
        """Send a raw protocol request through this client's authenticated pipeline.

        Relative URLs are resolved against the endpoint; add ``api-version`` yourself. The response is
        returned as is: call ``response.raise_for_status()`` to turn error statuses into exceptions.
        """
        return self._client._send_request(request, stream=stream, **kwargs)  # noqa: SLF001

    # -- Entra ID assignments (api-version 2025-03-02-preview) -------------------------------------------
    @distributed_trace
    def list_entra_assignments(self, **kwargs: Any) -> ItemPaged[EntraAssignment]:
        """Every Entra ID assignment of this resource, fetched a page at a time as you iterate
        (api-version 2025-03-02-preview)."""
        self._version.require_operation(_entra.LIST, "list_entra_assignments")
        return self._client.entra_users.list_assignments(api_version=self._api, cls=_entra.to_assignments,
                                                          **self._options(kwargs))

    @distributed_trace
    def get_entra_assignment(self, object_id: str, **kwargs: Any) -> EntraAssignment:
        """Read the Entra ID assignment of ``object_id`` (a user, group or tenant; api-version 2025-03-02-preview).

        :raises ~azure.core.exceptions.ResourceNotFoundError: when there is no such assignment.
        """
        self._version.require_operation(_entra.GET, "get_entra_assignment")
        result = self._client.entra_users.get_assignment(_entra.object_id_value(object_id),
                                                         api_version=self._api, **self._options(kwargs))
        return _entra.to_assignment(result)

    @distributed_trace
    def upsert_entra_assignment(
        self,
        tenant_id: str,
        object_id: str,
        principal_type: Union[EntraPrincipalType, str],
        client_ids: Iterable[str],
        **kwargs: Any,
    ) -> tuple[EntraAssignment, bool]:
        """Let the Entra ID users that ``object_id`` of tenant ``tenant_id`` covers exchange their tokens for this
        resource's tokens through ``client_ids``, creating its assignment or replacing the one it has
        (api-version 2025-03-02-preview).

        :param principal_type: :class:`EntraPrincipalType` ``USER``, ``GROUP`` or ``TENANT`` (for a tenant,
            ``object_id`` is the tenant id); other strings are sent as given.
        :param client_ids: The Entra ID client (application) ids the users may exchange tokens through; at least one.
        :return: ``(assignment, created)``: ``created`` is True when the assignment is new, False when an
            existing one was replaced.
        """
        self._version.require_operation(_entra.UPSERT, "upsert_entra_assignment")
        principal = _entra.object_id_value(object_id)
        body = _entra.assignment_request(self._wire, tenant_id, principal_type, client_ids)
        result, created = self._client.entra_users.create_or_replace_assignment(
            principal, body, api_version=self._api, cls=with_status, **self._options(kwargs))
        return _entra.to_assignment(result), created

    @distributed_trace
    def delete_entra_assignment(self, object_id: str, **kwargs: Any) -> None:
        """Delete the Entra ID assignment of ``object_id``: the users it covered can no longer exchange tokens
        through it, and the tokens they got through it are revoked (api-version 2025-03-02-preview).

        :raises ~azure.core.exceptions.ResourceNotFoundError: when there is no such assignment.
        """
        self._version.require_operation(_entra.DELETE, "delete_entra_assignment")
        self._client.entra_users.delete_assignment(_entra.object_id_value(object_id), api_version=self._api,
                                                   **self._options(kwargs))

    @distributed_trace
    def update_entra_assignments(self, changes: Mapping[str, Optional[EntraAssignment]],
                                 **kwargs: Any) -> List[EntraAssignment]:
        """Create, replace and delete several Entra ID assignments in one request, all or none
        (a JSON merge patch; api-version 2025-03-02-preview).

        :param changes: object id -> the :class:`EntraAssignment` it should have, or None to delete its
            assignment (deleting one that does not exist is not an error).
        :return: The assignments the service reports written (none when the update only deleted).
        """
        self._version.require_operation(_entra.UPDATE, "update_entra_assignments")
        body = _entra.update_body(self._wire, changes)
        return self._client.entra_users.update_assignments(body, api_version=self._api,
                                                           cls=_entra.updated_assignments, **self._options(kwargs))

    def close(self) -> None:
        """Close the transport's sessions."""
        self._client.close()

    def __enter__(self) -> CommunicationIdentityClient:
        self._client.__enter__()
        return self

    def __exit__(self, *exc_details: Any) -> None:
        self._client.__exit__(*exc_details)
