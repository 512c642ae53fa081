"""Face detectors that return a box and the three points alignment needs (eyes, nose tip).

Three ways, all with weights that ship inside wheels (nothing downloads):

- ``dlib``: dlib's HOG detector on downscaled copies (coarse first, then finer; small photos
  also enlarged), dlib's CNN face detector when HOG finds nothing, then the 68-point shape
  predictor (face-recognition-models) on the picture itself; eye centres are the means of the
  eye contours, the nose tip is point 30.
- ``seed``: the seed's recipe: the dlib crop (with padding), then MTCNN's five keypoints on that
  crop; dlib's points stand in when MTCNN finds nothing in the crop.
- ``mtcnn``: MTCNN alone on the downscaled picture.

HOG only finds roughly upright faces, so ``dlib`` and ``seed`` retry on copies rotated by ±30°
before answering "no face": a tilted selfie is still a selfie. What each pass buys is measured
by ``python -m inference.benchmarks.detection`` (real photos, and photos without a face).
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

from inference.image import RGB, resized

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
    #: Which pass found it (``hog``, ``hog-rotated``, ``cnn``, ``mtcnn``): for measurements.
    method: str = "hog"


class FaceDetector(Protocol):
    name: str

    def detect(self, rgb: RGB) -> list[DetectedFace]:
        """All faces in the picture, largest first."""
        ...


def _downscale(rgb: RGB, max_side: int) -> tuple[RGB, float]:
    scale = min(1.0, max_side / max(rgb.shape[:2]))
    return resized(rgb, scale), scale


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes (0 when they do not touch)."""
    x0, y0 = max(a.x, b.x), max(a.y, b.y)
    x1, y1 = min(a.x + a.width, b.x + b.width), min(a.y + a.height, b.y + b.height)
    inter = max(0, x1 - x0) * max(0, y1 - y0)
    union = a.area + b.area - inter
    return inter / union if union > 0 else 0.0


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
    """HOG + 68 landmarks, with passes for small faces and a CNN when HOG finds nothing.

    HOG is fast (~10 ms on a 480 px copy, two cores) but only sees roughly upright, frontal
    faces of at least ~60 px. The real-photo set (``python -m inference.benchmarks.detection``)
    showed both limits: small photos with 47–60 px faces and turned faces went unfound. So a
    photo goes through passes that stop at the first one that finds a face:

    1. HOG on a coarse copy (long side ``first_side``, photos of ≥ 600 px only): selfie faces
       are big, and this pass costs about half of the next one. A face found here is scanned
       again at the finer scale in a crop around it, because the 68-point fit came out less
       exact inside coarse boxes;
    2. HOG on the ≤ ``detect_max_side`` copy — or, for a photo smaller than that, on a copy
       enlarged up to 2× (faces of ~30 px become ~60 px, what HOG's window needs);
    3. HOG on copies rotated by ±30° (tilted heads);
    4. dlib's CNN face detector (``mmod_human_face_detector.dat``) on a copy whose long side is
       ``cnn_side``: it finds turned and tilted faces HOG misses, at ~10× HOG's cost, so it only
       runs when everything else found nothing (mostly photos without a face).

    The 68-point fit (alignment's landmarks) always runs on the decoded picture itself, inside
    whatever box was found.
    """

    name = "dlib"
    RETRY_ANGLES = (30.0, -30.0)

    #: HOG scores below this were stray textures on the photos we checked (inference/README.md).
    MIN_SCORE = 0.25
    #: Rotated copies of enlarged small photos are where HOG saw its one new ghost (a tree,
    #: score 0.40, among the evaluation set's 26 photos without a face); faces it found there
    #: on the real-photo set mostly scored higher or were found by the CNN as well (at 0.45,
    #: 2 of the 600 four-class faces are lost).
    ENLARGED_ROTATED_MIN_SCORE = 0.45
    #: Coarse first pass; a face must be ≥ ~13 % of the photo's long side to be found there.
    FIRST_SIDE = 480
    #: Enlarging a small photo by less than this buys too little to pay for another pass.
    MIN_UPSCALE = 1.25
    #: The CNN's copy: on the real-photo set's HOG misses 224 px found 126 of 159 four-class
    #: faces (160 px: 106, 288 px: 114, 352 px: 117) and costs ~0.2–0.35 s on two shared cores.
    #: Its smallest face is ~60 px, so it finds faces of ≥ ~27 % of the long side.
    CNN_SIDE = 224
    #: MMOD's confidence; at 0 no face was found in any of the evaluation set's 26 photos
    #: without a face (but the Guy Fawkes mask HOG already calls a face).
    CNN_MIN_CONFIDENCE = 0.0
    #: MMOD's boxes sit higher and are a little smaller than HOG's (113 faces both found:
    #: centre 8.2 % of the width higher, 0.967× the size); they are moved onto HOG's framing so
    #: that a box means the same whichever detector found it.
    CNN_BOX_SHIFT = (0.020, 0.082)
    CNN_BOX_SCALE = 1 / 0.967
    #: Turns tried to find which way is up on a CNN face, and the side of the crop HOG scores
    #: them on (twice the face, so the face is ~100 px: HOG's 80 px window with room). Upside down
    #: is not tried: on the real-photo set it won for 3 of 220 CNN faces, all of them upright
    #: profiles (±90° won once, for a head tilted by ~60°).
    ROLL_TURNS = (0.0, 90.0, -90.0)
    ROLL_CROP = 200
    #: A turned reading must be a HOG face (score ≥ 0) and beat the upright one by this much.
    ROLL_MIN_SCORE = 0.0
    ROLL_MARGIN = 0.2

    def __init__(
        self,
        detect_max_side: int = 640,
        upsample: int = 0,
        *,
        first_side: int | None = FIRST_SIDE,
        upscale_small: bool = True,
        cnn_side: int | None = CNN_SIDE,
    ) -> None:
        import dlib

        # dlib's HOG scanner and CNN keep scratch buffers inside the object: two threads running
        # one detector on different pictures crash the process, so each worker thread gets its
        # own (HOG's are cheap; the CNN is loaded on a thread's first miss; the shape
        # predictor's model is shared and only read).
        self._local = threading.local()
        self._predictor = dlib.shape_predictor(
            str(_models_dir() / "shape_predictor_68_face_landmarks.dat")
        )
        self._dlib = dlib
        self.detect_max_side = detect_max_side
        self.upsample = upsample
        self.first_side = first_side
        self.upscale_small = upscale_small
        self.cnn_side = cnn_side

    @classmethod
    def legacy(cls, detect_max_side: int = 640) -> DlibDetector:
        """The detector before the small-face passes and the CNN: one HOG pass, ±30° retries.

        Kept so ``python -m inference.benchmarks.detection --detector dlib-hog`` can show what
        the new passes buy.
        """
        return cls(detect_max_side, first_side=None, upscale_small=False, cnn_side=None)

    def scales(self, long_side: int) -> list[float]:
        """Resize factors of the upright HOG passes, coarse to fine."""
        fine = min(1.0, self.detect_max_side / long_side)
        scales = [fine]
        if self.first_side and long_side * fine >= 1.25 * self.first_side:
            scales.insert(0, self.first_side / long_side)
        if self.upscale_small and self.detect_max_side / long_side >= self.MIN_UPSCALE:
            scales.append(min(2.0, self.detect_max_side / long_side))
        return scales

    def detect(self, rgb: RGB) -> list[DetectedFace]:
        gray = np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), dtype=np.uint8)
        scales = self.scales(max(gray.shape[:2]))
        fine = min(1.0, self.detect_max_side / max(gray.shape[:2]))
        faces: list[DetectedFace] = []
        for scale in scales:
            hits = self._scan(gray, scale)
            if hits and scale < fine:
                hits = [self._sharpen(gray, box, score, fine) for box, score in hits]
            faces = self._faces(gray, hits, "hog")
            if faces:
                break
        else:
            for angle in self.RETRY_ANGLES:
                faces = self._detect_rotated(gray, angle, scales[-1])
                if faces:
                    break
        if not faces and self.cnn_side:
            faces = self._detect_cnn(rgb, gray)
        return sorted(faces, key=lambda f: f.box.area, reverse=True)

    def _hog(self) -> Any:
        hog = getattr(self._local, "hog", None)
        if hog is None:
            hog = self._local.hog = self._dlib.get_frontal_face_detector()
        return hog

    def _scan(
        self, gray: npt.NDArray[np.uint8], scale: float, min_score: float = MIN_SCORE
    ) -> list[tuple[Box, float]]:
        """HOG on ``gray`` resized by ``scale``: boxes in ``gray``'s pixels, with scores."""
        scanned = resized(gray, scale)
        rects, scores, _ = self._hog().run(scanned, self.upsample, min_score)
        height, width = gray.shape[:2]
        hits = []
        for rect, score in zip(rects, scores, strict=True):
            left = max(0, round(rect.left() / scale))
            top = max(0, round(rect.top() / scale))
            right = min(width, round((rect.right() + 1) / scale))
            bottom = min(height, round((rect.bottom() + 1) / scale))
            if right - left < 8 or bottom - top < 8:
                continue
            hits.append((Box(left, top, right - left, bottom - top), float(score)))
        return hits

    def _sharpen(
        self, gray: npt.NDArray[np.uint8], box: Box, score: float, scale: float
    ) -> tuple[Box, float]:
        """A coarse pass's face, scanned again at the fine ``scale`` in a crop around it.

        Coarse boxes are placed on a coarser grid, and the 68-point fit inside them came out
        less exact (alignment benchmark: eye-angle error 0.46° mean instead of 0.39°). The
        crop (twice the face) costs a fraction of scanning the whole photo finely.
        """
        height, width = gray.shape[:2]
        x0, y0 = max(0, box.x - box.width // 2), max(0, box.y - box.height // 2)
        x1 = min(width, box.x + box.width + box.width // 2)
        y1 = min(height, box.y + box.height + box.height // 2)
        best, best_overlap = (box, score), 0.3
        for found, found_score in self._scan(np.ascontiguousarray(gray[y0:y1, x0:x1]), scale):
            moved = Box(found.x + x0, found.y + y0, found.width, found.height)
            overlap = iou(moved, box)
            if overlap > best_overlap:
                best, best_overlap = (moved, found_score), overlap
        return best

    def _faces(
        self, gray: npt.NDArray[np.uint8], hits: list[tuple[Box, float]], method: str
    ) -> list[DetectedFace]:
        return [DetectedFace(box, self.landmarks(gray, box), score, method) for box, score in hits]

    def _detect_gray(
        self,
        gray: npt.NDArray[np.uint8],
        scale: float,
        method: str = "hog",
        min_score: float = MIN_SCORE,
    ) -> list[DetectedFace]:
        """HOG on ``gray`` resized by ``scale``; boxes and landmarks on ``gray`` itself."""
        return self._faces(gray, self._scan(gray, scale, min_score), method)

    def _detect_rotated(
        self, gray: npt.NDArray[np.uint8], angle: float, scale: float
    ) -> list[DetectedFace]:
        """HOG on a rotated copy, mapped back.

        Scanned at the finest upright pass's ``scale``, but never on more than
        ``detect_max_side`` pixels: the rotated canvas is up to 1.4× wider, and HOG's cost grows
        with its area.
        """
        height, width = gray.shape[:2]
        matrix, size = _rotation(angle, (width, height))
        rotated = cv2.warpAffine(gray, matrix, size, flags=cv2.INTER_LINEAR)
        inverse = cv2.invertAffineTransform(matrix)
        back = []
        scale = min(scale, self.detect_max_side / max(size))
        min_score = self.MIN_SCORE if scale <= 1.0 else self.ENLARGED_ROTATED_MIN_SCORE
        found = self._detect_gray(
            np.asarray(rotated, dtype=np.uint8), scale, "hog-rotated", min_score
        )
        for face in found:
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
            back.append(DetectedFace(box, landmarks, face.score, face.method))
        return back

    def _cnn(self) -> Any:
        cnn = getattr(self._local, "cnn", None)
        if cnn is None:
            path = _models_dir() / "mmod_human_face_detector.dat"
            cnn = self._local.cnn = self._dlib.cnn_face_detection_model_v1(str(path))
        return cnn

    def _detect_cnn(self, rgb: RGB, gray: npt.NDArray[np.uint8]) -> list[DetectedFace]:
        """MMOD CNN on the ``cnn_side`` copy; boxes moved onto HOG's framing, then landmarks."""
        assert self.cnn_side is not None
        height, width = gray.shape[:2]
        scale = self.cnn_side / max(height, width)
        found = self._cnn()(np.ascontiguousarray(resized(rgb, scale)), 0)
        dx, dy = self.CNN_BOX_SHIFT
        faces = []
        for hit in found:
            confidence = float(hit.confidence)
            if confidence < self.CNN_MIN_CONFIDENCE:
                continue
            rect = hit.rect
            w = (rect.right() + 1 - rect.left()) / scale
            h = (rect.bottom() + 1 - rect.top()) / scale
            cx = (rect.left() + rect.right() + 1) / 2 / scale + dx * w
            cy = (rect.top() + rect.bottom() + 1) / 2 / scale + dy * w
            half_w, half_h = w * self.CNN_BOX_SCALE / 2, h * self.CNN_BOX_SCALE / 2
            left, top = max(0, round(cx - half_w)), max(0, round(cy - half_h))
            right, bottom = min(width, round(cx + half_w)), min(height, round(cy + half_h))
            if right - left < 8 or bottom - top < 8:
                continue
            box = Box(left, top, right - left, bottom - top)
            landmarks = self.landmarks(gray, box, self.roll(gray, box))
            faces.append(DetectedFace(box, landmarks, confidence, "cnn"))
        return faces

    def refine(self, rgb: RGB, face: DetectedFace) -> DetectedFace:
        """The 68-point fit redone on a fuller decode of the photo (``face`` already scaled).

        The pipeline decodes big photos at a reduced scale first; when the face turns out too
        small there for alignment, it decodes more pixels and asks for landmarks on those.
        """
        gray = np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), dtype=np.uint8)
        return replace(face, landmarks=self.landmarks(gray, face.box))

    #: Above this eye-line tilt the 68-point fit is redone on an upright copy of the face: the
    #: predictor was trained on roughly upright faces and drifts on tilted ones.
    UPRIGHT_REFIT_DEGREES = 5.0

    def landmarks(self, gray: npt.NDArray[np.uint8], box: Box, roll: float = 0.0) -> Landmarks:
        """Eyes and nose tip from the 68-point fit inside ``box``.

        ``roll`` is the face's known turn in the picture, in degrees (a face found lying on its
        side): the first fit is then made on a copy turned upright by it, because the predictor
        only knows upright faces and would otherwise draw an upright face inside the box.
        """
        first = self._fit(gray, box) if roll == 0.0 else self._fit_turned(gray, box, roll)
        angle = eye_angle(first)
        if abs((angle - roll + 180.0) % 360.0 - 180.0) < self.UPRIGHT_REFIT_DEGREES:
            return first
        return self._fit_turned(gray, box, angle)

    def _fit_turned(self, gray: npt.NDArray[np.uint8], box: Box, angle: float) -> Landmarks:
        """Cut a square around the face, turn it by ``angle``, fit, map the points back."""
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

    def roll(self, gray: npt.NDArray[np.uint8], box: Box) -> float:
        """Which way is up for a face the CNN found: 0, 90 or -90 degrees.

        The CNN also finds faces lying on their side (a photo taken sideways, no EXIF), but
        says nothing about their orientation. HOG only scores upright faces, so the turn under
        which HOG scores the face best is the one that makes it upright; HOG must be fairly
        sure (``ROLL_MIN_SCORE``) before a turned reading wins over the upright one.
        """
        side = 2 * max(box.width, box.height)
        scale = self.ROLL_CROP / side
        cx, cy = box.x + box.width / 2, box.y + box.height / 2
        best, best_score = 0.0, -math.inf
        for turn in self.ROLL_TURNS:
            matrix = cv2.getRotationMatrix2D((cx, cy), turn, scale)
            matrix[0, 2] += self.ROLL_CROP / 2 - cx
            matrix[1, 2] += self.ROLL_CROP / 2 - cy
            crop = cv2.warpAffine(
                gray,
                matrix,
                (self.ROLL_CROP, self.ROLL_CROP),
                flags=cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_REPLICATE,
            )
            rects, scores, _ = self._hog().run(np.asarray(crop, dtype=np.uint8), 0, -0.5)
            centre = self.ROLL_CROP / 2
            for rect, score in zip(rects, scores, strict=True):
                x = (rect.left() + rect.right()) / 2
                y = (rect.top() + rect.bottom()) / 2
                near = max(abs(x - centre), abs(y - centre)) < self.ROLL_CROP / 6
                if near and score > best_score + (self.ROLL_MARGIN if turn else 0.0):
                    best, best_score = turn, float(score)
        return best if best_score >= self.ROLL_MIN_SCORE else 0.0

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
        from inference.optional import require

        self._model = require("mtcnn", "The MTCNN face detector").MTCNN()
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

    def refine(self, rgb: RGB, face: DetectedFace) -> DetectedFace:
        """Both fits redone on a fuller decode of the photo (see ``DlibDetector.refine``)."""
        return self._refine(rgb, self._dlib.refine(rgb, face))

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


def eye_distance(landmarks: Landmarks) -> float:
    """Distance between the eye centres, in pixels: how much detail alignment has to work with."""
    (lx, ly), (rx, ry) = landmarks.left_eye, landmarks.right_eye
    return math.hypot(rx - lx, ry - ly)


def scaled(face: DetectedFace, factor: float) -> DetectedFace:
    """The same face on a copy of the picture resized by ``factor``."""
    b = face.box
    box = Box(
        round(b.x * factor),
        round(b.y * factor),
        max(1, round(b.width * factor)),
        max(1, round(b.height * factor)),
    )
    lm = face.landmarks

    def point(p: Point) -> Point:
        return (p[0] * factor, p[1] * factor)

    landmarks = Landmarks(point(lm.left_eye), point(lm.right_eye), point(lm.nose))
    return replace(face, box=box, landmarks=landmarks)
