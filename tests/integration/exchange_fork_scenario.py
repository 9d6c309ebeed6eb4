"""A process forked after an exchange credential exchanged: run as a separate process by
test_token_exchange_credential.py (the pytest process itself never forks).

The parent exchanges once (its pipeline keeps the keep-alive connection in its pool), then forks. Both
processes then need a new token (their credential's clock is moved into the token's refresh window)
and exchange: the child through a pipeline of its own, since the parent's pooled connection is not
the child's to use. The child reports over a pipe; one JSON object goes to stdout.

Usage: EXCHANGE_EMULATOR=<connection string> python exchange_fork_scenario.py <tenant id> <object id> <client id>
"""
import json
import os
import sys
import time
import warnings

from azure.core.credentials import AccessToken

from acs_identity_emulator.testing import EmulatorConnection
from azure.communication.identity import CommunicationTokenCredential, _token_credential

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "unit"))
from fork_scenarios import fork_and_report  # noqa: E402

TENANT_ID, OBJECT_ID, CLIENT_ID = sys.argv[1:4]
EMULATOR = EmulatorConnection(os.environ["EXCHANGE_EMULATOR"])


class TeamsPhoneUser:
    def get_token(self, *scopes, **kwargs):
        token = EMULATOR.mint_aad_token(aud="https://auth.msft.communication.azure.com",
                                        scp="TeamsExtension.ManageCalls", tid=TENANT_ID, oid=OBJECT_ID,
                                        appid=CLIENT_ID)
        return AccessToken(token, int(time.time()) + 3600)


def transport_of(credential):
    return credential._exchange._client._client._pipeline._transport


def idle_connections(transport):
    """Keep-alive connections the transport holds, over every origin it has sent to."""
    return sum(route.connections.idle_count() for route in list(transport._routes.values()))


def main():
    credential = CommunicationTokenCredential(
        resource_endpoint=EMULATOR.endpoint, token_credential=TeamsPhoneUser(),
        scopes=["https://auth.msft.communication.azure.com/TeamsExtension.ManageCalls"])
    first = credential.get_token()
    parent_transport = transport_of(credential)
    parent_idle = idle_connections(parent_transport)
    # Both processes' next get_token exchanges: the credential's clock is a minute before expiry.
    _token_credential.get_current_utc_as_int = lambda: first.expires_on - 60

    def child_main():
        token = credential.get_token()
        return {
            "token_from_child": token.token != first.token and EMULATOR.token_status(token.token)["valid"],
            "own_pipeline": transport_of(credential) is not parent_transport,
            "parent_pool_untouched": idle_connections(parent_transport) == parent_idle,
        }

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: "fork() in a multi-threaded process"
        child = fork_and_report(child_main)
    token = credential.get_token()
    parent = {"parent_idle_before_fork": parent_idle,
              "token_in_parent": token.token != first.token and EMULATOR.token_status(token.token)["valid"],
              "same_pipeline_in_parent": transport_of(credential) is parent_transport}
    credential.close()
    return {"child": child, "parent": parent}


if __name__ == "__main__":
    print(json.dumps(main()))
