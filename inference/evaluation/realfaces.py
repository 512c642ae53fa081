"""The real-photo set (``../shared/data/realfaces``): Facelog's main accuracy check.

FER+ test measures how a model reads 48×48 web crops; Facelog reads selfies. The real-photo
set holds labelled in-the-wild photos (ExpW, split ``val``) and posed lab photos of people
never seen in training (CK+, JAFFE, Yale, split ``val_lab``), every one with the labelled
face's box, so a model can be judged two ways:

- ``given`` boxes: the labelled face is aligned exactly as the pipeline aligns a selfie (the
  68-point fit inside the box, eyes level, 224×224) and classified — the classifier alone;
- ``detected``: the photo goes through the pipeline's own detector, as a selfie would; a face
  that is not found counts as wrong, and the report says whether the face the pipeline chose
  (the largest) was the labelled one.

The images are research-only (see the data's README): they are read from their folder and
never copied into the repository; aligned crops are cached under ``.cache/`` (ignored by git).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np
import numpy.typing as npt

from inference.align import align_face, to_uint8
from inference.detect import Box, Landmarks, iou

REPO_ROOT = Path(__file__).resolve().parents[2]
#: Where the data lies beside a checkout (``../shared/data/realfaces``); ``FACELOG_REALFACES``
#: or ``--data`` point elsewhere.
DEFAULT_ROOT = REPO_ROOT.parent / "shared" / "data" / "realfaces"
SPLITS: tuple[str, ...] = ("train", "val", "val_lab")
LABELS: tuple[str, ...] = ("anger", "happy", "panic", "sadness", "other")


class DataUnavailable(FileNotFoundError):
    """The real-photo folder is not on this machine."""


@dataclass(frozen=True)
class RealFace:
    """One row of ``manifest.csv``."""

    path: str
    split: str
    source: str
    original_label: str
    label: str
    group: str
    identity: str
    face_box: tuple[int, int, int, int] | None  # x0, y0, x1, y1
    width: int
    height: int

    @property
    def box(self) -> Box:
        """The labelled face; single-face crops (JAFFE, Yale) carry none: the whole image."""
        if self.face_box is None:
            return Box(0, 0, self.width, self.height)
        x0, y0, x1, y1 = self.face_box
        return Box(x0, y0, x1 - x0, y1 - y0)


def default_root() -> Path:
    return Path(os.environ.get("FACELOG_REALFACES") or DEFAULT_ROOT)


def require_root(root: Path | None = None) -> Path:
    root = root or default_root()
    if not (root / "manifest.csv").is_file():
        raise DataUnavailable(
            f"the real-photo set is not at {root} (manifest.csv missing): put ../shared beside "
            "the checkout or set FACELOG_REALFACES"
        )
    return root


def _box(text: str) -> tuple[int, int, int, int] | None:
    if not text.strip():
        return None
    x0, y0, x1, y1 = (round(float(v)) for v in text.split(","))
    return (x0, y0, x1, y1)


def load_manifest(root: Path | None = None, splits: Sequence[str] = SPLITS) -> list[RealFace]:
    """The rows of the requested splits, in the manifest's order."""
    root = require_root(root)
    rows: list[RealFace] = []
    with (root / "manifest.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["split"] not in splits:
                continue
            rows.append(
                RealFace(
                    path=row["path"],
                    split=row["split"],
                    source=row["source"],
                    original_label=row["original_label"],
                    label=row["label4"],
                    group=row["group"],
                    identity=row["identity"],
                    face_box=_box(row["face_box"]),
                    width=int(row["width"]),
                    height=int(row["height"]),
                )
            )
    return rows


def read_rgb(face: RealFace, root: Path | None = None) -> npt.NDArray[np.uint8]:
    """The photo as RGB (the lab sets are gray: replicated to three channels)."""
    root = require_root(root)
    image = cv2.imread(str(root / face.path), cv2.IMREAD_COLOR)
    if image is None:
        raise DataUnavailable(f"cannot read {root / face.path}")
    return np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), dtype=np.uint8)


def read_bytes(face: RealFace, root: Path | None = None) -> bytes:
    """The photo's file, as the bot would receive it."""
    return (require_root(root) / face.path).read_bytes()


#: A detected face "is" the labelled one at this overlap (the issue's definition).
MATCH_IOU = 0.4


# -- aligned faces with the labelled box ------------------------------------------------------

