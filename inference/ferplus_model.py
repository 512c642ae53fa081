"""Facelog's own FER+ emotion model, shipped inside the package (see inference/README.md).

The file's sha256 is checked before loading: a model file that was truncated by a bad checkout,
replaced by a Git LFS pointer or edited by hand would otherwise load fine and quietly classify
every face wrong.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from inference.classifier import InputSpec, KerasClassifier
from inference.labels import FERPLUS_CLASSES

MODELS_DIR = Path(__file__).resolve().parent / "models"
MODEL_PATH = MODELS_DIR / "ferplus.keras"
SHA256_PATH = MODELS_DIR / "ferplus.sha256"

#: Fraction of the pipeline's aligned 224×224 face that the model sees. FER crops are tight (the
#: face fills the frame); 0.75 ties for best on the real-photo evaluation set
#: (python -m inference.benchmarks.crop --classifier ferplus; inference/README.md).
FERPLUS_CROP = 0.75
#: Training saw FER+'s 48×48 gray crops scaled to 0..1 (the model standardises each image itself).
FERPLUS_SPEC = InputSpec(size=48, channels=1, value_range="0..1", crop=FERPLUS_CROP)
FERPLUS_NAME = "ferplus-resnet"


class ModelChecksumError(RuntimeError):
    """The model file on disk is not the one that was trained and evaluated."""


def expected_sha256(sha_path: Path = SHA256_PATH) -> str:
    """The digest recorded next to the model (``sha256sum`` format: ``<hex>  <name>``)."""
    if not sha_path.is_file():
        raise FileNotFoundError(f"model checksum file not found: {sha_path}")
    text = sha_path.read_text().split()
    if not text or len(text[0]) != 64:
        raise ModelChecksumError(f"{sha_path} does not hold a sha256 digest")
    return text[0].lower()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify(path: Path = MODEL_PATH, sha_path: Path = SHA256_PATH) -> None:
    """Raise :class:`ModelChecksumError` unless ``path`` matches its recorded sha256."""
    if not path.is_file():
        raise FileNotFoundError(f"FER+ model not found: {path}")
    expected = expected_sha256(sha_path)
    actual = file_sha256(path)
    if actual != expected:
        raise ModelChecksumError(
            f"{path} has sha256 {actual} but {sha_path.name} expects {expected}: the file is "
            "corrupt, a Git LFS pointer, or was replaced without re-exporting "
            "(python -m inference.training.ferplus export --run RUN_DIR)"
        )


def load_ferplus(path: Path = MODEL_PATH, sha_path: Path = SHA256_PATH) -> KerasClassifier:
    """Facelog's default classifier: the FER+ model, after checking its sha256."""
    verify(path, sha_path)
    return KerasClassifier(path, FERPLUS_CLASSES, FERPLUS_SPEC, name=FERPLUS_NAME)
