"""Facelog's own FER+ emotion model, shipped inside the package (see inference/README.md).

The same trained ensemble ships in two files: ``ferplus.tflite`` (int8 weights, run by LiteRT)
is what a CPU serves, because it answers a face several times faster than TensorFlow runs the
float32 graph; ``ferplus.keras`` (float32) is what a GPU serves and the reference the TFLite
file is checked against. Both files' sha256 are checked before loading: a model file that was
truncated by a bad checkout, replaced by a Git LFS pointer or edited by hand would otherwise
load fine and quietly classify every face wrong.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

from inference.classifier import InputSpec, KerasClassifier, ModelClassifier, TFLiteClassifier
from inference.labels import FERPLUS_CLASSES

MODELS_DIR = Path(__file__).resolve().parent / "models"
MODEL_PATH = MODELS_DIR / "ferplus.keras"
TFLITE_PATH = MODELS_DIR / "ferplus.tflite"
#: ``sha256sum`` format, one line per shipped file.
SHA256_PATH = MODELS_DIR / "ferplus.sha256"

#: Fraction of the pipeline's aligned 224×224 face that the model sees. FER crops are tight (the
#: face fills the frame). For the shipped ensemble 0.85 and 1.0 score best on the real-photo
#: evaluation set (mean p(true class) 0.950 / 0.951; 0.75 loses a face); 0.85 is kept as the
#: closer to FER's framing (python -m inference.benchmarks.crop --classifier ferplus).
FERPLUS_CROP = 0.85
#: Training saw FER+'s 48×48 gray crops scaled to 0..1 (the model standardises each image itself).
FERPLUS_SPEC = InputSpec(size=48, channels=1, value_range="0..1", crop=FERPLUS_CROP)
FERPLUS_NAME = "ferplus-ensemble"

Runtime = Literal["auto", "keras", "tflite"]
RUNTIMES: tuple[Runtime, ...] = ("auto", "keras", "tflite")


class ModelChecksumError(RuntimeError):
    """The model file on disk is not the one that was trained and evaluated."""


def expected_sha256(name: str, sha_path: Path = SHA256_PATH) -> str:
    """The digest recorded for file ``name`` (``sha256sum`` format: ``<hex>  <name>`` lines)."""
    if not sha_path.is_file():
        raise FileNotFoundError(f"model checksum file not found: {sha_path}")
    for line in sha_path.read_text().splitlines():
        fields = line.split()
        if len(fields) == 2 and fields[1].lstrip("*") == name:
            if len(fields[0]) != 64:
                raise ModelChecksumError(f"{sha_path} does not hold a sha256 digest for {name}")
            return fields[0].lower()
    raise ModelChecksumError(f"{sha_path} has no sha256 for {name}")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify(path: Path = TFLITE_PATH, sha_path: Path = SHA256_PATH) -> None:
    """Raise :class:`ModelChecksumError` unless ``path`` matches its recorded sha256."""
    if not path.is_file():
        raise FileNotFoundError(f"FER+ model not found: {path}")
    expected = expected_sha256(path.name, sha_path)
    actual = file_sha256(path)
    if actual != expected:
        raise ModelChecksumError(
            f"{path} has sha256 {actual} but {sha_path.name} expects {expected}: the file is "
            "corrupt, a Git LFS pointer, or was replaced without re-exporting "
            "(facelog train export --run RUN_DIR …)"
        )


def gpu_visible() -> bool:
    """Whether TensorFlow sees a GPU; TensorFlow is not even imported on a machine without an
    NVIDIA driver, so a CPU-only bot never pays for it. Without TensorFlow installed (the CPU
    image, which a GPU host's /proc/driver/nvidia may still show) the answer is no: LiteRT."""
    from inference.optional import tensorflow_installed

    if not Path("/proc/driver/nvidia/version").exists() or not tensorflow_installed():
        return False
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def resolve_runtime(runtime: Runtime) -> Literal["keras", "tflite"]:
    if runtime not in RUNTIMES:
        raise ValueError(f"unknown classifier runtime {runtime!r}: one of {RUNTIMES}")
    if runtime == "auto":
        return "keras" if gpu_visible() else "tflite"
    return runtime


def load_shipped(
    runtime: Runtime,
    files: tuple[Path, Path],
    sha_path: Path,
    classes: tuple[str, ...],
    spec: InputSpec,
    name: str,
    path: Path | None = None,
) -> ModelClassifier:
    """One of Facelog's own models from its ``(keras, tflite)`` files, after the sha256 check.

    ``auto`` serves the Keras file on a GPU and the int8-weight TFLite file on a CPU; ``path``
    overrides the file (its name must be listed in ``sha_path``).
    """
    chosen = resolve_runtime(runtime)
    if path is None:
        path = files[0] if chosen == "keras" else files[1]
    verify(path, sha_path)
    if chosen == "keras":
        return KerasClassifier(path, classes, spec, name=f"{name}-keras")
    return TFLiteClassifier(path, classes, spec, name=name)


def load_ferplus(
    runtime: Runtime = "auto", path: Path | None = None, sha_path: Path = SHA256_PATH
) -> ModelClassifier:
    """The FER+ ensemble (a member of the default classifier, selectable alone)."""
    return load_shipped(
        runtime,
        (MODEL_PATH, TFLITE_PATH),
        sha_path,
        FERPLUS_CLASSES,
        FERPLUS_SPEC,
        FERPLUS_NAME,
        path,
    )
