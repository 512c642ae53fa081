"""Scheduled backups (scheduler/backups.py): due from the newest archive, retention, failures
counted and logged without stopping anything, and only the leader writes them."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from scheduler.backups import BackupSchedule
from scheduler.jobs import Jobs, RunReport
from scheduler.service import Scheduler
from storage import MIGRATIONS, Repository
from storage.backup import list_backups, verify


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2024, 6, 2, 3, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def schedule(repo: Repository, folder: Path, clock: Clock, outcomes: list[str]) -> BackupSchedule:
    return BackupSchedule(
        repo.database,
        directory=folder,
        every=timedelta(hours=24),
        keep=2,
        cipher=None,
        app_version="test",
        source="test",
        latest_schema=MIGRATIONS[-1][0],
        on_outcome=outcomes.append,
        clock=clock,
    )


async def test_a_backup_every_period_and_the_newest_kept(repo: Repository, tmp_path: Path) -> None:
    await repo.create_entry(
        1,
        day=date(2024, 6, 1),
        emotion="happy",
        probabilities={"happy": 1.0},
        faces=1,
        text="t",
        photo=b"\xff\xd8" + bytes(5000),
    )
    clock, outcomes = Clock(), list[str]()
    backups = schedule(repo, tmp_path / "backups", clock, outcomes)
    for _ in range(3):
        task = backups.maybe_start()
        assert task is not None
        assert (await task) is not None
        assert backups.maybe_start() is None  # not due again within the period
        clock.now += timedelta(hours=25)
    kept = list_backups(tmp_path / "backups")
    assert len(kept) == 2 and outcomes == ["sent", "sent", "sent"]
    assert verify(kept[-1].path, None, latest_schema=99).collections["entries"] == 1
    assert kept[-1].summary is not None and kept[-1].summary["collections"]["entries"] == 1


async def test_a_failed_backup_is_logged_and_counted_and_retried_later(
    repo: Repository, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the folder should be")
    clock, outcomes = Clock(), list[str]()
    backups = schedule(repo, blocked, clock, outcomes)
    with caplog.at_level(logging.ERROR, logger="scheduler.backups"):
        task = backups.maybe_start()
        assert task is not None and (await task) is None
    assert outcomes == ["failed"] and "scheduled backup failed" in caplog.text
    assert backups.maybe_start() is None  # not retried at every tick
    clock.now += timedelta(minutes=16)
    blocked.unlink()
    task = backups.maybe_start()
    assert task is not None and (await task) is not None and outcomes[-1] == "sent"


class NoJobs(Jobs):
    def __init__(self) -> None:
        pass

    async def reminders(self, now: datetime) -> RunReport:
        return RunReport("reminder")

    async def summaries_due(self, now: datetime) -> RunReport:
        return RunReport("summary")


async def test_only_the_leader_writes_backups(repo: Repository, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    outcomes: list[str] = []
    leader = Scheduler(
        repo, NoJobs(), holder="a", backups=schedule(repo, folder, Clock(), outcomes)
    )
    other = Scheduler(repo, NoJobs(), holder="b", backups=schedule(repo, folder, Clock(), outcomes))
    assert (await leader.tick()).leader
    assert not (await other.tick()).leader
    assert other.backups is not None and not other.backups.running
    assert leader.backups is not None and leader.backups._task is not None
    await leader.backups._task
    assert len(list_backups(folder)) == 1
    await leader.stop()
    await other.stop()
