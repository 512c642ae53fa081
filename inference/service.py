"""Face analysis as an HTTP service, so CPU-only bot replicas can share GPU workers.

``facelog serve-inference`` runs :class:`InferenceServer`: ``POST /analyze`` takes the photo's
bytes as the request body and answers the analysis as JSON. Requests that arrive together are
classified in one batch by the worker's :class:`~inference.pipeline.FacePipeline` (its async
batcher), which is what makes a GPU worth having. ``FACELOG_INFERENCE_URL`` points a bot at one
or more workers; :class:`InferenceClient` then stands in for the pipeline with the same
``analyze(bytes) -> Analysis``.

Results are the same as in-process: the worker runs the same pipeline, and the five class scores
travel as JSON numbers, which round-trip float32 exactly. A bad photo raises the same typed
:class:`~inference.image.ImageError` subclass on the bot's side as it would in-process; a worker
that cannot be reached raises :class:`InferenceUnavailable` (the bot answers "try again").

The aligned 224×224 crop is sent only when asked for (``analyze(..., aligned=True)``, 8-bit):
the bot never looks at it, and it would be most of every response.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import logging
import signal
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import aiohttp
import numpy as np
from aiohttp import web

from facelog.http import HttpServer
from inference.align import to_uint8
from inference.detect import Box, Landmarks
from inference.image import MAX_BYTES, EmptyImage, ImageError, ImageTooLarge, UnsupportedImage
from inference.pipeline import Analysis, FacePipeline, FaceReading, Timings

if TYPE_CHECKING:
    from facelog.config import Settings
    from facelog.metrics import Metrics

log = logging.getLogger(__name__)

ANALYZE_PATH = "/analyze"
#: Error codes the worker answers with, and the exception each becomes on the client's side.
IMAGE_ERRORS: dict[str, type[ImageError]] = {
    EmptyImage.code: EmptyImage,
    ImageTooLarge.code: ImageTooLarge,
    UnsupportedImage.code: UnsupportedImage,
    ImageError.code: ImageError,
}


class InferenceUnavailable(RuntimeError):
    """No inference worker could analyse the photo (down, overloaded or timed out)."""


# -- wire format -----------------------------------------------------------------------------


def analysis_to_json(analysis: Analysis, *, aligned: bool = False) -> dict[str, Any]:
    t = analysis.timings
    doc: dict[str, Any] = {
        "faces": analysis.faces,
        "image_size": list(analysis.image_size),
        "timings": {
            "decode": t.decode,
            "detect": t.detect,
            "align": t.align,
            "classify": t.classify,
        },
        "face": None,
    }
    face = analysis.face
    if face is not None:
        box, marks = face.box, face.landmarks
        doc["face"] = {
            "box": [box.x, box.y, box.width, box.height],
            "landmarks": {
                "left_eye": list(marks.left_eye),
                "right_eye": list(marks.right_eye),
                "nose": list(marks.nose),
            },
            "scores": [float(s) for s in face.scores],
        }
        if aligned:
            crop = to_uint8(face.aligned)
            doc["face"]["aligned"] = {
                "shape": list(crop.shape),
                "uint8": base64.b64encode(crop.tobytes()).decode("ascii"),
            }
    return doc


def _point(value: Sequence[float]) -> tuple[float, float]:
    return float(value[0]), float(value[1])


def analysis_from_json(doc: dict[str, Any]) -> Analysis:
    timings = Timings(**{k: float(v) for k, v in doc["timings"].items()})
    width, height = doc["image_size"]
    face_doc = doc.get("face")
    if face_doc is None:
        return Analysis(None, int(doc["faces"]), (int(width), int(height)), timings)
    marks = face_doc["landmarks"]
    landmarks = Landmarks(
        _point(marks["left_eye"]), _point(marks["right_eye"]), _point(marks["nose"])
    )
    crop = face_doc.get("aligned")
    if crop is not None:
        raw = np.frombuffer(base64.b64decode(crop["uint8"]), dtype=np.uint8)
        aligned = raw.reshape(tuple(crop["shape"])).astype(np.float32) / 255.0
    else:
        aligned = np.zeros((0, 0, 3), np.float32)  # not requested: see the module docstring
    reading = FaceReading(
        Box(*(int(v) for v in face_doc["box"])),
        landmarks,
        aligned,
        np.asarray(face_doc["scores"], dtype=np.float32),
    )
    return Analysis(reading, int(doc["faces"]), (int(width), int(height)), timings)


# -- the worker ------------------------------------------------------------------------------


class InferenceServer:
    """``POST /analyze``, ``GET /healthz``, ``GET /metrics`` around one loaded pipeline."""

    def __init__(
        self,
        pipeline: FacePipeline,
        *,
        metrics: Metrics | None = None,
        max_in_flight: int = 256,
    ) -> None:
        self.pipeline = pipeline
        self.metrics = metrics
        self.max_in_flight = max_in_flight
        self.in_flight = 0
        self._seen_batches = 0

    def app(self) -> web.Application:
        # A little over the decoder's own limit, so "too large" is answered as an image error.
        app = web.Application(client_max_size=MAX_BYTES + 64 * 1024)
        app.router.add_post(ANALYZE_PATH, self._analyze)
        app.router.add_get("/healthz", self._health)
        if self.metrics is not None:
            app.router.add_get("/metrics", self.metrics.handle)
        return app

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "status": "ok",
                "detector": self.pipeline.detector.name,
                "classifier": self.pipeline.classifier.name,
                "in_flight": self.in_flight,
            }
        )

    async def _analyze(self, request: web.Request) -> web.Response:
        if self.in_flight >= self.max_in_flight:
            # Shed load rather than queue without bound: the client tries another worker.
            return web.json_response({"error": "busy"}, status=503)
        self.in_flight += 1
        if self.metrics is not None:
            self.metrics.inference_in_flight.inc()
        try:
            data = await request.read()
            try:
                analysis = await self.pipeline.analyze(data)
            except ImageError as exc:
                if self.metrics is not None:
                    self.metrics.error(f"image:{exc.code}")
                return web.json_response({"error": exc.code}, status=422)
            self._observe(analysis)
            aligned = request.query.get("aligned") == "1"
            return web.json_response(analysis_to_json(analysis, aligned=aligned))
        finally:
            self.in_flight -= 1
            if self.metrics is not None:
                self.metrics.inference_in_flight.dec()

    def _observe(self, analysis: Analysis) -> None:
        if self.metrics is None:
            return
        self.metrics.observe_face_timings(analysis.timings)
        batches = self.pipeline.batches
        for size in batches[self._seen_batches :]:
            self.metrics.inference_batch.observe(size)
        self._seen_batches = len(batches)


async def run_worker(
    settings: Settings,
    host: str,
    port: int,
    *,
    stop: asyncio.Event | None = None,
    started: Callable[[HttpServer], None] | None = None,
) -> None:
    """``facelog serve-inference``: load the models, serve until SIGTERM/SIGINT (or ``stop``).

    ``started`` is called with the listening server (tests use it to learn the port).
    """
    from facelog.metrics import Metrics

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    pipeline = FacePipeline.from_settings(settings)
    server = HttpServer(InferenceServer(pipeline, metrics=Metrics()).app(), host, port)
    try:
        await server.start()
        log.info(
            "inference worker ready port=%d classifier=%s", server.port, pipeline.classifier.name
        )
        if started is not None:
            started(server)
        await stop.wait()
    finally:
        await server.stop()  # stop accepting, finish the photos in progress
        await pipeline.aclose()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)


# -- the client ------------------------------------------------------------------------------


class InferenceClient:
    """Sends photos to inference workers, round robin; moves on to the next worker when one
    cannot be reached or is busy, so one worker going away costs no photo."""

    def __init__(self, urls: Sequence[str], *, timeout_s: float = 30.0) -> None:
        cleaned = [url.strip().rstrip("/") for url in urls if url.strip()]
        if not cleaned:
            raise ValueError("InferenceClient needs at least one worker URL")
        self.urls = cleaned
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._next = itertools.cycle(range(len(cleaned)))
        self._session: aiohttp.ClientSession | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> InferenceClient:
        assert settings.inference_url
        return cls(settings.inference_url.split(","), timeout_s=settings.inference_timeout_s)

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    async def analyze(self, data: bytes, *, aligned: bool = False) -> Analysis:
        """Like ``FacePipeline.analyze``; raises ``ImageError`` subclasses or
        :class:`InferenceUnavailable`."""
        if not data:
            raise EmptyImage("the file is empty")
        if len(data) > MAX_BYTES:  # the worker would refuse it too: save the upload
            raise ImageTooLarge(f"{len(data)} bytes is more than {MAX_BYTES}")
        start = next(self._next)
        problems: list[str] = []
        for offset in range(len(self.urls)):
            url = self.urls[(start + offset) % len(self.urls)]
            try:
                return await self._ask(url, data, aligned)
            except _TryNext as failure:
                problems.append(failure.reason)
        raise InferenceUnavailable(f"no inference worker answered ({', '.join(problems)})")

    async def _ask(self, url: str, data: bytes, aligned: bool) -> Analysis:
        params = {"aligned": "1"} if aligned else None
        headers = {"Content-Type": "application/octet-stream"}
        try:
            async with self._client().post(
                url + ANALYZE_PATH, data=data, params=params, headers=headers
            ) as response:
                if response.status == 200:
                    return analysis_from_json(await response.json())
                if response.status == 413:
                    raise ImageTooLarge("the inference worker refused the photo's size")
                if response.status == 422:
                    code = str((await response.json()).get("error", ImageError.code))
                    raise IMAGE_ERRORS.get(code, ImageError)(f"the photo is not usable ({code})")
                raise _TryNext(f"status-{response.status}")
        except (aiohttp.ClientError, TimeoutError) as error:
            raise _TryNext(type(error).__name__) from None

    async def ready(self) -> bool:
        """True when at least one worker answers its health check."""
        for url in self.urls:
            try:
                async with self._client().get(
                    url + "/healthz", timeout=aiohttp.ClientTimeout(total=2.0)
                ) as response:
                    if response.status == 200:
                        return True
            except (aiohttp.ClientError, TimeoutError):
                continue
        return False

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class _TryNext(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
