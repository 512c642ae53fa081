"""EfficientNetB0 on AI-Hub-format data: the training command end to end on a learnable toy set,
the saved model (round trip, served by the bot's pipeline, voted in an ensemble), augmentation,
ImageNet weights from a local file and mixed precision.

The toy set is built from real face photos (tests/inference/aihub_data.py); training runs at 64 px
so the whole path fits in CI. The same command at the real 224 px with ``--smoke`` takes about a
minute on two CPU cores (inference/README.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from facelog.cli import build_parser
from facelog.cli import main as facelog_main
from facelog.config import Settings
from inference.classifier import InputSpec, prepare
from inference.labels import Emotion
from inference.pipeline import FacePipeline
from inference.training import efficientnet as en
from tests.inference import aihub_data

SIZE = 64
EPOCHS = 6


@dataclass
class Run:
    toy: aihub_data.ToySet
    folders: Path
    cache: Path
    out: Path
    args: list[str]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """One ``facelog train aihub --smoke`` run, no augmentation so 18 steps learn the toy set."""
    root = tmp_path_factory.mktemp("aihub")
    toy = aihub_data.build(root / "data")
    folders = aihub_data.build_folders(root / "folders")
    cache, out = root / "cache", root / "run"
    args = [
        "train",
        "aihub",
        "--train",
        str(toy.root),
        "--test",
        str(folders),
        "--cache",
        str(cache),
        "--out",
        str(out),
        "--smoke",
        "--image-size",
        str(SIZE),
        "--epochs",
        str(EPOCHS),
        "--batch-size",
        "4",
        "--no-augment",
    ]
    assert facelog_main(args) == 0
    return Run(toy, folders, cache, out, args)


@pytest.fixture(scope="module")
def trained(run: Run) -> Any:
    """The run's ``model.keras``, loaded once for the tests that call it directly."""
    import keras

    return keras.models.load_model(run.out / "model.keras", compile=False)


def test_training_command_cleans_the_labels_and_learns_the_toy_split(run: Run) -> None:
    history = json.loads((run.out / "history.json").read_text())
    assert [h["epoch"] for h in history] == list(range(1, EPOCHS + 1))
    losses = [h["loss"] for h in history]
    assert min(losses[-2:]) < 0.6 * losses[0], losses

    data = json.loads((run.out / "data.json").read_text())["train"]
    assert data["records"] == 27
    assert data["dropped"] == {
        "outlier (1 of 3 annotators agree)": run.toy.outliers[1],
        "outlier (0 of 3 annotators agree)": run.toy.outliers[0],
        "outside the four classes": 1,
        "photo missing": 1,
        "duplicate record": 1,
    }
    assert data["kept"] == {e.value: n for e, n in run.toy.clean.items()}
    # One of each class goes to validation; the rest is capped at the smallest class.
    assert data["balanced"] == dict.fromkeys(("anger", "happy", "panic", "sadness"), 3)

    metrics = json.loads((run.out / "metrics.json").read_text())
    assert metrics["epochs_run"] == EPOCHS
    assert metrics["test"]["images"] == 4  # the class-folder set, its extra folder skipped
    assert set(metrics["test"]["per_class"]) == {"anger", "happy", "panic", "sadness"}
    assert np.array(metrics["test"]["confusion"]).sum() == 4
    for name in (
        "model.keras",
        "best.keras",
        "last.keras",
        "confusion-valid.png",
        "confusion-test.png",
    ):
        assert (run.out / name).is_file(), name
    card = json.loads((run.out / "model.json").read_text())
    assert card["classes"] == ["anger", "happy", "panic", "sadness"]
    assert card["input"] == {"size": SIZE, "channels": 3}


def test_saved_model_round_trip_gives_identical_predictions(trained: Any, tmp_path: Path) -> None:
    import keras

    x = np.random.default_rng(4).random((3, SIZE, SIZE, 3), dtype=np.float32)
    before = np.asarray(trained(x, training=False))
    trained.save(tmp_path / "again.keras")
    loaded = keras.models.load_model(tmp_path / "again.keras", compile=False)
    np.testing.assert_allclose(np.asarray(loaded(x, training=False)), before, rtol=0, atol=1e-6)
    np.testing.assert_allclose(before.sum(axis=1), 1.0, rtol=1e-5)


