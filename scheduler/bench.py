"""Monthly summaries at scale: ``python -m scheduler.bench [--users 1000 3000 10000]``.

For each size, in a fresh process (so peak memory belongs to that size alone): an embedded
nx-27017 store with N users and ``--entries`` entries each in October, the fake Telegram Bot API
server in its own process refusing more than 30 sends per second with 429 (Telegram's broadcast
limit), and the production path — :class:`~scheduler.jobs.Jobs` with the offline Anna, charts in
a process pool, the bot's rate limiter (:class:`~bot.resilience.ResilientRateLimiter`) — sending
every summary due on 1 November. It reports the wall time, throughput, peak RSS of the bot
process and of a chart worker, 429s met, and checks every user got exactly one summary. Results
go to ``scheduler/bench-results.json``.

The entries are inserted in bulk (no photos: summaries never read them) — a benchmark shortcut;
users are created through the repository like the bot does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bson import ObjectId

from facelog.domain import EMOTIONS, Entry, ReminderSettings, User

DEFAULT_OUT = Path(__file__).with_name("bench-results.json")
FIRST_ID = 500_000_000
#: 09:05 in Seoul on 1 November 2026: every user's October summary is due.
NOW = datetime(2026, 11, 1, 0, 5, tzinfo=UTC)


def _rss_mb(pid: int | str = "self") -> float:
    """Resident memory from /proc (Linux), in MB; 0 where unavailable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _fake_telegram(conn: Connection, users: int, rate: float) -> None:
    """Child process: the fake Bot API server until the parent says stop; then its counters."""
    from fakebotapi.server import FakeTelegram

    async def serve() -> None:
        async with FakeTelegram(messages_per_second=rate, keep_calls=False) as fake:
            for offset in range(users):
                fake.register_user(
                    {"id": FIRST_ID + offset, "is_bot": False, "first_name": f"U{offset}"}
                )
            conn.send((fake.base_url, fake.token))
            await asyncio.get_running_loop().run_in_executor(None, conn.recv)
            conn.send(
                {
                    "sent": dict(fake.sent),
                    "flooded": fake.flooded,
                    "chats": len({chat for (chat, _) in fake.messages}),
                }
            )

    asyncio.run(serve())


async def _populate(repo: Any, users: int, entries: int) -> None:
    from storage.repository import _entry_doc

    gate = asyncio.Semaphore(32)

    async def one(offset: int) -> None:
        async with gate:
            user_id = FIRST_ID + offset
            created = datetime(2026, 1, 1, tzinfo=UTC)
            await repo.save_user(User(user_id, f"사용자{offset}", created))
            await repo.set_reminder_settings(user_id, ReminderSettings(True, 21, 0, "Asia/Seoul"))

    await asyncio.gather(*(one(i) for i in range(users)))
    collection = repo.database["entries"]
    batch: list[dict[str, Any]] = []
    for offset in range(users):
        user_id = FIRST_ID + offset
        for n in range(entries):
            emotion = EMOTIONS[(offset + n * 7) % len(EMOTIONS)]
            entry = Entry(
                id=str(ObjectId()),
                user_id=user_id,
                day=date(2026, 10, 1 + n % 31),
                created_at=datetime(2026, 10, 1 + n % 31, 12, tzinfo=UTC),
                emotion=emotion,
                probabilities={emotion.value: 0.9},
                faces=1,
                text="오늘은 산책을 했다",
                photo_id=str(ObjectId()),
            )
            batch.append(_entry_doc(entry, None, repo._cipher))
            if len(batch) >= 2000:
                await collection.insert_many(batch, ordered=False)
                batch.clear()
    if batch:
        await collection.insert_many(batch, ordered=False)


