"""Ship a fine-tuned Lite0 run into the package: float32 Keras file, int8 TFLite file, sha256.

    facelog train export-lite0 --run runs/lite0/r1

The same path as the FER+ model (``ferplus_export``): dynamic-range quantisation gives int8
weights that LiteRT runs on a CPU without TensorFlow; the Keras file serves GPUs and is the
reference. Both are loaded back exactly as the bot loads them, and the report says how far
they disagree, what each scores on ``val``/``val_lab`` and how fast each answers one face.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from inference.evaluation import realfaces
from inference.ferplus_model import file_sha256
from inference.realface_model import LITE0_KERAS, LITE0_SHA256, LITE0_SPEC, LITE0_TFLITE, load_lite0
from inference.training.ferplus_export import latency_ms, to_tflite
from inference.training.precision import with_dtype

PACKAGE_MODELS = LITE0_KERAS.parent
MAX_FILE_MB = 20.0
RESULTS = Path(realfaces.__file__).with_name("results") / "lite0-export.json"


def export(run: Path, dest: Path = PACKAGE_MODELS, results: Path = RESULTS) -> dict[str, Any]:
    """Why float16 in the Keras file: it only serves GPUs, which compute in float16 anyway, and
    it halves the file (the combined default stays inside the 30 MB budget); the int8 TFLite
    file is converted from the float32 graph."""
    import keras

    source = run / "model.keras"
    if not source.is_file():
        raise SystemExit(f"{run} has no model.keras yet: nothing to export")
    trained = keras.models.load_model(source, compile=False)
    if tuple(trained.input_shape[1:]) != (LITE0_SPEC.size, LITE0_SPEC.size, LITE0_SPEC.channels):
        raise SystemExit(f"{source} takes {trained.input_shape[1:]}: update LITE0_SPEC first")
    dest.mkdir(parents=True, exist_ok=True)
    keras_path, tflite_path = dest / LITE0_KERAS.name, dest / LITE0_TFLITE.name
    with_dtype(trained, "float16").save(keras_path)
    tflite_path.write_bytes(to_tflite(with_dtype(trained, "float32")))
    sha_path = dest / LITE0_SHA256.name
    sha_path.write_text(
        "".join(f"{file_sha256(path)}  {path.name}\n" for path in (keras_path, tflite_path))
    )
    run_record = json.loads((run / "run.json").read_text()) if (run / "run.json").is_file() else {}
    report: dict[str, Any] = {
        "run": str(run),
        "best_epoch": run_record.get("best_epoch"),
        "params": int(trained.count_params()),
        "files": {},
    }
    val = realfaces.aligned_split("val")
    lab = realfaces.aligned_split("val_lab")
    outputs = {}
    for runtime, path in (("keras", keras_path), ("tflite", tflite_path)):
        size_mb = path.stat().st_size / 1e6
        if size_mb > MAX_FILE_MB:
            raise SystemExit(f"{path} is {size_mb:.1f} MB: over the {MAX_FILE_MB:.0f} MB budget")
        classifier = load_lite0(runtime, path, sha_path)  # type: ignore[arg-type]
        entry: dict[str, Any] = {"mb": round(size_mb, 2), "sha256": file_sha256(path)}
        for name, split in (("val", val), ("val_lab", lab)):
            scores = realfaces.classify_aligned(classifier, split.faces)
            metrics = realfaces.four_class_metrics(
                list(split.labels), realfaces.predicted_four(scores)
            )
            entry[name] = {k: metrics[k] for k in ("accuracy", "macro_f1")}
        entry["latency"] = latency_ms(classifier, spec=LITE0_SPEC)
        report["files"][path.name] = entry
        shape = (16, LITE0_SPEC.size, LITE0_SPEC.size, LITE0_SPEC.channels)
        probe = np.random.default_rng(1).uniform(0, 255, shape).astype(np.float32)
        outputs[runtime] = classifier.predict_prepared(probe)
    report["max_abs_diff_keras_tflite"] = round(
        float(np.abs(outputs["keras"] - outputs["tflite"]).max()), 5
    )
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="facelog train export-lite0", description=__doc__)
    parser.add_argument("--run", type=Path, required=True)
    parser.add_argument("--dest", type=Path, default=PACKAGE_MODELS)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    export(args.run, args.dest, args.results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
