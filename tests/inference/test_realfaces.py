"""The real-photo evaluation, the combination of models and its calibration, the trainer's path.

Tests that read ``../shared/data`` skip with the reason when it is absent on a developer's
machine, and fail under ``CI=true``, where the data is always laid beside the checkout: a CI run
must never pass by skipping the project's main accuracy check. No realfaces image is ever
written into the repository or a fixture (their licences are research-only).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from inference.detect import Box, iou
from inference.evaluation import realfaces, selection
from inference.labels import COLUMNS
from inference.realface_model import CombinedClassifier, Recipe, combine, load_realface

DATA = realfaces.default_root()
FERPLUS_DATA = DATA.parent / "ferplus" / "ferplus48.npz"


def _need(path: Path) -> None:
    if path.exists():
        return
    message = f"{path} is not on this machine (../shared/data beside the checkout)"
    if os.environ.get("CI"):
        pytest.fail(message + ": CI always has it")
    pytest.skip(message)


# -- arithmetic (no data) --------------------------------------------------------------------


def test_metrics_leave_out_other_and_count_a_missed_face_as_wrong() -> None:
    labels = ["anger", "anger", "happy", "panic", "sadness", "other"]
    predicted = ["anger", None, "happy", "sadness", "sadness", "happy"]
    m = realfaces.four_class_metrics(labels, predicted)
    assert m["n"] == 5
    assert m["accuracy"] == pytest.approx(3 / 5)
    assert m["per_class"]["anger"]["recall"] == pytest.approx(0.5)
    assert m["per_class"]["sadness"]["precision"] == pytest.approx(0.5)
    assert m["per_class"]["panic"]["f1"] == 0.0
    # rows: truth, columns: prediction; the missed face is in no cell
    assert m["confusion"]["matrix"][3] == [0, 0, 0, 1]
    assert m["confusion"]["matrix"][2] == [0, 0, 0, 1]
    assert sum(map(sum, m["confusion"]["matrix"])) == 4


def test_iou_of_boxes() -> None:
    a = Box(0, 0, 10, 10)
    assert iou(a, a) == 1.0
    assert iou(a, Box(20, 20, 5, 5)) == 0.0
    assert iou(a, Box(5, 0, 10, 10)) == pytest.approx(50 / 150)


def test_recipe_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        Recipe(("lite0", "ferplus"), (1.0,), (0.0,) * len(COLUMNS))
    with pytest.raises(ValueError):
        Recipe(("lite0",), (-1.0,), (0.0,) * len(COLUMNS))
    with pytest.raises(ValueError):
        Recipe(("lite0",), (1.0,), (0.0,) * 4)


def test_combination_weights_members_and_applies_the_bias() -> None:
    a = np.array([[0.7, 0.1, 0.1, 0.05, 0.05]], np.float32)
    b = np.array([[0.1, 0.7, 0.1, 0.05, 0.05]], np.float32)
    even = Recipe(("a", "b"), (0.5, 0.5), (0.0,) * 5)
    assert combine([a, b], even)[0, :2] == pytest.approx([0.4, 0.4])
    leaning = Recipe(("a", "b"), (0.3, 0.7), (0.0,) * 5)
    assert combine([a, b], leaning)[0].argmax() == 1
    # a bias against happy flips the answer back to anger, and rows still sum to one
    biased = Recipe(("a", "b"), (0.3, 0.7), (0.0, -1.0, 0.0, 0.0, 0.0))
    out = combine([a, b], biased)
    assert out[0].argmax() == 0
    assert out.sum() == pytest.approx(1.0)


def test_bias_fit_undoes_a_prior_shift() -> None:
    """A model that says "happy" too readily is corrected by the fitted bias."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, 2000)
    logits = rng.normal(0, 1, (2000, 4)) + 2.0 * np.eye(4)[labels]
    logits[:, 1] += 1.5  # the prior shift
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    probs = np.concatenate([probs * 0.9, np.full((2000, 1), 0.1)], axis=1)
    bias = selection.fit_bias(probs, labels)
    assert bias[1] < min(bias[0], bias[2], bias[3]) - 1.0
    corrected = np.log(probs[:, :4]) + bias[:4]
    before = (probs[:, :4].argmax(1) == labels).mean()
    after = (corrected.argmax(1) == labels).mean()
    assert after > before + 0.05


def test_weight_grid_covers_the_simplex() -> None:
    grid = selection.weight_grid(3)
    assert all(sum(w) == pytest.approx(1.0) for w in grid)
    assert (0.5, 0.5, 0.0) in grid or (0.5, 0.0, 0.5) in grid
    assert len(set(grid)) == len(grid)
    assert selection.weight_grid(1) == [(1.0,)]


