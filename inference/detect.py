"""Face detectors that return a box and the three points alignment needs (eyes, nose tip).

Three ways, all with weights that ship inside wheels (nothing downloads):

- ``dlib``: dlib's HOG detector on a downscaled copy, then the 68-point shape predictor
  (face-recognition-models) on the full-resolution picture; eye centres are the means of the
  eye contours, the nose tip is point 30.
- ``seed``: the seed's recipe: the dlib crop (with padding), then MTCNN's five keypoints on that
  crop; dlib's points stand in when MTCNN finds nothing in the crop.
- ``mtcnn``: MTCNN alone on the downscaled picture.

HOG only finds roughly upright faces, so ``dlib`` and ``seed`` retry on copies rotated by ±30°
before answering "no face": a tilted selfie is still a selfie.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np
import numpy.typing as npt

from inference.image import RGB

log = logging.getLogger(__name__)

Point = tuple[float, float]


@dataclass(frozen=True)
class Box:
    """Axis-aligned face box in the decoded picture's pixels."""

    x: int
    y: int
    width: int
    height: int

    @property
    def area(self) -> int:
        return self.width * self.height


@dataclass(frozen=True)
class Landmarks:
    """Eye centres (left and right as they appear in the picture) and the nose tip."""

    left_eye: Point
    right_eye: Point
    nose: Point


@dataclass(frozen=True)
class DetectedFace:
    box: Box
    landmarks: Landmarks
    score: float


class FaceDetector(Protocol):
    name: str

    def detect(self, rgb: RGB) -> list[DetectedFace]:
        """All faces in the picture, largest first."""
        ...


def _downscale(rgb: RGB, max_side: int) -> tuple[RGB, float]:
    height, width = rgb.shape[:2]
    scale = min(1.0, max_side / max(height, width))
    if scale >= 1.0:
        return rgb, 1.0
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), dtype=np.uint8), scale


def _models_dir() -> Path:
    import face_recognition_models

    return Path(face_recognition_models.__file__).parent / "models"


def _rotation(
    angle_deg: float, size: tuple[int, int]
) -> tuple[npt.NDArray[np.float64], tuple[int, int]]:
    """Affine matrix rotating a width×height picture about its centre, canvas grown to fit."""
    width, height = size
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle_deg, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_w, new_h = int(height * sin + width * cos), int(height * cos + width * sin)
    matrix[0, 2] += new_w / 2 - width / 2
    matrix[1, 2] += new_h / 2 - height / 2
    return np.asarray(matrix, dtype=np.float64), (new_w, new_h)


