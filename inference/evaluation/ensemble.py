"""Accuracy of emotion models on labeled Korean faces, alone and as the seed's voting ensemble.

    facelog evaluate aihub --model runs/aihub/run/model.keras --data TEST [--out DIR]
    facelog evaluate ensemble --model A.keras --model B.keras --model C.keras --model ferplus \
        --data TEST [--min-agree 3]

Why it is built this way:

* Every model is loaded the way the bot loads it (:class:`inference.classifier.KerasClassifier`
  or the shipped FER+ model) and sees the same aligned 224×224 crops the bot would give it, so a
  number here is a number a user gets. The crops come from the training data's cache
  (:mod:`inference.training.aihub`): evaluating again does not re-align anything.
* Reported per model and for the ensemble: accuracy, per-class accuracy (the seed reported
  anger 73, happy 97, panic 92, sadness 81 for EfficientNetB0), the 4×4 confusion matrix as a
  table and as a PNG, and a JSON file with all of it.
* The vote is the seed's final rule: a class wins outright when at least three of four models
  (``min_agree``; by default three quarters of the models, rounded up) name it; otherwise the
  single most confident model decides. The seed measured 80.0 % for this against 75.7 % for a
  plain 2-of-4 vote on part of its test set.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from inference.labels import EMOTIONS, four_class
from inference.training.ferplus import confusion, macro_f1

log = logging.getLogger(__name__)

CLASSES: tuple[str, ...] = tuple(e.value for e in EMOTIONS)
F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]


# --------------------------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------------------------


def scores(true: npt.ArrayLike, pred: npt.ArrayLike) -> dict[str, Any]:
    """Accuracy, per-class accuracy (recall), confusion matrix (rows true, columns predicted)."""
    t = np.asarray(true, dtype=np.int64)
    p = np.asarray(pred, dtype=np.int64)
    matrix = confusion(t, p, len(CLASSES))
    support = matrix.sum(axis=1)
    per_class = {
        name: {
            "n": int(support[i]),
            "correct": int(matrix[i, i]),
            "accuracy": float(matrix[i, i] / support[i]) if support[i] else None,
        }
        for i, name in enumerate(CLASSES)
    }
    return {
        "images": len(t),
        "accuracy": float((t == p).mean()) if len(t) else 0.0,
        "macro_f1": macro_f1(matrix),
        "per_class": per_class,
        "classes": list(CLASSES),
        "confusion": matrix.tolist(),
    }


def confusion_table(result: dict[str, Any], title: str = "") -> str:
    """A Markdown table: the confusion matrix with each class's accuracy in the last column."""
    names = result["classes"]
    lines = [title] if title else []
    lines.append(f"accuracy {result['accuracy']:.4f} on {result['images']} faces")
    lines.append("| true \\ predicted | " + " | ".join(names) + " | class accuracy |")
    lines.append("|---" * (len(names) + 2) + "|")
    for name, row in zip(names, result["confusion"], strict=True):
        acc = result["per_class"][name]["accuracy"]
        cell = "—" if acc is None else f"{acc:.1%}"
        lines.append(f"| {name} | " + " | ".join(str(v) for v in row) + f" | {cell} |")
    return "\n".join(lines)


