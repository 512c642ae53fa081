"""FER+ training: targets, the smoke path CI runs, resume, save/load, and the shipped model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from inference.labels import COLUMNS, FERPLUS_CLASSES
from inference.training import ferplus as fp

VOTE_COLUMNS = [*FERPLUS_CLASSES, "unknown", "NF"]


def _votes(**counts: int) -> list[int]:
    return [counts.get(name, 0) for name in VOTE_COLUMNS]


def test_votes_to_soft_drops_unknown_and_renormalises() -> None:
    votes = np.array(
        [
            _votes(neutral=6, happiness=2, unknown=2),
            _votes(anger=4, sadness=3, fear=1, NF=2),
            _votes(unknown=6, surprise=4),  # mostly unknown: dropped
            _votes(unknown=5, surprise=5),  # exactly half: not "more than half", dropped
            _votes(happiness=1, surprise=1, fear=1, unknown=4),  # only singles: kept as they are
        ]
    )
    targets, keep = fp.votes_to_soft(votes, VOTE_COLUMNS, drop_single=True)
    assert keep.tolist() == [True, True, False, False, False]
    idx = {name: i for i, name in enumerate(FERPLUS_CLASSES)}
    np.testing.assert_allclose(targets[0, idx["neutral"]], 0.75)
    np.testing.assert_allclose(targets[0, idx["happiness"]], 0.25)
    # The single fear vote is treated as noise.
    np.testing.assert_allclose(targets[1, idx["anger"]], 4 / 7, rtol=1e-6)
    assert targets[1, idx["fear"]] == 0
    assert np.all(targets[2:] == 0)
    np.testing.assert_allclose(targets[keep].sum(axis=1), 1.0, rtol=1e-6)

    kept_singles, keep2 = fp.votes_to_soft(
        np.array([_votes(happiness=1, surprise=1, fear=1, anger=3)]), VOTE_COLUMNS
    )
    assert keep2.all()
    assert kept_singles[0, idx["anger"]] == 1.0

    all_singles, _ = fp.votes_to_soft(
        np.array([_votes(happiness=1, surprise=1, fear=1, anger=1, sadness=1, neutral=1)]),
        VOTE_COLUMNS,
    )
    np.testing.assert_allclose(all_singles[0, :5], 1 / 6, rtol=1e-6)

    raw, _ = fp.votes_to_soft(votes, VOTE_COLUMNS, drop_single=False)
    np.testing.assert_allclose(raw[1, idx["fear"]], 1 / 8)


def test_majority_label_and_metrics() -> None:
    votes = np.array([_votes(neutral=3, happiness=5, unknown=2), _votes(surprise=4, fear=4)])
    labels = fp.majority_labels(votes, VOTE_COLUMNS)
    assert [FERPLUS_CLASSES[i] for i in labels] == ["happiness", "surprise"]
    probs = np.eye(len(FERPLUS_CLASSES), dtype=np.float32)[[1, 6]]  # happiness, fear
    metrics = fp.evaluate_probs(probs, labels)
    assert metrics["accuracy8"] == 0.5
    # fear and surprise are both "panic": right in four classes.
    assert metrics["images4"] == 2
    assert metrics["accuracy4"] == 1.0


def test_input_pipeline_is_a_function_of_seed_and_epoch() -> None:
    """A resumed run (starting at epoch 1) sees exactly the batches an uninterrupted one would."""
    rng = np.random.default_rng(3)
    split = fp.Split(
        rng.integers(0, 256, size=(40, 48, 48), dtype=np.uint8),
        np.eye(8, dtype=np.float32)[rng.integers(0, 8, size=40)],
        rng.integers(0, 8, size=40),
    )
    weights = np.ones(40, dtype=np.float32)

    def batches(first: int) -> list[np.ndarray]:
        ds = fp.train_dataset(split, weights, 16, 7, first, 2, fp.Augment())
        return [x.numpy() for x, _, _ in ds]

    full, resumed = batches(0), batches(1)
    assert len(full) == 6 and len(resumed) == 3  # 3 batches per epoch, last one short
    for a, b in zip(full[3:], resumed, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(full[0], full[3])  # epochs differ in order and augmentation
    assert all(x.min() >= 0.0 and x.max() <= 1.0 for x in full)


def _toy_npz(path: Path, per_split: dict[str, int]) -> Path:
    """A learnable toy FER+: neutral faces have horizontal stripes, happy ones vertical."""
    rng = np.random.default_rng(0)
    arrays: dict[str, np.ndarray] = {"vote_columns": np.array(VOTE_COLUMNS)}
    stripes = (np.arange(48) // 4 % 2).astype(np.float32)
    for split, count in per_split.items():
        labels = rng.integers(0, 2, size=count)
        base = np.where(labels[:, None, None] == 0, stripes[None, :, None], stripes[None, None, :])
        noise = rng.normal(0, 0.15, size=(count, 48, 48))
        images = np.clip((0.25 + 0.5 * base + noise) * 255, 0, 255).astype(np.uint8)
        votes = np.zeros((count, len(VOTE_COLUMNS)), dtype=np.uint8)
        votes[np.arange(count), labels] = 8
        votes[:, VOTE_COLUMNS.index("unknown")] = 2
        arrays[f"{split}_images"] = images
        arrays[f"{split}_votes"] = votes
        arrays[f"{split}_names"] = np.array([f"fer{i:07d}.png" for i in range(count)])
    np.savez(path, **arrays)  # type: ignore[arg-type]
    return path


def test_training_learns_a_toy_split_and_resumes(tmp_path: Path) -> None:
    data = _toy_npz(tmp_path / "toy.npz", {"train": 256, "valid": 64, "test": 64})
    out = tmp_path / "run"
    cfg = fp.TrainConfig(
        data=str(data), out=str(out), epochs=3, batch_size=32, learning_rate=3e-3, patience=5
    )
    metrics = fp.train(cfg)
    history = json.loads((out / "history.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2, 3]
    assert history[-1]["loss"] < history[0]["loss"]
    assert metrics["valid"]["accuracy8"] > 0.8
    for name in ("ferplus.keras", "best.keras", "last.keras", "metrics.json", "history.csv"):
        assert (out / name).is_file(), name
    saved = json.loads((out / "metrics.json").read_text())
    assert set(saved) >= {"valid", "test", "best_epoch"}
    assert np.array(saved["test"]["confusion8"]).shape == (8, 8)

    # Pretend the run was interrupted after epoch 2: it continues with epoch 3 only.
    state = json.loads((out / "state.json").read_text())
    state.update(epoch=2, history=state["history"][:2], wait=0)
    (out / "state.json").write_text(json.dumps(state))
    fp.train(cfg)
    resumed = json.loads((out / "history.json").read_text())
    assert [h["epoch"] for h in resumed] == [1, 2, 3]


@pytest.mark.skipif(not fp.DEFAULT_DATA.is_file(), reason="../shared FER+ data not present")
def test_smoke_cli_on_real_data(tmp_path: Path) -> None:
    out = tmp_path / "smoke"
    assert fp.main(["--smoke", "--out", str(out), "--data", str(fp.DEFAULT_DATA)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs_run"] == 1
    # The accuracy is the confusion matrix's diagonal over the test images, all of them.
    test = metrics["test"]
    matrix = np.array(test["confusion8"])
    assert test["images"] == matrix.sum() > 0
    assert test["accuracy8"] == pytest.approx(np.trace(matrix) / matrix.sum())


def test_save_load_round_trip_is_identical(tmp_path: Path) -> None:
    import keras

    model = fp.build_model("resnet")
    x = np.random.default_rng(1).random((4, 48, 48, 1), dtype=np.float32)
    before = model.predict(x, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", compile=False)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), before)
    np.testing.assert_allclose(before.sum(axis=1), 1.0, rtol=1e-5)


MODELS = Path(__file__).resolve().parents[2] / "inference" / "models"
SHIPPED = MODELS / "ferplus.keras"
SHIPPED_TFLITE = MODELS / "ferplus.tflite"


@pytest.mark.skipif(not SHIPPED_TFLITE.is_file(), reason="no shipped FER+ model yet")
@pytest.mark.parametrize("runtime", ["tflite", "keras"])
def test_shipped_model_loads_offline_and_is_verified(tmp_path: Path, runtime: str) -> None:
    from inference import ferplus_model

    classifier = ferplus_model.load_ferplus(runtime)  # type: ignore[arg-type]
    assert classifier.spec.crop == ferplus_model.FERPLUS_CROP
    assert classifier.path.stat().st_size <= 20 * 1024 * 1024
    faces = np.random.default_rng(2).random((3, 224, 224, 3), dtype=np.float32)
    probs = classifier.predict(faces)
    assert probs.shape == (3, len(COLUMNS))
    assert np.all(probs >= 0)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-4)

    tampered = tmp_path / classifier.path.name
    shutil.copyfile(classifier.path, tampered)
    with tampered.open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ferplus_model.ModelChecksumError, match="sha256"):
        ferplus_model.load_ferplus(runtime, tampered, ferplus_model.SHA256_PATH)  # type: ignore[arg-type]


def test_auto_runtime_serves_tflite_on_a_cpu_only_machine() -> None:
    from inference import ferplus_model

    if ferplus_model.gpu_visible():
        pytest.skip("this machine has a GPU: auto serves the Keras file")
    assert ferplus_model.resolve_runtime("auto") == "tflite"
    with pytest.raises(ValueError, match="runtime"):
        ferplus_model.resolve_runtime("onnx")  # type: ignore[arg-type]


def test_export_ships_one_ensemble_in_two_agreeing_files(tmp_path: Path) -> None:
    """Two toy runs (both residual widths) → ``ferplus.keras`` + ``ferplus.tflite`` + digests.

    The shipped graph must be the average of each member on the face and on its mirror image
    (so it answers a face and its mirror identically), and the int8 file must agree with it.
    """
    import keras

    from inference import ferplus_model
    from inference.training import ferplus_export

    data = _toy_npz(tmp_path / "toy.npz", {"train": 128, "valid": 64, "test": 64})
    runs = []
    for arch, seed in (("resnet", 1), ("wide_resnet", 2)):
        out = tmp_path / arch
        fp.train(
            fp.TrainConfig(
                data=str(data), out=str(out), arch=arch, epochs=2, batch_size=32, seed=seed
            )
        )
        runs.append(out)
    dest = tmp_path / "models"
    published = tmp_path / "ferplus-export.json"
    report = ferplus_export.export(runs, dest, data=data, results=published, with_candidates=True)
    # The report is saved (what `facelog report` renders from), with every subset on valid.
    assert json.loads(published.read_text()) == json.loads(json.dumps(report))
    assert [c["members"] for c in report["candidates"]] == [
        ["resnet"],
        ["wide_resnet"],
        ["resnet", "wide_resnet"],
    ]
    # Each score counts whole faces of the valid split: k of its n images, for some k.
    n = len(fp.load_splits(data)["valid"].labels)
    for candidate in report["candidates"]:
        for view in ("plain", "mirror"):
            score = candidate[view]["accuracy8"]
            assert score == pytest.approx(round(score * n) / n, abs=1e-4), (view, score, n)

    sha_lines = (dest / "ferplus.sha256").read_text().splitlines()
    assert [line.split()[1] for line in sha_lines] == ["ferplus.keras", "ferplus.tflite"]
    for line in sha_lines:
        digest, name = line.split()
        assert ferplus_model.file_sha256(dest / name) == digest
    assert [m["arch"] for m in report["members"]] == ["resnet", "wide_resnet"]
    assert report["files"]["ferplus.tflite"]["valid"]["accuracy8"] > 0.8

    x = _toy_npz_valid(data)
    served = {
        runtime: ferplus_model.load_ferplus(
            runtime, dest / f"ferplus.{suffix}", dest / "ferplus.sha256"
        )
        for runtime, suffix in (("keras", "keras"), ("tflite", "tflite"))
    }
    full = served["keras"].predict_prepared(x)
    members = [fp.inference_model(run / "best.keras") for run in runs]
    by_hand = np.mean([m(v, training=False) for m in members for v in (x, x[:, :, ::-1])], axis=0)
    np.testing.assert_allclose(full, by_hand, atol=1e-5)
    np.testing.assert_allclose(served["keras"].predict_prepared(x[:, :, ::-1]), full, atol=1e-5)
    quantised = served["tflite"].predict_prepared(x)
    assert np.abs(quantised - full).max() < 0.05
    assert np.mean(quantised.argmax(1) == full.argmax(1)) >= 0.95
    assert keras.mixed_precision.global_policy().name == "float32"


def _toy_npz_valid(data: Path) -> np.ndarray:
    with np.load(data) as arrays:
        return (arrays["valid_images"].astype(np.float32) / 255.0)[..., None]


@pytest.mark.skipif(
    not (SHIPPED.is_file() and fp.DEFAULT_DATA.is_file()), reason="needs model and FER+ data"
)
def test_shipped_model_classifies_ferplus_valid_faces() -> None:
    """A sanity floor far below the reported numbers: catches a wrong file or wrong input.

    Uses ``valid``, never ``test``: test is only for the final report.
    """
    import keras

    splits = fp.load_splits(fp.DEFAULT_DATA)
    valid = splits["valid"].take(300, 0)
    model = keras.models.load_model(SHIPPED, compile=False)
    full = fp.predict(model, valid)
    metrics = fp.evaluate_probs(full, valid.labels)
    assert metrics["accuracy8"] > 0.6

    from inference.ferplus_model import load_ferplus

    x = (valid.images.astype(np.float32) / 255.0)[..., None]
    quantised = load_ferplus("tflite").predict_prepared(x)
    assert fp.evaluate_probs(quantised, valid.labels)["accuracy8"] > 0.6
    # The CPU's int8 file and the GPU's float32 file are one model: they agree face by face.
    assert np.mean(quantised.argmax(1) == full.argmax(1)) >= 0.97
