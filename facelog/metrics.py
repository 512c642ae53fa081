"""Prometheus metrics: one registry object per process, passed down like ``Settings``.

Every metric lives in :class:`Metrics`' own ``CollectorRegistry`` rather than prometheus-client's
global default, so two bots in one test process (or a bot and an inference worker) never
collide, and a test reads exactly the numbers its own objects produced.

Labels carry kinds, stages and outcomes only (bounded sets): never a user id, a name or text.
"""

from __future__ import annotations

import contextlib
import time
import weakref
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from pymongo import monitoring

if TYPE_CHECKING:
    from inference.pipeline import Timings

#: Seconds; from a cache hit on storage (~1 ms) to an LLM at its deadline (60 s).
STAGE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
#: The face pipeline's stages, as ``inference.pipeline.Timings`` names them.
FACE_STAGES = ("decode", "detect", "align", "classify")


class Metrics:
    """Facelog's counters, histograms and gauges, and the text ``/metrics`` serves."""

    def __init__(self, *, process: bool = True) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        if process:  # RSS, CPU seconds, open files: the numbers capacity planning starts from
            ProcessCollector(registry=self.registry)
            PlatformCollector(registry=self.registry)
        registry = self.registry
        self.updates = Counter(
            "facelog_updates_total",
            "Telegram updates handled, by kind (command, photo, text, voice, button, ...)",
            ["kind"],
            registry=registry,
        )
        self.update_seconds = Histogram(
            "facelog_update_seconds",
            "Time from the start of handling an update to its end, by kind",
            ["kind"],
            buckets=STAGE_BUCKETS,
            registry=registry,
        )
        self.duplicates = Counter(
            "facelog_updates_duplicate_total",
            "Updates skipped because this or another replica already handled them",
            registry=registry,
        )
        self.errors = Counter(
            "facelog_errors_total",
            "Failures by kind (exception class, llm:<reason>, image:<code>, ...)",
            ["kind"],
            registry=registry,
        )
        self.stage_seconds = Histogram(
            "facelog_stage_seconds",
            "Latency per stage: decode, detect, align, classify, llm, tts, stt, storage",
            ["stage"],
            buckets=STAGE_BUCKETS,
            registry=registry,
        )
        self.update_queue = Gauge(
            "facelog_update_queue_depth",
            "Updates received but not yet finished by this process",
            registry=registry,
        )
        self.inference_in_flight = Gauge(
            "facelog_inference_in_flight",
            "Photos inside the face pipeline (or waiting on an inference worker) right now",
            registry=registry,
        )
        self.inference_batch = Histogram(
            "facelog_inference_batch_size",
            "Faces per classifier batch (inference workers)",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128),
            registry=registry,
        )
        self.webhook_rejected = Counter(
            "facelog_webhook_rejected_total",
            "Webhook requests refused, by reason (secret, body)",
            ["reason"],
            registry=registry,
        )
        self.lease_wait_seconds = Histogram(
            "facelog_user_lease_wait_seconds",
            "Time an update waited for another replica to finish the same user's update",
            buckets=STAGE_BUCKETS,
            registry=registry,
        )
        self.scheduler_runs = Counter(
            "facelog_scheduler_runs_total",
            "Scheduler job runs by job and outcome (ok, error, skipped-not-leader, ...)",
            ["job", "outcome"],
            registry=registry,
        )
        self.scheduler_messages = Counter(
            "facelog_scheduler_messages_total",
            "Messages the scheduler sent, by job",
            ["job"],
            registry=registry,
        )

    # -- recording ----------------------------------------------------------------------------

    def update_handled(self, kind: str, seconds: float) -> None:
        self.updates.labels(kind).inc()
        self.update_seconds.labels(kind).observe(seconds)

    def error(self, kind: str) -> None:
        self.errors.labels(kind).inc()

    def observe_stage(self, stage: str, seconds: float) -> None:
        self.stage_seconds.labels(stage).observe(seconds)

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the block as ``stage=name`` (also when it raises: slow failures count)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.observe_stage(name, time.perf_counter() - started)

    def observe_face_timings(self, timings: Timings) -> None:
        """The pipeline's own per-stage milliseconds (stages a photo never reached are skipped)."""
        for name in FACE_STAGES:
            value = float(getattr(timings, name))
            if value > 0:
                self.observe_stage(name, value / 1000.0)

    def scheduler_run(self, job: str, outcome: str) -> None:
        """For the scheduler: one run of ``job`` ended with ``outcome``."""
        self.scheduler_runs.labels(job, outcome).inc()

    def scheduler_sent(self, job: str, count: int = 1) -> None:
        """For the scheduler: ``count`` messages of ``job`` went out."""
        self.scheduler_messages.labels(job).inc(count)

    def watch_update_queue(self, depth: Callable[[], float]) -> None:
        """Read the queue depth when scraped (no bookkeeping on the hot path)."""
        self.update_queue.set_function(depth)

    # -- exposition ---------------------------------------------------------------------------

    def render(self) -> bytes:
        return generate_latest(self.registry)

    async def handle(self, request: web.Request) -> web.Response:
        """aiohttp handler for ``GET /metrics``."""
        response = web.Response(body=self.render())
        response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
        response.charset = "utf-8"
        return response


class _StorageTimer(monitoring.CommandListener):
    """PyMongo command timings into ``stage="storage"``.

    PyMongo only takes listeners for clients it builds itself or process-wide; the repository
    builds its client, so this one listener is registered process-wide once and forwards to the
    live ``Metrics`` objects (weakly held: a finished test's registry simply drops out).
    """

    def __init__(self) -> None:
        self.sinks: weakref.WeakSet[Metrics] = weakref.WeakSet()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        return None

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        for sink in list(self.sinks):
            sink.observe_stage("storage", event.duration_micros / 1e6)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        for sink in list(self.sinks):
            sink.observe_stage("storage", event.duration_micros / 1e6)
            sink.error("storage_command")


_storage_timer: _StorageTimer | None = None


def time_storage(metrics: Metrics) -> None:
    """Record MongoDB command latency into ``metrics`` for clients created from now on."""
    global _storage_timer
    if _storage_timer is None:
        _storage_timer = _StorageTimer()
        monitoring.register(_storage_timer)
    _storage_timer.sinks.add(metrics)
