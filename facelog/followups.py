"""Anna's comment when the LLM is late or down: the post is confirmed at once, her words follow.

A post's entry is stored before Anna is asked (``DiaryService.post``), so the only thing a slow,
failing or babbling LLM can delay is her comment, and a person should not stare at "typing…" for
a minute because of it. :meth:`CommentFollowups.first_comment` waits at most ``first_answer_s``
for the LLM; when it has no usable answer by then, the post is answered with the entry and
"Anna will answer shortly", and a background task keeps going: the first request runs on, then a
few more tries with backoff, and the comment — the LLM's, or the offline writer's once the retry
budget is spent — is stored with the entry and handed to ``deliver`` (the bot sends it as a reply
to the post).

Tasks live in this process only. At start :meth:`resume` finishes the entries of the last hours
that still have no comment; the same path confirms a post whose process died after storing the
entry and before answering. Confirmation is at least once (a crash between sending the reply and
the next start can repeat one, never an entry); the one gap is a crash in the instant between
storing her comment and sending the post, which leaves a complete entry unannounced.

Nothing here imports Telegram: ``deliver`` is whatever the front end wants it to be.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Collection, Coroutine
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, TypeVar

from facelog.anna import AnnaReply, CommentRequest
from facelog.config import Settings
from facelog.diary import DiaryService
from facelog.domain import Account, Entry
from facelog.retry import backoff_delay
from storage import StorageError

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Newest entries per user looked at by :meth:`CommentFollowups.resume`.
RESUME_PER_USER = 5
#: A storage step of a follow-up while the database is down: this many tries, backoff 1–30 s.
SAVE_TRIES = 6


@dataclass(frozen=True)
class FollowupPolicy:
    """How long a post waits for Anna, and how hard her comment is chased afterwards.

    ``first_answer_s`` bounds the wait before the post is answered without her; ``retries``
    more LLM tries follow, ``retry_base_s`` apart and doubling up to ``retry_max_s``; at start,
    entries younger than ``resume_window`` without a comment are finished. ``concurrency`` caps
    background LLM calls, so a restart with many unfinished entries cannot flood the LLM.
    """

    first_answer_s: float = 12.0
    retries: int = 3
    retry_base_s: float = 20.0
    retry_max_s: float = 300.0
    resume_window: timedelta = timedelta(hours=24)
    concurrency: int = 4

    @classmethod
    def from_settings(cls, settings: Settings) -> FollowupPolicy:
        return cls(
            first_answer_s=settings.llm_first_answer_s,
            retries=settings.llm_followup_retries,
            retry_base_s=settings.llm_followup_delay_s,
            resume_window=timedelta(hours=settings.llm_followup_window_h),
        )


@dataclass(frozen=True)
class Followup:
    """A comment that arrived after its post was answered (``entry.anna_comment`` is set).

    ``reply_to`` is the message id of the person's post when known (the live case); None after a
    restart, when the person may never have seen the post confirmed.
    """

    account: Account
    entry: Entry
    reply_to: int | None


Deliver = Callable[[Followup], Awaitable[object]]


class CommentFollowups:
    """Owns the background tasks that finish late comments (see the module docstring), and the
    periodic sweep of photos orphaned by a crash."""

    def __init__(
        self,
        diary: DiaryService,
        policy: FollowupPolicy | None = None,
        deliver: Deliver | None = None,
    ) -> None:
        self.diary = diary
        self.policy = policy or FollowupPolicy()
        self.deliver = deliver
        self._tasks: set[asyncio.Task[None]] = set()
        self._busy: set[str] = set()
        self._replaying: set[str] = set()
        self._gate = asyncio.Semaphore(max(1, self.policy.concurrency))
        self._sweeper: asyncio.Task[None] | None = None
        #: Comments stored and handed to ``deliver`` so far (for tests and the load test).
        self.delivered = 0

    @property
    def pending(self) -> int:
        """Follow-ups still running."""
        return len(self._tasks)

    async def first_comment(
        self, account: Account, entry: Entry, *, reply_to: int | None = None
    ) -> str | None:
        """Anna's comment if the LLM gives one within ``first_answer_s`` (stored with the entry);
        None otherwise, and a follow-up will deliver it.

        Never raises for a storage or LLM failure: the entry is already stored, so the caller
        must be able to confirm it whatever happens to the comment.
        """
        if entry.anna_comment:
            return entry.anna_comment
        try:
            request = await self.diary.comment_request(account, entry)
        except StorageError:
            self._spawn(account, entry, None, now=True, reply_to=reply_to)
            return None
        running = asyncio.create_task(self.diary.anna.attempt(request))
        try:
            done, _ = await asyncio.wait({running}, timeout=self.policy.first_answer_s)
        except asyncio.CancelledError:
            running.cancel()
            raise
        reply: AnnaReply | None = None
        if done:
            try:
                reply = running.result()
            except Exception as error:  # a bug must delay the comment, not lose the post
                # With its traceback (a bug is fixed from it); the message holds no diary text.
                log.error("anna's first try failed: %s", type(error).__name__, exc_info=error)
        if reply is None:
            self._spawn(
                account, entry, request, running=None if done else running, reply_to=reply_to
            )
            return None
        try:
            stored = await self.diary.save_comment(account.user.id, entry.id, reply.text)
        except StorageError:
            # The comment is in hand: show it now and keep trying to save it, rather than
            # telling the person that nothing was saved.
            self._spawn(account, entry, request, known=reply, reply_to=None, deliver=False)
            return reply.text
        return reply.text if stored else None

    def confirm_later(self, account: Account, entry: Entry) -> None:
        """Deliver a commented post whose confirmation could not be sent (Telegram was down
        beyond the send retries): the whole post, with backoff until it goes out."""
        self._track(self._deliver(Followup(account, entry, None), wait_first=True))

    def start(
        self,
        *,
        sweep_every: timedelta | None = timedelta(minutes=10),
        replaying: Collection[str] = (),
    ) -> None:
        """At start: :meth:`resume` in the background, and sweep orphaned blobs periodically.

        ``replaying`` names entries whose update the bot is handling again from its inbox: that
        replay confirms them, so resuming them too would show the post twice.

        ``open_storage`` sweeps once at start, but only blobs older than ten minutes (younger
        ones may belong to a post in flight on another instance); the periodic sweep removes
        what a crash just before the start left behind.
        """
        self._replaying = set(replaying)
        self._track(self._resume_quietly())
        if sweep_every is not None and self._sweeper is None:
            self._sweeper = asyncio.create_task(self._sweep_every(sweep_every))

    async def resume(self) -> int:
        """Finish entries of the last ``resume_window`` that have no comment; return how many.

        Run once at start (in the background: it walks every active account). Entries created
        after the walk began are the live path's business and are left alone.
        """
        started = self.diary.clock()
        since = started - self.policy.resume_window
        found = 0
        async for account in self.diary.repo.iter_accounts(active_only=True):
            for entry in await self.diary.repo.recent_entries(account.user.id, RESUME_PER_USER):
                if entry.anna_comment or entry.id in self._busy or entry.id in self._replaying:
                    continue
                if not since <= entry.created_at <= started:
                    continue
                self._spawn(account, entry, None, now=True, reply_to=None)
                found += 1
        if found:
            log.info("resuming %d comment(s) left unfinished by the last run", found)
        return found

    async def drain(self, timeout: float | None = None) -> bool:
        """Wait until every follow-up has finished; False if ``timeout`` came first."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while self._tasks:
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                return False
            await asyncio.wait(set(self._tasks), timeout=remaining)
        return True

    async def aclose(self) -> None:
        """Cancel what is still running (at shutdown; :meth:`resume` picks it up next time)."""
        tasks = list(self._tasks)
        if self._sweeper is not None:
            tasks.append(self._sweeper)
            self._sweeper = None
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # -- the background part ------------------------------------------------------------------

    def _track(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _spawn(
        self,
        account: Account,
        entry: Entry,
        request: CommentRequest | None,
        *,
        running: asyncio.Task[AnnaReply | None] | None = None,
        known: AnnaReply | None = None,
        now: bool = False,
        reply_to: int | None,
        deliver: bool = True,
    ) -> None:
        self._busy.add(entry.id)
        self._track(self._finish(account, entry, request, running, known, now, reply_to, deliver))

    async def _finish(
        self,
        account: Account,
        entry: Entry,
        request: CommentRequest | None,
        running: asyncio.Task[AnnaReply | None] | None,
        known: AnnaReply | None,
        now: bool,
        reply_to: int | None,
        deliver: bool,
    ) -> None:
        try:
            reply = known
            if reply is None and running is not None:
                try:
                    reply = await running
                finally:
                    running.cancel()  # a no-op once done; stops it if we are cancelled
            if reply is None:
                if request is None:
                    request = await self._storage_retry(
                        lambda: self.diary.comment_request(account, entry)
                    )
                reply = await self._retry(request, now)
            text = reply.text
            if await self._storage_retry(lambda: self._save(account, entry, text)) and deliver:
                finished = replace(entry, anna_comment=text)
                await self._deliver(Followup(account, finished, reply_to), wait_first=False)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a background task has nobody to raise to: log it here
            log.error("a comment follow-up failed: %s", type(error).__name__, exc_info=error)
        finally:
            self._busy.discard(entry.id)

    async def _retry(self, request: CommentRequest, now: bool) -> AnnaReply:
        """More LLM tries with backoff; the offline writer's comment when they are spent."""
        policy = self.policy
        waits = [0.0] if now else []
        waits += [
            backoff_delay(n, policy.retry_base_s, policy.retry_max_s) for n in range(policy.retries)
        ]
        for wait in waits:
            await asyncio.sleep(wait)
            async with self._gate:
                reply = await self.diary.anna.attempt(request)
            if reply is not None:
                return reply
        return self.diary.anna.offline_reply(request, "retry-budget-spent")

    async def _save(self, account: Account, entry: Entry, text: str) -> bool:
        """Store the comment unless the entry is gone (erased meanwhile) or already has one."""
        current = await self.diary.entry(account.user.id, entry.id)
        if current is None or current.anna_comment:
            return False
        return await self.diary.save_comment(account.user.id, entry.id, text)

    async def _storage_retry(self, step: Callable[[], Awaitable[T]]) -> T:
        """Run a storage step, riding out a database outage of up to a few minutes."""
        for attempt in range(SAVE_TRIES - 1):
            try:
                return await step()
            except StorageError as error:
                log.warning("storage failed in a follow-up (%s); retrying", type(error).__name__)
                await asyncio.sleep(backoff_delay(attempt, 1.0, 30.0))
        return await step()

    async def _deliver(self, followup: Followup, *, wait_first: bool) -> None:
        """Hand a finished comment to ``deliver``, retrying with backoff if sending fails."""
        policy = self.policy
        for n in range(policy.retries + 1):
            if wait_first or n:
                await asyncio.sleep(backoff_delay(n, policy.retry_base_s, policy.retry_max_s))
            if self.deliver is None:
                return
            try:
                await self.deliver(followup)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # Telegram's errors, and bugs: both worth a traceback
                log.warning("delivering a comment failed: %s", type(error).__name__, exc_info=error)
                continue
            self.delivered += 1
            return

    async def _resume_quietly(self) -> None:
        try:
            await self.resume()
        except StorageError as error:
            log.warning("could not resume unfinished comments: %s", type(error).__name__)

    async def _sweep_every(self, interval: timedelta) -> None:
        while True:
            await asyncio.sleep(interval.total_seconds())
            try:
                await self.diary.repo.sweep_pending_blobs()
            except StorageError as error:
                log.warning("sweeping orphaned blobs failed: %s", type(error).__name__)
