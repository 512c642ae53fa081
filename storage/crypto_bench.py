"""What encryption at rest costs: ``python -m storage.crypto_bench [--entries N] [--out FILE]``.

Runs the same storage operations on a throw-away embedded nx-27017 server twice, without a key
and with one, and reports the median and 95th percentile of each (plus the cipher alone on a
150 KB and a 3 MB photo). Numbers go to stdout and to ``crypto-bench-results.json`` next to this
file; docs/security.md quotes them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from facelog.domain import Month, User
from storage.crypto import Cipher
from storage.embedded import EmbeddedMongo
from storage.repository import Repository

SMALL = os.urandom(150 * 1024)  # random bytes: like a JPEG, nothing for compression to find
LARGE = os.urandom(3 * 1024 * 1024)
TEXT = "오늘은 정말 길고 힘든 하루였다. " * 20


def _stats(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50_ms": round(statistics.median(ordered), 3), "p95_ms": round(p95, 3)}


async def _timed(n: int, step: Callable[[int], Awaitable[Any]]) -> dict[str, float]:
    samples = []
    for i in range(n):
        start = time.perf_counter()
        await step(i)
        samples.append((time.perf_counter() - start) * 1000)
    return _stats(samples)


def _cipher_alone(n: int) -> dict[str, dict[str, float]]:
    cipher = Cipher([Fernet.generate_key()])
    results: dict[str, dict[str, float]] = {}
    for name, data in (("150KB", SMALL), ("3MB", LARGE)):
        sealed = cipher.seal(data)
        for verb, work, argument in (("seal", cipher.seal, data), ("open", cipher.open, sealed)):
            samples = []
            for _ in range(n):
                start = time.perf_counter()
                work(argument)
                samples.append((time.perf_counter() - start) * 1000)
            results[f"{verb} {name}"] = _stats(samples)
    return results


async def _storage(uri: str, cipher: Cipher, n: int) -> dict[str, dict[str, float]]:
    database = f"crypto_bench_{os.getpid()}_{int(cipher.enabled)}"
    repo = await Repository.connect(uri, database, cipher=cipher, timeout_s=10)
    try:
        await repo.migrate()
        await repo.check_keys()
        await repo.save_user(User(id=1, name="벤치", created_at=datetime.now(UTC)))
        ids: list[str] = []

        async def create(i: int) -> None:
            entry = await repo.create_entry(
                1,
                day=date(2024, 6, 1 + i % 30),
                emotion="happy",
                probabilities={"happy": 0.9},
                faces=1,
                text=TEXT,
                photo=SMALL,
            )
            ids.append(entry.id)
            await repo.set_anna_comment(1, entry.id, TEXT)

        results = {"create_entry 150KB + comment": await _timed(n, create)}
        results["get_entry"] = await _timed(n, lambda i: repo.get_entry(1, ids[i]))
        results["get_photo 150KB"] = await _timed(n, lambda i: repo.get_photo(1, ids[i]))
        results["list_month (n entries)"] = await _timed(
            10, lambda i: repo.list_month(1, Month(2024, 6))
        )
        results["append_chat"] = await _timed(n, lambda i: repo.append_chat(1, "user", TEXT))
        results["chat_history"] = await _timed(n, lambda i: repo.chat_history(1))
        return results
    finally:
        await repo.database.client.drop_database(database)
        await repo.close()


async def run(entries: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as data:
        async with EmbeddedMongo(Path(data)) as server:
            plain = await _storage(server.uri, Cipher(), entries)
            sealed = await _storage(server.uri, Cipher([Fernet.generate_key()]), entries)
    return {
        "entries": entries,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}",
        "cipher_alone": _cipher_alone(20),
        "storage_plain": plain,
        "storage_encrypted": sealed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=100)
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).with_name("crypto-bench-results.json")
    )
    args = parser.parse_args()
    results = asyncio.run(run(args.entries))
    text = json.dumps(results, indent=2, ensure_ascii=False)
    print(text)
    args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
