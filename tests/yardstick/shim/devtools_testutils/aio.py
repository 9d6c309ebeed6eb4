"""``devtools_testutils.aio``: the async recording decorator, live mode (see the package docstring)."""
from __future__ import annotations

import functools
from typing import Any, Callable

from . import _accepted


def recorded_by_proxy_async(test: Callable) -> Callable:
    @functools.wraps(test)
    async def run(*args: Any, **kwargs: Any) -> Any:
        return await test(*args, **_accepted(test, kwargs))

    return run
