"""Timings of the repository's main operations: ``python -m storage.bench [--uri mongodb://…]``.

Without ``--uri`` it starts a throw-away embedded nx-27017 server in a temporary directory (the
default deployment) and also measures the server's cold start and a watchdog restart after
``kill -9``. Results go to ``storage/bench-results.json`` (what storage/README.md quotes).
Synthetic data only: random bytes stand in for photos, and no diary text is real.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

from facelog.domain import EMOTIONS, Month

from .embedded import EmbeddedMongo
from .repository import Repository, StorageUnavailable

DEFAULT_OUT = Path(__file__).with_name("bench-results.json")
PHOTO_BYTES = 150 * 1024  # a Telegram photo at its largest size is typically 100–250 KB


def _percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _summary(samples_s: list[float]) -> dict[str, float | int]:
    ordered = sorted(samples_s)
    return {
        "n": len(ordered),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 2),
        "p50_ms": round(_percentile(ordered, 0.50) * 1000, 2),
        "p95_ms": round(_percentile(ordered, 0.95) * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


async def _begin_finish(repo: Repository, update_id: int) -> None:
    """An update's whole way through the inbox after it was received: two writes."""
    await repo.inbox_begin(update_id, owner="bench", lease=timedelta(seconds=30))
    await repo.inbox_finish(update_id, owner="bench")


async def _timed(n: int, op: Callable[[int], Awaitable[object]]) -> dict[str, float | int]:
    samples = []
    for i in range(n):
        started = time.perf_counter()
        await op(i)
        samples.append(time.perf_counter() - started)
    return _summary(samples)


async def _throughput(
    n: int, concurrency: int, op: Callable[[int], Awaitable[object]]
) -> dict[str, float | int]:
    gate = asyncio.Semaphore(concurrency)
    samples: list[float] = []

    async def one(i: int) -> None:
        async with gate:
            started = time.perf_counter()
            await op(i)
            samples.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    elapsed = time.perf_counter() - started
    return {**_summary(samples), "concurrency": concurrency, "ops_per_s": round(n / elapsed, 1)}


