"""Does the detector find real faces, and only faces? Measured as a selfie goes through the bot.

    python -m inference.benchmarks.detection [--split val] [--detector dlib] [--limit N]

Every photo takes the pipeline's own path up to detection: its bytes are decoded by
``decode_image`` and the RGB picture goes to ``detector.detect`` (nothing is read with another
decoder, nothing is resized beforehand), so what is counted here is what a user would get.

- **Detection rate** on the real-photo set (``../shared/data/realfaces``, split ``val`` by
  default): a labelled face is found when some detected box overlaps its ``face_box`` with
  IoU ≥ ``MATCH_IOU`` (0.4), reported for all images, for the four-class ones (label ≠ other),
  per source and per label (single-face crops without a box, JAFFE and Yale in ``val_lab``: any
  face counts). *Chosen* counts photos where the largest face — the one the bot
  reads — is the labelled one.
- **False-face rate** on the evaluation set's photos without a face (``evalset.json``, label
  ``noface``; fetched once into ``.cache/evalset``): a photo with any detected face is a false
  face, because the bot would then answer with an emotion.
- **Detect latency** p50/p95 per photo (``detector.detect`` only), separately for the two sets:
  faces that the first pass finds are cheap, photos without a face pay for every fallback.

Writes ``inference/benchmarks/results/detection-<detector>.json`` and prints Markdown tables.
``--detector dlib-hog`` is the detector as it was before small-face passes and the CNN fallback
(HOG on the ≤640 px copy, ±30° retries), kept for before/after comparisons.

The real photos are research-only: only counts and file names are written, never pixels.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from inference.detect import Box, DetectedFace, FaceDetector, create_detector, iou
from inference.evaluation.dataset import NOFACE, iter_samples
from inference.evaluation.dataset import load_manifest as load_evalset
from inference.evaluation.realfaces import (
    MATCH_IOU,
    SPLITS,
    RealFace,
    load_manifest,
    read_bytes,
    require_root,
)
from inference.image import Decoded, ImageError, decode_image

RESULTS = Path(__file__).parent / "results"
#: ``--detector`` choices beyond the bot's own (``FACELOG_DETECTOR``): the previous default.
LEGACY = "dlib-hog"
DETECTORS: tuple[str, ...] = ("dlib", LEGACY, "seed", "mtcnn")


@dataclass(frozen=True)
class Outcome:
    """What the detector made of one labelled photo."""

    path: str
    source: str
    label: str
    found: bool
    chosen: bool
    faces: int
    #: How the matching face was found (``hog``, ``hog-rotated``, ``cnn``…), when it was.
    method: str | None
    ms: float


def make_detector(name: str) -> FaceDetector:
    """The bot's detector by name, or the legacy HOG-only configuration for comparisons."""
    if name == LEGACY:
        from inference.detect import DlibDetector

        return DlibDetector.legacy()
    return create_detector(name)


def to_original(box: Box, decoded: Decoded) -> Box:
    """A box on the decoded picture, in the photo's own pixels (where ``face_box`` lives).

    The decoder may hand over a reduced copy of a big photo; the real-photo set's images are
    small, so this is normally the identity, but the benchmark must not depend on that.
    """
    height, width = decoded.rgb.shape[:2]
    factor = max(decoded.original_size) / max(width, height)
    if factor == 1.0:
        return box
    return Box(
        round(box.x * factor),
        round(box.y * factor),
        round(box.width * factor),
        round(box.height * factor),
    )


def _method(face: DetectedFace) -> str:
    return str(getattr(face, "method", "hog"))


def detect_timed(detector: FaceDetector, data: bytes) -> tuple[Decoded, list[DetectedFace], float]:
    """Decode as the pipeline does, then time ``detect`` alone."""
    decoded = decode_image(data)
    start = time.perf_counter()
    faces = detector.detect(decoded.rgb)
    return decoded, faces, (time.perf_counter() - start) * 1e3


def measure_faces(detector: FaceDetector, rows: Sequence[RealFace], root: Path) -> list[Outcome]:
    outcomes = []
    for row in rows:
        try:
            decoded, faces, ms = detect_timed(detector, read_bytes(row, root))
        except ImageError:
            outcomes.append(Outcome(row.path, row.source, row.label, False, False, 0, None, 0.0))
            continue
        if row.face_box is None:
            # JAFFE and Yale images are single-face crops without a box: the manifest's stand-in
            # is the whole image, which no face box overlaps by 0.4, so any face is the face.
            overlaps = [1.0 for _ in faces]
        else:
            overlaps = [iou(to_original(face.box, decoded), row.box) for face in faces]
        best = int(np.argmax(overlaps)) if overlaps else -1
        found = best >= 0 and overlaps[best] >= MATCH_IOU
        outcomes.append(
            Outcome(
                path=row.path,
                source=row.source,
                label=row.label,
                found=found,
                chosen=bool(overlaps) and overlaps[0] >= MATCH_IOU,
                faces=len(faces),
                method=_method(faces[best]) if found else None,
                ms=ms,
            )
        )
    return outcomes