def test_the_trained_model_is_served_by_the_bot_pipeline(
    run: Run, trained: Any, face_photos: dict[str, bytes]
) -> None:
    """FACELOG_CLASSIFIER=keras + FACELOG_CLASSIFIER_PATH, nothing else: the bot reads the
    astronaut's face with the trained model, as happy (the label this face was trained with)."""
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, classifier="keras", classifier_path=run.out / "model.keras"
    )
    pipeline = FacePipeline.from_settings(settings)
    try:
        analysis = pipeline.analyze_sync(face_photos["astronaut"])
    finally:
        pipeline.close()
    direct = np.asarray(
        trained(prepare(analysis.aligned[None], InputSpec(SIZE, 3)), training=False)
    )
    served = np.array([analysis.probabilities[e] for e in Emotion])
    np.testing.assert_allclose(served, direct[0], atol=1e-5)
    assert analysis.emotion is Emotion.HAPPY


def test_evaluate_ensemble_with_the_shipped_model(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "eval"
    model = str(run.out / "model.keras")
    args = ["evaluate", "ensemble", "--model", model, "--model", "ferplus"]
    args += ["--data", str(run.folders), "--cache", str(run.cache), "--out", str(out)]
    assert facelog_main(args) == 0
    report = json.loads((out / "results.json").read_text())
    assert list(report["models"]) == ["aihub_efficientnetb0", "ferplus-ensemble"]
    ensemble = report["ensemble"]
    assert ensemble["min_agree"] == 2 and ensemble["images"] == 4
    hard = ensemble["hard_share"] * ensemble["images"]  # a share of the 4 images: whole faces
    assert hard == pytest.approx(round(hard)) and 0 <= round(hard) <= ensemble["images"]
    for png in (out / "confusion-ensemble.png", out / "confusion-ferplus-ensemble.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert facelog_main(["evaluate", "ensemble", "--model", model, "--data", "x"]) == 2


def test_a_different_configuration_does_not_resume_over_a_run(run: Run) -> None:
    args = build_parser().parse_args([*run.args[:-1], "--lr", "0.01", "--no-augment"])
    with pytest.raises(SystemExit, match="another configuration"):
        en.train(en.config_from_args(args))


def test_smoke_defaults() -> None:
    args = build_parser().parse_args(["train", "aihub", "--train", "data", "--smoke"])
    cfg = en.config_from_args(args)
    assert (cfg.epochs, cfg.batch_size, cfg.image_size, cfg.smoke) == (2, 8, 224, True)
    full = en.config_from_args(build_parser().parse_args(["train", "aihub", "--train", "d"]))
    assert (full.epochs, full.batch_size, full.augment) == (50, 32, True)


def test_augmentation_is_a_function_of_the_seed_and_stays_in_range() -> None:
    import tensorflow as tf

    x = tf.constant(np.random.default_rng(0).random((6, 32, 32, 3), dtype=np.float32))
    seed = tf.constant([5, 7], tf.int32)
    a, b = en.augment(x, seed).numpy(), en.augment(x, seed).numpy()
    np.testing.assert_array_equal(a, b)
    assert a.shape == (6, 32, 32, 3) and a.min() >= 0.0 and a.max() <= 1.0
    assert not np.allclose(a, x.numpy())
    assert not np.array_equal(a, en.augment(x, tf.constant([5, 8], tf.int32)).numpy())


def test_imagenet_weights_come_only_from_a_local_file(tmp_path: Path) -> None:
    import keras

    source = keras.applications.EfficientNetB0(
        include_top=False, weights=None, input_shape=(32, 32, 3)
    )
    source.get_layer("stem_conv").set_weights([np.full((3, 3, 3, 32), 0.01, np.float32)])
    path = tmp_path / "efficientnetb0_notop.weights.h5"
    source.save_weights(path)
    model = en.build_model(32, imagenet_weights=path)
    np.testing.assert_array_equal(
        model.get_layer("stem_conv").get_weights()[0],
        source.get_layer("stem_conv").get_weights()[0],
    )
    with pytest.raises(FileNotFoundError, match="nothing is downloaded"):
        en.build_model(32, imagenet_weights=tmp_path / "missing.h5")


def test_mixed_precision_keeps_float32_probabilities() -> None:
    import keras

    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = en.build_model(32)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert model.get_layer("logits").compute_dtype == "float16"
    out = model(np.zeros((1, 32, 32, 3), np.float32), training=False)
    assert np.asarray(out).dtype == np.float32
