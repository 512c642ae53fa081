"""Accuracy of the face pipeline on the evaluation set of real photos.

    python -m inference.evaluation.accuracy [--out PATH] [--detector NAME] [--classifier NAME]
        [--classifier-path MODEL] [--only PREFIX] [--exclude PREFIX] [--include-restricted]

Every photo of ``evalset.json`` goes through ``FacePipeline.analyze_sync`` exactly as a selfie from
Telegram would. Reported, as JSON (``--out``) and as a Markdown table on stdout:

- detection rate: photos labeled with a face (four emotions or ``other``) where a face was found;
- four-class accuracy on photos labeled anger/happy/panic/sadness, twice: *end to end* (a face that
  was not found counts as wrong, which is what a user experiences) and *classifier only* (such
  photos left out, which isolates the classifier);
- per-class accuracy and the 4×4 confusion matrix (rows: label, columns: prediction), plus how
  many photos of each class went undetected;
- false-face rate: photos without a human face in which a face was found (the bot would then
  answer with an emotion instead of "no face").

Faces labeled ``other`` (neutral, disgust, unclear) count for detection only; what the
classifier calls them is listed for information. A class with fewer than
:data:`MIN_CLASS_SIZE` photos is flagged: its accuracy is anecdotal.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, get_args

from facelog.config import ClassifierName, DetectorName, Settings
from inference.evaluation.dataset import (
    MANIFEST,
    NOFACE,
    Sample,
    Source,
    SourceUnavailable,
    iter_samples,
    load_manifest,
)
from inference.image import ImageError
from inference.labels import EMOTIONS, OTHER

DEFAULT_OUT = Path(__file__).with_name("results") / "accuracy.json"
#: Below this many photos a class's accuracy is flagged as anecdotal in the report.
MIN_CLASS_SIZE = 15
CLASSES: tuple[str, ...] = tuple(e.value for e in EMOTIONS)


class AnalysisLike(Protocol):
    """The part of ``inference.pipeline.Analysis`` this script reads."""

    @property
    def face(self) -> object | None: ...

    @property
    def faces(self) -> int: ...

    @property
    def emotion(self) -> object: ...

    @property
    def probabilities(self) -> Mapping[Any, float]: ...


class Analyzer(Protocol):
    """The part of ``inference.pipeline.FacePipeline`` this script calls."""

    def analyze_sync(self, data: bytes, /) -> AnalysisLike: ...


@dataclass(frozen=True)
class Outcome:
    """What the pipeline made of one photo."""

    id: str
    label: str
    detected: bool
    faces: int
    predicted: str | None
    probabilities: dict[str, float] | None
    error: str | None
    seconds: float

    @property
    def correct(self) -> bool:
        return self.detected and self.predicted == self.label


def make_settings(
    detector: str | None, classifier: str | None, classifier_path: Path | None
) -> Settings:
    """Facelog's settings (environment and ``.env`` included), overriding only what was asked."""
    overrides: dict[str, Any] = {}
    if detector is not None:
        overrides["detector"] = detector
    if classifier is not None:
        overrides["classifier"] = classifier
    if classifier_path is not None:
        overrides["classifier_path"] = classifier_path
    return Settings(**overrides)


def load_analyzer(settings: Settings) -> Analyzer:
    """The real pipeline, models loaded once.

    Imported here rather than at the top so that ``--help`` and the tests of this script's
    arithmetic run without loading TensorFlow.
    """
    from inference.pipeline import FacePipeline

    return FacePipeline.from_settings(settings)


def analyze(analyzer: Analyzer, sample: Sample) -> Outcome:
    """Run one photo; a typed decode error is a result (no face), never a crash of the run."""
    start = time.perf_counter()
    try:
        analysis = analyzer.analyze_sync(sample.data)
    except ImageError as exc:
        return Outcome(
            id=sample.id,
            label=sample.label,
            detected=False,
            faces=0,
            predicted=None,
            probabilities=None,
            error=f"{type(exc).__name__}: {exc}",
            seconds=time.perf_counter() - start,
        )
    seconds = time.perf_counter() - start
    detected = analysis.face is not None
    return Outcome(
        id=sample.id,
        label=sample.label,
        detected=detected,
        faces=int(analysis.faces),
        predicted=str(analysis.emotion) if detected else None,
        probabilities=(
            {str(k): round(float(v), 6) for k, v in analysis.probabilities.items()}
            if detected
            else None
        ),
        error=None,
        seconds=seconds,
    )


