"""What running several bot replicas behind a load balancer needs from the bot.

Idempotency is already shared (each update is claimed in the storage inbox, ``bot.inbox``). Order is
the other half: Telegram may deliver one person's photo to replica A and the caption-less
follow-up text to replica B a moment later. In-process, :class:`bot.ordering.PerUserUpdateProcessor`
keeps each user's updates in order; across replicas, :class:`StorageUserLease` adds a short
per-user lease in storage, held while a replica handles that user's update. The cost is two
small writes per update (take, give back); a replica that dies while holding a lease delays that
one user by at most the lease's TTL, and a waiter gives up waiting after ``max_wait`` and goes
ahead (an answer out of order beats no answer).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

from telegram import Update

from facelog.metrics import Metrics
from storage import Repository, StorageError

log = logging.getLogger(__name__)


def replica_id() -> str:
    """Unique per process: host, pid and a random part (pids repeat across containers)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class StorageUserLease:
    """A per-user lease in the shared store (``Repository.acquire_lease`` and friends)."""

    def __init__(
        self,
        repo: Repository,
        holder: str | None = None,
        *,
        ttl: timedelta = timedelta(seconds=90),
        max_wait: float = 30.0,
        poll: float = 0.05,
        metrics: Metrics | None = None,
    ) -> None:
        self.repo = repo
        self.holder = holder or replica_id()
        self.ttl = ttl
        self.max_wait = max_wait
        self.poll = poll
        self.metrics = metrics

    @contextlib.asynccontextmanager
    async def hold(self, key: int) -> AsyncIterator[None]:
        """Hold ``user:<key>`` for the block (renewed while it runs), then give it back."""
        name = f"user:{key}"
        held = await self._acquire(name)
        renewer = asyncio.create_task(self._renew(name)) if held else None
        try:
            yield
        finally:
            if renewer is not None:
                renewer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await renewer
            if held:
                with contextlib.suppress(StorageError):
                    await self.repo.release_lease(name, self.holder)

    async def _acquire(self, name: str) -> bool:
        started = time.perf_counter()
        delay = self.poll
        try:
            while True:
                if await self.repo.acquire_lease(name, self.holder, self.ttl):
                    return True
                waited = time.perf_counter() - started
                if waited >= self.max_wait:
                    log.warning("user lease still held elsewhere after %.0f s: going ahead", waited)
                    if self.metrics is not None:
                        self.metrics.error("user_lease_timeout")
                    return False
                await asyncio.sleep(min(delay, self.max_wait - waited))
                delay = min(delay * 2, 0.5)
        except StorageError:
            # The store is down: the handler will answer "try again" on its own; don't add to it.
            return False
        finally:
            if self.metrics is not None:
                self.metrics.lease_wait_seconds.observe(time.perf_counter() - started)

    async def _renew(self, name: str) -> None:
        interval = self.ttl.total_seconds() / 3
        while True:
            await asyncio.sleep(interval)
            with contextlib.suppress(StorageError):
                if not await self.repo.renew_lease(name, self.holder, self.ttl):
                    log.warning("a user lease expired while its update was still running")
                    return


def update_kind(update: object) -> str:
    """A coarse, content-free label for metrics: what sort of update this was."""
    if not isinstance(update, Update):
        return "other"
    if update.callback_query is not None:
        return "button"
    if update.edited_message is not None:
        return "edit"
    message = update.message
    if message is None:
        return "member" if update.my_chat_member is not None else "other"
    if message.text is not None:
        return "command" if message.text.startswith("/") else "text"
    if message.photo or message.document is not None:
        return "photo"
    if message.voice is not None or message.audio is not None:
        return "voice"
    return "other"
