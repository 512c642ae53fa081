"""What per-person calibration adds to a post: apply the bias, then refit on the person's labels.

    python -m inference.benchmarks.calibration [--entries 200] [--repeats 1000]
    facelog bench calibration

A post shows the calibrated reading (:func:`~inference.calibration.calibrate`) and then, once
the entry is saved or corrected, refits the person's bias (:func:`~inference.calibration.fit`)
on all their labelled entries, rebuilt from the stored probabilities (``Example.of``), as the
bot does. The person here has ``--entries`` entries, a third of them corrections, with
probabilities drawn at random (the cost does not depend on the faces). Also timed: the nightly
community prior over 1 000 people of 40 entries. Writes
``inference/benchmarks/results/calibration.json``; the target is ≤ 5 ms p95 per post.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from inference.calibration import Example, calibrate, community, fit
from inference.labels import EMOTIONS

RESULTS = Path(__file__).parent / "results"


def stored_entries(count: int, seed: int) -> list[tuple[dict[str, float], str, bool]]:
    """Entries as storage holds them: four probabilities rounded to 4 decimals, a label, and
    whether the person gave it."""
    rng = np.random.default_rng(seed)
    out: list[tuple[dict[str, float], str, bool]] = []
    for probs in rng.dirichlet(np.full(len(EMOTIONS), 0.6), size=count):
        person = bool(rng.random() < 1 / 3)
        label = (
            EMOTIONS[int(rng.integers(len(EMOTIONS)))] if person else EMOTIONS[int(probs.argmax())]
        )
        stored = {e.value: round(float(p), 4) for e, p in zip(EMOTIONS, probs, strict=True)}
        out.append((stored, label, person))
    return out


def _percentiles(ms: Sequence[float]) -> dict[str, float]:
    return {
        "p50": round(float(np.percentile(ms, 50)), 3),
        "p95": round(float(np.percentile(ms, 95)), 3),
        "max": round(float(np.max(ms)), 3),
    }


def measure(entries: int, repeats: int) -> dict[str, Any]:
    stored = stored_entries(entries, 0)
    prior = (0.1, -0.2, 0.3, -0.2)
    new_posts = stored_entries(repeats, 1)
    apply_ms: list[float] = []
    refit_ms: list[float] = []
    post_ms: list[float] = []
    post_cpu_ms: list[float] = []
    for probs, _, _ in new_posts:
        c0 = time.thread_time()
        t0 = time.perf_counter()
        calibrate(probs, prior)
        t1 = time.perf_counter()
        examples = [Example.of(p, label, person=person) for p, label, person in stored]
        fit(examples, prior)
        t2 = time.perf_counter()
        c1 = time.thread_time()
        apply_ms.append((t1 - t0) * 1e3)
        refit_ms.append((t2 - t1) * 1e3)
        post_ms.append((t2 - t0) * 1e3)
        post_cpu_ms.append((c1 - c0) * 1e3)
    people: dict[object, Sequence[Example]] = {
        i: [Example.of(p, label, person=person) for p, label, person in stored_entries(40, 10 + i)]
        for i in range(1000)
    }
    t0 = time.perf_counter()
    community(people)
    community_ms = (time.perf_counter() - t0) * 1e3
    return {
        "entries": entries,
        "repeats": repeats,
        "apply_ms": _percentiles(apply_ms),
        "refit_ms": _percentiles(refit_ms),
        "per_post_ms": _percentiles(post_ms),
        # CPU time of this thread: what the work costs when the core is not shared (the wall
        # clock above also counts time other processes held the CPU).
        "per_post_cpu_ms": _percentiles(post_cpu_ms),
        "community_1000_people_ms": round(community_ms, 1),
    }


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="facelog bench calibration", description=__doc__)
    parser.add_argument("--entries", type=int, default=200, help="the person's labelled entries")
    parser.add_argument("--repeats", type=int, default=1000, help="posts timed")
    parser.add_argument("--out", type=Path, default=RESULTS / "calibration.json")
    args = parser.parse_args(argv)
    result = measure(args.entries, args.repeats) | {
        "command": " ".join(
            [
                "python -m inference.benchmarks.calibration",
                *(sys.argv[1:] if argv is None else argv),
            ]
        ),
        "measured": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()} {platform.system()}, numpy {np.__version__}",
        "load_average_1min": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(result, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
