"""The emulator's pytest plugin, as another project gets it: pytest runs a small sample project in a
temporary folder (a separate process, so the plugin loads from its installed ``pytest11`` entry
point; this suite itself runs with ``-p no:acs_identity_emulator``)."""

from __future__ import annotations

import socket

import pytest

from acs_identity_emulator.testing import running_emulator

CLIENT_HELPER = '''
from azure.communication.identity import CommunicationIdentityClient


def client_for(service):
    """retry_total=0: a fault leaking from an earlier test fails the call at once."""
    options = {"connection_verify": service.ca_cert} if service.ca_cert else {}
    return CommunicationIdentityClient.from_connection_string(service.connection_string, retry_total=0, **options)
'''

SAMPLE = CLIENT_HELPER + '''
TEAMS_APP, TEAMS_USER = "0d5b3f08-0000-4000-8000-0000000000a1", "0d5b3f08-0000-4000-8000-0000000000b2"
ENDPOINTS = []


def test_first_creates_users_and_leaves_faults_and_settings_behind(acs_identity):
    ENDPOINTS.append(acs_identity.endpoint)
    with client_for(acs_identity) as client:
        user, token = client.create_user_and_token(["chat"])
    assert acs_identity.token_status(token.token)["valid"] is True
    acs_identity.inject_fault(status=503, count=10)
    acs_identity.set_token_ttl_seconds(5)
    assert acs_identity.stats()["identities"] == 1


def test_the_next_test_starts_clean(acs_identity):
    ENDPOINTS.append(acs_identity.endpoint)
    assert acs_identity.stats()["identities"] == 0
    assert acs_identity.admin("GET", "settings")["tokenTtlSeconds"] is None
    with client_for(acs_identity) as client:  # the 503s are gone
        token = client.get_token(client.create_user(), ["voip"])
    assert acs_identity.token_status(token.token)["valid"] is True


def test_the_session_fixture_is_the_same_service_and_is_not_reset(acs_identity_service):
    ENDPOINTS.append(acs_identity_service.endpoint)
    assert len(set(ENDPOINTS)) == 1
    assert acs_identity_service.stats()["identities"] == 1
    assert acs_identity_service.endpoint.startswith("http://127.0.0.1:")
    assert acs_identity_service.ca_cert is None


def test_azure_ad_tokens_for_the_teams_exchange(acs_identity):
    aad_token = acs_identity.mint_aad_token(oid=TEAMS_USER, appid=TEAMS_APP,
                                            aud="https://auth.msft.communication.azure.com")
    with client_for(acs_identity) as client:
        token = client.get_token_for_teams_user(aad_token, TEAMS_APP, TEAMS_USER)
    assert acs_identity.token_status(token.token)["valid"] is True
'''

TLS_SAMPLE = CLIENT_HELPER + '''
import os


def test_https_with_the_emulator_ca(acs_identity):
    assert acs_identity.endpoint.startswith("https://")
    assert os.path.isfile(acs_identity.ca_cert)
    with client_for(acs_identity) as client:
        assert client.create_user().raw_id.startswith("8:acs:")
    assert acs_identity.stats()["identities"] == 1
'''

EXTERNAL_SAMPLE = CLIENT_HELPER + '''
import os


def test_uses_the_running_emulator_and_resets_it(acs_identity):
    assert acs_identity.endpoint == os.environ["EXPECTED_ENDPOINT"]
    assert acs_identity.is_emulator is True
    assert acs_identity.stats()["identities"] == 0
    with client_for(acs_identity) as client:
        client.create_user()
'''

NOT_AN_EMULATOR_SAMPLE = '''
import pytest
from acs_identity_emulator.testing import EmulatorError


def test_a_real_resource_has_no_admin_api(acs_identity):
    assert acs_identity.is_emulator is False
    with pytest.raises(EmulatorError, match="is not an emulator"):
        acs_identity.inject_fault(status=503)
'''


def _run(pytester, sample, *args):
    pytester.makepyfile(test_sample=sample)
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)


def test_the_sample_project_gets_a_clean_emulator_per_test(pytester):
    result = _run(pytester, SAMPLE)
    result.assert_outcomes(passed=4)


@pytest.mark.parametrize("how", [("--acs-emulator-tls",), ("-o", "acs_emulator_tls=true")], ids=["option", "ini"])
def test_the_emulator_can_serve_https(pytester, how):
    _run(pytester, TLS_SAMPLE, *how).assert_outcomes(passed=1)


def test_an_emulator_already_running_is_used_and_reset(pytester, monkeypatch):
    with running_emulator() as emulator:
        emulator.admin("POST", "faults", {"status": 500, "count": 3})
        user_before = emulator.stats()["identities"]
        monkeypatch.setenv("EXPECTED_ENDPOINT", emulator.endpoint)
        result = _run(pytester, EXTERNAL_SAMPLE, "--acs-connection-string", emulator.connection_string)
        result.assert_outcomes(passed=1)
        assert user_before == 0 and emulator.stats()["identities"] == 1  # the sample's user, nothing else


def test_a_service_without_the_admin_api_is_used_as_a_real_resource(pytester):
    with socket.socket() as sock:  # nobody listens there: no admin API answers
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    connection_string = f"endpoint=http://127.0.0.1:{port}/;accesskey=c2VjcmV0LWtleQ=="
    _run(pytester, NOT_AN_EMULATOR_SAMPLE, "--acs-connection-string", connection_string).assert_outcomes(passed=1)


def test_a_malformed_connection_string_is_a_usage_error_that_does_not_echo_it(pytester):
    result = _run(pytester, SAMPLE, "--acs-connection-string", "endpoint=http://x;acceskey=top-secret-value")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    output = result.stdout.str() + result.stderr.str()
    assert "--acs-connection-string: a connection string needs endpoint=...;accesskey=..." in output
    assert "top-secret-value" not in output


def test_the_plugin_can_be_disabled_by_name(pytester):
    result = _run(pytester, SAMPLE, "-p", "no:acs_identity_emulator")
    result.assert_outcomes(errors=4)
    assert "fixture 'acs_identity' not found" in result.stdout.str()
