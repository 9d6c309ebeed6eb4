"""Repeatable creates in the emulator (2023-08-01), raw: the OASIS / ACS repeatable-requests convention."""
from __future__ import annotations

import time
import uuid
from email.utils import formatdate

import pytest

REPEATABLE = "2023-08-01"


def headers(request_id=None, first_sent=None):
    return {"Repeatability-Request-ID": request_id or str(uuid.uuid4()),
            "Repeatability-First-Sent": first_sent or formatdate(usegmt=True)}


def identities(emulator):
    return emulator.admin("GET", "stats")["identities"]


def test_a_repeat_gets_the_first_answer_and_creates_nothing(client, emulator):
    sent = headers()
    body = {"createTokenWithScopes": ["chat"], "expiresInMinutes": 60}
    first = client.create(REPEATABLE, body, headers=sent)
    assert first.status == 201 and first.headers["Repeatability-Result"] == "accepted"
    before = identities(emulator)
    again = client.create(REPEATABLE, body, headers=sent)
    assert again.status == 201 and again.headers["Repeatability-Result"] == "accepted"
    assert again.json == first.json, "the same identity and the same token"
    assert identities(emulator) == before
    assert emulator.token_status(again.json["accessToken"]["token"])["valid"] is True


def test_a_reused_id_with_a_different_request_is_rejected(client, emulator):
    sent = headers()
    assert client.create(REPEATABLE, {}, headers=sent).status == 201
    before = identities(emulator)
    for body, date in (({"createTokenWithScopes": ["voip"]}, sent["Repeatability-First-Sent"]),
                       ({}, formatdate(time.time() - 30, usegmt=True))):
        reply = client.create(REPEATABLE, body, headers={**sent, "Repeatability-First-Sent": date})
        assert reply.status == 400 and reply.headers["Repeatability-Result"] == "rejected"
        assert reply.error["code"] == "ValidationError" and reply.error["target"] == "Repeatability-Request-ID"
    assert identities(emulator) == before


@pytest.mark.parametrize(("sent", "status", "target"), [
    (headers(request_id="not-a-uuid"), 400, "Repeatability-Request-ID"),
    (headers(first_sent="yesterday"), 400, "Repeatability-First-Sent"),
    (headers(first_sent="2023-09-10T20:39:30Z"), 400, "Repeatability-First-Sent"),
    (headers(first_sent=formatdate(time.time() + 3600, usegmt=True)), 400, "Repeatability-First-Sent"),
    (headers(first_sent=formatdate(time.time() - 600, usegmt=True)), 412, "Repeatability-First-Sent"),
    ({"Repeatability-Request-ID": str(uuid.uuid4())}, 400, "Repeatability-First-Sent"),
    ({"Repeatability-First-Sent": formatdate(usegmt=True)}, 400, "Repeatability-Request-ID"),
], ids=["bad-id", "bad-date", "iso-date", "future", "outside-window", "no-date", "no-id"])
def test_malformed_or_stale_repeatability_headers_are_rejected(client, emulator, sent, status, target):
    before = identities(emulator)
    reply = client.create(REPEATABLE, {"createTokenWithScopes": ["chat"]}, headers=sent)
    assert reply.status == status and reply.headers["Repeatability-Result"] == "rejected"
    assert reply.error["target"] == target
    assert identities(emulator) == before


def test_a_refused_create_is_not_remembered(client):
    sent = headers()
    assert client.create(REPEATABLE, {"createTokenWithScopes": ["chat.join"]}, headers=sent).status == 400
    assert client.create(REPEATABLE, {"createTokenWithScopes": ["chat.join"]}, headers=sent).status == 400


@pytest.mark.parametrize("version", ["2023-10-01", "2022-10-01", "2025-06-30"])
def test_versions_without_repeatability_ignore_the_headers(client, emulator, version):
    sent = headers()
    first, second = client.create(version, {}, headers=sent), client.create(version, {}, headers=sent)
    assert first.status == second.status == 201
    assert first.json != second.json, "two creates, two identities"
    assert "Repeatability-Result" not in first.headers


def test_a_lost_response_then_the_repeat(client, emulator):
    """The fault the client's retry meets: processed, then the answer lost; the repeat gets the identity."""
    sent = headers()
    emulator.inject_fault(operation="create", status=500, after_processing=True, count=1)
    before = identities(emulator)
    assert client.create(REPEATABLE, {}, headers=sent).status == 500
    repeat = client.create(REPEATABLE, {}, headers=sent)
    assert repeat.status == 201 and identities(emulator) == before + 1
    assert client.get(repeat.json["identity"]["id"], "2025-03-02-preview").status == 200
