"""The durable inbox: every update is stored before Telegram may forget it, and replayed after a
crash.

Telegram forgets an update once the bot asks for the next batch (polling) or answers the webhook
with 200, while the update may still be in a handler. So the update is written to storage first
(:class:`InboxBot` for polling, ``facelog.webhook`` for webhooks), and its state moves
received → working (an owner and a lease the owner keeps renewing) → done once its effects are
complete. A process that dies leaves its updates unfinished: the restarted bot takes them all
back at once (polling has one poller), and replicas take over updates whose lease ran out.
A replayed post stores no second entry (the entry's idempotency key is the update id) and does
not show an answer again that is known to have been sent (:func:`once`). An update whose handler
keeps killing the process is parked after ``max_tries`` starts, with one apology to its sender.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from telegram import Update
from telegram.error import NetworkError, TelegramError
from telegram.ext import ExtBot

from facelog.i18n import language_of, t
from storage import InboxRecord, Repository, StorageError

if TYPE_CHECKING:
    from telegram.ext import Application

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class InboxPolicy:
    """How long an owner's claim lasts, how often it is renewed, when an update is given up.

    The lease must outlast a stalled event loop or a slow storage call several times over: an
    owner that misses renewals past the lease has its updates replayed elsewhere.
    """

    lease: timedelta = timedelta(seconds=30)
    heartbeat: timedelta = timedelta(seconds=10)
    #: An update is parked after the process died this many times while it ran alone.
    max_strikes: int = 3
    keep_done: timedelta = timedelta(days=2)
    keep_parked: timedelta = timedelta(days=30)


@dataclass
class Delivery:
    """The update a handler is running, and the answers already sent for it (by a run that
    died before finishing)."""

    update_id: int
    sent: set[str] = field(default_factory=set)
    repo: Repository | None = None
    #: Started before by a process that died: it runs alone, to learn whether it is to blame.
    suspect: bool = False


_current: ContextVar[Delivery | None] = ContextVar("facelog_delivery", default=None)


async def once(what: str, send: Callable[[], Awaitable[T]]) -> T | None:
    """Send an answer of the running update unless a previous run of it already sent it.

    The mark is written after the send: a process killed between the two shows the answer
    twice (it cannot know Telegram got it); one killed before the send shows it once.
    """
    delivery = _current.get()
    if delivery is not None and what in delivery.sent:
        log.info("skipping an answer already sent before a restart (%s)", what)
        return None
    result = await send()
    if delivery is not None and delivery.repo is not None:
        delivery.sent.add(what)
        try:
            await delivery.repo.inbox_mark_sent(delivery.update_id, what)
        except StorageError as exc:
            log.warning("could not record a sent answer: %s", type(exc).__name__)
    return result


def entry_key(update_id: int) -> str:
    """The idempotency key of the entry an update stores: a replay finds the same entry."""
    return f"update:{update_id}"


def _close(coroutine: Awaitable[Any]) -> None:
    """Drop a handler run that will not happen (an unawaited coroutine warns otherwise)."""
    if asyncio.iscoroutine(coroutine):
        coroutine.close()


def _user_of(update: Update) -> int | None:
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return None


def new_owner() -> str:
    """A name for this process's claims: host, pid and a random part (pids repeat in
    containers)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class Isolation:
    """Shared for ordinary updates, exclusive for a suspect: a replayed update whose earlier run
    died runs with nothing else, so a death during it is its own (a strike), not a neighbour's.
    A waiting suspect holds back new ordinary updates, so it cannot starve."""

    def __init__(self) -> None:
        self._changed = asyncio.Condition()
        self._shared = 0
        self._exclusive = False
        self._queued = 0

    @contextlib.asynccontextmanager
    async def hold(self, exclusive: bool) -> AsyncIterator[None]:
        async with self._changed:
            if exclusive:
                self._queued += 1
                await self._changed.wait_for(lambda: not self._exclusive and not self._shared)
                self._queued -= 1
                self._exclusive = True
            else:
                await self._changed.wait_for(lambda: not self._exclusive and not self._queued)
                self._shared += 1
        try:
            yield
        finally:
            async with self._changed:
                if exclusive:
                    self._exclusive = False
                else:
                    self._shared -= 1
                self._changed.notify_all()


