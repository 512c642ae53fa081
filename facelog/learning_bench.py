"""What learning from corrections costs a post: ``python -m facelog.learning_bench``.

On the real store (a throw-away embedded nx-27017 unless ``--uri``), one person with a long diary
(``--entries``, a tenth of them corrected) posts again and again. It measures:

- ``read``: what calibration adds before the reply, i.e. looking up the person's bias and
  applying it (:meth:`DiaryService.read` minus :meth:`Reading.of`); ``read_cold`` the same in a
  process that has not cached the bias yet (two database reads);
- ``after_post``: what the post's handler waits for after replying (scheduling the refit);
- ``refit``: the background refit itself, which reads every labelled entry and solves in a
  worker thread;
- ``loop lag``: how late a 1 ms timer fires on the event loop while refits run, against the same
  timer on an idle loop, so "refits never block the event loop" is a number, not a promise.

Synthetic readings only (random probabilities, no photo, no text). Results go to
``facelog/learning-bench-results.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from facelog.domain import EMOTIONS, Account, Emotion, User
from facelog.learning import Learning, apply
from storage import Repository
from storage.embedded import EmbeddedMongo

DEFAULT_OUT = Path(__file__).with_name("learning-bench-results.json")
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _summary(samples_s: list[float]) -> dict[str, float | int]:
    ordered = sorted(samples_s)

    def pct(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 3)

    return {
        "n": len(ordered),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 3),
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "max_ms": round(ordered[-1] * 1000, 3),
    }


def _reading(rng: random.Random) -> dict[str, float]:
    raw = [rng.gammavariate(0.7, 1.0) for _ in EMOTIONS]
    total = sum(raw)
    return {e.value: round(v / total, 4) for e, v in zip(EMOTIONS, raw, strict=True)}


async def _diary(repo: Repository, entries: int, rng: random.Random) -> Account:
    await repo.save_user(User(id=1, name="bench", created_at=NOW))
    for i in range(entries):
        probs = _reading(rng)
        shown = max(EMOTIONS, key=lambda e: probs[e.value])
        entry = await repo.create_entry(
            1,
            day=date(2026, 1, 1),
            emotion=shown,
            probabilities=probs,
            faces=1,
            text="",
            photo=b"x",
            face_emotion=shown,
        )
        if i % 10 == 0:
            await repo.update_entry(1, entry, emotion=Emotion.ANGER, emotion_source="person")
    account = await repo.get_account(1)
    assert account is not None
    return account


async def _lag(duration_s: float, busy: asyncio.Task[Any] | None) -> list[float]:
    """How late a 1 ms sleep wakes up, repeatedly, for ``duration_s`` (or until ``busy`` ends)."""
    late: list[float] = []
    end = time.perf_counter() + duration_s
    while time.perf_counter() < end and (busy is None or not busy.done()):
        start = time.perf_counter()
        await asyncio.sleep(0.001)
        late.append(max(0.0, time.perf_counter() - start - 0.001))
    return late


async def measure(repo: Repository, entries: int, posts: int) -> dict[str, Any]:
    rng = random.Random(7)
    account = await _diary(repo, entries, rng)
    learning = Learning(repo)
    await learning.refit(account)
    reads, cold, scheduled, refits = [], [], [], []
    for _ in range(posts):
        probs = _reading(rng)
        started = time.perf_counter()
        apply(probs, await learning.bias(account))
        reads.append(time.perf_counter() - started)
        fresh = Learning(repo)  # a process that has not read this person's bias yet
        started = time.perf_counter()
        apply(probs, await fresh.bias(account))
        cold.append(time.perf_counter() - started)
        started = time.perf_counter()
        await learning.after_post(account)  # what the post's handler waits for
        scheduled.append(time.perf_counter() - started)
        started = time.perf_counter()
        await learning.drain()
        refits.append(time.perf_counter() - started)

    idle = await _lag(1.0, None)

    async def refit_many() -> None:
        for _ in range(20):
            await learning.refit(account)

    busy = asyncio.create_task(refit_many())
    during = await _lag(60.0, busy)
    await busy
    return {
        "entries": entries,
        "corrections": len(range(0, entries, 10)),
        "read": _summary(reads),
        "read_cold": _summary(cold),
        "after_post": _summary(scheduled),
        "refit": _summary(refits),
        "loop_lag_idle": _summary(idle),
        "loop_lag_during_refits": _summary(during),
    }


async def run(uri: str | None, entries: int, posts: int) -> dict[str, Any]:
    if uri is not None:
        async with await Repository.connect(uri, f"bench_learning_{int(time.time())}") as repo:
            await repo.migrate()
            try:
                return await measure(repo, entries, posts)
            finally:
                await repo.database.client.drop_database(repo.database.name)
    with tempfile.TemporaryDirectory() as tmp:
        async with EmbeddedMongo(Path(tmp)) as server, await Repository.connect(server.uri) as repo:
            await repo.migrate()
            return await measure(repo, entries, posts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uri", help="an external MongoDB (default: embedded nx-27017)")
    parser.add_argument("--entries", type=int, default=300)
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    result = asyncio.run(run(args.uri, args.entries, args.posts))
    result["machine"] = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    result["store"] = "mongodb" if args.uri else "nx-27017 (embedded)"
    result["measured_at"] = datetime.now(UTC).date().isoformat()
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'what':<28}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for key in (
        "read",
        "read_cold",
        "after_post",
        "refit",
        "loop_lag_idle",
        "loop_lag_during_refits",
    ):
        row = result[key]
        print(f"{key:<28}{row['p50_ms']:>10}{row['p95_ms']:>10}{row['max_ms']:>10}")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
