"""No access key, signature or issued token appears in any log record (DEBUG, logging_enable=True),
exception message or repr of a public object."""

from __future__ import annotations

import logging
import traceback
import uuid

import pytest
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError

from azure.communication.identity import (
    CommunicationIdentityClient,
    decode_access_token,
    parse_connection_string,
)
from azure.communication.identity._hmac import HMACCredentialPolicy
from azure.communication.identity.aio import CommunicationIdentityClient as AsyncClient

TEAMS_AUDIENCE = "https://auth.msft.communication.azure.com"


class Secrets:
    def __init__(self, *initial):
        self.values = {v for v in initial if v}

    def add(self, value):
        if value:
            self.values.add(value)

    def capture_signatures(self, request):
        authorization = request.http_request.headers.get("Authorization", "")
        self.add(authorization.rsplit("Signature=", 1)[-1] if "Signature=" in authorization else None)
        self.add(authorization[len("Bearer "):] if authorization.startswith("Bearer ") else None)

    def __bool__(self):
        return True

    def assert_absent(self, text, where):
        for secret in self.values:
            assert secret not in text, f"a secret leaked into {where}"


@pytest.fixture
def all_logs():
    records: list = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = Keep(level=logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield records
    root.removeHandler(handler)
    root.setLevel(old_level)


def _log_text(records) -> str:
    parts = []
    for record in records:
        parts.append(record.getMessage())
        if record.exc_info:
            parts.append("".join(traceback.format_exception(*record.exc_info)))
    return "\n".join(parts)


def test_nothing_secret_in_logs_errors_or_reprs(emulator, all_logs):
    secrets = Secrets(emulator.access_key)
    objects = []
    with CommunicationIdentityClient.from_connection_string(
        emulator.connection_string, logging_enable=True, raw_request_hook=secrets.capture_signatures,
        api_version="2023-10-01",
    ) as client:
        objects.append(client)
        user, token = client.create_user_and_token(["chat", "voip"])
        secrets.add(token.token)
        issued = client.get_token(user, ["chat"])
        secrets.add(issued.token)
        oid, app = str(uuid.uuid4()), str(uuid.uuid4())
        aad = emulator.mint_aad_token(oid=oid, appid=app, aud=TEAMS_AUDIENCE)
        secrets.add(aad)
        teams = client.get_token_for_teams_user(aad, app, oid)
        secrets.add(teams.token)
        client.revoke_tokens(user)
        client.delete_user(user)
        errors = []
        try:
            client.get_token(user, ["chat"])
        except HttpResponseError as error:
            errors.append(error)
        objects += [user, token, issued, teams, decode_access_token(issued.token)]
    wrong_key = "d3Jvbmcta2V5LWZvci1sZWFrLXRlc3Q="
    secrets.add(wrong_key)
    with CommunicationIdentityClient(emulator.endpoint, AzureKeyCredential(wrong_key), logging_enable=True,
                                     raw_request_hook=secrets.capture_signatures) as bad:
        with pytest.raises(ClientAuthenticationError) as info:
            bad.create_user()
        errors.append(info.value)
    for mistake in (f"endpoint={emulator.endpoint}/;accesskey={emulator.access_key}!",
                    f"endpoint={emulator.endpoint}/;{emulator.access_key}"):
        with pytest.raises(ValueError) as info:
            CommunicationIdentityClient.from_connection_string(mistake)
        errors.append(info.value)
    objects += [parse_connection_string(emulator.connection_string),
                HMACCredentialPolicy(AzureKeyCredential(emulator.access_key))]

    assert len(secrets.values) >= 8  # the key, signatures, issued tokens, the AAD token
    assert any("Response status" in record.getMessage() for record in all_logs), "the trace did run"
    secrets.assert_absent(_log_text(all_logs), "a log record")
    for error in errors:
        secrets.assert_absent(str(error) + repr(error) + "".join(traceback.format_exception(error)), "an exception")
    for obj in objects:
        secrets.assert_absent(repr(obj) + str(obj), f"repr of {type(obj).__name__}")


@pytest.mark.asyncio
async def test_async_logs_hold_no_secrets(emulator, all_logs):
    secrets = Secrets(emulator.access_key)
    async with AsyncClient.from_connection_string(emulator.connection_string, logging_enable=True,
                                                  raw_request_hook=secrets.capture_signatures) as client:
        user, token = await client.create_user_and_token(["chat"])
        secrets.add(token.token)
        secrets.add((await client.get_token(user, ["voip"])).token)
        await client.delete_user(user)
    assert len(secrets.values) >= 5
    assert any("Request headers" in record.getMessage() for record in all_logs)
    secrets.assert_absent(_log_text(all_logs), "a log record")


def test_bearer_token_never_logged(tls_emulator, aad_credential, all_logs):
    credential = aad_credential(tls_emulator)
    secrets = Secrets()
    with CommunicationIdentityClient(tls_emulator.endpoint, credential, connection_verify=tls_emulator.ca_cert,
                                     logging_enable=True, raw_request_hook=secrets.capture_signatures) as client:
        user, token = client.create_user_and_token(["chat"])
        secrets.add(token.token)
    assert len(secrets.values) >= 2
    secrets.assert_absent(_log_text(all_logs), "a log record")
