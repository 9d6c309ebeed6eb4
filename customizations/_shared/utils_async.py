"""Compatibility path ``azure.communication.identity._shared.utils_async`` (official 1.5.0 layout)."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any, Callable, Optional


class AsyncTimer:
    """Calls ``callback`` (a coroutine function, or a plain function) once, ``interval`` seconds after ``start()``.

    ``cancel()`` stops a pending call; it does nothing before ``start()`` or after the call.
    """

    def __init__(self, interval: float, callback: Callable[[], Any]) -> None:
        self._interval = interval
        self._callback = callback
        self._task: Optional[asyncio.Task] = None

    async def _job(self) -> None:
        await asyncio.sleep(self._interval)
        result = self._callback()
        if inspect.isawaitable(result):
            await result

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._job())

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