def _rate(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


def compute_metrics(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """All of the report's numbers, from per-photo outcomes (pure: no pipeline, no I/O)."""
    faces = [o for o in outcomes if o.label != NOFACE]
    four = [o for o in outcomes if o.label in CLASSES]
    four_detected = [o for o in four if o.detected]
    nofaces = [o for o in outcomes if o.label == NOFACE]
    others = [o for o in outcomes if o.label == OTHER]

    per_class: dict[str, dict[str, Any]] = {}
    for cls in CLASSES:
        rows = [o for o in four if o.label == cls]
        found = [o for o in rows if o.detected]
        correct = sum(o.correct for o in rows)
        per_class[cls] = {
            "n": len(rows),
            "detected": len(found),
            "correct": correct,
            "accuracy_end_to_end": _rate(correct, len(rows)),
            "accuracy_classifier_only": _rate(correct, len(found)),
            "anecdotal": len(rows) < MIN_CLASS_SIZE,
        }
    matrix = [[0] * len(CLASSES) for _ in CLASSES]
    for o in four_detected:
        if o.predicted in CLASSES:
            matrix[CLASSES.index(o.label)][CLASSES.index(o.predicted)] += 1
    correct_four = sum(o.correct for o in four)
    seconds = sorted(o.seconds for o in outcomes)
    return {
        "counts": {
            "images": len(outcomes),
            "faces": len(faces),
            "four_class": len(four),
            "other": len(others),
            "noface": len(nofaces),
            "errors": sum(o.error is not None for o in outcomes),
        },
        "detection": {
            "detected": sum(o.detected for o in faces),
            "total": len(faces),
            "rate": _rate(sum(o.detected for o in faces), len(faces)),
            "multi_face_images": sum(o.faces > 1 for o in faces),
        },
        "accuracy": {
            "end_to_end": _rate(correct_four, len(four)),
            "classifier_only": _rate(correct_four, len(four_detected)),
            "correct": correct_four,
            "total": len(four),
            "detected": len(four_detected),
        },
        "per_class": per_class,
        "confusion": {
            "labels": list(CLASSES),
            "rows": "true label",
            "columns": "prediction",
            "matrix": matrix,
            "undetected": {c: per_class[c]["n"] - per_class[c]["detected"] for c in CLASSES},
        },
        "other_faces_predicted_as": dict(
            Counter(o.predicted for o in others if o.predicted is not None)
        ),
        "false_face": {
            "detected": sum(o.detected for o in nofaces),
            "total": len(nofaces),
            "rate": _rate(sum(o.detected for o in nofaces), len(nofaces)),
            "ids": [o.id for o in nofaces if o.detected],
        },
        "seconds_per_image": {
            "mean": round(statistics.fmean(seconds), 4) if seconds else None,
            "p50": round(seconds[len(seconds) // 2], 4) if seconds else None,
            "max": round(seconds[-1], 4) if seconds else None,
        },
    }


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def render_markdown(report: Mapping[str, Any]) -> str:
    """The report as Markdown tables, for the terminal and for inference/README.md."""
    m = report["metrics"]
    det, acc, ff, counts = m["detection"], m["accuracy"], m["false_face"], m["counts"]
    setup = report["setup"]
    lines = [
        f"Evaluation set: {counts['images']} photos ({counts['four_class']} with one of the four "
        f"emotions, {counts['other']} other faces, {counts['noface']} without a face); "
        f"detector `{setup['detector']}`, classifier `{setup['classifier']}`.",
        "",
        "| metric | value |",
        "|---|---|",
        f"| detection rate (faces) | {_pct(det['rate'])} ({det['detected']}/{det['total']}) |",
        f"| 4-class accuracy, end to end | {_pct(acc['end_to_end'])} "
        f"({acc['correct']}/{acc['total']}) |",
        f"| 4-class accuracy, classifier only | {_pct(acc['classifier_only'])} "
        f"({acc['correct']}/{acc['detected']}) |",
        f"| false-face rate (no-face photos) | {_pct(ff['rate'])} "
        f"({ff['detected']}/{ff['total']}) |",
        f"| decode errors | {counts['errors']} |",
        "",
        "| class | photos | detected | correct | end to end | classifier only |",
        "|---|---|---|---|---|---|",
    ]
    for cls, row in m["per_class"].items():
        flag = " ⚠ n<" + str(MIN_CLASS_SIZE) if row["anecdotal"] else ""
        lines.append(
            f"| {cls}{flag} | {row['n']} | {row['detected']} | {row['correct']} | "
            f"{_pct(row['accuracy_end_to_end'])} | {_pct(row['accuracy_classifier_only'])} |"
        )
    thin = [cls for cls, row in m["per_class"].items() if row["anecdotal"]]
    if thin:
        lines.append("")
        if len(thin) == len(m["per_class"]):
            lines.append(f"⚠ every class has fewer than {MIN_CLASS_SIZE} photos: anecdotes only.")
        else:
            lines.append(
                f"⚠ {', '.join(thin)}: fewer than {MIN_CLASS_SIZE} photos each, so the 4-class "
                "accuracy above mostly measures the other classes; read those rows as anecdotes."
            )
    confusion = m["confusion"]
    lines += [
        "",
        "| label ↓ / prediction → | " + " | ".join(confusion["labels"]) + " | not detected |",
        "|---|" + "---|" * (len(confusion["labels"]) + 1),
    ]
    for cls, row in zip(confusion["labels"], confusion["matrix"], strict=True):
        cells = " | ".join(str(v) for v in row)
        lines.append(f"| {cls} | {cells} | {confusion['undetected'][cls]} |")
    if m["other_faces_predicted_as"]:
        spread = ", ".join(f"{k} {v}" for k, v in sorted(m["other_faces_predicted_as"].items()))
        lines += ["", f"Faces labeled *other* were predicted as: {spread}."]
    if ff["ids"]:
        lines += ["", "Faces found in no-face photos: " + ", ".join(ff["ids"]) + "."]
    if setup.get("restricted_included"):
        lines += [
            "",
            f"Includes {setup['restricted_included']} restricted photos (CK+ frames: measure "
            "only, never publish them); they are left out unless `--include-restricted` is given.",
        ]
    if report.get("skipped_sources"):
        lines += ["", "Skipped sources: " + ", ".join(report["skipped_sources"]) + "."]
    return "\n".join(lines)


def run(
    analyzer: Analyzer,
    samples: Iterable[Sample],
    *,
    setup: Mapping[str, Any],
    out: Path | None,
    skipped: Mapping[str, str] | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Evaluate, build the report, write it as JSON to ``out`` (when given) and return it."""
    outcomes: list[Outcome] = []
    for sample in samples:
        outcome = analyze(analyzer, sample)
        outcomes.append(outcome)
        if progress:
            shown = outcome.predicted if outcome.detected else "no face"
            print(f"  {sample.id}: {sample.label} → {shown}", file=sys.stderr)
    report: dict[str, Any] = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "setup": dict(setup),
        "manifest_sha256": hashlib.sha256(MANIFEST.read_bytes()).hexdigest(),
        "skipped_sources": dict(skipped or {}),
        "metrics": compute_metrics(outcomes),
        "images": [asdict(o) for o in outcomes],
    }
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m inference.evaluation.accuracy",
        description="Detection rate, 4-class accuracy, confusion matrix and false-face rate of "
        "the face pipeline on real photos (see inference/evaluation/evalset.json).",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help="default: inference/evaluation/results/accuracy.json",
    )
    parser.add_argument("--detector", choices=get_args(DetectorName), default=None)
    parser.add_argument("--classifier", choices=get_args(ClassifierName), default=None)
    parser.add_argument("--classifier-path", type=Path, default=None, help="a Keras model file")
    parser.add_argument("--cache-dir", type=Path, default=None, help="default: .cache/evalset")
    parser.add_argument(
        "--only",
        action="append",
        default=None,
        metavar="PREFIX",
        help="evaluate only records whose id starts with PREFIX (repeatable), e.g. pyfeat/",
    )
    parser.add_argument(
        "--exclude",
        action="append",
        default=None,
        metavar="PREFIX",
        help="leave out records whose id starts with PREFIX (repeatable), e.g. emopy/",
    )
    parser.add_argument(
        "--include-restricted",
        action="store_true",
        help=(
            "also measure on photos whose terms allow only non-commercial research (the CK+ "
            "frames EmoPy ships); left out by default, and never to be published"
        ),
    )
    parser.add_argument(
        "--allow-missing",
        action="store_true",
        help="leave out sources that cannot be fetched (e.g. npm not installed) instead of failing",
    )
    parser.add_argument("--verbose", action="store_true", help="print every photo's outcome")
    args = parser.parse_args(argv)

    records = load_manifest()
    if args.only:
        records = [r for r in records if r.id.startswith(tuple(args.only))]
    if args.exclude:
        records = [r for r in records if not r.id.startswith(tuple(args.exclude))]
    if not args.include_restricted:
        records = [r for r in records if not r.restricted]
    if not records:
        parser.error("the filters leave no photo to evaluate")
    skipped: dict[Source, str] = {}
    try:
        samples = list(
            iter_samples(records, args.cache_dir, allow_missing=args.allow_missing, skipped=skipped)
        )
    except SourceUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    settings = make_settings(args.detector, args.classifier, args.classifier_path)
    analyzer = load_analyzer(settings)
    setup = {
        "detector": settings.detector,
        "classifier": settings.classifier,
        "classifier_path": str(settings.classifier_path) if settings.classifier_path else None,
        "detect_max_side": settings.detect_max_side,
        "only": args.only,
        "exclude": args.exclude,
        "restricted_included": sum(r.restricted for r in records),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    report = run(
        analyzer,
        samples,
        setup=setup,
        out=args.out,
        skipped={f"{s.kind}:{s.package}=={s.version}": why for s, why in skipped.items()},
        progress=args.verbose,
    )
    print(render_markdown(report))
    print(f"\nwrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