#: dlib's 68-point predictor was trained on faces of a few hundred pixels; a 48×48 CK+ crop or
#: a 50 px ExpW face is scaled up to at least this side before the fit.
LANDMARK_MIN_SIDE = 160
#: Bump when alignment (or, for the located cache, detection) changes, so cached crops are
#: rebuilt instead of silently reused.
ALIGN_VERSION = 1


class Aligner(Protocol):
    def landmarks(self, gray: npt.NDArray[np.uint8], box: Box) -> Landmarks: ...


def align_in_box(aligner: Aligner, rgb: npt.NDArray[np.uint8], box: Box) -> npt.NDArray[np.uint8]:
    """The labelled face framed exactly as the pipeline frames a detected one (224×224 RGB)."""
    side = max(box.width, box.height)
    factor = max(1.0, LANDMARK_MIN_SIDE / max(side, 1))
    if factor > 1.0:
        size = (round(rgb.shape[1] * factor), round(rgb.shape[0] * factor))
        rgb = np.asarray(cv2.resize(rgb, size, interpolation=cv2.INTER_CUBIC), dtype=np.uint8)
        box = Box(
            round(box.x * factor),
            round(box.y * factor),
            round(box.width * factor),
            round(box.height * factor),
        )
    gray = np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), dtype=np.uint8)
    return to_uint8(align_face(rgb, aligner.landmarks(gray, box)))


@dataclass(frozen=True)
class AlignedSplit:
    """One split's labelled faces, aligned (uint8 224×224 RGB), with their labels and paths."""

    faces: npt.NDArray[np.uint8]
    labels: npt.NDArray[np.str_]
    paths: npt.NDArray[np.str_]
    sources: npt.NDArray[np.str_]
    groups: npt.NDArray[np.str_]


def default_cache_dir() -> Path:
    return REPO_ROOT / ".cache" / "realfaces"


def aligned_split(
    split: str,
    root: Path | None = None,
    cache_dir: Path | None = None,
    aligner: Aligner | None = None,
) -> AlignedSplit:
    """Every face of ``split`` aligned in its labelled box; cached (never committed)."""
    root = require_root(root)
    cache = (cache_dir or default_cache_dir()) / f"aligned-{split}-v{ALIGN_VERSION}.npz"
    rows = load_manifest(root, (split,))
    if cache.is_file():
        with np.load(cache) as stored:
            if list(stored["paths"]) == [r.path for r in rows]:
                return AlignedSplit(
                    stored["faces"],
                    stored["labels"],
                    stored["paths"],
                    stored["sources"],
                    stored["groups"],
                )
    if aligner is None:
        from inference.detect import DlibDetector

        aligner = DlibDetector()
    faces = np.stack([align_in_box(aligner, read_rgb(r, root), r.box) for r in rows])
    result = AlignedSplit(
        faces,
        np.array([r.label for r in rows]),
        np.array([r.path for r in rows]),
        np.array([r.source for r in rows]),
        np.array([r.group for r in rows]),
    )
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(
        cache,
        faces=result.faces,
        labels=result.labels,
        paths=result.paths,
        sources=result.sources,
        groups=result.groups,
    )
    return result


# -- metrics ------------------------------------------------------------------------------------

FOUR: tuple[str, ...] = LABELS[:4]