def test_selection_prefers_the_member_that_reads_the_labels() -> None:
    rng = np.random.default_rng(1)
    n = 300
    labels = [realfaces.FOUR[i] for i in rng.integers(0, 4, n)]
    truth = np.eye(5)[[realfaces.FOUR.index(x) for x in labels]]
    good = 0.6 * truth + 0.4 * rng.dirichlet(np.ones(5), n)
    noise = rng.dirichlet(np.ones(5), n)
    groups = [f"g{i}" for i in range(n)]
    report = selection.select(
        {"good": good, "noise": noise}, labels, groups, {"good": good, "noise": noise}, labels
    )
    assert report["winner"]["members"] == ["good"]
    assert report["winner"]["val_cv"] > 0.9


# -- the shipped model -----------------------------------------------------------------------


def test_shipped_combination_reads_a_real_face(face_photos: dict[str, bytes]) -> None:
    """The default classifier loads (checksums verified) and gives five proper columns."""
    from inference.detect import DlibDetector
    from inference.pipeline import FacePipeline

    classifier = load_realface("tflite")
    assert isinstance(classifier, CombinedClassifier)
    pipeline = FacePipeline(DlibDetector(), classifier)
    try:
        analysis = pipeline.analyze_sync(next(iter(face_photos.values())))
    finally:
        pipeline.close()
    assert analysis.face is not None
    assert analysis.face.scores.shape == (len(COLUMNS),)
    assert float(analysis.face.scores.sum()) == pytest.approx(1.0, abs=1e-4)


# -- on the real photos ----------------------------------------------------------------------


def test_manifest_matches_the_data_readme() -> None:
    _need(DATA)
    val = realfaces.load_manifest(DATA, ("val",))
    lab = realfaces.load_manifest(DATA, ("val_lab",))
    assert len(val) == 750 and len(lab) == 250
    assert sum(r.label in realfaces.FOUR for r in val) == 600
    for row in val:
        box = row.box
        assert box.x >= 0 and box.x + box.width <= row.width + 1
        assert box.y >= 0 and box.y + box.height <= row.height + 1


def test_default_model_reads_posed_faces_and_beats_its_members_on_real_photos() -> None:
    """The bars for the default: #25's val_lab ≥ 0.90 and val ≥ 0.60 (#20's 0.93 on val_lab
    still holds), and better than FER+ alone on both splits. #25 traded 2 points of val for
    fer's reading of East Asian faces (and FER+'s anger F1 on ExpW), so #20's "3 points above
    ferplus on val" no longer holds: test_fer_litert.py checks the trade's own bars."""
    _need(DATA)
    from inference.pipeline import named_classifier

    realface = named_classifier("realface", "tflite")
    ferplus = named_classifier("ferplus", "tflite")
    lab = realfaces.evaluate_given(realface, "val_lab", DATA)
    assert lab["accuracy"] >= 0.90
    assert lab["accuracy"] > realfaces.evaluate_given(ferplus, "val_lab", DATA)["accuracy"]
    val = realfaces.evaluate_given(realface, "val", DATA)
    old = realfaces.evaluate_given(ferplus, "val", DATA)
    assert val["accuracy"] >= 0.60
    assert val["accuracy"] > old["accuracy"]
    assert val["macro_f1"] > old["macro_f1"]


def test_end_to_end_finds_the_labelled_face_in_real_photos() -> None:
    """Detection through the pipeline's own decoder and detector on in-the-wild photos."""
    _need(DATA)
    from inference.detect import create_detector
    from inference.pipeline import FacePipeline, named_classifier

    rows = realfaces.load_manifest(DATA, ("val",))[:120]
    pipeline = FacePipeline(create_detector("dlib"), named_classifier("ferplus", "tflite"))
    found = 0
    try:
        for row in rows:
            located = pipeline.locate(realfaces.read_bytes(row, DATA))
            found += any(iou(b, row.box) >= realfaces.MATCH_IOU for b in located.boxes)
    finally:
        pipeline.close()
    assert found / len(rows) >= 0.85


@pytest.mark.slow
def test_training_smoke_then_export_then_serve(tmp_path: Path) -> None:
    """CI's ``--smoke``: the whole recipe on a few faces, shipped to a folder, loaded back."""
    _need(DATA)
    _need(FERPLUS_DATA)
    from inference.realface_model import load_lite0
    from inference.training import lite0_export
    from inference.training import realfaces as trainer

    run = tmp_path / "run"
    assert trainer.main(["--smoke", "--out", str(run)]) == 0
    record = json.loads((run / "run.json").read_text())
    assert record["data"]["realfaces_train"] == 96
    assert record["best_epoch"]["epoch"] in (1, 2)
    dest = tmp_path / "models"
    report = lite0_export.export(run, dest, tmp_path / "export.json")
    assert report["max_abs_diff_keras_tflite"] < 0.1
    served = load_lite0("tflite", dest / "lite0.tflite", dest / "lite0.sha256")
    faces = np.random.default_rng(0).random((3, 224, 224, 3), dtype=np.float32)
    out = served.predict(faces)
    assert out.shape == (3, len(COLUMNS))
    assert np.allclose(out.sum(axis=1), 1.0, atol=1e-4)
