"""Teams-user exchange: the token is checked before appId and userId, as the service does.

An empty or malformed token is a 401 InvalidAccessToken whatever the ids say (the official
package's own live tests send ("", client_id, "") and ("invalid", client_id, "") and expect 401).
"""
from __future__ import annotations

import pytest

TEAMS_AUD = "https://auth.msft.communication.azure.com"
V = "2023-10-01"


@pytest.mark.parametrize("token", ["", "invalid", "a.b.c", None])
@pytest.mark.parametrize("ids", [{"appId": "app-id", "userId": ""}, {"appId": "", "userId": ""}, {}])
def test_an_empty_or_malformed_token_is_401_before_the_ids_are_looked_at(client, token, ids):
    body = dict(ids) if token is None else {"token": token, **ids}
    reply = client.exchange(V, body)
    assert reply.status == 401, reply.raw
    assert reply.error["code"] == "InvalidAccessToken"
    assert reply.error["message"].startswith("Provided access token")


def test_an_expired_token_is_401_even_with_empty_ids(client, emulator):
    expired = emulator.mint_aad_token(aud=TEAMS_AUD, oid="o", appid="a", expires_in=-60)
    reply = client.exchange(V, {"token": expired, "appId": "", "userId": ""})
    assert (reply.status, reply.error["code"]) == (401, "InvalidAccessToken")


@pytest.mark.parametrize(("ids", "target"), [({"appId": "", "userId": "o"}, "appId"),
                                             ({"appId": "a", "userId": ""}, "userId"),
                                             ({"userId": "o"}, "appId")])
def test_a_valid_token_with_a_missing_id_is_400_naming_it(client, emulator, ids, target):
    good = emulator.mint_aad_token(aud=TEAMS_AUD, oid="o", appid="a")
    reply = client.exchange(V, {"token": good, **ids})
    assert (reply.status, reply.error["code"], reply.error["target"]) == (400, "ValidationError", target)


def test_a_token_that_is_not_a_string_is_400(client):
    reply = client.exchange(V, {"token": 5, "appId": "a", "userId": "o"})
    assert (reply.status, reply.error["code"], reply.error["target"]) == (400, "ValidationError", "token")
