"""Scheduled backups: the scheduler's leader writes one every ``every`` and keeps ``keep``.

Why inside the scheduler rather than a cron job: the bot already elects one leader among its
instances (the ``scheduler`` lease), so exactly one of them writes backups, and nothing else
has to be installed next to it. The backup runs as its own task: a tick never waits for it,
and a failure is logged and counted but never stops the bot. Each archive is written under a
temporary name, verified, then renamed (``storage/backup.py``), so a crash or a kill mid-way
leaves no file under a final name; leftovers are removed by the next run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from storage.backup import (
    BackupResult,
    backup_name,
    directory_lock,
    gentle_pause,
    list_backups,
    prune,
    remove_stale_partials,
    write_backup,
)
from storage.crypto import Cipher

log = logging.getLogger(__name__)

#: After a failed backup, wait this long before the next try (not a full period, not every tick).
RETRY_AFTER = timedelta(minutes=15)


class BackupSchedule:
    """Decides when a backup is due (from the newest archive in the folder) and writes it."""

    def __init__(
        self,
        database: AsyncDatabase[dict[str, Any]],
        *,
        directory: Path,
        every: timedelta,
        keep: int,
        cipher: Cipher | None,
        app_version: str,
        source: str,
        latest_schema: int,
        on_outcome: Callable[[str], None] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.database = database
        self.directory = Path(directory)
        self.every = every
        self.keep = keep
        self.cipher = cipher
        self.app_version = app_version
        self.source = source
        self.latest_schema = latest_schema
        self.on_outcome = on_outcome
        self.clock = clock
        self._task: asyncio.Task[BackupResult | None] | None = None
        self._failed_at: datetime | None = None

    def due(self) -> bool:
        """Whether the newest backup is older than ``every`` (or a retry after a failure is)."""
        now = self.clock()
        if self._failed_at is not None and now - self._failed_at < RETRY_AFTER:
            return False
        backups = list_backups(self.directory)
        return not backups or now - backups[-1].created_at >= self.every

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def maybe_start(self) -> asyncio.Task[BackupResult | None] | None:
        """Start a backup in the background when one is due; the task, or None."""
        if self.running or not self.due():
            return None
        self._task = asyncio.get_running_loop().create_task(self.run(), name="facelog-backup")
        return self._task

    async def run(self) -> BackupResult | None:
        """Write, verify and rename one backup, then prune; never raises (but cancellation)."""
        try:
            with directory_lock(self.directory) as mine:
                if not mine:  # another process (a `facelog backup`?) is writing here now
                    return None
                remove_stale_partials(self.directory)
                name = backup_name(self.clock(), self.cipher is not None and self.cipher.enabled)
                result = await write_backup(
                    self.database,
                    self.directory / name,
                    cipher=self.cipher,
                    app_version=self.app_version,
                    source=self.source,
                    latest_schema=self.latest_schema,
                    pause=gentle_pause,
                )
                removed = prune(self.directory, self.keep)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # any failure: logged and counted, the bot goes on
            self._failed_at = self.clock()
            log.error("scheduled backup failed: %s: %s", type(exc).__name__, _first_line(exc))
            self._count("failed")
            return None
        self._failed_at = None
        log.info(
            "backup written: %s (%.1f MB in %.1f s; %d older removed)",
            result.path.name,
            result.size / 1e6,
            result.seconds,
            len(removed),
        )
        self._count("sent")
        return result

    def _count(self, outcome: str) -> None:
        if self.on_outcome is not None:
            with contextlib.suppress(Exception):
                self.on_outcome(outcome)

    async def stop(self) -> None:
        """Cancel a backup in progress (its temporary file is removed; no final name appears)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else ""
