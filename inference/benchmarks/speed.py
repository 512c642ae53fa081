"""Speed of the face pipeline: per-stage latency, async throughput, peak memory.

    python -m inference.benchmarks.speed [--detector dlib] [--classifier fer] [--runs 60]

Input: the bundled sample selfie cropped to 4:3 and scaled to 1280×960 (a Telegram-sized
photo). Writes ``inference/benchmarks/results/speed-<detector>-<classifier>.json`` and prints
the Markdown rows quoted in inference/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import platform
import resource
import statistics
import time
from pathlib import Path

import numpy as np
from PIL import Image

from facelog.cli import sample_selfie
from facelog.config import Settings
from inference.pipeline import FacePipeline

RESULTS = Path(__file__).parent / "results"


def selfie_1280x960() -> bytes:
    image = Image.open(io.BytesIO(sample_selfie())).convert("RGB")
    image = image.crop((0, 40, 512, 424)).resize((1280, 960), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def stage_latency(pipeline: FacePipeline, photo: bytes, runs: int) -> dict[str, dict[str, float]]:
    stages: dict[str, list[float]] = {k: [] for k in ("decode", "detect", "align", "classify")}
    stages["total"] = []
    pipeline.analyze_sync(photo)  # warm-up: traces the classifier graph
    for _ in range(runs):
        t0 = time.perf_counter()
        analysis = pipeline.analyze_sync(photo)
        stages["total"].append((time.perf_counter() - t0) * 1e3)
        for key in ("decode", "detect", "align", "classify"):
            stages[key].append(getattr(analysis.timings, key))
    return {key: {"p50": percentile(v, 50), "p95": percentile(v, 95)} for key, v in stages.items()}


def classifier_latency(pipeline: FacePipeline, photo: bytes, runs: int) -> dict[str, float]:
    aligned = pipeline.analyze_sync(photo).aligned
    out: dict[str, float] = {}
    for batch in (1, 32):
        faces = np.repeat(aligned[None], batch, axis=0)
        pipeline.classifier.predict(faces)
        times = []
        for _ in range(max(5, runs // (4 if batch > 1 else 1))):
            t0 = time.perf_counter()
            pipeline.classifier.predict(faces)
            times.append((time.perf_counter() - t0) * 1e3)
        out[f"batch{batch}_ms_p50"] = percentile(times, 50)
        out[f"batch{batch}_faces_per_s"] = batch / (statistics.median(times) / 1e3)
    return out


async def throughput(pipeline: FacePipeline, photo: bytes, concurrency: int, total: int) -> float:
    """Selfies per second with ``concurrency`` requests in flight at all times."""
    queue = list(range(total))

    async def worker() -> None:
        while queue:
            queue.pop()
            await pipeline.analyze(photo)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return total / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--detector", default="dlib", choices=["dlib", "seed", "mtcnn"])
    parser.add_argument(
        "--classifier", default=None, choices=["realface", "lite0", "ferplus", "fer", "keras"]
    )
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument(
        "--recipe",
        type=Path,
        default=None,
        help="serve this combination of the shipped members instead of realface.json (to time "
        "the default being replaced in the same run as the new one)",
    )
    args = parser.parse_args()
    overrides = {"detector": args.detector} | (
        {"classifier": args.classifier} if args.classifier else {}
    )
    settings = Settings(**overrides)

    t0 = time.perf_counter()
    if args.recipe is not None:
        from inference.detect import create_detector
        from inference.realface_model import load_realface

        pipeline = FacePipeline(
            create_detector(settings.detector, settings.detect_max_side),
            load_realface(settings.classifier_runtime, args.recipe),
            workers=settings.inference_workers,
            max_batch=settings.max_batch,
            batch_wait_ms=settings.batch_wait_ms,
        )
    else:
        pipeline = FacePipeline.from_settings(settings)
    load_s = time.perf_counter() - t0
    photo = selfie_1280x960()
    latency = stage_latency(pipeline, photo, args.runs)
    classify = classifier_latency(pipeline, photo, args.runs)

    async def all_levels() -> dict[str, float]:
        levels = {}
        for concurrency in (1, 4, 16):
            await throughput(pipeline, photo, concurrency, 8)  # warm the pool
            levels[str(concurrency)] = await throughput(
                pipeline, photo, concurrency, 4 * args.runs // 3
            )
        await pipeline.aclose()
        return levels

    levels = asyncio.run(all_levels())
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lat = {k: {q: round(v, 1) for q, v in d.items()} for k, d in latency.items()}
    result: dict[str, object] = {
        "detector": pipeline.detector.name,
        "classifier": pipeline.classifier.name,
        "photo": "inference/samples/selfie.jpg as 1280x960 JPEG",
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "model_load_s": round(load_s, 2),
        "latency_ms": lat,
        "classifier_only": {k: round(v, 2) for k, v in classify.items()},
        "throughput_selfies_per_s": {k: round(v, 1) for k, v in levels.items()},
        "peak_rss_mb": round(rss_mb),
        "batches_seen": {"max": max(pipeline.batches, default=0), "count": len(pipeline.batches)},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"speed-{args.detector}-{pipeline.classifier.name}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(
        "\n| detector | classifier | decode p50 | detect p50 | align p50 | classify p50 | "
        "total p50 / p95 | selfies/s @1/4/16 | peak RSS |"
    )
    print(
        f"| {result['detector']} | {result['classifier']} | {lat['decode']['p50']} ms | "
        f"{lat['detect']['p50']} ms | {lat['align']['p50']} ms | {lat['classify']['p50']} ms | "
        f"{lat['total']['p50']} / {lat['total']['p95']} ms | "
        f"{' / '.join(f'{v:.1f}' for v in levels.values())} | {result['peak_rss_mb']} MB |"
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
