"""HMAC-SHA256 signing: fixed vectors (computed with openssl, not with this code) and URL canonicalisation."""

from __future__ import annotations

import pytest
import requests
import yarl
from azure.core.credentials import AzureKeyCredential
from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.transport import HttpRequest as LegacyHttpRequest
from azure.core.rest import HttpRequest
from hypothesis import given
from hypothesis import strategies as st

from azure.communication.identity._hmac import (
    EMPTY_BODY_SHA256,
    HMACCredentialPolicy,
    canonical_path_and_query,
    canonical_url,
    content_sha256,
    sign,
    string_to_sign,
)

KEY_B64 = "Zml4ZWQtdGVzdC1rZXktZm9yLWhtYWMtdmVjdG9ycyE="  # b"fixed-test-key-for-hmac-vectors!"
DATE = "Sat, 28 Nov 2026 10:00:00 GMT"
BODY = b'{"createTokenWithScopes": ["chat"]}'
# Expected values below were produced by `openssl dgst -sha256 [-mac HMAC]`, independently of this package.
BODY_SHA256 = "kWpGozyV35fifbpKdY8mbdG64VG0Pdq5upzo7YKAFM0="
CREATE_SIGNATURE = "SzR/kV/e7rJomy1KJ6eD1qQrksRdYyEnIXRNrXCzTrQ="
DELETE_SIGNATURE = "3/gLNNbNj4ObKMTu+j7wmdZHuB1ciy5Sf4tnorV1/6M="


def test_content_hash_of_body_and_of_empty_body():
    assert content_sha256(BODY) == BODY_SHA256
    assert content_sha256(b"") == EMPTY_BODY_SHA256


def test_signature_matches_openssl_vector_for_a_post_with_body():
    text = string_to_sign("post", "/identities?api-version=2021-03-07", DATE,
                          "my-resource.communication.azure.com", BODY_SHA256)
    assert text == ("POST\n/identities?api-version=2021-03-07\n"
                    f"{DATE};my-resource.communication.azure.com;{BODY_SHA256}")
    import base64

    assert sign(base64.b64decode(KEY_B64), text) == CREATE_SIGNATURE


def _run_policy(url: str, method: str = "DELETE", body: bytes | None = None, legacy: bool = False):
    policy = HMACCredentialPolicy(AzureKeyCredential(KEY_B64), date_source=lambda: DATE)
    if legacy:
        http_request = LegacyHttpRequest(method, url, data=body)
    else:
        http_request = HttpRequest(method, url, content=body)
    policy.on_request(PipelineRequest(http_request, None))
    return http_request


@pytest.mark.parametrize("legacy", [False, True])
def test_policy_signs_the_canonical_url_with_port_in_host(legacy):
    request = _run_policy("http://127.0.0.1:8443/identities/8%3Aacs%3Ar_1?api-version=2021-03-07", legacy=legacy)
    assert request.url == "http://127.0.0.1:8443/identities/8:acs:r_1?api-version=2021-03-07"
    assert request.headers["x-ms-date"] == DATE
    assert request.headers["x-ms-content-sha256"] == EMPTY_BODY_SHA256
    assert request.headers["Authorization"] == (
        f"HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={DELETE_SIGNATURE}")


def test_policy_hashes_the_body_it_sends():
    request = _run_policy("https://my-resource.communication.azure.com/identities?api-version=2021-03-07",
                          method="POST", body=BODY)
    assert request.headers["x-ms-content-sha256"] == BODY_SHA256
    assert request.headers["Authorization"].endswith("Signature=" + CREATE_SIGNATURE)


def test_default_port_is_not_part_of_host():
    assert canonical_url("https://Res.communication.azure.com:443/identities")[1] == "res.communication.azure.com"
    assert canonical_url("http://127.0.0.1:80/x")[1] == "127.0.0.1"
    assert canonical_url("http://[::1]:9000/x")[1] == "[::1]:9000"


def test_policy_follows_a_rotated_key():
    credential = AzureKeyCredential(KEY_B64)
    policy = HMACCredentialPolicy(credential, date_source=lambda: DATE)
    first = HttpRequest("GET", "https://h/identities")
    policy.on_request(PipelineRequest(first, None))
    credential.update("b3RoZXIta2V5")
    second = HttpRequest("GET", "https://h/identities")
    policy.on_request(PipelineRequest(second, None))
    assert first.headers["Authorization"] != second.headers["Authorization"]


def test_policy_refuses_a_streamed_body_with_a_clear_message():
    policy = HMACCredentialPolicy(AzureKeyCredential(KEY_B64))
    request = HttpRequest("POST", "https://h/identities", content=iter([b"a"]))
    with pytest.raises(ValueError, match="whole request body in memory"):
        policy.on_request(PipelineRequest(request, None))


def test_policy_repr_hides_the_key():
    assert KEY_B64 not in repr(HMACCredentialPolicy(AzureKeyCredential(KEY_B64)))


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/identities/8%3Aacs%3Ares_1", "/identities/8:acs:res_1"),
        ("/identities/a%2Fb", "/identities/a%2Fb"),  # an escaped slash never becomes a separator
        ("/identities/a b", "/identities/a%20b"),
        ("/identities/%7e%2e%2E", "/identities/~.."),
        ("/identities/100%25", "/identities/100%25"),
        ("/identities/a%3f%23", "/identities/a%3F%23"),
        ("/identities/caf\u00e9", "/identities/caf%C3%A9"),
        ("/identities/a+b%2B", "/identities/a%2Bb%2B"),
    ],
)
def test_canonical_path_examples(path, expected):
    assert canonical_path_and_query(path, "") == expected


def _requests_sends(url: str) -> str:
    return requests.Request("POST", url).prepare().path_url


def _aiohttp_sends(url: str) -> str:
    return yarl.URL(url).raw_path_qs


segment = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=30)


@given(segment.filter(lambda s: s not in (".", "..")))
def test_both_transports_send_the_signed_path_unchanged(raw_id):
    # "." and ".." are dot segments that yarl removes even when escaped; the client refuses them as user ids.
    from urllib.parse import quote

    # What the generated layer produces: the id quoted as one path segment, then the query.
    url = "http://127.0.0.1:1234/identities/" + quote(raw_id, safe="") + "/:issueAccessToken?api-version=2023-10-01"
    sent_url, _host, signed = canonical_url(url)
    assert _requests_sends(sent_url) == signed
    assert _aiohttp_sends(sent_url) == signed
    # And the id is still one segment that decodes back to itself.
    from urllib.parse import unquote

    encoded_segment = signed.split("/")[2]
    assert unquote(encoded_segment) == raw_id
