"""The scheduler inside the bot's process: an APScheduler tick, led by one instance at a time.

Why one periodic tick rather than a cron job per user: the truth about who wants what, when,
lives in storage (settings change from any replica, users come and go), and the time rules are
pure functions (:mod:`scheduler.timing`). Each tick asks "what is due now?" — which also makes
catching up after downtime the same code path as the normal case: the first tick after a start
finds everything still inside its grace period.

Leadership: every instance ticks, but only the holder of the ``scheduler`` lease in storage runs
the jobs; it renews the lease each tick, and when it dies the lease expires and another instance
takes over. The sent-log makes even an overlap (a paused leader waking up after takeover) unable
to double-send.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from facelog.diary import utc_now
from scheduler.backups import BackupSchedule
from scheduler.jobs import Jobs, RunReport
from storage import Repository, StorageError

log = logging.getLogger(__name__)

LEASE_NAME = "scheduler"
#: The community prior is recomputed after this hour (UTC) each day: 03:00 in Seoul, when
#: Facelog's Korean users sleep and few posts arrive.
NIGHTLY_HOUR_UTC = 18
NIGHTLY_KIND = "community-prior"


def instance_id() -> str:
    """Unique per process, readable in the leases collection (host, pid, random suffix)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class TickReport:
    """One tick: whether this instance led, and what each job did."""

    leader: bool
    reports: tuple[RunReport, ...] = ()


class Scheduler:
    """Runs :class:`Jobs` every ``interval`` while this instance holds the lease."""

    def __init__(
        self,
        repo: Repository,
        jobs: Jobs,
        *,
        interval: timedelta = timedelta(seconds=60),
        lease_ttl: timedelta | None = None,
        clock: Callable[[], datetime] = utc_now,
        holder: str | None = None,
        backups: BackupSchedule | None = None,
        nightly: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        self.repo = repo
        self.jobs = jobs
        self.interval = interval
        # Long enough that a slow tick (a big summary run) does not lose the lease midway;
        # the lease is also renewed between the two jobs.
        self.lease_ttl = lease_ttl or max(3 * interval, timedelta(minutes=3))
        self.clock = clock
        self.holder = holder or instance_id()
        self.backups = backups
        self._aps: AsyncIOScheduler | None = None
        self._lock = asyncio.Lock()
        #: Once a day, after NIGHTLY_HOUR_UTC: the community prior (facelog.learning). It reads
        #: every labelled entry, so it runs as its own task: reminders never wait for it.
        self.nightly = nightly
        self.nightly_task: asyncio.Task[None] | None = None

    async def tick(self) -> TickReport:
        """One pass: take or keep the lease, then send what is due. Never raises."""
        async with self._lock:  # a slow tick and the next one never overlap in one process
            try:
                if not await self.repo.acquire_lease(LEASE_NAME, self.holder, self.lease_ttl):
                    return TickReport(leader=False)
                reminders = await self.jobs.reminders(self.clock())
                if not await self.repo.renew_lease(LEASE_NAME, self.holder, self.lease_ttl):
                    log.warning("scheduler lease lost during a tick; another instance leads")
                    return TickReport(leader=False, reports=(reminders,))
                summaries = await self.jobs.summaries_due(self.clock())
                await self._start_nightly(self.clock())
            except StorageError as exc:
                log.warning("scheduler tick skipped: storage %s", type(exc).__name__)
                return TickReport(leader=False)
            except Exception:
                log.exception("scheduler tick failed")
                return TickReport(leader=False)
        for report in (reminders, summaries):
            if report.outcomes:
                log.info("scheduler %s: %s", report.kind, report.outcomes)
        if self.backups is not None:  # the leader only; runs as its own task
            self.backups.maybe_start()
        return TickReport(leader=True, reports=(reminders, summaries))

    async def _start_nightly(self, now: datetime) -> None:
        """Claim today's nightly run in the sent-log (once per UTC day across all instances,
        like a reminder) and start it in the background."""
        if self.nightly is None or now.hour < NIGHTLY_HOUR_UTC:
            return
        if self.nightly_task is not None and not self.nightly_task.done():
            return
        period = now.date().isoformat()
        if await self.repo.claim_job(0, NIGHTLY_KIND, period):
            self.nightly_task = asyncio.create_task(
                self._run_nightly(self.nightly, period), name="facelog-nightly"
            )

    async def _run_nightly(self, job: Callable[[], Awaitable[object]], period: str) -> None:
        """Run the claimed job; a failure (or a stop mid-way) gives the claim back, so a later
        tick, here or on another instance, runs it again."""
        try:
            await job()
        except BaseException as exc:
            if not isinstance(exc, asyncio.CancelledError):
                log.exception("nightly job failed; retried on a later tick")
            with contextlib.suppress(StorageError):
                await self.repo.release_job(0, NIGHTLY_KIND, period)
            if isinstance(exc, asyncio.CancelledError):
                raise
            return
        with contextlib.suppress(StorageError):
            await self.repo.complete_job(0, NIGHTLY_KIND, period)

    def start(self) -> None:
        """Tick now (catch-up after a restart) and then every ``interval``, inside this loop."""
        aps = AsyncIOScheduler(timezone=UTC)
        aps.add_job(
            self.tick,
            IntervalTrigger(seconds=self.interval.total_seconds(), timezone=UTC),
            id="facelog-tick",
            next_run_time=datetime.now(UTC),
            max_instances=1,
            coalesce=True,
            misfire_grace_time=int(self.interval.total_seconds()),
        )
        aps.start()
        self._aps = aps

    async def stop(self) -> None:
        """Stop ticking and hand the lease back so another instance leads without waiting."""
        if self._aps is not None:
            self._aps.shutdown(wait=False)
            self._aps = None
        if self.backups is not None:
            await self.backups.stop()
        if self.nightly_task is not None and not self.nightly_task.done():
            self.nightly_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.nightly_task
        async with self._lock:
            with contextlib.suppress(StorageError):  # if storage is down, it expires on its own
                await self.repo.release_lease(LEASE_NAME, self.holder)