def confusion_png(result: dict[str, Any], path: Path, title: str) -> Path:
    """The confusion matrix as a heat map, rows normalised, with the counts written in."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    matrix = np.asarray(result["confusion"], dtype=np.float64)
    rows = matrix.sum(axis=1, keepdims=True)
    share = np.divide(matrix, rows, out=np.zeros_like(matrix), where=rows > 0)
    names = result["classes"]
    figure = Figure(figsize=(5.2, 4.6), dpi=110)
    axes = figure.add_subplot()
    image = axes.imshow(share, cmap="Blues", vmin=0.0, vmax=1.0)
    axes.set_xticks(range(len(names)), names)
    axes.set_yticks(range(len(names)), names)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    axes.set_title(f"{title}\naccuracy {result['accuracy']:.1%} ({result['images']} faces)")
    for i in range(len(names)):
        for j in range(len(names)):
            colour = "white" if share[i, j] > 0.6 else "black"
            axes.text(j, i, str(int(matrix[i, j])), ha="center", va="center", color=colour)
    figure.colorbar(image, ax=axes, fraction=0.046)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    return path


# --------------------------------------------------------------------------------------------
# The vote
# --------------------------------------------------------------------------------------------


def default_min_agree(models: int) -> int:
    """Three quarters of the models, rounded up: 3 of 4 as in the seed, 2 of 2, 3 of 3."""
    return max(1, math.ceil(0.75 * models))


def vote(
    probs: Sequence[F32], min_agree: int | None = None
) -> tuple[I64, F32, npt.NDArray[np.bool_]]:
    """The seed's vote over models' (N, 4) probabilities.

    Returns ``(labels, confidence, hard)``. Where at least ``min_agree`` models name the same class
    it wins and its confidence is the share of models that named it (the seed's
    ``vote_prob``); otherwise the most confident model's class wins with its own probability
    (ties: the earlier model). With ``min_agree`` at or below half the models two classes can
    tie; the one with the larger summed probability wins.
    """
    if not probs:
        raise ValueError("no models to vote")
    stacked = np.stack([np.asarray(p, dtype=np.float32) for p in probs])  # (M, N, C)
    models, count, classes = stacked.shape
    need = default_min_agree(models) if min_agree is None else min_agree
    if not 1 <= need <= models:
        raise ValueError(f"min_agree must be 1..{models}, got {need}")
    picks = stacked.argmax(axis=2)  # (M, N)
    tally = np.zeros((count, classes), dtype=np.int64)
    for row in picks:
        tally[np.arange(count), row] += 1
    majority = _majority(tally, stacked.sum(axis=0))
    votes = tally[np.arange(count), majority]
    hard = votes >= need
    confident = stacked.max(axis=2)  # (M, N)
    best_model = confident.argmax(axis=0)
    soft_label = picks[best_model, np.arange(count)]
    labels = np.where(hard, majority, soft_label).astype(np.int64)
    confidence = np.where(hard, votes / models, confident[best_model, np.arange(count)]).astype(
        np.float32
    )
    return labels, confidence, hard


def _majority(tally: I64, summed: F32) -> I64:
    """Per row, the class with most votes; summed probability decides between tied classes."""
    key = tally.astype(np.float64) * 1e6 + summed  # votes dominate, probability sums < 1e6
    return np.asarray(key.argmax(axis=1), dtype=np.int64)


# --------------------------------------------------------------------------------------------
# Models and data
# --------------------------------------------------------------------------------------------


def load_model(spec: str) -> Any:
    """``ferplus`` / ``fer`` for the shipped models, else a Keras file of Facelog's four classes.

    A file trained by :mod:`inference.training.efficientnet` has a ``.json`` card next to it that
    names its classes, value range and crop; without one the four emotions, 0..1 and the whole
    crop are assumed (the plug-in defaults of ``facelog/config.py``).
    """
    from inference.classifier import KerasClassifier, load_fer

    if spec == "ferplus":
        from inference.ferplus_model import load_ferplus

        return load_ferplus()
    if spec == "fer":
        return load_fer()
    path = Path(spec)
    card_path = path.with_suffix(".json")
    card = json.loads(card_path.read_text()) if card_path.is_file() else {}
    return KerasClassifier(
        path,
        card.get("classes", CLASSES),
        name=card.get("name", path.stem),
        value_range=card.get("value_range", "0..1"),
        crop=float(card.get("crop", 1.0)),
    )


def four_class_probs(model: Any, crops: npt.NDArray[np.uint8], batch: int = 64) -> F32:
    """(N, 4) probabilities from aligned uint8 crops, in chunks (a float copy of all is big)."""
    out = [np.zeros((0, len(CLASSES)), dtype=np.float32)]
    for start in range(0, len(crops), batch):
        faces = crops[start : start + batch].astype(np.float32) / 255.0
        out.append(four_class(model.predict(faces)))
    return np.concatenate(out).astype(np.float32)


def evaluate(
    models: Sequence[Any],
    names: Sequence[str],
    crops: npt.NDArray[np.uint8],
    labels: I64,
    out: Path,
    min_agree: int | None = None,
) -> dict[str, Any]:
    """Every model, then (with two or more) the vote; ``results.json`` and PNGs go to ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"models": {}}
    probs = []
    slugs = Counter[str]()
    for model, name in zip(models, names, strict=True):
        p = four_class_probs(model, crops)
        probs.append(p)
        result = scores(labels, p.argmax(axis=1))
        slug = _slug(name, slugs)
        result["png"] = str(confusion_png(result, out / f"confusion-{slug}.png", name))
        report["models"][name] = result
        print(confusion_table(result, f"\n## {name}"))
    if len(models) > 1:
        need = default_min_agree(len(models)) if min_agree is None else min_agree
        voted, _, hard = vote(probs, need)
        result = scores(labels, voted)
        result["min_agree"] = need
        result["hard_share"] = float(hard.mean()) if len(hard) else 0.0
        title = f"ensemble ({need} of {len(models)} agree, else most confident)"
        result["png"] = str(confusion_png(result, out / "confusion-ensemble.png", title))
        report["ensemble"] = result
        print(confusion_table(result, f"\n## {title}"))
        print(f"decided by the hard vote: {result['hard_share']:.1%} of faces")
    (out / "results.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {out / 'results.json'}")
    return report


