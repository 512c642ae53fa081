"""The face pipeline: photo bytes in, the emotion of the day out.

``decode → detect (downscaled) → align (224×224, 0..1) → classify``. Models load once, in the
pipeline object. The synchronous methods are for the CLI, evaluation and tests; ``analyze`` is
the asynchronous front for the bot: decoding, detection and alignment run in a thread pool
(OpenCV, dlib and Pillow release the GIL), and aligned faces from requests that arrive together
are classified in one batch, so the event loop never waits on a model.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from inference.align import EYE_DISTANCE, SIZE, Aligned, align_face
from inference.classifier import EmotionClassifier, KerasClassifier
from inference.detect import Box, FaceDetector, Landmarks, create_detector, eye_distance, scaled
from inference.image import DETECT_DECODE_SIDE, ImageError, decode_image
from inference.labels import EMOTIONS, Emotion, four_class

if TYPE_CHECKING:
    from facelog.config import Settings
    from inference.ferplus_model import Runtime

log = logging.getLogger(__name__)


#: The smallest log-probability a reading reports (e^-20 ≈ 2e-9: far below any real answer).
LOG_FLOOR = -20.0


class NoFaceError(LookupError):
    """Raised by accessors that need a face when the photo had none."""


@dataclass(frozen=True)
class Timings:
    """Milliseconds per stage; ``classify`` includes waiting for the batch to fill."""

    decode: float = 0.0
    detect: float = 0.0
    align: float = 0.0
    classify: float = 0.0

    @property
    def total(self) -> float:
        return self.decode + self.detect + self.align + self.classify


@dataclass(frozen=True)
class FaceReading:
    """The chosen (largest) face: where it is, how it was framed, what it shows."""

    box: Box
    landmarks: Landmarks
    aligned: Aligned
    scores: npt.NDArray[np.float32]  # five columns: four emotions + other

    @property
    def probabilities(self) -> dict[Emotion, float]:
        four = four_class(self.scores[None, :])[0]
        return {emotion: float(p) for emotion, p in zip(EMOTIONS, four, strict=True)}

    @property
    def log_probabilities(self) -> dict[Emotion, float]:
        """Natural log of :attr:`probabilities`, floored at :data:`LOG_FLOOR`.

        Why: a per-person calibration adds a bias to these before the argmax (issue #24); a
        floor keeps a probability that rounded to zero from becoming ``-inf``, which no bias
        could bring back.
        """
        return {
            e: max(LOG_FLOOR, math.log(p)) if p > 0 else LOG_FLOOR
            for e, p in self.probabilities.items()
        }

    @property
    def emotion(self) -> Emotion:
        probs = self.probabilities
        return max(probs, key=probs.__getitem__)

    @property
    def confidence(self) -> float:
        return self.probabilities[self.emotion]

    @property
    def other(self) -> float:
        """Mass the model put outside the four (neutral, disgust …): high means "calm"."""
        return float(self.scores[-1])


@dataclass(frozen=True)
class Analysis:
    """What one photo gave: no face, or the largest face's reading plus the face count."""

    face: FaceReading | None
    faces: int
    image_size: tuple[int, int]
    timings: Timings = field(default_factory=Timings)

    def _reading(self) -> FaceReading:
        if self.face is None:
            raise NoFaceError("no face in the photo")
        return self.face

    @property
    def emotion(self) -> Emotion:
        return self._reading().emotion

    @property
    def probabilities(self) -> dict[Emotion, float]:
        return self._reading().probabilities

    @property
    def confidence(self) -> float:
        return self._reading().confidence

    @property
    def box(self) -> Box:
        return self._reading().box

    @property
    def aligned(self) -> Aligned:
        return self._reading().aligned


@dataclass(frozen=True)
class _Located:
    """A photo after the CPU stages, waiting for the classifier."""

    #: Every face found, largest first (the first is the one classified).
    boxes: tuple[Box, ...]
    landmarks: Landmarks | None
    aligned: Aligned | None
    image_size: tuple[int, int]
    timings: Timings

    @property
    def box(self) -> Box | None:
        return self.boxes[0] if self.boxes else None

    @property
    def faces(self) -> int:
        return len(self.boxes)


#: Classifiers that ship with Facelog, by the name ``FACELOG_CLASSIFIER`` takes.
BUILT_IN_CLASSIFIERS: tuple[str, ...] = ("realface", "lite0", "ferplus", "fer")


def named_classifier(name: str, runtime: Runtime = "auto") -> EmotionClassifier:
    """A classifier that ships with Facelog; ``runtime`` picks LiteRT or Keras where both exist."""
    if name not in BUILT_IN_CLASSIFIERS:
        raise ValueError(f"unknown classifier {name!r}: one of {BUILT_IN_CLASSIFIERS}")
    from inference.realface_model import load_member, load_realface

    return load_realface(runtime) if name == "realface" else load_member(name, runtime)


def load_classifier(settings: Settings) -> EmotionClassifier:
    if settings.classifier in BUILT_IN_CLASSIFIERS:
        return named_classifier(settings.classifier, settings.classifier_runtime)
    if settings.classifier_path is None:
        raise ValueError("FACELOG_CLASSIFIER=keras needs FACELOG_CLASSIFIER_PATH (a Keras model)")
    return KerasClassifier(
        settings.classifier_path,
        settings.classifier_classes,
        value_range=settings.classifier_value_range,
        crop=settings.classifier_crop,
    )


class FacePipeline:
    """Loads its models once; safe to share between concurrent callers."""

    def __init__(
        self,
        detector: FaceDetector,
        classifier: EmotionClassifier,
        *,
        workers: int = 2,
        max_batch: int = 32,
        batch_wait_ms: float = 4.0,
    ) -> None:
        self.detector = detector
        self.classifier = classifier
        self.max_batch = max_batch
        self.batch_wait = batch_wait_ms / 1000.0
        self._workers = ThreadPoolExecutor(workers, thread_name_prefix="facelog-face")
        # One thread owns the model: batches run one after another, never interleaved.
        self._model_thread = ThreadPoolExecutor(1, thread_name_prefix="facelog-classify")
        self._queue: asyncio.Queue[tuple[Aligned, asyncio.Future[npt.NDArray[np.float32]]]] | None
        self._queue = None
        self._batcher: asyncio.Task[None] | None = None
        self.batches: list[int] = []  # sizes of the batches run by the async front

    @classmethod
    def from_settings(cls, settings: Settings) -> FacePipeline:
        return cls(
            create_detector(settings.detector, settings.detect_max_side),
            load_classifier(settings),
            workers=settings.inference_workers,
            max_batch=settings.max_batch,
            batch_wait_ms=settings.batch_wait_ms,
        )

    # -- synchronous API -------------------------------------------------------------------

    def locate(self, data: bytes) -> _Located:
        """Decode, detect and align (the CPU stages); raises :class:`ImageError` on bad input."""
        t0 = time.perf_counter()
        # Big JPEGs are decoded at a reduced scale first (much cheaper); a face that turns out
        # too small there for alignment gets a fuller decode below.
        decoded = decode_image(data, min_side=DETECT_DECODE_SIDE)
        t1 = time.perf_counter()
        faces = self.detector.detect(decoded.rgb)
        t2 = time.perf_counter()
        wanted = EYE_DISTANCE * SIZE  # inter-eye distance in the aligned frame
        eyes = eye_distance(faces[0].landmarks) if faces else wanted
        if decoded.reduced and eyes < wanted:
            reduced_side = max(decoded.rgb.shape[:2])
            fuller = decode_image(data, min_side=math.ceil(reduced_side * wanted / max(eyes, 1.0)))
            factor = max(fuller.rgb.shape[:2]) / reduced_side
            if factor > 1.0:
                faces = [scaled(face, factor) for face in faces]
                refine = getattr(self.detector, "refine", None)
                if refine is not None:
                    faces[0] = refine(fuller.rgb, faces[0])
                decoded = fuller
            t3 = time.perf_counter()
            t1 += t3 - t2  # the second decode and the landmark refit count as decoding
            t2 = t3
        height, width = decoded.rgb.shape[:2]
        if not faces:
            timings = Timings(decode=(t1 - t0) * 1e3, detect=(t2 - t1) * 1e3)
            return _Located((), None, None, (width, height), timings)
        largest = faces[0]
        aligned = align_face(decoded.rgb, largest.landmarks)
        t3 = time.perf_counter()
        timings = Timings(decode=(t1 - t0) * 1e3, detect=(t2 - t1) * 1e3, align=(t3 - t2) * 1e3)
        boxes = tuple(face.box for face in faces)
        return _Located(boxes, largest.landmarks, aligned, (width, height), timings)

    def analyze_sync(self, data: bytes) -> Analysis:
        """One photo; raises :class:`ImageError` on bad input."""
        result = self.analyze_batch_sync([data])[0]
        if isinstance(result, ImageError):
            raise result
        return result

    def analyze_batch_sync(self, images: Sequence[bytes]) -> list[Analysis | ImageError]:
        """Batch API: one classifier call for every face found; bad inputs come back as errors."""
        located: list[_Located | ImageError] = []
        for data in images:
            try:
                located.append(self.locate(data))
            except ImageError as exc:
                located.append(exc)
        with_face = [
            loc for loc in located if isinstance(loc, _Located) and loc.aligned is not None
        ]
        crops = [loc.aligned for loc in with_face if loc.aligned is not None]
        t0 = time.perf_counter()
        scores = self.classifier.predict(np.stack(crops)) if crops else None
        per_face = (time.perf_counter() - t0) * 1e3 / max(1, len(crops))
        results: list[Analysis | ImageError] = []
        index = 0
        for loc in located:
            if isinstance(loc, ImageError):
                results.append(loc)
            elif loc.aligned is None:
                results.append(_finish(loc, None, 0.0))
            else:
                assert scores is not None
                results.append(_finish(loc, scores[index], per_face))
                index += 1
        return results

    # -- asynchronous front ----------------------------------------------------------------

    async def analyze(self, data: bytes) -> Analysis:
        """Analyse one photo without blocking the event loop; concurrent calls share batches."""
        loop = asyncio.get_running_loop()
        located = await loop.run_in_executor(self._workers, self.locate, data)
        if located.aligned is None:
            return _finish(located, None, 0.0)
        t0 = time.perf_counter()
        scores = await self._classify(located.aligned)
        return _finish(located, scores, (time.perf_counter() - t0) * 1e3)

    async def _classify(self, aligned: Aligned) -> npt.NDArray[np.float32]:
        loop = asyncio.get_running_loop()
        batcher = self._batcher
        if (
            self._queue is None
            or batcher is None
            or batcher.done()
            or batcher.get_loop() is not loop
        ):
            # First call, or the pipeline outlived the event loop that started its batcher
            # (tests, a restarted bot): start a batcher on this loop.
            self._queue = asyncio.Queue()
            self._batcher = loop.create_task(self._run_batches(self._queue))
        future: asyncio.Future[npt.NDArray[np.float32]] = loop.create_future()
        await self._queue.put((aligned, future))
        return await future

    async def _run_batches(
        self, queue: asyncio.Queue[tuple[Aligned, asyncio.Future[npt.NDArray[np.float32]]]]
    ) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await queue.get()]
            deadline = loop.time() + self.batch_wait
            while len(batch) < self.max_batch:
                timeout = deadline - loop.time()
                if timeout <= 0 and queue.empty():
                    break
                try:
                    batch.append(await asyncio.wait_for(queue.get(), max(timeout, 0)))
                except TimeoutError:
                    break
            live = [(face, fut) for face, fut in batch if not fut.done()]
            if not live:
                continue
            self.batches.append(len(live))
            faces = np.stack([face for face, _ in live])
            try:
                scores = await loop.run_in_executor(
                    self._model_thread, self.classifier.predict, faces
                )
            except Exception as exc:  # the model failed: every waiter hears about it
                for _, fut in live:
                    if not fut.done():
                        fut.set_exception(exc)
                continue
            for (_, fut), row in zip(live, scores, strict=True):
                if not fut.done():
                    fut.set_result(row)

    async def aclose(self) -> None:
        if self._batcher is not None and self._batcher.get_loop() is asyncio.get_running_loop():
            self._batcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._batcher
            self._batcher = None
        self.close()

    def close(self) -> None:
        self._workers.shutdown(wait=False, cancel_futures=True)
        self._model_thread.shutdown(wait=False, cancel_futures=True)


def _finish(loc: _Located, scores: npt.NDArray[np.float32] | None, classify_ms: float) -> Analysis:
    timings = Timings(loc.timings.decode, loc.timings.detect, loc.timings.align, classify_ms)
    if scores is None or loc.aligned is None or loc.box is None or loc.landmarks is None:
        return Analysis(None, loc.faces, loc.image_size, timings)
    reading = FaceReading(loc.box, loc.landmarks, loc.aligned, np.asarray(scores, np.float32))
    return Analysis(reading, loc.faces, loc.image_size, timings)
