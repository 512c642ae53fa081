"""Metered stand-ins for the face analyzer, Anna and the voice, for ``facelog run``.

They time each call into :class:`~facelog.metrics.Metrics` and otherwise behave exactly like
what they wrap, so the diary, the bot and the tests need not know metrics exist. Only kinds,
stages and reason codes are recorded: never text, photos or ids.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from facelog.anna import Anna, AnnaConfig
from facelog.anna.values import AnnaReply, AnnaRequest
from facelog.domain import Account, Entry
from facelog.metrics import Metrics
from facelog.speech import NothingHeard, Transcript, VoiceNote
from facelog.voice import Voice
from inference.analyzer import FaceAnalyzer
from inference.image import ImageError
from inference.pipeline import Analysis
from storage import Repository


class MeteredAnalyzer:
    """Face analysis (in-process or remote) with per-stage latency and the in-flight gauge."""

    def __init__(self, inner: FaceAnalyzer, metrics: Metrics) -> None:
        self.inner = inner
        self.metrics = metrics

    async def analyze(self, data: bytes) -> Analysis:
        gauge = self.metrics.inference_in_flight
        gauge.inc()
        try:
            analysis = await self.inner.analyze(data)
        except ImageError as exc:
            self.metrics.error(f"image:{exc.code}")
            raise
        except Exception as exc:
            self.metrics.error(type(exc).__name__)
            raise
        finally:
            gauge.dec()
        self.metrics.observe_face_timings(analysis.timings)
        return analysis


class MeteredAnna(Anna):
    """Anna, with the LLM's latency and every fall-back to the offline writer counted."""

    def __init__(self, config: AnnaConfig | None, metrics: Metrics) -> None:
        super().__init__(config)
        self.metrics = metrics

    async def reply(self, request: AnnaRequest) -> AnnaReply:
        started = time.perf_counter()
        answer = await super().reply(request)
        if self.config is not None:  # the offline writer alone is not an "llm" stage
            self.metrics.observe_stage("llm", time.perf_counter() - started)
        if answer.fallback_reason is not None:
            self.metrics.error(f"llm:{answer.fallback_reason}")
        return answer


@dataclass
class MeteredVoice(Voice):
    """The voice, with synthesis (``tts``) and transcription (``stt``) timed."""

    metrics: Metrics | None = None

    @classmethod
    def wrap(cls, voice: Voice, metrics: Metrics) -> MeteredVoice:
        return cls(voice.synthesizer, voice.transcriber, voice.limits, metrics)

    def _note(self, note: VoiceNote, started: float) -> VoiceNote:
        if self.metrics is not None:
            self.metrics.observe_stage("tts", time.perf_counter() - started)
            if note.degraded:
                self.metrics.error("tts:fallback-engine")
        return note

    async def entry_comment(self, repo: Repository, account: Account, entry: Entry) -> VoiceNote:
        started = time.perf_counter()
        return self._note(await super().entry_comment(repo, account, entry), started)

    async def say(self, account: Account, text: str) -> VoiceNote:
        started = time.perf_counter()
        return self._note(await super().say(account, text), started)

    async def hear(self, account: Account, audio: bytes) -> Transcript | NothingHeard:
        if self.metrics is None:
            return await super().hear(account, audio)
        with self.metrics.stage("stt"):
            return await super().hear(account, audio)