class DlibDetector:
    """HOG + 68 landmarks: ~20 ms for a 1280×960 selfie on two cores (inference/README.md)."""

    name = "dlib"
    RETRY_ANGLES = (30.0, -30.0)

    #: HOG scores below this were stray textures on the photos we checked (inference/README.md).
    MIN_SCORE = 0.25

    def __init__(self, detect_max_side: int = 640, upsample: int = 0) -> None:
        import dlib

        # dlib's HOG scanner keeps scratch buffers inside the object: two threads running one
        # detector on different pictures crash the process, so each worker thread gets its own
        # (they are cheap; the shape predictor's model is shared and only read).
        self._local = threading.local()
        self._predictor = dlib.shape_predictor(
            str(_models_dir() / "shape_predictor_68_face_landmarks.dat")
        )
        self._dlib = dlib
        self.detect_max_side = detect_max_side
        self.upsample = upsample

    def detect(self, rgb: RGB) -> list[DetectedFace]:
        gray = np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), dtype=np.uint8)
        faces = self._detect_gray(gray)
        if not faces:
            for angle in self.RETRY_ANGLES:
                faces = self._detect_rotated(gray, angle)
                if faces:
                    break
        return sorted(faces, key=lambda f: f.box.area, reverse=True)

    def _detect_gray(self, gray: npt.NDArray[np.uint8]) -> list[DetectedFace]:
        small, scale = _downscale(gray, self.detect_max_side)
        hog = getattr(self._local, "hog", None)
        if hog is None:
            hog = self._local.hog = self._dlib.get_frontal_face_detector()
        rects, scores, _ = hog.run(small, self.upsample, self.MIN_SCORE)
        faces = []
        height, width = gray.shape[:2]
        for rect, score in zip(rects, scores, strict=True):
            left = max(0, round(rect.left() / scale))
            top = max(0, round(rect.top() / scale))
            right = min(width, round((rect.right() + 1) / scale))
            bottom = min(height, round((rect.bottom() + 1) / scale))
            if right - left < 8 or bottom - top < 8:
                continue
            box = Box(left, top, right - left, bottom - top)
            faces.append(DetectedFace(box, self.landmarks(gray, box), float(score)))
        return faces

    def _detect_rotated(self, gray: npt.NDArray[np.uint8], angle: float) -> list[DetectedFace]:
        height, width = gray.shape[:2]
        matrix, size = _rotation(angle, (width, height))
        rotated = cv2.warpAffine(gray, matrix, size, flags=cv2.INTER_LINEAR)
        inverse = cv2.invertAffineTransform(matrix)
        back = []
        for face in self._detect_gray(np.asarray(rotated, dtype=np.uint8)):
            b = face.box
            corners = np.array(
                [
                    [b.x, b.y],
                    [b.x + b.width, b.y],
                    [b.x, b.y + b.height],
                    [b.x + b.width, b.y + b.height],
                ],
                dtype=np.float64,
            )
            mapped = corners @ inverse[:, :2].T + inverse[:, 2]
            x0, y0 = np.clip(mapped.min(axis=0), 0, [width, height])
            x1, y1 = np.clip(mapped.max(axis=0), 0, [width, height])
            box = Box(int(x0), int(y0), int(x1 - x0), int(y1 - y0))
            lm = face.landmarks
            points = (
                np.array([lm.left_eye, lm.right_eye, lm.nose]) @ inverse[:, :2].T + inverse[:, 2]
            )
            landmarks = Landmarks(*(tuple(map(float, p)) for p in points))  # type: ignore[arg-type]
            back.append(DetectedFace(box, landmarks, face.score))
        return back

    #: Above this eye-line tilt the 68-point fit is redone on an upright copy of the face: the
    #: predictor was trained on roughly upright faces and drifts on tilted ones.
    UPRIGHT_REFIT_DEGREES = 5.0

    def landmarks(self, gray: npt.NDArray[np.uint8], box: Box) -> Landmarks:
        first = self._fit(gray, box)
        angle = eye_angle(first)
        if abs(angle) < self.UPRIGHT_REFIT_DEGREES:
            return first
        # Cut a square around the face, turn it upright, fit again, map the points back.
        side = 2 * max(box.width, box.height)
        cx, cy = box.x + box.width / 2, box.y + box.height / 2
        matrix = cv2.getRotationMatrix2D((cx, cy), angle, 1.0)
        matrix[0, 2] += side / 2 - cx
        matrix[1, 2] += side / 2 - cy
        upright = cv2.warpAffine(
            gray, matrix, (side, side), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        inner = Box((side - box.width) // 2, (side - box.height) // 2, box.width, box.height)
        refit = self._fit(np.asarray(upright, dtype=np.uint8), inner)
        inverse = cv2.invertAffineTransform(matrix)
        points = np.array([refit.left_eye, refit.right_eye, refit.nose]) @ inverse[:, :2].T
        points = points + np.asarray(inverse[:, 2], dtype=np.float64)
        left, right, nose = ((float(x), float(y)) for x, y in points)
        return Landmarks(left, right, nose)

    def _fit(self, gray: npt.NDArray[np.uint8], box: Box) -> Landmarks:
        rect = self._dlib.rectangle(box.x, box.y, box.x + box.width - 1, box.y + box.height - 1)
        shape = self._predictor(gray, rect)
        pts = np.array([(shape.part(i).x, shape.part(i).y) for i in range(68)], dtype=np.float64)
        first, second = pts[36:42].mean(axis=0), pts[42:48].mean(axis=0)
        left, right = (first, second) if first[0] <= second[0] else (second, first)
        return Landmarks(
            (float(left[0]), float(left[1])),
            (float(right[0]), float(right[1])),
            (float(pts[30][0]), float(pts[30][1])),
        )


class _Mtcnn:
    """The ``mtcnn`` package's TensorFlow MTCNN, shared by the MTCNN-based detectors.

    Its stages keep Python-side state, so calls are serialised with a lock.
    """

    def __init__(self) -> None:
        from mtcnn import MTCNN

        self._model = MTCNN()
        self._lock = threading.Lock()

    def run(self, rgb: RGB, min_face_size: int) -> list[dict[str, Any]]:
        with self._lock:
            result = self._model.detect_faces(rgb, min_face_size=min_face_size, box_format="xywh")
        return [r for r in result if isinstance(r, dict)]


def _mtcnn_landmarks(result: dict[str, Any], scale: float, dx: float, dy: float) -> Landmarks:
    kp = result["keypoints"]
    a, b = kp["left_eye"], kp["right_eye"]
    first, second = (a, b) if a[0] <= b[0] else (b, a)

    def point(p: Any) -> Point:
        return (float(p[0]) / scale + dx, float(p[1]) / scale + dy)

    return Landmarks(point(first), point(second), point(kp["nose"]))


class MtcnnDetector:
    """MTCNN on the downscaled picture: slower on two cores, but not limited to upright faces."""

    name = "mtcnn"
    MIN_CONFIDENCE = 0.9

    def __init__(self, detect_max_side: int = 640) -> None:
        self._mtcnn = _Mtcnn()
        self.detect_max_side = detect_max_side

    def detect(self, rgb: RGB) -> list[DetectedFace]:
        small, scale = _downscale(rgb, self.detect_max_side)
        faces = []
        # mtcnn 1.0.0 misses ordinary faces when min_face_size is raised above its default of 20.
        for r in self._mtcnn.run(small, 20):
            if float(r["confidence"]) < self.MIN_CONFIDENCE:
                continue
            x, y, w, h = (float(v) / scale for v in r["box"])
            box = Box(max(0, int(x)), max(0, int(y)), max(1, int(w)), max(1, int(h)))
            faces.append(
                DetectedFace(box, _mtcnn_landmarks(r, scale, 0.0, 0.0), float(r["confidence"]))
            )
        return sorted(faces, key=lambda f: f.box.area, reverse=True)


class SeedDetector:
    """The seed's two-step recipe: dlib finds and crops the face, MTCNN places the keypoints."""

    name = "seed"
    PADDING = 0.25
    CROP_SIDE = 160

    def __init__(self, detect_max_side: int = 640) -> None:
        self._dlib = DlibDetector(detect_max_side)
        self._mtcnn = _Mtcnn()

    def detect(self, rgb: RGB) -> list[DetectedFace]:
        faces = self._dlib.detect(rgb)
        if faces:
            faces[0] = self._refine(rgb, faces[0])
        return faces

    def _refine(self, rgb: RGB, face: DetectedFace) -> DetectedFace:
        """Replace dlib's points with MTCNN's on the padded crop of the largest face."""
        b = face.box
        pad = int(max(b.width, b.height) * self.PADDING)
        height, width = rgb.shape[:2]
        x0, y0 = max(0, b.x - pad), max(0, b.y - pad)
        x1, y1 = min(width, b.x + b.width + pad), min(height, b.y + b.height + pad)
        crop = rgb[y0:y1, x0:x1]
        scale = self.CROP_SIDE / max(crop.shape[:2])
        small = cv2.resize(
            crop, (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
        )
        found = self._mtcnn.run(np.asarray(small, dtype=np.uint8), 20)
        if not found:
            return face
        best = max(found, key=lambda r: float(r["box"][2]) * float(r["box"][3]))
        return replace(face, landmarks=_mtcnn_landmarks(best, scale, x0, y0))


def create_detector(name: str, detect_max_side: int = 640) -> FaceDetector:
    if name == "dlib":
        return DlibDetector(detect_max_side)
    if name == "seed":
        return SeedDetector(detect_max_side)
    if name == "mtcnn":
        return MtcnnDetector(detect_max_side)
    raise ValueError(f"unknown detector {name!r}: use seed, dlib or mtcnn")


def eye_angle(landmarks: Landmarks) -> float:
    """Angle of the line from the left to the right eye, in degrees (0 = level)."""
    (lx, ly), (rx, ry) = landmarks.left_eye, landmarks.right_eye
    return math.degrees(math.atan2(ry - ly, rx - lx))
