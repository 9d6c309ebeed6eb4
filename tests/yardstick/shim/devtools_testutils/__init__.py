"""A minimal stand-in for the Azure SDK's ``devtools_testutils``, for running the official suite LIVE.

The official ``azure-communication-identity`` tests import their recording helpers from this
package (part of the Azure SDK repository, not published). Run live against the emulator nothing
is recorded or played back, so each helper does what its live mode does: the decorators call the
test, the sanitizers and the test-proxy fixture do nothing, ``is_live()`` reads
``AZURE_TEST_RUN_LIVE`` as the real one does. tests/yardstick puts this folder on ``PYTHONPATH``
for that run only; nothing else imports it.
"""
from __future__ import annotations

import functools
import inspect
import os
from typing import Any, Callable

import pytest


def is_live() -> bool:
    return os.environ.get("AZURE_TEST_RUN_LIVE", "").lower() in ("true", "yes", "1")


class AzureRecordedTestCase:
    """Base of the official test classes; live, there is nothing to record."""

    @property
    def is_live(self) -> bool:
        return is_live()

    def is_playback(self) -> bool:
        return not is_live()


def recorded_by_proxy(test: Callable) -> Callable:
    """Live mode of the recording decorator: call the test as it is."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> Any:
        return test(*args, **_accepted(test, kwargs))

    return run


def _accepted(test: Callable, kwargs: dict) -> dict:
    # The real decorator drops keyword arguments the test does not take (its own "variables" ones).
    parameters = inspect.signature(test).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return kwargs
    return {name: value for name, value in kwargs.items() if name in parameters}


@pytest.fixture(scope="session")
def test_proxy() -> None:
    """The recording proxy is not used live."""
    return None


def _no_sanitizer(*args: Any, **kwargs: Any) -> None:
    """Sanitizers rewrite recordings; live, there are none."""


add_general_regex_sanitizer = add_general_string_sanitizer = add_header_regex_sanitizer = _no_sanitizer
add_body_key_sanitizer = add_oauth_response_sanitizer = add_uri_regex_sanitizer = _no_sanitizer
add_body_regex_sanitizer = add_remove_header_sanitizer = set_default_session_settings = _no_sanitizer
set_bodiless_matcher = set_custom_default_matcher = _no_sanitizer


class PowerShellPreparer:
    """Passes each named setting to the test as a keyword argument, from the environment when set there.

    ``PowerShellPreparer("communication", communication_x="default")`` gives the test
    ``communication_x=os.environ.get("COMMUNICATION_X", "default")``, as the real preparer does live.
    """

    def __init__(self, directory: str, **defaults: str) -> None:
        self.directory = directory
        self.defaults = defaults

    def __call__(self, test: Callable) -> Callable:
        @functools.wraps(test)
        def run(*args: Any, **kwargs: Any) -> Any:
            values = {name: os.environ.get(name.upper(), default) for name, default in self.defaults.items()}
            return test(*args, **values, **kwargs)

        return run
