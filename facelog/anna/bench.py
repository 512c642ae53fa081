"""Times the offline Anna per reply: ``python -m facelog.anna.bench [--n 2000] [--out PATH]``.

The offline writer is on the path of every reply when no LLM is configured (and of every
fallback), so its cost must stay negligible next to the face pipeline and TTS. The inputs are
generated from a fixed seed across all kinds, languages, attitudes, compositions and lengths; the
results (p50/p95 per kind, and how many replies landed within ±30% of their target length) go
to ``bench-results.json`` beside this file, which the README quotes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import time
from datetime import date, timedelta
from pathlib import Path

from inference.labels import EMOTIONS

from .offline import OfflineAnna
from .prompt import OFFLINE_TOLERANCE, length_window, target_chars
from .values import (
    AnnaRequest,
    Attitude,
    ChatRequest,
    CommentRequest,
    GreetingRequest,
    History,
    Intensity,
    Length,
    LetterRequest,
    Part,
    PastEntry,
    Profile,
)

RESULTS = Path(__file__).with_name("bench-results.json")

_TEXTS = {
    "ko": (
        "오늘 날씨 진짜 좋더라! 할 일 다 마치고 말리랑 산책 갔어",
        "회사에서 발표를 망쳐서 너무 속상했어. 팀장님 표정이 계속 생각나",
        "친구랑 싸워서 화가 났어. 내가 뭘 잘못했는지 모르겠어",
        "지하철에서 넘어져서 너무 창피했어",
        "점심으로 김밥을 먹고 도서관에 갔다",
        "로또 3등에 당첨됐어.",
    ),
    "en": (
        "Great weather today! Finished my tasks and walked the dog",
        "I messed up my presentation and felt so sad about it",
        "Had a fight with my friend and I'm still angry",
        "Tripped on the subway stairs, so embarrassed",
        "Had kimbap for lunch and went to the library",
        "I won third prize in the lottery.",
    ),
}
_NAMES = ("박주성", "김민수", "이서연", "Alex Kim", "Mina", "남궁민수")
_INTROS = (None, "기아타이거즈의 엄청난 팬", "Runner and coffee lover", "도서관 사서")


def _requests(n: int, seed: int = 7) -> list[AnnaRequest]:
    rng = random.Random(seed)
    out: list[AnnaRequest] = []
    for i in range(n):
        language = rng.choice(("ko", "en"))
        profile = Profile(
            name=rng.choice(_NAMES),
            intro=rng.choice(_INTROS),
            language=language,  # type: ignore[arg-type]
            attitude=rng.choice(list(Attitude)),
            composition=frozenset(p for p in Part if rng.random() < 0.5),
            intensity=rng.choice(list(Intensity)),
            length=rng.choice(list(Length)),
        )
        day = date(2024, 1, 1) + timedelta(days=i)
        text = rng.choice(_TEXTS[language])
        emotion = rng.choice(EMOTIONS)
        kind = rng.choices(("comment", "greeting", "chat", "letter"), weights=(6, 1, 2, 1))[0]
        if kind == "comment":
            out.append(CommentRequest(profile, emotion, rng.random(), text, day))
        elif kind == "greeting":
            out.append(GreetingRequest(profile, emotion, rng.random(), day))
        elif kind == "chat":
            out.append(ChatRequest(profile, text, day, emotion=rng.choice([None, emotion])))
        else:
            entries = tuple(
                PastEntry(day, rng.choice(EMOTIONS), rng.choice(_TEXTS[language])) for _ in range(3)
            )
            counts = {e: rng.randint(0, 10) for e in EMOTIONS}
            out.append(LetterRequest(profile, day, counts, history=History(entries=entries)))
    return out


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def _summary(times_ms: list[float]) -> dict[str, float]:
    return {
        "count": len(times_ms),
        "p50_ms": round(_percentile(times_ms, 0.50), 4),
        "p95_ms": round(_percentile(times_ms, 0.95), 4),
        "p99_ms": round(_percentile(times_ms, 0.99), 4),
        "mean_ms": round(statistics.fmean(times_ms), 4),
        "max_ms": round(max(times_ms), 4),
    }


def run(n: int) -> dict[str, object]:
    """Write ``n`` replies, timing each; returns the results document."""
    writer = OfflineAnna()
    requests = _requests(n)
    for request in requests[:50]:  # warm up imports and caches
        writer.write(request)
    per_kind: dict[str, list[float]] = {}
    within = 0
    bounded = 0
    for request in requests:
        started = time.perf_counter_ns()
        text = writer.write(request)
        elapsed_ms = (time.perf_counter_ns() - started) / 1e6
        per_kind.setdefault(str(request.kind), []).append(elapsed_ms)
        if not isinstance(request, GreetingRequest):
            bounded += 1
            lo, hi = length_window(target_chars(request), OFFLINE_TOLERANCE)
            within += lo <= len(text) <= hi
    every = [t for times in per_kind.values() for t in times]
    return {
        "benchmark": "offline Anna, one reply per call (python -m facelog.anna.bench)",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "overall": _summary(every),
        "per_kind": {kind: _summary(times) for kind, times in sorted(per_kind.items())},
        "length_within_30_percent": f"{within}/{bounded}",
    }


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=2000, help="replies to write (default 2000)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON")
    args = parser.parse_args(argv)
    results = run(args.n)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    overall = results["overall"]
    assert isinstance(overall, dict)
    print(
        f"offline Anna: p50 {overall['p50_ms']} ms, p95 {overall['p95_ms']} ms per reply "
        f"({overall['count']} replies, length within ±30%: {results['length_within_30_percent']})"
        f" → {args.out}"
    )


if __name__ == "__main__":
    main()
