"""The asynchronous front: concurrent callers are batched and each gets its own answer."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from inference.classifier import EmotionClassifier
from inference.detect import DetectedFace, FaceDetector
from inference.image import RGB, ImageError
from inference.labels import EMOTIONS
from inference.pipeline import FacePipeline


class _ThreadSpy:
    """Wraps a real detector and remembers which threads it ran on."""

    def __init__(self, inner: FaceDetector) -> None:
        self.inner = inner
        self.name = inner.name
        self.threads: set[str] = set()

    def detect(self, rgb: RGB) -> list[DetectedFace]:
        self.threads.add(threading.current_thread().name)
        return self.inner.detect(rgb)


@pytest.fixture()
def front(pipeline: FacePipeline) -> FacePipeline:
    """A fresh async front sharing the session's loaded models (loading them is the slow part)."""
    spy = _ThreadSpy(pipeline.detector)
    classifier: EmotionClassifier = pipeline.classifier
    return FacePipeline(spy, classifier, workers=2, max_batch=8, batch_wait_ms=250.0)


async def test_concurrent_requests_are_batched_and_answered_correctly(
    front: FacePipeline, face_photos: dict[str, bytes], no_face_photos: dict[str, bytes]
) -> None:
    photos = [face_photos["astronaut"], face_photos["grace_hopper"], no_face_photos["coffee"]]
    expected = [front.analyze_sync(p) for p in photos]
    order = [i % len(photos) for i in range(24)]
    try:
        results = await asyncio.gather(*(front.analyze(photos[i]) for i in order))
    finally:
        await front.aclose()
    for index, result in zip(order, results, strict=True):
        want = expected[index]
        assert result.faces == want.faces
        if want.face is None:
            assert result.face is None
            continue
        assert result.emotion == want.emotion
        np.testing.assert_allclose(
            [result.probabilities[e] for e in EMOTIONS],
            [want.probabilities[e] for e in EMOTIONS],
            atol=1e-4,
        )
    assert max(front.batches) > 1, "concurrent faces should share a classifier call"
    assert sum(front.batches) == sum(1 for i in order if expected[i].face is not None)
    assert max(front.batches) <= 8


async def test_heavy_work_runs_off_the_event_loop(
    front: FacePipeline, face_photos: dict[str, bytes]
) -> None:
    try:
        await front.analyze(face_photos["astronaut"])
    finally:
        await front.aclose()
    assert front.detector.threads  # type: ignore[attr-defined]
    assert threading.main_thread().name not in front.detector.threads  # type: ignore[attr-defined]


async def test_bad_input_fails_only_its_own_caller(
    front: FacePipeline, face_photos: dict[str, bytes]
) -> None:
    try:
        good, bad = await asyncio.gather(
            front.analyze(face_photos["astronaut"]),
            front.analyze(b"not a photo"),
            return_exceptions=True,
        )
    finally:
        await front.aclose()
    assert not isinstance(good, BaseException) and good.face is not None
    assert isinstance(bad, ImageError)


async def test_a_failing_model_is_reported_to_every_waiter(
    pipeline: FacePipeline, face_photos: dict[str, bytes]
) -> None:
    class Broken:
        name = "broken"

        def predict(self, faces: np.ndarray) -> np.ndarray:
            raise RuntimeError("model crashed")

    front = FacePipeline(pipeline.detector, Broken(), batch_wait_ms=20.0)
    try:
        results = await asyncio.gather(
            *(front.analyze(face_photos["astronaut"]) for _ in range(3)), return_exceptions=True
        )
        assert all(isinstance(r, RuntimeError) for r in results)
        # The front keeps serving after a failure.
        front.classifier = pipeline.classifier
        assert (await front.analyze(face_photos["astronaut"])).face is not None
    finally:
        await front.aclose()