async def _one_size(users: int, entries: int, rate: float, workers: int) -> dict[str, Any]:
    from telegram.ext import ExtBot
    from telegram.request import HTTPXRequest

    from bot.notifier import TelegramNotifier
    from bot.resilience import ResilientRateLimiter
    from facelog.anna import Anna
    from facelog.summary import SummaryService
    from scheduler.jobs import Jobs, executor_renderer
    from storage import Repository
    from storage.embedded import EmbeddedMongo

    spawn = multiprocessing.get_context("spawn")
    parent, child = spawn.Pipe()
    telegram = spawn.Process(target=_fake_telegram, args=(child, users, rate), daemon=True)
    telegram.start()
    with tempfile.TemporaryDirectory() as tmp:
        server = EmbeddedMongo(Path(tmp))
        await server.start()
        try:
            repo = await Repository.connect(server.uri, "bench")
            await repo.migrate()
            started = time.perf_counter()
            await _populate(repo, users, entries)
            populate_s = time.perf_counter() - started
            base_url, token = parent.recv()
            pool = ProcessPoolExecutor(max_workers=workers, mp_context=spawn)
            peak = {"bot": _rss_mb(), "chart_worker": 0.0}
            rss_before = peak["bot"]

            async def sample() -> None:
                while True:
                    peak["bot"] = max(peak["bot"], _rss_mb())
                    for pid in list(getattr(pool, "_processes", {}) or {}):
                        peak["chart_worker"] = max(peak["chart_worker"], _rss_mb(pid))
                    await asyncio.sleep(0.5)

            sampler = asyncio.create_task(sample())
            # As the Application builds its bot: a connection pool, every call rate-limited.
            bot: ExtBot[int] = ExtBot(
                token,
                base_url=base_url,
                rate_limiter=ResilientRateLimiter(flood_retries=10),
                request=HTTPXRequest(connection_pool_size=256),
            )
            async with bot, Anna(None) as anna:
                jobs = Jobs(
                    repo,
                    SummaryService(repo, anna),
                    TelegramNotifier(bot),
                    render=executor_renderer(pool),
                    concurrency=64,
                )
                started = time.perf_counter()
                report = await jobs.summaries_due(NOW)
                elapsed = time.perf_counter() - started
            sampler.cancel()
            pool.shutdown(wait=True)
            sent_log = await repo.database["sent_log"].count_documents(
                {"kind": "summary", "period": "2026-10", "state": "sent"}
            )
            await repo.close()
        finally:
            await server.stop()
    parent.send("stop")
    telegram_counts = parent.recv()
    telegram.join(timeout=10)
    delivered = int(telegram_counts["sent"].get("sendPhoto", 0))
    return {
        "users": users,
        "entries_per_user": entries,
        "populate_s": round(populate_s, 1),
        "summaries_s": round(elapsed, 1),
        "summaries_per_s": round(delivered / elapsed, 2) if elapsed else None,
        "outcomes": report.outcomes,
        "telegram_sends": telegram_counts["sent"],
        "telegram_429s": telegram_counts["flooded"],
        "chats_reached": telegram_counts["chats"],
        "sent_log_sent": sent_log,
        "exactly_one_each": delivered == users == sent_log == telegram_counts["chats"],
        "rss_mb_before": round(rss_before, 1),
        "rss_mb_peak": round(peak["bot"], 1),
        "chart_worker_rss_mb_peak": round(peak["chart_worker"], 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, nargs="+", default=[1000, 3000, 10000])
    parser.add_argument("--entries", type=int, default=30)
    parser.add_argument("--rate", type=float, default=30.0, help="Telegram sends per second")
    parser.add_argument("--workers", type=int, default=2, help="chart processes")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        result = asyncio.run(_one_size(args.users[0], args.entries, args.rate, args.workers))
        print(json.dumps(result))
        return 0
    runs = []
    for users in args.users:
        command = [sys.executable, "-m", "scheduler.bench", "--one", "--users", str(users)]
        command += ["--entries", str(args.entries), "--rate", str(args.rate)]
        command += ["--workers", str(args.workers)]
        done = subprocess.run(command, check=True, capture_output=True, text=True)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        runs.append(result)
        print(
            f"{users:>6} users: {result['summaries_s']:>7.1f} s "
            f"({result['summaries_per_s']} summaries/s), 429s {result['telegram_429s']}, "
            f"RSS {result['rss_mb_before']}→{result['rss_mb_peak']} MB, chart worker "
            f"{result['chart_worker_rss_mb_peak']} MB, exactly one each: "
            f"{result['exactly_one_each']} {result['outcomes']}",
            flush=True,
        )
    document = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "telegram_rate_limit_per_s": args.rate,
        "runs": runs,
    }
    args.out.write_text(json.dumps(document, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