def measure_nofaces(detector: FaceDetector, samples: Iterable[tuple[str, bytes]]) -> dict[str, Any]:
    """Photos without a face: each one in which a face is found is a false face."""
    hits: list[str] = []
    methods: dict[str, int] = {}
    times: list[float] = []
    total = 0
    for sample_id, data in samples:
        total += 1
        try:
            _, faces, ms = detect_timed(detector, data)
        except ImageError:
            continue
        times.append(ms)
        if faces:
            hits.append(sample_id)
            methods[_method(faces[0])] = methods.get(_method(faces[0]), 0) + 1
    return {
        "false_faces": len(hits),
        "total": total,
        "rate": round(len(hits) / total, 4) if total else None,
        "ids": hits,
        "methods": methods,
        "detect_ms": _latency(times),
    }


def _latency(times: Sequence[float]) -> dict[str, float | None]:
    if not times:
        return {"p50": None, "p95": None, "mean": None}
    values = np.asarray(times)
    return {
        "p50": round(float(np.percentile(values, 50)), 1),
        "p95": round(float(np.percentile(values, 95)), 1),
        "mean": round(float(values.mean()), 1),
    }


def _rate(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    found = sum(o.found for o in outcomes)
    return {
        "found": found,
        "n": len(outcomes),
        "rate": round(found / len(outcomes), 4) if outcomes else None,
        "chosen": sum(o.chosen for o in outcomes),
    }


def summarise(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """Detection rates overall, for the four emotions, per source and per label."""
    four = [o for o in outcomes if o.label != "other"]
    methods: dict[str, int] = {}
    for o in outcomes:
        if o.method is not None:
            methods[o.method] = methods.get(o.method, 0) + 1
    return {
        "all": _rate(outcomes),
        "four_class": _rate(four),
        "by_source": {
            source: _rate([o for o in outcomes if o.source == source])
            for source in sorted({o.source for o in outcomes})
        },
        "by_label": {
            label: _rate([o for o in outcomes if o.label == label])
            for label in sorted({o.label for o in outcomes})
        },
        "found_by": dict(sorted(methods.items())),
        "multi_face_images": sum(o.faces > 1 for o in outcomes),
        "detect_ms": _latency([o.ms for o in outcomes]),
        "missed": [o.path for o in outcomes if not o.found],
    }


def _pct(part: dict[str, Any]) -> str:
    rate = part["rate"]
    shown = "n/a" if rate is None else f"{100 * rate:.1f} %"
    return f"{shown} ({part['found']}/{part['n']})"


def render_markdown(report: dict[str, Any]) -> str:
    faces, noface = report["faces"], report["noface"]
    lines = [
        f"Detector `{report['detector']}`, real-photo split `{report['split']}` "
        f"({faces['all']['n']} images), IoU ≥ {MATCH_IOU}.",
        "",
        "| set | detected | largest is the labelled face |",
        "|---|---|---|",
        f"| {report['split']}: all | {_pct(faces['all'])} | {faces['all']['chosen']} |",
        f"| {report['split']}: four-class (label ≠ other) | {_pct(faces['four_class'])} | "
        f"{faces['four_class']['chosen']} |",
    ]
    for name, part in faces["by_source"].items():
        lines.append(f"| source {name} | {_pct(part)} | {part['chosen']} |")
    for name, part in faces["by_label"].items():
        lines.append(f"| label {name} | {_pct(part)} | {part['chosen']} |")
    found_by = ", ".join(f"{k} {v}" for k, v in faces["found_by"].items()) or "—"
    lines += ["", f"Labelled faces found by: {found_by}."]
    if noface is not None:
        ids = ", ".join(noface["ids"]) or "none"
        lines += [
            "",
            "| photos without a face | false faces | which |",
            "|---|---|---|",
            f"| evalset `noface` | {noface['false_faces']}/{noface['total']} | {ids} |",
        ]
    lines += ["", "| detect latency | p50 | p95 | mean |", "|---|---|---|---|"]
    lat = faces["detect_ms"]
    lines.append(f"| real photos | {lat['p50']} ms | {lat['p95']} ms | {lat['mean']} ms |")
    if noface is not None:
        lat = noface["detect_ms"]
        lines.append(
            f"| photos without a face | {lat['p50']} ms | {lat['p95']} ms | {lat['mean']} ms |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m inference.benchmarks.detection",
        description="Detection rate on the real-photo set and false-face rate on photos "
        "without a face, through the pipeline's decoder and detector.",
    )
    parser.add_argument("--split", choices=SPLITS, default="val")
    parser.add_argument("--detector", choices=DETECTORS, default="dlib")
    parser.add_argument("--data", type=Path, default=None, help="the real-photo folder")
    parser.add_argument("--limit", type=int, default=None, help="only the first N photos")
    parser.add_argument("--no-noface", action="store_true", help="skip the no-face photos")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)

    root = require_root(args.data)
    rows = load_manifest(root, (args.split,))[: args.limit]
    detector = make_detector(args.detector)
    start = time.perf_counter()
    outcomes = measure_faces(detector, rows, root)
    noface = None
    if not args.no_noface:
        records = [r for r in load_evalset() if r.label == NOFACE and not r.restricted]
        noface = measure_nofaces(detector, ((s.id, s.data) for s in iter_samples(records)))
    report: dict[str, Any] = {
        "detector": args.detector,
        "split": args.split,
        "match_iou": MATCH_IOU,
        "machine": f"{platform.machine()} {platform.python_version()}",
        "seconds": round(time.perf_counter() - start, 1),
        "faces": summarise(outcomes),
        "noface": noface,
    }
    out = args.out or RESULTS / f"detection-{args.detector}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(render_markdown(report))
    print(f"\nwrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