class UpdateInbox:
    """Stores updates, gates their handling, replays the unfinished ones.

    :meth:`handle` wraps each update in :class:`bot.ordering.PerUserUpdateProcessor`;
    ``attach`` binds the Application whose queue replayed updates go to.
    """

    def __init__(
        self, repo: Repository, policy: InboxPolicy | None = None, owner: str | None = None
    ) -> None:
        self.repo = repo
        self.policy = policy or InboxPolicy()
        self.owner = owner or new_owner()
        self.application: Application | None = None  # type: ignore[type-arg]
        #: Updates this process holds (received, queued or running): replay must not queue
        #: them a second time.
        self._held: set[int] = set()
        #: Updates a handler in this process is running now.
        self._running: set[int] = set()
        #: Finished updates whose "done" could not be written yet (storage down).
        self._unrecorded: set[int] = set()
        self._loop_task: asyncio.Task[None] | None = None
        self._isolation = Isolation()
        #: Chats told during this storage outage that their message waits.
        self._told: set[int] = set()

    def attach(self, application: Application) -> None:  # type: ignore[type-arg]
        self.application = application

    # -- receiving ---------------------------------------------------------------------------

    async def receive(self, update: Update, raw: dict[str, Any] | None = None) -> bool:
        """Store one update (as Telegram sent it: ``raw`` when at hand); False if already
        stored. Raises ``StorageError``: the caller must then not acknowledge it."""
        stored = await self.repo.inbox_receive(
            update.update_id,
            _user_of(update),
            raw if raw is not None else update.to_dict(),
            owner=self.owner,
            lease=self.policy.lease,
        )
        if stored:
            self._held.add(update.update_id)
        self._told.clear()  # storage answers again: a later outage is news again
        return stored

    async def not_stored(self, updates: Sequence[Update]) -> None:
        """Storage is down, so these updates stay with Telegram, which delivers them again. Their
        senders are told once per outage that the message is not lost, just waiting."""
        for update in updates:
            chat = update.effective_chat
            if chat is None or chat.type != "private" or chat.id in self._told:
                continue
            self._told.add(chat.id)
            await self._tell(update, "storage_waiting")

    # -- handling ----------------------------------------------------------------------------

    async def handle(self, update: object, coroutine: Awaitable[Any]) -> bool:
        """Run an update's handlers if the inbox hands it to us and record it done; False (the
        coroutine unrun) when it is finished, running elsewhere, or parked now."""
        delivery = await self.begin(update)
        if delivery is None:
            _close(coroutine)
            return False
        async with self._isolation.hold(exclusive=delivery.suspect):
            if delivery.suspect and await self._strike_out(update, delivery):
                _close(coroutine)
                return False
            token = _current.set(delivery)
            try:
                await coroutine
            finally:
                _current.reset(token)
        await self.finish(delivery)
        return True

    async def begin(self, update: object) -> Delivery | None:
        """Claim an update for handling; None when it must not run here (done or running
        elsewhere). Storage down: it runs unguarded, as before the inbox."""
        if not isinstance(update, Update):
            return Delivery(update_id=-1)
        if update.update_id in self._running:  # queued twice here (a replay raced a delivery)
            return None
        try:
            record = await self.repo.inbox_begin(
                update.update_id, owner=self.owner, lease=self.policy.lease
            )
        except StorageError as exc:
            log.warning("inbox unavailable, handling an update unguarded: %s", type(exc).__name__)
            self._held.discard(update.update_id)
            return Delivery(update.update_id)
        if record is None:
            self._held.discard(update.update_id)
            log.info("skipping an update that is finished or handled elsewhere")
            return None
        self._held.add(update.update_id)
        self._running.add(update.update_id)
        return Delivery(update.update_id, set(record.sent), self.repo, suspect=record.tries > 1)

    async def _strike_out(self, update: object, delivery: Delivery) -> bool:
        """Count this lone run; park the update (True) when lone runs already died too often."""
        assert isinstance(update, Update)
        try:
            strikes = await self.repo.inbox_strike(delivery.update_id, owner=self.owner)
        except StorageError:
            return False
        if strikes <= self.policy.max_strikes:
            return False
        self._running.discard(delivery.update_id)
        await self._park(update, strikes - 1)
        return True

    async def finish(self, delivery: Delivery) -> None:
        """Record an update as done: it will not be replayed."""
        if delivery.update_id < 0:
            return
        self._held.discard(delivery.update_id)
        self._running.discard(delivery.update_id)
        try:
            await self.repo.inbox_finish(delivery.update_id, owner=self.owner)
        except StorageError as exc:
            log.warning("could not record an update as done yet: %s", type(exc).__name__)
            self._unrecorded.add(delivery.update_id)

    async def _park(self, update: Update, deaths: int) -> None:
        reason = f"the process died {deaths} times while it ran alone"
        log.error("parking an update: %s", reason)
        self._held.discard(update.update_id)
        with contextlib.suppress(StorageError):
            await self.repo.inbox_finish(update.update_id, owner=self.owner, parked=reason)
        await self._tell(update, "update_parked")

    async def _tell(self, update: Update, key: str) -> None:
        """A short notice to the update's sender, in their Telegram language (their account may
        be out of reach); a failed send changes nothing."""
        chat, user = update.effective_chat, update.effective_user
        if chat is None or self.application is None:
            return
        language = language_of(user.language_code if user else None)
        with contextlib.suppress(TelegramError):
            await self.application.bot.send_message(chat.id, t(language, key))

    # -- replay ------------------------------------------------------------------------------

    async def replay(self, *, take_over: bool = False) -> list[InboxRecord]:
        """Queue unfinished updates, oldest first: those whose owner's lease ran out, or (at a
        polling start, where no other poller can be alive) all of them."""
        assert self.application is not None, "attach() the Application first"
        records = await self.repo.inbox_unfinished(expired_only=not take_over)
        queued = []
        for record in records:
            if record.update is None or record.update_id in self._held:
                continue
            # Ours from now on (one owner per update across replicas); begin() counts the try.
            if not await self.repo.inbox_adopt(
                record.update_id, owner=self.owner, lease=self.policy.lease, any_lease=take_over
            ):
                continue
            update = Update.de_json(record.update, self.application.bot)
            self._held.add(record.update_id)
            await self.application.update_queue.put(update)
            queued.append(record)
        if queued:
            log.info("replaying %d update(s) a stopped process left unfinished", len(queued))
        return queued

    async def entries_replayed(self, records: Sequence[InboxRecord]) -> list[str]:
        """Entries already stored by the replayed updates (the replay confirms them)."""
        found = []
        for record in records:
            if record.user_id is None:
                continue
            entry_id = await self.repo.entry_id_by_key(record.user_id, entry_key(record.update_id))
            if entry_id is not None:
                found.append(entry_id)
        return found

    # -- upkeep ------------------------------------------------------------------------------

    def start(self) -> None:
        if self._loop_task is None:
            self._loop_task = asyncio.create_task(self._upkeep())

    async def close(self) -> None:
        """Stop the upkeep and hand unfinished updates back (a clean stop)."""
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
            self._loop_task = None
        with contextlib.suppress(StorageError):
            await self._record_finished()
            await self.repo.inbox_release(self.owner)

    async def _upkeep(self) -> None:
        beats = 0
        while True:
            await asyncio.sleep(self.policy.heartbeat.total_seconds())
            beats += 1
            try:
                await self.tick(prune=beats % 360 == 1)
            except StorageError as exc:
                log.warning("inbox upkeep failed: %s", type(exc).__name__)
            except Exception:
                log.exception("inbox upkeep failed")

    async def tick(self, *, prune: bool = False) -> None:
        """One round of upkeep: renew our leases, record late "done"s, replay what a dead
        owner left, and (now and then) forget old finished updates."""
        await self.repo.inbox_renew(self.owner, self.policy.lease)
        await self._record_finished()
        await self.replay()
        if prune:
            await self.repo.inbox_prune(
                done_for=self.policy.keep_done, parked_for=self.policy.keep_parked
            )

    async def _record_finished(self) -> None:
        for update_id in sorted(self._unrecorded):
            await self.repo.inbox_finish(update_id, owner=self.owner)
            self._unrecorded.discard(update_id)


class InboxBot(ExtBot[None]):
    """The bot whose ``getUpdates`` stores what it fetched before returning it.

    python-telegram-bot asks for the next batch (which tells Telegram to forget this one) while
    this batch is still being handled; storing first means nothing fetched exists only in
    memory. When storage is down the batch is refused as a network error: the poller backs off,
    Telegram delivers the same updates again (for up to 24 hours), and the senders are told
    their message waits.
    """

    def __init__(self, *args: Any, inbox: UpdateInbox, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._inbox = inbox

    @property
    def inbox(self) -> UpdateInbox:
        return self._inbox

    async def get_updates(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        updates = await super().get_updates(*args, **kwargs)
        try:
            for update in updates:
                await self._inbox.receive(update)
        except StorageError as exc:
            log.warning("updates not stored, left with Telegram: %s", type(exc).__name__)
            await self._inbox.not_stored(updates)
            raise NetworkError("updates could not be stored yet; Telegram keeps them") from exc
        return updates