async def _bench_repository(repo: Repository, entries: int, concurrency: int) -> dict[str, Any]:
    rng = random.Random(7)
    photo = rng.randbytes(PHOTO_BYTES)
    results: dict[str, Any] = {}
    user, other = 1_000_001, 1_000_002
    first_day = date(2024, 1, 1)
    ids: list[str] = []

    async def create(i: int, user_id: int = user) -> None:
        entry = await repo.create_entry(
            user_id,
            day=first_day + timedelta(days=i % 300),
            emotion=EMOTIONS[i % 4],
            probabilities={e.value: 0.25 for e in EMOTIONS},
            faces=1,
            text=f"synthetic diary line {i} " * 8,
            photo=photo,
        )
        ids.append(entry.id)

    results["migrate"] = await _timed(1, lambda _: repo.migrate())
    results["create_entry_150KB"] = await _timed(entries // 2, create)
    results["create_entry_150KB_concurrent"] = await _throughput(
        entries - entries // 2, concurrency, lambda i: create(i + entries // 2)
    )
    for i in range(30):
        await create(i, other)
    results["get_entry"] = await _timed(200, lambda i: repo.get_entry(user, ids[i % len(ids)]))
    results["get_photo_150KB"] = await _timed(50, lambda i: repo.get_photo(user, ids[i]))
    results["list_month"] = await _timed(
        50, lambda i: repo.list_month(user, Month(2024, 1 + i % 10))
    )
    results["list_day"] = await _timed(50, lambda i: repo.list_day(user, first_day + timedelta(i)))
    results["has_entry_on"] = await _timed(
        50, lambda i: repo.has_entry_on(user, first_day + timedelta(i))
    )
    results["emotion_counts_all_time"] = await _timed(30, lambda _: repo.emotion_counts(user))
    results["emotion_counts_month"] = await _timed(
        30, lambda i: repo.emotion_counts(user, Month(2024, 1 + i % 10))
    )
    results["recent_entries_5"] = await _timed(50, lambda _: repo.recent_entries(user, 5))
    results["set_anna_comment"] = await _timed(
        50, lambda i: repo.set_anna_comment(user, ids[i], "synthetic comment")
    )
    results["set_entry_voice_20KB"] = await _timed(
        20, lambda i: repo.set_entry_voice(user, ids[i], rng.randbytes(20 * 1024))
    )
    results["append_chat_bounded"] = await _timed(
        100, lambda i: repo.append_chat(user, "user" if i % 2 else "anna", "synthetic turn")
    )
    results["chat_history"] = await _timed(50, lambda _: repo.chat_history(user))
    update = {"update_id": 0, "message": {"message_id": 1, "text": "synthetic diary text"}}
    results["inbox_receive"] = await _timed(
        200,
        lambda i: repo.inbox_receive(i, user, update, owner="bench", lease=timedelta(seconds=30)),
    )
    results["inbox_begin_finish"] = await _timed(200, lambda i: _begin_finish(repo, i))
    results["claim_job"] = await _timed(200, lambda i: repo.claim_job(user, "reminder", str(i)))
    results["claim_job_20_concurrent_same_key"] = await _throughput(
        20, 20, lambda _: repo.claim_job(user, "summary", "2024-06")
    )
    results["acquire_lease"] = await _timed(
        100, lambda i: repo.acquire_lease("scheduler", "bench", timedelta(seconds=30))
    )
    big = rng.randbytes(3 * 1024 * 1024)
    big_ids: list[str] = []

    async def create_big(_: int) -> None:
        entry = await repo.create_entry(
            other,
            day=first_day,
            emotion="happy",
            probabilities={"happy": 1.0},
            faces=1,
            text="",
            photo=big,
        )
        big_ids.append(entry.id)

    results["create_entry_3MB"] = await _timed(5, create_big)
    results["get_photo_3MB"] = await _timed(5, lambda i: repo.get_photo(other, big_ids[i]))
    started = time.perf_counter()
    exported = await repo.export_user(user)
    results["export_user"] = {
        "entries": len(exported.entries),
        "megabytes": round(sum(len(e.photo) for e in exported.entries) / 2**20, 1),
        "seconds": round(time.perf_counter() - started, 2),
    }
    started = time.perf_counter()
    removed = await repo.delete_user(user)
    results["delete_user"] = {
        "entries": removed,
        "seconds": round(time.perf_counter() - started, 2),
    }
    return results


async def _until_answers(repo: Repository) -> None:
    """The first request on a connection pooled before the crash fails; the next ones work."""
    for _ in range(100):
        try:
            await repo.ping()
        except StorageUnavailable:
            await asyncio.sleep(0.05)
        else:
            return
    raise StorageUnavailable("the restarted server did not answer")


async def run(uri: str | None, entries: int, concurrency: int) -> dict[str, Any]:
    """Run the benchmark against ``uri`` or a fresh embedded server; return the results."""
    report: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(terse=True),
        },
        "versions": {name: metadata.version(name) for name in ("pymongo", "nx-27017")},
        "entries": entries,
        "photo_bytes": PHOTO_BYTES,
    }
    database = f"facelog_bench_{os.getpid()}"
    if uri is not None:
        report["server"] = "mongodb (given URI)"
        repo = await Repository.connect(uri, database, timeout_s=10)
        try:
            report["results"] = await _bench_repository(repo, entries, concurrency)
        finally:
            await repo.database.client.drop_database(database)
            await repo.close()
        return report

    report["server"] = "nx-27017 (embedded)"
    with tempfile.TemporaryDirectory(prefix="facelog-bench-") as tmp:
        server = EmbeddedMongo(Path(tmp), restart_delay_s=0.1)
        started = time.perf_counter()
        await server.start()
        report["embedded_start_s"] = round(time.perf_counter() - started, 3)
        try:
            repo = await Repository.connect(server.uri, database, timeout_s=10)
            try:
                report["results"] = await _bench_repository(repo, entries, concurrency)
                pid = server.pid
                if pid is not None:
                    started = time.perf_counter()
                    os.kill(pid, signal.SIGKILL)
                    while server.restarts == 0:
                        await asyncio.sleep(0.01)
                    await server.wait_ready(30)
                    await _until_answers(repo)
                    report["embedded_restart_after_kill9_s"] = round(
                        time.perf_counter() - started, 3
                    )
            finally:
                await repo.close()
        finally:
            started = time.perf_counter()
            await server.stop()
            report["embedded_stop_s"] = round(time.perf_counter() - started, 3)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m storage.bench", description=__doc__)
    parser.add_argument("--uri", help="benchmark this MongoDB instead of the embedded server")
    parser.add_argument("--entries", type=int, default=200, help="entries to create (≥60)")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if args.entries < 60:
        parser.error("--entries must be at least 60")
    report = asyncio.run(run(args.uri, args.entries, args.concurrency))
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    json.dump(report, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
