"""What moving face analysis into an inference worker costs: in-process vs over HTTP.

    python -m inference.benchmarks.service [--photos 120] [--concurrency 1 4 16]

The same pipeline answers both ways on this machine (the worker is an ``InferenceServer`` on a
loopback port), with the 1280×960 selfie of ``inference.benchmarks.speed``. For each
concurrency: selfies per second and p50/p95 latency per photo. The difference is the price of
the process split (HTTP, JSON, one more copy of the photo); the worker's own throughput on other
hardware is the in-process figure measured there. Writes ``results/service.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import time
from collections.abc import Awaitable, Callable

from facelog.config import Settings
from facelog.http import HttpServer
from inference.benchmarks.speed import RESULTS, percentile, selfie_1280x960
from inference.pipeline import Analysis, FacePipeline
from inference.service import InferenceClient, InferenceServer

Analyze = Callable[[bytes], Awaitable[Analysis]]


async def throughput(
    analyze: Analyze, photo: bytes, photos: int, concurrency: int
) -> dict[str, float]:
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(photos):
        queue.put_nowait(i)

    async def worker() -> None:
        while not queue.empty():
            queue.get_nowait()
            t0 = time.perf_counter()
            await analyze(photo)
            latencies.append((time.perf_counter() - t0) * 1e3)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {
        "selfies_per_s": round(photos / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
    }


async def run(photos: int, levels: list[int]) -> dict[str, object]:
    pipeline = FacePipeline.from_settings(Settings(_env_file=None))  # type: ignore[call-arg]
    photo = selfie_1280x960()
    server = await HttpServer(InferenceServer(pipeline).app(), "127.0.0.1", 0).start()
    client = InferenceClient([server.url])
    try:
        await pipeline.analyze(photo)  # warm-up: traces the classifier graph
        await client.analyze(photo)
        rows = []
        for level in levels:
            local = await throughput(pipeline.analyze, photo, photos, level)
            remote = await throughput(client.analyze, photo, photos, level)
            rows.append({"concurrency": level, "in_process": local, "http": remote})
    finally:
        await client.aclose()
        await server.stop()
        await pipeline.aclose()
    return {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "pipeline": {"detector": pipeline.detector.name, "classifier": pipeline.classifier.name},
        "photos_per_run": photos,
        "rows": rows,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--photos", type=int, default=120)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    args = parser.parse_args(argv)
    result = asyncio.run(run(args.photos, args.concurrency))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "service.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print("| concurrent | in-process selfies/s (p50 ms) | over HTTP selfies/s (p50 ms) |")
    print("|---|---|---|")
    for row in result["rows"]:  # type: ignore[attr-defined]
        local, remote = row["in_process"], row["http"]
        print(
            f"| {row['concurrency']} | {local['selfies_per_s']} ({local['p50_ms']}) "
            f"| {remote['selfies_per_s']} ({remote['p50_ms']}) |"
        )


if __name__ == "__main__":
    main()
