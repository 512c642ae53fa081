"""The seed's alignment: eyes level, scaled by the inter-eye distance, nose tip at the centre.

Every face leaves here as the same 224×224 RGB frame with values in 0..1, whatever its size or
tilt in the photo, so a classifier sees faces framed the way it was trained on.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt

from inference.detect import Landmarks, eye_angle
from inference.image import RGB

SIZE = 224
#: Inter-eye distance as a fraction of the frame: 0.3 leaves the whole face, chin and brows in
#: view; classifiers that want a tighter face take a central crop (``InputSpec.crop``).
EYE_DISTANCE = 0.3

Aligned = npt.NDArray[np.float32]


def alignment_matrix(landmarks: Landmarks, size: int = SIZE) -> npt.NDArray[np.float64]:
    """Affine map from picture pixels to the aligned frame."""
    (lx, ly), (rx, ry) = landmarks.left_eye, landmarks.right_eye
    distance = math.hypot(rx - lx, ry - ly)
    scale = (EYE_DISTANCE * size) / max(distance, 1.0)
    nose_x, nose_y = landmarks.nose
    matrix = cv2.getRotationMatrix2D((nose_x, nose_y), eye_angle(landmarks), scale)
    matrix[0, 2] += size / 2 - nose_x
    matrix[1, 2] += size / 2 - nose_y
    return np.asarray(matrix, dtype=np.float64)


def align_face(rgb: RGB, landmarks: Landmarks, size: int = SIZE) -> Aligned:
    """Rotate, scale and centre the face; edges are replicated where the photo ends.

    A big face is first cut out and shrunk with area averaging: warping straight from a
    2000-pixel face to 224 pixels would alias (jagged edges the classifier never saw).
    """
    (lx, ly), (rx, ry) = landmarks.left_eye, landmarks.right_eye
    scale = (EYE_DISTANCE * size) / max(math.hypot(rx - lx, ry - ly), 1.0)
    if scale < 0.5:
        rgb, landmarks = _shrink_around(rgb, landmarks, size / scale, 2.0 * scale)
    matrix = alignment_matrix(landmarks, size)
    warped = cv2.warpAffine(
        rgb, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return np.asarray(warped, dtype=np.float32) / 255.0


def to_uint8(aligned: Aligned) -> RGB:
    """Back to 8-bit RGB, for saving crops a person can look at."""
    return np.asarray(np.clip(aligned * 255.0 + 0.5, 0, 255), dtype=np.uint8)


def _shrink_around(
    rgb: RGB, landmarks: Landmarks, span: float, factor: float
) -> tuple[RGB, Landmarks]:
    """Cut the region the aligned frame can reach (any rotation) and resize it by ``factor``."""
    height, width = rgb.shape[:2]
    nose_x, nose_y = landmarks.nose
    reach = span * math.sqrt(2) / 2 + 2
    x0, y0 = max(0, int(nose_x - reach)), max(0, int(nose_y - reach))
    x1, y1 = min(width, int(nose_x + reach) + 1), min(height, int(nose_y + reach) + 1)
    region = rgb[y0:y1, x0:x1]
    out_w, out_h = max(1, round(region.shape[1] * factor)), max(1, round(region.shape[0] * factor))
    small = np.asarray(cv2.resize(region, (out_w, out_h), interpolation=cv2.INTER_AREA), np.uint8)
    fx, fy = out_w / region.shape[1], out_h / region.shape[0]

    def move(p: tuple[float, float]) -> tuple[float, float]:
        return ((p[0] - x0) * fx, (p[1] - y0) * fy)

    return small, Landmarks(
        move(landmarks.left_eye), move(landmarks.right_eye), move(landmarks.nose)
    )
