"""Local checks of a Teams user's Azure AD token before it is exchanged.

Nothing is verified here (the service does that); these checks only catch the usual mistakes early
with a message that says which argument is off, and never echo the token.
"""

from __future__ import annotations

import time

from ._token_utils import decode_jwt_claims


def check_teams_user_token(aad_token: object, client_id: object, user_object_id: object) -> None:
    for name, value in (("aad_token", aad_token), ("client_id", client_id), ("user_object_id", user_object_id)):
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a str, not {type(value).__name__}")
        if not value.strip():
            raise ValueError(f"{name} must be a non-empty string")
    claims = decode_jwt_claims(aad_token, what="aad_token (the Teams user's Azure AD access token)")
    oid = claims.get("oid")
    if oid is not None and str(oid).lower() != user_object_id.strip().lower():
        raise ValueError("user_object_id does not match the 'oid' claim of aad_token; pass the object id of the "
                         "Teams user the token was issued to")
    app = claims.get("appid", claims.get("azp"))
    if app is not None and str(app).lower() != client_id.strip().lower():
        raise ValueError("client_id does not match the 'appid'/'azp' claim of aad_token; pass the client id of the "
                         "Azure AD application that acquired the token")
    exp = claims.get("exp")
    if isinstance(exp, (int, float)) and exp <= time.time():
        raise ValueError("aad_token has expired; acquire a fresh Azure AD token for the Teams user")
