"""The nightly job (the community prior, facelog/learning.py): once per UTC day after
NIGHTLY_HOUR_UTC, by the leader only, in the background, and retried after a failure."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from scheduler.service import NIGHTLY_HOUR_UTC, Scheduler
from storage import Repository

from .test_backups import Clock, NoJobs


class Job:
    def __init__(self, fail: int = 0, hold: asyncio.Event | None = None) -> None:
        self.runs = 0
        self.fail = fail
        self.hold = hold

    async def __call__(self) -> None:
        self.runs += 1
        if self.hold is not None:
            await self.hold.wait()
        if self.runs <= self.fail:
            raise RuntimeError("storage hiccup")


def at(clock: Clock, hour: int, days: int = 0) -> None:
    clock.now = datetime(2024, 6, 2, hour, 0, tzinfo=UTC) + timedelta(days=days)


async def settled(scheduler: Scheduler) -> None:
    if scheduler.nightly_task is not None:
        await scheduler.nightly_task


async def test_once_a_day_after_the_hour_and_by_the_leader_only(repo: Repository) -> None:
    clock, job, other_job = Clock(), Job(), Job()
    leader = Scheduler(repo, NoJobs(), holder="a", clock=clock, nightly=job)
    other = Scheduler(repo, NoJobs(), holder="b", clock=clock, nightly=other_job)
    at(clock, NIGHTLY_HOUR_UTC - 1)
    await leader.tick()
    await settled(leader)
    assert job.runs == 0  # not yet: Seoul is still awake

    at(clock, NIGHTLY_HOUR_UTC)
    for _ in range(3):
        assert (await leader.tick()).leader
        assert not (await other.tick()).leader
        await settled(leader)
    assert (job.runs, other_job.runs) == (1, 0)

    at(clock, NIGHTLY_HOUR_UTC, days=1)
    await leader.tick()
    await settled(leader)
    assert job.runs == 2  # the next day's run
    await leader.stop()
    await other.stop()


async def test_a_failed_run_is_retried_and_a_tick_never_waits_for_one(repo: Repository) -> None:
    clock, hold = Clock(), asyncio.Event()
    job = Job(fail=1, hold=hold)
    scheduler = Scheduler(repo, NoJobs(), holder="a", clock=clock, nightly=job)
    at(clock, NIGHTLY_HOUR_UTC)
    await asyncio.wait_for(scheduler.tick(), 10)  # returns while the job is still running
    assert scheduler.nightly_task is not None and not scheduler.nightly_task.done()
    hold.set()
    await settled(scheduler)
    assert job.runs == 1  # it failed: the claim was given back

    await scheduler.tick()
    await settled(scheduler)
    assert job.runs == 2
    await scheduler.tick()
    await settled(scheduler)
    assert job.runs == 2  # done for the day
    await scheduler.stop()
