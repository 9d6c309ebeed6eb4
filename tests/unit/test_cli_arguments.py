"""The command line's own argument parsing (pure functions): lifetimes and scope lists."""

from __future__ import annotations

import argparse
from datetime import timedelta

import pytest

from azure.communication.identity._cli import _lifetime, _scopes


@pytest.mark.parametrize(("text", "minutes"), [("60", 60), ("60m", 60), ("1h", 60), ("1h30m", 90), ("90min", 90),
                                               ("2H", 120), (" 24h ", 1440), ("0m", 0)])
def test_lifetimes(text, minutes):
    assert _lifetime(text) == timedelta(minutes=minutes)  # the range is the client's to check


@pytest.mark.parametrize("text", ["", " ", "h", "m", "1x", "1h30", "-5", "1.5h", "30s", "1m1h"])
def test_what_is_not_a_lifetime(text):
    with pytest.raises(argparse.ArgumentTypeError, match="is not a lifetime"):
        _lifetime(text)


def test_scopes_comma_or_space_separated():
    assert _scopes(["chat,voip"]) == ["chat", "voip"]
    assert _scopes(["chat", "voip", "chat.join, voip.join"]) == ["chat", "voip", "chat.join", "voip.join"]
    assert _scopes(["chat,,", " "]) == ["chat"]
    assert _scopes(None) == []
