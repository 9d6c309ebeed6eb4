"""What a local check raises where the service would answer 400: its ValidationError, and a ValueError."""

import pytest
from azure.core.exceptions import HttpResponseError


def assert_validation_error(call, target: str, message: str) -> None:
    """``call()`` raises the service's 400 ``ValidationError`` for the wire field ``target`` (matching
    ``message``), which is also a ``ValueError``, the body as the service would have sent it."""
    with pytest.raises(HttpResponseError, match=message) as info:
        call()
    assert isinstance(info.value, ValueError), message
    assert (info.value.status_code, info.value.error.code, info.value.error.target) == (
        400, "ValidationError", target), message
    assert info.value.response.json()["error"]["target"] == target, message
