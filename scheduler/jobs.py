"""The scheduled jobs themselves: who is due, claim, decide, send, record — exactly once.

Every send follows the same steps against the sent-log in storage, keyed by (user, kind,
period):

1. ``claim_job`` — an atomic insert; only the instance/task that wins may go on. A restart, a
   second bot instance or an overlapping run finds the claim and does nothing.
2. decide — a reminder for a day the user already wrote is *skipped*; a summary of an empty
   month is skipped.
3. send through a :class:`Notifier` (the bot's Telegram sender in production).
4. ``complete_job`` records the outcome. A send that certainly did not reach Telegram (network
   error, 5xx after the sender's own retries) releases the claim, so the next tick retries it
   inside the grace period. A crash between 1 and 4 leaves the claim in place: the send may be
   lost but is never doubled — for a reminder or a summary, one missing message is the lesser
   harm than two.

Users are walked in id-ordered pages with bounded concurrency, so memory does not grow with the
number of users; Telegram's global and per-chat limits are enforced by the sender (python-
telegram-bot's ``AIORateLimiter`` in the bot, which also waits out 429s).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

from facelog.domain import Account, Month
from facelog.summary import (
    ChartSpec,
    MonthlySummary,
    SummaryService,
    chart_spec,
    reminder_text,
    render_chart,
    render_in_thread,
)
from scheduler.timing import Occurrence, due_reminder, due_summary
from storage import Repository

log = logging.getLogger(__name__)

JobKind = Literal["reminder", "summary"]
#: ``already``: another task, run or instance holds the claim (nothing sent by this one).
Outcome = Literal["sent", "skipped", "gone", "retry", "failed", "already"]
#: What a job step decided once it held the claim.
Decision = Literal["sent", "skipped"]


class RecipientGone(Exception):
    """The user blocked the bot or deleted their account (Telegram 403): stop writing to them."""


class DeliveryFailed(Exception):
    """The message certainly did not go out (network, 5xx): the claim is released for a retry."""


class Notifier(Protocol):
    """How scheduled messages leave the process; the bot implements it with Telegram."""

    async def remind(self, account: Account, text: str) -> None: ...

    async def summary(
        self, account: Account, summary: MonthlySummary, chart_png: bytes | None
    ) -> None: ...


@dataclass
class RunReport:
    """What one pass of one job did (logged, counted in metrics, asserted by tests)."""

    kind: JobKind
    outcomes: dict[Outcome, int] = field(default_factory=dict)

    def add(self, outcome: Outcome) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    def count(self, outcome: Outcome) -> int:
        return self.outcomes.get(outcome, 0)


ChartRenderer = Callable[[ChartSpec], Awaitable[bytes]]


def executor_renderer(executor: Executor) -> ChartRenderer:
    """Render charts in a (process) pool: the summary run's CPU-bound part, in parallel."""

    async def render(spec: ChartSpec) -> bytes:
        return await asyncio.get_running_loop().run_in_executor(executor, render_chart, spec)

    return render


