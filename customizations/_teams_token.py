"""Local checks of a Teams user's Azure AD token before it is exchanged.

Nothing is verified here (the service does that); these checks only catch the usual mistakes early
with a message that says which argument is off, and never echo the token. Each raises what the
service answers to the same request, in the service's order (the token first: an empty or
malformed token is a 401 ``InvalidAccessToken`` whatever the ids say, then the ids: 400
``ValidationError``), as an error that is also a ``ValueError``.
"""

from __future__ import annotations

import time

from ._errors import invalid_access_token, validation_error


def check_teams_user_token(aad_token: object, client_id: object, user_object_id: object) -> None:
    # The token helpers (with the credential's timing rules) load with the first Teams exchange, not
    # with the client: most processes never exchange a Teams user's token.
    from ._token_utils import decode_jwt_claims

    for name, value in (("aad_token", aad_token), ("client_id", client_id), ("user_object_id", user_object_id)):
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    if not aad_token.strip():
        raise invalid_access_token("aad_token is empty; pass the Teams user's Azure AD access token.")
    try:
        claims = decode_jwt_claims(aad_token, what="aad_token (the Teams user's Azure AD access token)")
    except ValueError as exc:
        raise invalid_access_token(f"{exc}.") from None
    exp = claims.get("exp")
    if isinstance(exp, (int, float)) and not isinstance(exp, bool) and exp <= time.time():
        raise invalid_access_token("aad_token has expired; acquire a fresh Azure AD token for the Teams user.")
    if not client_id.strip():
        raise validation_error("The appId field is required and must be a non-empty string: pass client_id, the "
                               "client id of the Azure AD application that acquired aad_token.", target="appId")
    if not user_object_id.strip():
        raise validation_error("The userId field is required and must be a non-empty string: pass user_object_id, "
                               "the object id of the Teams user.", target="userId")
    app = claims.get("appid", claims.get("azp"))
    if app is not None and str(app).lower() != client_id.strip().lower():
        raise validation_error("The appId does not match the appid claim of the Azure AD token: pass as client_id "
                               "the client id of the Azure AD application that acquired aad_token.", target="appId")
    oid = claims.get("oid")
    if oid is not None and str(oid).lower() != user_object_id.strip().lower():
        raise validation_error("The userId does not match the oid claim of the Azure AD token: pass as "
                               "user_object_id the object id of the Teams user the token was issued to.",
                               target="userId")
