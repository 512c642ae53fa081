"""Classifier throughput: the seed's EfficientNetB0 and the shipped FER+ model, batch 1/32/128.

    python -m inference.benchmarks.classifier [--repeats 5] [--device auto|cpu]
    facelog bench classifier [-- --device cpu]

Every model is measured as the bot serves it, fed the pipeline's aligned 224×224 crop of the
bundled sample selfie: EfficientNetB0 from a ``.keras`` file (TensorFlow), the FER+ ensemble
from both of its files (``ferplus.tflite`` through LiteRT, the CPU default, and
``ferplus.keras`` through TensorFlow, the GPU default). Two numbers per batch size: *model* is
``predict_prepared`` alone on an already prepared tensor; *classifier* is ``predict`` on
aligned crops, which adds the per-face resize (and gray conversion for FER+) that the bot also
pays. EfficientNetB0's
weights are random here: speed does not depend on them.

On a GPU machine ``--device cpu`` hides the GPU, so one machine gives both columns. The load
average is recorded with the numbers: on a shared machine it says how much they are to be
trusted. Writes ``inference/benchmarks/results/classifier-<device>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).parent / "results"
BATCHES = (1, 32, 128)


def aligned_selfie() -> Any:
    """The sample selfie, detected and aligned exactly as the pipeline does it."""
    from facelog.cli import sample_selfie
    from inference.align import align_face
    from inference.detect import DlibDetector
    from inference.image import decode_image

    rgb = decode_image(sample_selfie()).rgb
    face = DlibDetector().detect(rgb)[0]
    return align_face(rgb, face.landmarks)


def timed(call: Callable[[], Any], repeats: int, min_seconds: float = 1.0) -> list[float]:
    """Milliseconds per call: two warm-up calls, then at least ``repeats`` calls and a second."""
    for _ in range(2):
        call()
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < repeats or time.perf_counter() - start < min_seconds:
        t0 = time.perf_counter()
        call()
        times.append((time.perf_counter() - t0) * 1e3)
    return times


def measure(classifier: Any, face: Any, repeats: int) -> dict[str, Any]:
    """Per batch size: median ms and faces/s for the model alone and for the whole classifier."""
    from inference.classifier import prepare

    out: dict[str, Any] = {"params": getattr(classifier, "params", None)}
    for batch in BATCHES:
        faces = np.repeat(face[None], batch, axis=0).astype(np.float32)
        tensor = prepare(faces, classifier.spec)

        def run_model(t: Any = tensor) -> Any:
            return classifier.predict_prepared(t)

        def run_classifier(f: Any = faces) -> Any:
            return classifier.predict(f)

        model_ms = statistics.median(timed(run_model, repeats))
        classifier_ms = statistics.median(timed(run_classifier, repeats))
        out[str(batch)] = {
            "model_ms": round(model_ms, 2),
            "model_faces_per_s": round(batch / (model_ms / 1e3), 1),
            "classifier_ms": round(classifier_ms, 2),
            "classifier_faces_per_s": round(batch / (classifier_ms / 1e3), 1),
        }
        print(f"  batch {batch:>3}: {out[str(batch)]}")
    return out


def efficientnet_file(folder: Path) -> Path:
    """The seed's EfficientNetB0 recipe (random weights) saved as a plug-in ``.keras`` file."""
    from inference.training.efficientnet import build_model

    path = folder / "efficientnetb0.keras"
    build_model(224).save(path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", choices=["auto", "cpu"], default="auto")
    args = parser.parse_args(argv)

    import tensorflow as tf

    if args.device == "cpu":
        tf.config.set_visible_devices([], "GPU")
    gpus = tf.config.get_visible_devices("GPU")
    device = "gpu" if gpus else "cpu"
    detail = (
        tf.config.experimental.get_device_details(gpus[0]).get("device_name", "GPU")
        if gpus
        else f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    )

    from inference.classifier import KerasClassifier
    from inference.ferplus_model import load_ferplus
    from inference.labels import EMOTIONS

    face = aligned_selfie()
    load_before = os.getloadavg()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = efficientnet_file(Path(tmp))
        efficientnet = KerasClassifier(path, [e.value for e in EMOTIONS], name="efficientnetb0")
        for classifier in (efficientnet, load_ferplus("tflite"), load_ferplus("keras")):
            spec = classifier.spec
            print(f"{classifier.name} on {device} ({detail}), input {spec}")
            t0 = time.perf_counter()
            measured = measure(classifier, face, args.repeats)
            results[classifier.name] = {
                "input": "x".join(str(v) for v in (spec.size, spec.size, spec.channels)),
                "params": measured.pop("params"),
                "batches": measured,
                "seconds": round(time.perf_counter() - t0, 1),
            }
    report = {
        "device": device,
        "device_detail": detail,
        "precision": "float32 (ferplus-ensemble: int8 weights, LiteRT on CPU)",
        "tensorflow": tf.__version__,
        "load_average_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "models": results,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"classifier-{device}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(
        "\n| model | device | batch | model ms | model faces/s | classifier ms | "
        "classifier faces/s |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, entry in results.items():
        for batch, row in entry["batches"].items():
            print(
                f"| {name} | {device} | {batch} | {row['model_ms']} | {row['model_faces_per_s']} "
                f"| {row['classifier_ms']} | {row['classifier_faces_per_s']} |"
            )
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
