"""CommunicationIdentityClient for asyncio: the same operations as the sync client, awaited."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any, Optional, Union

from azure.core.credentials import AzureKeyCredential
from azure.core.credentials_async import AsyncTokenCredential
from azure.core.pipeline.policies import AsyncBearerTokenCredentialPolicy
from azure.core.rest import AsyncHttpResponse, HttpRequest
from azure.core.tracing.decorator_async import distributed_trace_async

from .._api_versions import ApiVersion, require_feature
from .._client_base import (
    ClientSettings,
    call_options,
    create_options,
    create_request_fields,
    generated_client_kwargs,
    issue_request_fields,
    to_access_token,
    to_user_and_token,
    to_user_details,
    user_raw_id,
)
from .._connection_string import parse_connection_string
from .._identifiers import CommunicationUserIdentifier
from .._models import AccessToken, CommunicationUserDetails
from .._policies import AsyncRetryPolicy
from .._scopes import ScopeLike
from .._teams_token import check_teams_user_token

UserLike = Union[CommunicationUserIdentifier, str]


class CommunicationIdentityClient:
    """Manages Communication Services identities and their access tokens.

    :param str endpoint: The resource's endpoint, e.g. ``https://<resource>.communication.azure.com``.
        ``http://`` endpoints (the local emulator) are used as given.
    :param credential: An :class:`~azure.core.credentials.AzureKeyCredential` holding the access key
        (requests are signed with HMAC-SHA256) or a :class:`~azure.core.credentials_async.AsyncTokenCredential`
        (Azure AD bearer tokens for ``https://communication.azure.com//.default``).
    :keyword api_version: The Identity API version to speak; an :class:`ApiVersion` or its string.
        Defaults to the newest stable version.
    :keyword kwargs: azure-core options such as ``retry_total``, ``logging_enable``, ``transport``,
        ``connection_timeout``, ``read_timeout``, ``proxies``, ``user_agent``.
    """

    def __init__(
        self,
        endpoint: str,
        credential: Union[AzureKeyCredential, AsyncTokenCredential],
        *,
        api_version: Union[ApiVersion, str, None] = None,
        **kwargs: Any,
    ) -> None:
        self._settings = ClientSettings(endpoint, credential, api_version, asynchronous=True)
        # The generated layer (and msrest, and requests under it) loads with the first client, not with the
        # package: a process pays for it only when it talks to the service.
        from .._generated import models
        from .._generated.aio import CommunicationIdentityClient as _GeneratedClient
        from .._wire_datetime import use_fast_iso_datetimes
        from ._transport_async import with_default_async_transport

        self._wire = models
        self._client = _GeneratedClient(
            self._settings.endpoint,
            **with_default_async_transport(
                generated_client_kwargs(self._settings, credential, AsyncBearerTokenCredentialPolicy,
                                        AsyncRetryPolicy, kwargs)
            ),
        )
        use_fast_iso_datetimes(self._client._deserialize)  # noqa: SLF001 - msrest's table of type readers
        self._ops = self._client.communication_identity
        self._api = self._settings.api_version.value

    @classmethod
    def from_connection_string(cls, conn_str: str, **kwargs: Any) -> CommunicationIdentityClient:
        """Create a client from ``endpoint=...;accesskey=...``; keyword arguments as for the constructor."""
        endpoint, access_key = parse_connection_string(conn_str)
        return cls(endpoint, AzureKeyCredential(access_key), **kwargs)

    @property
    def api_version(self) -> ApiVersion:
        return self._settings.api_version

    def __repr__(self) -> str:
        return f"CommunicationIdentityClient(endpoint={self._settings.endpoint!r}, api_version={self._api!r})"

    @distributed_trace_async
    async def create_user(self, *, custom_id: Optional[str] = None, **kwargs: Any) -> CommunicationUserIdentifier:
        """Create a new identity.

        :keyword str custom_id: Your own id for the user (api-version 2025-03-02-preview); creating with
            the same custom id again returns the same identity.
        """
        fields = create_request_fields(self._settings.api_version, custom_id)
        body = self._wire.CommunicationIdentityCreateRequest(**fields) if fields else None
        result = await self._ops.create(body=body, api_version=self._api, **create_options(self._settings, kwargs))
        return CommunicationUserIdentifier(result.identity.id)

    @distributed_trace_async
    async def create_user_and_token(
        self,
        scopes: Iterable[ScopeLike],
        *,
        token_expires_in: Optional[timedelta] = None,
        custom_id: Optional[str] = None,
        **kwargs: Any,
    ) -> tuple[CommunicationUserIdentifier, AccessToken]:
        """Create a new identity and issue it a token with ``scopes``.

        :keyword token_expires_in: Token lifetime, whole minutes from 1 to 24 hours (api-version 2022-10-01+).
        :return: ``(user, token)``; ``token.expires_on`` is a timezone-aware UTC datetime.
        """
        fields = create_request_fields(self._settings.api_version, custom_id, with_token=True, scopes=scopes,
                                       token_expires_in=token_expires_in)
        body = self._wire.CommunicationIdentityCreateRequest(**fields)
        result = await self._ops.create(body=body, api_version=self._api, **create_options(self._settings, kwargs))
        return to_user_and_token(result)

    @distributed_trace_async
    async def get_token(
        self,
        user: UserLike,
        scopes: Iterable[ScopeLike],
        *,
        token_expires_in: Optional[timedelta] = None,
        **kwargs: Any,
    ) -> AccessToken:
        """Issue a new token with ``scopes`` for ``user`` (an identifier or its raw id).

        :return: ``(token, expires_on)``; ``expires_on`` is a timezone-aware UTC datetime.
        """
        raw_id = user_raw_id(user)
        fields = issue_request_fields(self._settings.api_version, scopes, token_expires_in)
        body = self._wire.CommunicationIdentityAccessTokenRequest(**fields)
        result = await self._ops.issue_access_token(raw_id, body, api_version=self._api,
                                                    **call_options(self._settings, kwargs))
        return to_access_token(result)

    issue_token = get_token

    @distributed_trace_async
    async def revoke_tokens(self, user: UserLike, **kwargs: Any) -> None:
        """Revoke every token issued to ``user`` so far; tokens issued afterwards work."""
        await self._ops.revoke_access_tokens(user_raw_id(user), api_version=self._api,
                                             **call_options(self._settings, kwargs))

    @distributed_trace_async
    async def delete_user(self, user: UserLike, **kwargs: Any) -> None:
        """Delete ``user``, revoking its tokens and deleting its data."""
        await self._ops.delete(user_raw_id(user), api_version=self._api, **call_options(self._settings, kwargs))

    @distributed_trace_async
    async def get_user(self, user: UserLike, **kwargs: Any) -> CommunicationUserDetails:
        """Read an identity's id, custom id and last token issue time (api-version 2025-03-02-preview)."""
        require_feature(self._settings.api_version, "get_user")
        details = await self._ops.get(user_raw_id(user), api_version=self._api,
                                      **call_options(self._settings, kwargs))
        return to_user_details(details)

    @distributed_trace_async
    async def get_token_for_teams_user(self, aad_token: str, client_id: str, user_object_id: str,
                                 **kwargs: Any) -> AccessToken:
        """Exchange a Teams user's Azure AD token for a Communication Services token (api-version 2022-06-01+).

        :param aad_token: The Teams user's Azure AD access token.
        :param client_id: The Azure AD application's client id; must match the token's ``appid``.
        :param user_object_id: The Teams user's object id; must match the token's ``oid``.
        """
        require_feature(self._settings.api_version, "teams_user_exchange")
        check_teams_user_token(aad_token, client_id, user_object_id)
        body = self._wire.TeamsUserExchangeTokenRequest(token=aad_token, app_id=client_id, user_id=user_object_id)
        result = await self._ops.exchange_teams_user_access_token(body, api_version=self._api,
                                                                  **call_options(self._settings, kwargs))
        return to_access_token(result)

    async def send_request(self, request: HttpRequest, *, stream: bool = False, **kwargs: Any) -> AsyncHttpResponse:
        """Send a raw protocol request through this client's authenticated pipeline.

        Relative URLs are resolved against the endpoint; add ``api-version`` yourself. The response is
        returned as is: call ``response.raise_for_status()`` to turn error statuses into exceptions.
        """
        return await self._client._send_request(request, stream=stream, **kwargs)  # noqa: SLF001

    async def close(self) -> None:
        """Close the transport's sessions."""
        await self._client.close()

    async def __aenter__(self) -> CommunicationIdentityClient:
        await self._client.__aenter__()
        return self

    async def __aexit__(self, *exc_details: Any) -> None:
        await self._client.__aexit__(*exc_details)
