"""Facelog's four emotions and the one place where other label sets are mapped onto them.

Every classifier reports five columns: the seed's four classes plus ``other`` (the mass a model
puts on neutral, disgust, contempt …). Keeping ``other`` lets the bot say a face looks calm
instead of forcing one of the four; the four-class probabilities are the first four columns
renormalised.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum

import numpy as np
import numpy.typing as npt


class Emotion(StrEnum):
    """The seed's classes, in the order of every probability vector in Facelog."""

    ANGER = "anger"
    HAPPY = "happy"
    PANIC = "panic"
    SADNESS = "sadness"


EMOTIONS: tuple[Emotion, ...] = tuple(Emotion)
OTHER = "other"
#: Columns of a classifier's raw output: the four emotions, then ``other``.
COLUMNS: tuple[str, ...] = (*(e.value for e in EMOTIONS), OTHER)

KOREAN: Mapping[Emotion, str] = {
    Emotion.ANGER: "분노",
    Emotion.HAPPY: "기쁨",
    Emotion.PANIC: "당황",
    Emotion.SADNESS: "슬픔",
}

#: fer's FER2013 mini-Xception output order.
FER2013_CLASSES: tuple[str, ...] = (
    "angry",
    "disgust",
    "fear",
    "happy",
    "sad",
    "surprise",
    "neutral",
)
FER2013_TO_FACELOG: Mapping[str, Emotion] = {
    "angry": Emotion.ANGER,
    "happy": Emotion.HAPPY,
    "fear": Emotion.PANIC,
    "surprise": Emotion.PANIC,
    "sad": Emotion.SADNESS,
}

#: FER+ emotion columns (without its "unknown" and "not a face" votes).
FERPLUS_CLASSES: tuple[str, ...] = (
    "neutral",
    "happiness",
    "surprise",
    "sadness",
    "anger",
    "disgust",
    "fear",
    "contempt",
)
FERPLUS_TO_FACELOG: Mapping[str, Emotion] = {
    "anger": Emotion.ANGER,
    "happiness": Emotion.HAPPY,
    "surprise": Emotion.PANIC,
    "fear": Emotion.PANIC,
    "sadness": Emotion.SADNESS,
}


def mapping_matrix(native: Sequence[str], table: Mapping[str, Emotion]) -> npt.NDArray[np.float32]:
    """A (len(native), 5) 0/1 matrix: ``native_probs @ M`` gives Facelog's five columns.

    Classes absent from ``table`` go to ``other``, so no probability mass is ever dropped.
    """
    matrix = np.zeros((len(native), len(COLUMNS)), dtype=np.float32)
    for row, name in enumerate(native):
        emotion = table.get(name)
        matrix[row, EMOTIONS.index(emotion) if emotion is not None else len(EMOTIONS)] = 1.0
    return matrix


def four_class(five: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Renormalise the four emotion columns of (N, 5) outputs into (N, 4) probabilities."""
    four = np.asarray(five, dtype=np.float32)[..., : len(EMOTIONS)]
    total = four.sum(axis=-1, keepdims=True)
    uniform = np.full_like(four, 1.0 / len(EMOTIONS))
    return np.where(total > 0, four / np.where(total > 0, total, 1.0), uniform)
