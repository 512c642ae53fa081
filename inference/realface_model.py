"""Facelog's real-face model: EfficientNet-Lite0 fine-tuned on real photos, with the FER+ nets.

Why a combination: the fine-tuned Lite0 (``lite0``) learned what real photos look like from
``realfaces/train``; the FER+ ensemble (``ferplus``) learned expressions from 28 k web crops.
They err differently, so a weighted average of their probabilities, plus a per-class bias that
undoes the class priors of the training data, reads real photos better than either (weights
and bias chosen by cross-validation on ``realfaces/val``: ``inference/evaluation/selection.py``;
the figures are in inference/README.md). The combination's recipe is a small JSON file beside
the models, so what was measured is exactly what is served.

Like the FER+ model, each network ships twice: ``.tflite`` (int8 weights, LiteRT, CPUs) and
``.keras`` (float32, GPUs), both checked against their sha256 before loading.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from inference.classifier import (
    EmotionClassifier,
    Faces,
    InputSpec,
    ModelClassifier,
    Probs,
)
from inference.ferplus_model import MODELS_DIR, Runtime, load_shipped
from inference.labels import COLUMNS

LITE0_KERAS = MODELS_DIR / "lite0.keras"
LITE0_TFLITE = MODELS_DIR / "lite0.tflite"
LITE0_SHA256 = MODELS_DIR / "lite0.sha256"
#: Members, their weights and the class bias, as chosen on ``val`` (written by the selection).
RECIPE_PATH = MODELS_DIR / "realface.json"

#: Lite0 sees the same tight crop as the FER+ nets (0.85 of the aligned frame) at 112 px, in
#: colour, pixels 0..255 (ImageNet normalisation is in the graph). The colour run beat the gray
#: one inside the combination (inference/README.md, "Choosing the real-face model").
LITE0_SPEC = InputSpec(size=112, channels=3, value_range="0..255", crop=0.85)
LITE0_NAME = "lite0-realfaces"


def load_lite0(
    runtime: Runtime = "auto", path: Path | None = None, sha_path: Path = LITE0_SHA256
) -> ModelClassifier:
    """The fine-tuned Lite0 alone (five columns: four emotions + other)."""
    return load_shipped(
        runtime, (LITE0_KERAS, LITE0_TFLITE), sha_path, COLUMNS, LITE0_SPEC, LITE0_NAME, path
    )


@dataclass(frozen=True)
class Recipe:
    """How the members' five-column outputs are combined."""

    members: tuple[str, ...]
    weights: tuple[float, ...]
    #: Added to the log-probabilities of the five columns (``other`` stays 0): undoes the
    #: training data's class priors on real photos.
    log_bias: tuple[float, ...]
    #: Per member: average its answer on the face and on the mirrored face (test-time flip).
    #: Empty means no member is flipped (recipes written before #25 have no such field).
    flip: tuple[bool, ...] = ()

    def __post_init__(self) -> None:
        if not self.members or len(self.members) != len(self.weights):
            raise ValueError("a recipe needs one weight per member")
        if any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
            raise ValueError("weights must be non-negative and not all zero")
        if len(self.log_bias) != len(COLUMNS):
            raise ValueError(f"log_bias needs {len(COLUMNS)} values")
        if self.flip and len(self.flip) != len(self.members):
            raise ValueError("flip needs one value per member (or none at all)")

    def flipped(self, member: int) -> bool:
        return bool(self.flip) and self.flip[member]

    @classmethod
    def read(cls, path: Path = RECIPE_PATH) -> Recipe:
        data = json.loads(path.read_text())
        return cls(
            tuple(data["members"]),
            tuple(float(w) for w in data["weights"]),
            tuple(float(b) for b in data["log_bias"]),
            tuple(bool(f) for f in data.get("flip", ())),
        )

    def to_json(self, **extra: Any) -> str:
        body = {
            "members": list(self.members),
            "weights": list(self.weights),
            "log_bias": list(self.log_bias),
            "flip": [self.flipped(i) for i in range(len(self.members))],
            **extra,
        }
        return json.dumps(body, indent=2) + "\n"


def combine(scores: Sequence[npt.NDArray[np.floating[Any]]], recipe: Recipe) -> Probs:
    """Weighted mean of the members' probabilities, then the class bias, renormalised."""
    weights = np.asarray(recipe.weights, dtype=np.float64)
    mixed = sum(w * np.asarray(s, np.float64) for w, s in zip(weights, scores, strict=True))
    mixed = np.asarray(mixed) / weights.sum()
    biased = mixed * np.exp(np.asarray(recipe.log_bias, dtype=np.float64))
    return np.asarray(biased / biased.sum(axis=1, keepdims=True), dtype=np.float32)


class CombinedClassifier:
    """Several classifiers behind one: each sees the face its own way, answers are combined."""

    def __init__(self, members: Sequence[EmotionClassifier], recipe: Recipe) -> None:
        if len(members) != len(recipe.members):
            raise ValueError("one classifier per recipe member")
        self.members = tuple(members)
        self.recipe = recipe
        self.name = "realface-" + "-".join(recipe.members)
        self.device = getattr(self.members[0], "device", "CPU")

    def predict(self, faces: Faces) -> Probs:
        if len(faces) == 0:
            return np.zeros((0, len(COLUMNS)), dtype=np.float32)
        return combine(
            [
                predict_flipped(m, faces) if self.recipe.flipped(i) else m.predict(faces)
                for i, m in enumerate(self.members)
            ],
            self.recipe,
        )


def predict_flipped(member: EmotionClassifier, faces: Faces) -> Probs:
    """Mean of the member's answers on the faces and on their mirror images.

    A model file mirrors its own small prepared input (:meth:`ModelClassifier.predict_mirrored`:
    cheaper and lighter than mirroring 224 px faces); anything else gets mirrored aligned faces
    in one call.
    """
    mirrored = getattr(member, "predict_mirrored", None)
    if mirrored is not None:
        return np.asarray(mirrored(faces), dtype=np.float32)
    both = member.predict(np.concatenate([faces, np.asarray(faces)[:, :, ::-1]]))
    half = len(faces)
    return np.asarray((both[:half] + both[half:]) / 2, dtype=np.float32)


def load_member(name: str, runtime: Runtime = "auto") -> EmotionClassifier:
    if name == "lite0":
        return load_lite0(runtime)
    if name == "ferplus":
        from inference.ferplus_model import load_ferplus

        return load_ferplus(runtime)
    if name == "fer":
        from inference.fer_model import load_fer

        return load_fer(runtime)
    raise ValueError(f"unknown member {name!r}: lite0, ferplus or fer")


def load_realface(runtime: Runtime = "auto", recipe_path: Path = RECIPE_PATH) -> CombinedClassifier:
    """Facelog's real-face classifier as the recipe next to the models says."""
    recipe = Recipe.read(recipe_path)
    return CombinedClassifier([load_member(m, runtime) for m in recipe.members], recipe)