def _slug(name: str, seen: Counter[str]) -> str:
    base = "".join(c if c.isalnum() or c in "-_" else "-" for c in name) or "model"
    seen[base] += 1
    return base if seen[base] == 1 else f"{base}-{seen[base]}"


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def _run(args: argparse.Namespace) -> int:
    from inference.training import aihub

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.command == "ensemble" and len(args.model) < 2:
        print("facelog evaluate ensemble: give at least two --model", file=sys.stderr)
        return 2
    aligned, report = aihub.load_aligned(
        args.data,
        cache=args.cache,
        detector=args.detector,
        layout=args.layout,
        images=args.images,
        rule=args.consensus,
    )
    print(report.table())
    if not len(aligned):
        print("no usable faces in the data", file=sys.stderr)
        return 1
    models = [load_model(spec) for spec in args.model]
    names = [str(getattr(m, "name", spec)) for m, spec in zip(models, args.model, strict=True)]
    evaluate(models, names, aligned.crops, aligned.labels, args.out, args.min_agree)
    return 0


def _add_arguments(parser: argparse.ArgumentParser, ensemble: bool) -> None:
    from inference.training import aihub

    parser.add_argument(
        "--model",
        action="append",
        required=True,
        help="a .keras file, or 'ferplus' / 'fer' for a shipped model (repeat for several)",
    )
    parser.add_argument(
        "--data", type=Path, required=True, help="AI-Hub JSON/folder or class folders"
    )
    parser.add_argument("--images", type=Path, default=None, help="where the AI-Hub photos are")
    parser.add_argument("--layout", choices=["auto", "aihub", "folders"], default="auto")
    parser.add_argument("--consensus", choices=["uploader", "majority"], default="uploader")
    parser.add_argument("--detector", choices=["seed", "dlib", "mtcnn"], default="seed")
    parser.add_argument("--cache", type=Path, default=aihub.DEFAULT_CACHE, help="aligned crops")
    parser.add_argument("--out", type=Path, default=Path("runs/aihub/evaluation"))
    parser.add_argument(
        "--min-agree",
        type=int,
        default=None,
        help="models that must agree for a hard vote (default: 3/4 of them, rounded up)"
        if ensemble
        else argparse.SUPPRESS,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="facelog evaluate", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    single = sub.add_parser("aihub", help="accuracy of each model on labeled Korean faces")
    _add_arguments(single, ensemble=False)
    vote_parser = sub.add_parser("ensemble", help="the seed's vote over several models")
    _add_arguments(vote_parser, ensemble=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m inference.evaluation.ensemble aihub|ensemble …`` (``facelog evaluate`` too)."""
    args = build_parser().parse_args(argv)
    return _run(args)


if __name__ == "__main__":
    raise SystemExit(main())