class Jobs:
    """The reminder and summary passes; each pass is safe to run anywhere, any number of times."""

    def __init__(
        self,
        repo: Repository,
        summaries: SummaryService,
        notifier: Notifier,
        *,
        concurrency: int = 32,
        page_size: int = 500,
        render: ChartRenderer = render_in_thread,
        on_outcome: Callable[[JobKind, Outcome], None] | None = None,
    ) -> None:
        self.repo = repo
        self.summaries = summaries
        self.notifier = notifier
        self.concurrency = concurrency
        self.page_size = page_size
        self.render = render
        self.on_outcome = on_outcome

    async def reminders(self, now: datetime) -> RunReport:
        """Send every reminder due at ``now`` (including missed ones within the grace period)."""
        report = RunReport("reminder")
        await self._walk(
            report, lambda a: due_reminder(a.reminder, now), self._remind, reminders_only=True
        )
        return report

    async def summaries_due(self, now: datetime) -> RunReport:
        """Send every monthly summary due at ``now`` (the 1st's morning, up to 3 days late)."""
        report = RunReport("summary")
        await self._walk(
            report, lambda a: due_summary(a.user.zone, now), self._summarise, reminders_only=False
        )
        return report

    # -- steps ----------------------------------------------------------------------------

    async def _remind(self, account: Account, occurrence: Occurrence) -> Decision:
        if await self.repo.has_entry_on(account.user.id, occurrence.local_day):
            return "skipped"
        user = account.user
        await self.notifier.remind(
            account, reminder_text(user.language, user.name, user.id, occurrence.local_day)
        )
        return "sent"

    async def _summarise(self, account: Account, occurrence: Occurrence) -> Decision:
        summary = await self.summaries.build(account, Month.parse(occurrence.period))
        if not summary.entries:
            return "skipped"
        chart = await self.render(chart_spec(summary, account.user.language))
        await self.notifier.summary(account, summary, chart)
        return "sent"

    async def _once(
        self,
        account: Account,
        kind: JobKind,
        occurrence: Occurrence,
        step: Callable[[Account, Occurrence], Awaitable[Decision]],
    ) -> Outcome:
        user_id = account.user.id
        if not await self.repo.claim_job(user_id, kind, occurrence.period):
            return "already"
        try:
            outcome = await step(account, occurrence)
        except RecipientGone:
            await self.repo.set_user_active(user_id, False)
            await self.repo.complete_job(user_id, kind, occurrence.period, state="gone")
            return "gone"
        except DeliveryFailed:
            await self.repo.release_job(user_id, kind, occurrence.period)
            return "retry"
        except Exception:
            # Unknown failure: whether Telegram got the message is unknown, so keep the claim
            # (never a double send) and let the operator see it in the log.
            log.exception("%s for a user failed", kind)
            return "failed"
        await self.repo.complete_job(user_id, kind, occurrence.period, state=outcome)
        return outcome

    async def _walk(
        self,
        report: RunReport,
        due: Callable[[Account], Occurrence | None],
        step: Callable[[Account, Occurrence], Awaitable[Decision]],
        *,
        reminders_only: bool,
    ) -> None:
        """Every active account, a page at a time, at most ``concurrency`` sends in flight.

        Jobs already in the sent-log are filtered out per page with one query, so a tick
        during a summary's three-day window costs a read per page, not a failed claim per user.
        """
        gate = asyncio.Semaphore(self.concurrency)
        pending: set[asyncio.Task[None]] = set()

        async def run(account: Account, occurrence: Occurrence) -> None:
            try:
                outcome = await self._once(account, report.kind, occurrence, step)
            finally:
                gate.release()
            report.add(outcome)
            if self.on_outcome is not None:
                self.on_outcome(report.kind, outcome)

        async def dispatch(page: list[Account]) -> None:
            todo = [(a, o) for a in page if (o := due(a)) is not None]
            recorded = await self._recorded(report.kind, todo)
            for account, occurrence in todo:
                if (account.user.id, occurrence.period) in recorded:
                    continue
                await gate.acquire()
                task = asyncio.create_task(run(account, occurrence))
                pending.add(task)
                task.add_done_callback(pending.discard)

        page: list[Account] = []
        async for account in self.repo.iter_accounts(
            active_only=True, reminders_only=reminders_only, batch_size=self.page_size
        ):
            page.append(account)
            if len(page) >= self.page_size:
                await dispatch(page)
                page = []
        if page:
            await dispatch(page)
        if pending:
            await asyncio.gather(*pending)

    async def _recorded(
        self, kind: JobKind, todo: list[tuple[Account, Occurrence]]
    ) -> set[tuple[int, str]]:
        by_period: dict[str, list[int]] = {}
        for account, occurrence in todo:
            by_period.setdefault(occurrence.period, []).append(account.user.id)
        recorded: set[tuple[int, str]] = set()
        for period, user_ids in by_period.items():
            found = await self.repo.recorded_jobs(user_ids, kind, period)
            recorded.update((user_id, period) for user_id in found)
        return recorded
