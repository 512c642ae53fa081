"""Small asyncio helpers shared by the engines."""

from __future__ import annotations

import asyncio
import weakref


class LoopSemaphore:
    """An ``asyncio.Semaphore`` per running event loop.

    Engines outlive event loops in tests (pytest-asyncio gives each test its own loop) and a
    semaphore is bound to the loop it first waited on; this gives each loop its own, so one
    engine object bounds concurrency for all callers of a loop without breaking in the next.
    """

    def __init__(self, value: int) -> None:
        if value < 1:
            raise ValueError("a semaphore needs at least one slot")
        self.value = value
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]
        self._by_loop = weakref.WeakKeyDictionary()

    def get(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        semaphore = self._by_loop.get(loop)
        if semaphore is None:
            semaphore = asyncio.Semaphore(self.value)
            self._by_loop[loop] = semaphore
        return semaphore
