"""Per-user ordering with concurrency across users.

python-telegram-bot either handles updates one at a time (one slow Anna reply holds up every
user) or all at once (one user's photo and its caption-less follow-up text can race). This
processor runs different users' updates concurrently and each user's strictly in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Protocol

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.scale import update_kind

if TYPE_CHECKING:
    from bot.inbox import UpdateInbox
    from facelog.metrics import Metrics


class UserLease(Protocol):
    """Order across replicas: held around one user's update (``bot.scale.StorageUserLease``)."""

    def hold(self, key: int) -> contextlib.AbstractAsyncContextManager[None]: ...


def _key(update: object) -> int | None:
    if isinstance(update, Update):
        if update.effective_user is not None:
            return update.effective_user.id
        if update.effective_chat is not None:
            return update.effective_chat.id
    return None


class PerUserUpdateProcessor(BaseUpdateProcessor):
    def __init__(
        self,
        max_concurrent_updates: int = 256,
        *,
        lease: UserLease | None = None,
        metrics: Metrics | None = None,
        inbox: UpdateInbox | None = None,
    ) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}
        self.lease = lease
        self.metrics = metrics
        self.inbox = inbox

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if self.metrics is not None:
            coroutine = self._timed(update, coroutine)
        if self.inbox is not None:
            coroutine = self._recorded(update, coroutine)
        key = _key(update)
        if key is None:
            await coroutine
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                if self.lease is None:
                    await coroutine
                else:
                    async with self.lease.hold(key):
                        await coroutine
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:  # nobody queued behind us: forget the lock
                del self._waiting[key]
                self._locks.pop(key, None)

    async def _recorded(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Through the durable inbox: run only if it hands us the update, recorded done after
        (also when a handler failed: its error handler answered the person)."""
        assert self.inbox is not None
        if not await self.inbox.handle(update, coroutine) and self.metrics is not None:
            self.metrics.duplicates.inc()

    async def _timed(self, update: object, coroutine: Awaitable[Any]) -> None:
        assert self.metrics is not None
        started = time.perf_counter()
        try:
            await coroutine
        finally:
            self.metrics.update_handled(update_kind(update), time.perf_counter() - started)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