def four_class_metrics(labels: Sequence[str], predicted: Sequence[str | None]) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix over the four
    emotions; faces labelled ``other`` are left out (the seed's task has four classes), and a
    prediction of ``None`` (no face found) counts as wrong."""
    pairs = [(t, p) for t, p in zip(labels, predicted, strict=True) if t in FOUR]
    matrix = [[0] * len(FOUR) for _ in FOUR]
    for truth, guess in pairs:
        if guess in FOUR:
            matrix[FOUR.index(truth)][FOUR.index(guess)] += 1
    per_class: dict[str, dict[str, float | int]] = {}
    for i, name in enumerate(FOUR):
        support = sum(1 for t, _ in pairs if t == name)
        hits = matrix[i][i]
        called = sum(row[i] for row in matrix)
        precision = hits / called if called else 0.0
        recall = hits / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[name] = {
            "n": support,
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
        }
    correct = sum(1 for t, p in pairs if t == p)
    return {
        "n": len(pairs),
        "accuracy": round(correct / len(pairs), 4) if pairs else None,
        "macro_f1": round(sum(float(c["f1"]) for c in per_class.values()) / len(FOUR), 4),
        "per_class": per_class,
        "confusion": {"rows_true_cols_pred": list(FOUR), "matrix": matrix},
    }


#: The sources of the manifest, as the tables name them (the order of the columns).
SOURCE_NAMES: dict[str, str] = {"expw": "ExpW", "ckplus48": "CK+", "jaffe": "JAFFE", "yale": "Yale"}


def by_source(
    labels: Sequence[str], predicted: Sequence[str | None], sources: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """4-class accuracy and per-class recall of each source (ExpW, CK+, JAFFE, Yale).

    Why: the totals let 600 ExpW faces outvote 32 JAFFE faces, the only East Asian faces in
    these sets; a model that reads them worse must show it in its own column (issue #25).
    """
    out: dict[str, dict[str, Any]] = {}
    for source in sorted(
        set(sources),
        key=lambda s: (list(SOURCE_NAMES).index(s), s) if s in SOURCE_NAMES else (99, s),
    ):
        rows = [i for i, s in enumerate(sources) if s == source and labels[i] in FOUR]
        if not rows:
            continue
        metrics = four_class_metrics([labels[i] for i in rows], [predicted[i] for i in rows])
        out[source] = {
            "n": metrics["n"],
            "accuracy": metrics["accuracy"],
            "recall": {
                c: metrics["per_class"][c]["recall"] for c in FOUR if metrics["per_class"][c]["n"]
            },
        }
    return out


def predicted_four(scores: npt.NDArray[np.float32]) -> list[str]:
    """Argmax over the four emotion columns of (N, 5) classifier outputs."""
    return [FOUR[i] for i in np.asarray(scores)[:, : len(FOUR)].argmax(axis=1)]


# -- the two evaluations ------------------------------------------------------------------------


class Classifier(Protocol):
    name: str

    def predict(self, faces: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]: ...


def classify_aligned(
    classifier: Classifier, faces: npt.NDArray[np.uint8], batch: int = 64
) -> npt.NDArray[np.float32]:
    """(N, 5) scores for uint8 aligned faces, in batches (bounded memory for big splits)."""
    parts = [
        classifier.predict(np.asarray(faces[i : i + batch], dtype=np.float32) / 255.0)
        for i in range(0, len(faces), batch)
    ]
    return np.concatenate(parts) if parts else np.zeros((0, len(LABELS)), np.float32)


def evaluate_given(
    classifier: Classifier, split: str, root: Path | None = None, cache_dir: Path | None = None
) -> dict[str, Any]:
    """The classifier alone: each labelled face aligned in its given box."""
    data = aligned_split(split, root, cache_dir)
    scores = classify_aligned(classifier, data.faces)
    predicted = predicted_four(scores)
    report = four_class_metrics(list(data.labels), predicted)
    report["by_source"] = by_source(list(data.labels), predicted, list(data.sources))
    report["other_read_as"] = _other_read_as(list(data.labels), scores)
    return report


def _other_read_as(labels: Sequence[str], scores: npt.NDArray[np.float32]) -> dict[str, Any]:
    """How faces labelled ``other`` (neutral, disgust) come out: mean ``other`` column and
    which of the four they are pushed into."""
    rows = [i for i, label in enumerate(labels) if label == "other"]
    if not rows:
        return {"n": 0}
    picked = predicted_four(scores[rows])
    return {
        "n": len(rows),
        "mean_other": round(float(np.mean(scores[rows, len(FOUR)])), 4),
        "as": {name: picked.count(name) for name in FOUR},
    }


class Locator(Protocol):
    """The part of ``FacePipeline`` the end-to-end evaluation drives."""

    def locate(self, data: bytes) -> Any: ...


@dataclass(frozen=True)
class LocatedSplit:
    """A split after the pipeline's decode, detection and alignment: what every classifier
    then reads. Detection does not depend on the classifier, so it is run once per split."""

    rows: list[RealFace]
    aligned: list[npt.NDArray[np.float32]]  # the largest face of each photo that has one
    which: list[int]  # the row each aligned face comes from
    detection: dict[str, Any]


def locate_split(pipeline: Locator, split: str, root: Path | None = None) -> LocatedSplit:
    """Every photo of ``split`` through the pipeline's CPU stages, as a selfie goes.

    Detection rate: the labelled face is among the faces found (IoU ≥ :data:`MATCH_IOU`).
    ``chosen_not_labelled`` counts photos where the face that will be classified (the largest)
    is not the labelled one (another person in the photo).
    """
    root = require_root(root)
    rows = load_manifest(root, (split,))
    found = chosen_ok = 0
    by_source: dict[str, list[int]] = {}
    aligned: list[npt.NDArray[np.float32]] = []
    which: list[int] = []
    for index, row in enumerate(rows):
        located = pipeline.locate(read_bytes(row, root))
        labelled = row.box
        # JAFFE and Yale images are single-face crops without a box: any face is the face.
        hit = bool(located.boxes) and (
            row.face_box is None or any(iou(b, labelled) >= MATCH_IOU for b in located.boxes)
        )
        found += hit
        counts = by_source.setdefault(row.source, [0, 0])
        counts[0] += hit
        counts[1] += 1
        if located.aligned is not None:
            chosen_ok += row.face_box is None or iou(located.box, labelled) >= MATCH_IOU
            aligned.append(located.aligned)
            which.append(index)
    four_found = sum(rows[i].label in FOUR for i in which)
    detection = {
        "images": len(rows),
        "labelled_face_found": found,
        "rate": round(found / len(rows), 4) if rows else None,
        "any_face_found": len(which),
        "four_class_with_a_face": four_found,
        "chosen_not_labelled": len(which) - chosen_ok,
        "by_source": {
            name: {"found": hit, "n": n, "rate": round(hit / n, 4)}
            for name, (hit, n) in sorted(by_source.items())
        },
    }
    return LocatedSplit(rows, aligned, which, detection)


def located_faces(
    split: str, root: Path | None = None, cache_dir: Path | None = None
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
    """The aligned largest face of every photo of ``split`` where the pipeline finds one, as
    8-bit RGB, and the manifest row each comes from; cached (never committed).

    Why: choosing a combination end to end scores hundreds of candidates on the same faces;
    detection does not depend on the classifier, so it runs once (minutes), not per candidate.
    The cache is keyed by the manifest and :data:`ALIGN_VERSION`: bump that when the detector
    or the alignment changes.
    """
    root = require_root(root)
    cache = (cache_dir or default_cache_dir()) / f"located-{split}-v{ALIGN_VERSION}.npz"
    rows = load_manifest(root, (split,))
    if cache.is_file():
        with np.load(cache) as stored:
            if list(stored["paths"]) == [r.path for r in rows]:
                return stored["faces"], stored["which"]
    from inference.detect import create_detector
    from inference.pipeline import FacePipeline

    class _Unused:
        name = "unused"

        def predict(self, faces: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
            raise AssertionError("locate never classifies")

    pipeline = FacePipeline(create_detector("dlib"), _Unused())
    try:
        located = locate_split(pipeline, split, root)
    finally:
        pipeline.close()
    faces = np.stack([to_uint8(a) for a in located.aligned]) if located.aligned else None
    if faces is None:
        faces = np.zeros((0, 224, 224, 3), np.uint8)
    which = np.asarray(located.which, dtype=np.int64)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, faces=faces, which=which, paths=np.array([r.path for r in rows]))
    return faces, which


def score_located(classifier: Classifier, located: LocatedSplit) -> dict[str, Any]:
    """End-to-end metrics of one classifier: a photo with no face counts as wrong, as it would
    for a user."""
    predicted: list[str | None] = [None] * len(located.rows)
    if located.aligned:
        faces = located.aligned
        scores = np.concatenate(
            [classifier.predict(np.stack(faces[i : i + 64])) for i in range(0, len(faces), 64)]
        )
        for index, label in zip(located.which, predicted_four(scores), strict=True):
            predicted[index] = label
    labels = [r.label for r in located.rows]
    report = four_class_metrics(labels, predicted)
    report["by_source"] = by_source(labels, predicted, [r.source for r in located.rows])
    report["detection"] = located.detection
    return report


# -- command line -------------------------------------------------------------------------------

RESULTS = Path(__file__).with_name("results")


def render_markdown(results: dict[str, Any]) -> str:
    """One row per classifier: accuracy, macro-F1 and each class's F1 (the README's table)."""
    lines = [
        "| classifier | split | boxes | n | 4-class accuracy | "
        + " | ".join(SOURCE_NAMES.values())
        + " | macro-F1 | F1 anger | F1 happy | F1 panic | F1 sadness | detection rate |",
        "|---|---|---|---|---|" + "---|" * len(SOURCE_NAMES) + "---|---|---|---|---|---|",
    ]
    for run in results["runs"]:
        m = run["metrics"]
        f1 = [f"{m['per_class'][c]['f1']:.3f}" for c in FOUR]
        sources = m.get("by_source", {})
        per_source = [
            f"{sources[s]['accuracy']:.3f} ({sources[s]['n']})" if s in sources else "—"
            for s in SOURCE_NAMES
        ]
        detection = m.get("detection", {}).get("rate")
        lines.append(
            f"| {run['classifier']} | {run['split']} | {run['boxes']} | {m['n']} "
            f"| {m['accuracy']:.3f} | {' | '.join(per_source)} | {m['macro_f1']:.3f} "
            f"| {' | '.join(f1)} | {'—' if detection is None else f'{detection:.1%}'} |"
        )
    return "\n".join(lines)


def _run(
    classifier: Classifier,
    name: str,
    split: str,
    mode: str,
    detector: str | None,
    metrics: dict[str, Any],
) -> dict[str, Any]:
    """One row of the results file (and a progress line)."""
    run = {
        "classifier": getattr(classifier, "name", name),
        "split": split,
        "boxes": mode,
        "detector": detector,
        "metrics": metrics,
    }
    sources = ", ".join(
        f"{SOURCE_NAMES.get(k, k)} {v['accuracy']}" for k, v in metrics.get("by_source", {}).items()
    )
    print(f"{run['classifier']} {split} {mode}: {metrics['accuracy']} ({sources})", flush=True)
    return run


def _classifier(name: str, runtime: Any) -> Classifier:
    """A built-in classifier, or ``realface:PATH``: the shipped members combined as PATH says."""
    if name.startswith("realface:"):
        from inference.realface_model import load_realface

        return load_realface(runtime, Path(name.split(":", 1)[1]))
    from inference.pipeline import named_classifier

    return named_classifier(name, runtime)


def main(argv: Sequence[str] | None = None) -> int:
    import argparse
    import json
    import platform
    from datetime import UTC, datetime

    parser = argparse.ArgumentParser(
        prog="facelog evaluate realfaces",
        description="4-class accuracy, macro-F1, per-class F1 and confusion on real photos "
        "(../shared/data/realfaces), for each classifier on the same images.",
    )
    parser.add_argument("--split", choices=("val", "val_lab"), action="append")
    parser.add_argument("--boxes", choices=("given", "detected"), action="append")
    parser.add_argument(
        "--classifier",
        action="append",
        help="built-in name (repeat), or realface:RECIPE.json for another combination of the "
        "shipped members (e.g. the default being replaced); default: every built-in one",
    )
    parser.add_argument("--runtime", choices=("auto", "keras", "tflite"), default="auto")
    parser.add_argument("--detector", default="dlib")
    parser.add_argument("--data", type=Path, default=None, help="the realfaces folder")
    parser.add_argument("--out", type=Path, default=None, help="results JSON")
    args = parser.parse_args(argv)

    from inference.detect import create_detector
    from inference.pipeline import BUILT_IN_CLASSIFIERS, FacePipeline

    root = require_root(args.data)
    splits = args.split or ["val", "val_lab"]
    modes = args.boxes or ["given"]
    names = args.classifier or list(BUILT_IN_CLASSIFIERS)
    runs: list[dict[str, Any]] = []
    detector = create_detector(args.detector) if "detected" in modes else None
    located: dict[str, LocatedSplit] = {}
    for name in names:
        classifier = _classifier(name, args.runtime)
        for split in splits:
            for mode in modes:
                if mode == "given":
                    metrics = evaluate_given(classifier, split, root)
                    runs.append(_run(classifier, name, split, mode, None, metrics))
                    continue
                assert detector is not None
                if split not in located:
                    pipeline = FacePipeline(detector, classifier)
                    located[split] = locate_split(pipeline, split, root)
                    pipeline.close()
                metrics = score_located(classifier, located[split])
                runs.append(_run(classifier, name, split, mode, args.detector, metrics))
    results = {
        "command": "facelog evaluate realfaces " + " ".join(argv or []),
        "date": datetime.now(UTC).date().isoformat(),
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "runs": runs,
    }
    out = args.out or RESULTS / f"realfaces-{'-'.join(modes)}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(render_markdown(results))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
