"""Ship FER+ runs into the package: one ensemble, as a float32 Keras file and an int8 TFLite file.

    facelog train export --run runs/ferplus/A [--run runs/ferplus/B …] [--no-flip]

Why an ensemble with a mirrored view, and why two files:

* Averaging networks trained from different seeds/widths and each network's answer on the
  mirrored face is the cheapest accuracy left once one network plateaus on two CPU cores
  (inference/README.md gives the measured gains on ``valid``). The averaging is part of the
  model graph (``keras.ops.flip`` + ``Average``), so every runtime computes exactly the same
  function and the serving code stays "load once, predict a batch".
* ``ferplus.tflite`` holds the same graph with int8 weights (dynamic-range quantisation): on a
  CPU it answers a face several times faster than TensorFlow runs the float32 graph, at the
  same accuracy on ``valid``. ``ferplus.keras`` stays for GPUs and as the reference.

Only ``valid`` is read here (the members were chosen on it); the FER+ ``test`` numbers come from
``python -m inference.evaluation.ferplus_test``, run once on what was shipped.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from inference.classifier import InputSpec
from inference.evaluation.ferplus_test import ferplus_probs
from inference.ferplus_model import (
    FERPLUS_SPEC,
    MODEL_PATH,
    SHA256_PATH,
    TFLITE_PATH,
    Runtime,
    file_sha256,
    load_ferplus,
)
from inference.training.ferplus import (
    DEFAULT_DATA,
    REPO_ROOT,
    RESULTS_DIR,
    Split,
    configure_device,
    evaluate_probs,
    inference_model,
    load_splits,
    predict,
)

log = logging.getLogger(__name__)

PACKAGE_MODELS = REPO_ROOT / "inference" / "models"
MAX_FILE_MB = 20.0
#: The export's report (files, valid accuracy, latency, and with ``--candidates`` every
#: subset of the runs) when it ships into the package: the model card's export figures and
#: ensemble table are rendered from this file, not copied from the console.
RESULTS = RESULTS_DIR / "ferplus-export.json"


def ensemble(members: Sequence[Any], flip: bool = True) -> Any:
    """One Keras model averaging ``members`` (and each one's answer on the mirrored face)."""
    import keras
    from keras import layers

    if not members:
        raise ValueError("an ensemble needs at least one member")
    size = int(members[0].input_shape[1])
    face = keras.Input((size, size, 1), name="face")
    views = [face, keras.ops.flip(face, axis=2)] if flip else [face]
    outputs = []
    for i, member in enumerate(members):
        member.name = f"member{i + 1}_{member.name}"
        outputs += [member(view) for view in views]
    probs = layers.Average(name="probs")(outputs) if len(outputs) > 1 else outputs[0]
    return keras.Model(face, probs, name="ferplus_ensemble")


def to_tflite(model: Any) -> bytes:
    """Dynamic-range quantisation: int8 weights, float input and output."""
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    return bytes(converter.convert())


def latency_ms(
    classifier: Any, repeats: int = 300, spec: InputSpec = FERPLUS_SPEC
) -> dict[str, float]:
    """Batch-1 and batch-32 time of the served model on prepared input (no crop/resize)."""
    out: dict[str, float] = {}
    rng = np.random.default_rng(0)
    for batch in (1, 32):
        x = rng.random((batch, spec.size, spec.size, spec.channels), dtype=np.float32)
        for _ in range(20):
            classifier.predict_prepared(x)
        times = []
        for _ in range(repeats if batch == 1 else max(10, repeats // 10)):
            t0 = time.perf_counter()
            classifier.predict_prepared(x)
            times.append((time.perf_counter() - t0) * 1000)
        if batch == 1:
            out["p50_ms"] = round(float(np.percentile(times, 50)), 3)
            out["p95_ms"] = round(float(np.percentile(times, 95)), 3)
        else:
            out["batch32_faces_per_s"] = round(32 / (statistics.median(times) / 1000), 1)
    return out


def candidates(members: Sequence[Any], names: Sequence[str], valid: Split) -> list[dict[str, Any]]:
    """``valid`` accuracy of every non-empty subset of ``members``, plain and with the mirror.

    This is the table the shipped subset is chosen from (float32 probabilities, averaged as
    the exported graph averages them); each member is predicted once per view.
    """
    mirrored = Split(np.ascontiguousarray(valid.images[:, :, ::-1]), valid.targets, valid.labels)
    plain = [predict(member, valid) for member in members]
    flipped = [predict(member, mirrored) for member in members]
    rows: list[dict[str, Any]] = []
    for size in range(1, len(members) + 1):
        for subset in itertools.combinations(range(len(members)), size):
            row: dict[str, Any] = {"members": [names[i] for i in subset]}
            for key, views in (("plain", [plain]), ("mirror", [plain, flipped])):
                probs = np.mean([view[i] for view in views for i in subset], axis=0)
                scores = evaluate_probs(probs, valid.labels)
                row[key] = {k: round(float(scores[k]), 4) for k in ("accuracy8", "accuracy4")}
            rows.append(row)
    return rows


def export(
    runs: Sequence[Path],
    dest: Path = PACKAGE_MODELS,
    flip: bool = True,
    data: Path = DEFAULT_DATA,
    results: Path | None = None,
    with_candidates: bool = False,
) -> dict[str, Any]:
    """Build the ensemble of ``runs``' best-on-valid checkpoints and ship it into ``dest``.

    Writes ``ferplus.keras``, ``ferplus.tflite`` and ``ferplus.sha256`` (both digests), then
    loads both files back through :func:`inference.ferplus_model.load_ferplus` exactly as the
    bot does, and reports their size, agreement, ``valid`` accuracy and latency. The report is
    written to ``results`` when given (the CLI gives :data:`RESULTS` for the package), with
    every subset's ``valid`` accuracy when ``with_candidates``.
    """
    for run in runs:
        if not (run / "best.keras").is_file():
            raise SystemExit(f"{run} has no best.keras yet: nothing to export")
    configure_device("float32")
    members = [inference_model(run / "best.keras") for run in runs]
    valid = load_splits(data)["valid"] if data.is_file() else None
    table = (
        candidates(members, [run.name for run in runs], valid)
        if with_candidates and valid is not None
        else None
    )
    model = ensemble(members, flip)
    dest.mkdir(parents=True, exist_ok=True)
    keras_path, tflite_path = dest / MODEL_PATH.name, dest / TFLITE_PATH.name
    model.save(keras_path)
    tflite_path.write_bytes(to_tflite(model))
    sha_path = dest / SHA256_PATH.name
    sha_path.write_text(
        "".join(f"{file_sha256(path)}  {path.name}\n" for path in (keras_path, tflite_path))
    )
    report: dict[str, Any] = {
        "members": [
            {"run": str(run), **_run_summary(run), "params": int(member.count_params())}
            for run, member in zip(runs, members, strict=True)
        ],
        "flip": flip,
        "files": {},
    }
    outputs = {}
    files: tuple[tuple[Runtime, Path], ...] = (("keras", keras_path), ("tflite", tflite_path))
    for runtime, path in files:
        size_mb = path.stat().st_size / 1e6
        if size_mb > MAX_FILE_MB:
            raise SystemExit(f"{path} is {size_mb:.1f} MB: over the {MAX_FILE_MB:.0f} MB budget")
        classifier = load_ferplus(runtime, path, sha_path)
        entry: dict[str, Any] = {"mb": round(size_mb, 2), "sha256": file_sha256(path)}
        if valid is not None:
            scores = evaluate_probs(ferplus_probs(classifier, valid.images), valid.labels)
            entry["valid"] = {k: scores[k] for k in ("accuracy8", "accuracy4", "macro_f1_8")}
        entry["latency"] = latency_ms(classifier)
        report["files"][path.name] = entry
        probe = np.random.default_rng(1).random((64, 48, 48, 1), dtype=np.float32)
        outputs[runtime] = classifier.predict_prepared(probe)
    report["max_abs_diff_keras_tflite"] = float(np.abs(outputs["keras"] - outputs["tflite"]).max())
    if table is not None:
        report["candidates"] = table
    print(json.dumps(report, indent=2))
    if results is not None:
        results.parent.mkdir(parents=True, exist_ok=True)
        results.write_text(json.dumps(report, indent=2) + "\n")
        log.info("wrote %s", results)
    return report


def _run_summary(run: Path) -> dict[str, Any]:
    state_path = run / "state.json"
    if not state_path.is_file():
        return {}
    state = json.loads(state_path.read_text())
    return {
        "arch": state["config"]["arch"],
        "seed": state["config"]["seed"],
        "best_epoch": state["best_epoch"],
        "epochs_run": state["epoch"],
        "best_val_acc": round(float(state["best_val_acc"]), 4),
        "train_minutes": round(float(state.get("seconds", 0.0)) / 60, 1),
        "device": state.get("device"),
    }


def _export_command(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    results = args.results
    if results is None:
        # Published results describe what the package ships; a trial export elsewhere keeps
        # its report beside its files.
        results = (
            RESULTS if args.dest.resolve() == PACKAGE_MODELS.resolve() else args.dest / RESULTS.name
        )
    export(
        args.run,
        args.dest,
        flip=not args.no_flip,
        data=args.data,
        results=results,
        with_candidates=args.candidates,
    )
    return 0


def add_export_cli(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``export``: ship one or more runs' best models into ``inference/models``."""
    parser = subparsers.add_parser(
        "export", help="ship runs' best models (one ensemble) into the package"
    )
    parser.add_argument(
        "--run", type=Path, action="append", required=True, help="run directory; repeatable"
    )
    parser.add_argument("--dest", type=Path, default=PACKAGE_MODELS)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="for valid accuracy")
    parser.add_argument(
        "--no-flip", action="store_true", help="do not average the mirrored face's answer"
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=None,
        help="where the report goes (default: inference/evaluation/results/ferplus-export.json "
        "when --dest is the package, else DEST/ferplus-export.json)",
    )
    parser.add_argument(
        "--candidates",
        action="store_true",
        help="also score every subset of the runs on valid, with and without the mirror "
        "(the table the ensemble is chosen from)",
    )
    parser.set_defaults(func=_export_command)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m inference.training.ferplus_export")
    subparsers = parser.add_subparsers(dest="command", required=True)
    add_export_cli(subparsers)
    args = parser.parse_args(["export", *(sys.argv[1:] if argv is None else argv)])
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
