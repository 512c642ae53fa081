"""Text to speech: the ``Synthesizer`` interface and what every engine shares.

An engine turns one chunk of text into PCM (``SpeechEngine.render``). ``ChunkedSynthesizer``
does the rest the same way for all of them: the text is made speakable and cut into chunks
(sentences for local engines, so they are synthesised in parallel; up to ~1000 characters for
ElevenLabs, so a comment's prosody flows), the chunks are rendered concurrently (each engine
bounds its own concurrency across all callers), the PCM is joined in order with a short pause,
and the result is encoded to OGG/Opus in an executor. Nothing here blocks the event loop.

Texts and transcripts are never logged: only engine names, chunk counts, lengths and timings.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from typing import Protocol, runtime_checkable

import numpy as np

from .errors import EngineUnavailable, SpeechError, SpeechServiceError, SynthesisError
from .ogg import FloatAudio, VoiceNote, encode_voice_note
from .text import chunk_text

log = logging.getLogger(__name__)

__all__ = [
    "ChunkedSynthesizer",
    "FallbackSynthesizer",
    "Pcm",
    "RoutingSynthesizer",
    "SpeechEngine",
    "Synthesizer",
    "VoiceNote",
    "join_pcm",
    "primary_language",
]


@dataclass(frozen=True)
class Pcm:
    """Mono float32 samples in [-1, 1] at ``sample_rate``."""

    samples: FloatAudio
    sample_rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.sample_rate


@runtime_checkable
class Synthesizer(Protocol):
    """Speaks a text as a Telegram voice note."""

    @property
    def signature(self) -> str:
        """Names the engine, voice and settings: part of every cache key."""
        ...

    def supports(self, language: str) -> bool:
        """Whether ``language`` (BCP 47, e.g. "ko" or "en-US") has a voice here."""
        ...

    async def synthesize(self, text: str, language: str) -> VoiceNote:
        """The text spoken in ``language``; raises ``SpeechError`` subclasses on failure."""
        ...

    async def warm_up(self) -> None:
        """Load local voices now, so the first comment does not pay for it."""
        ...

    async def aclose(self) -> None:
        """Release clients, executors and models."""
        ...


class SpeechEngine(Protocol):
    """One way of turning a chunk of text into PCM; the chunking policy comes with it."""

    @property
    def name(self) -> str: ...

    @property
    def max_chunk_chars(self) -> int: ...

    @property
    def min_chunk_chars(self) -> int: ...

    def supports(self, language: str) -> bool: ...

    async def render(
        self, chunk: str, language: str, *, previous: str | None, following: str | None
    ) -> Pcm:
        """PCM for ``chunk``; ``previous``/``following`` are the neighbouring chunks (engines
        that can use context for prosody, like ElevenLabs, do)."""
        ...

    async def warm_up(self) -> None: ...

    async def aclose(self) -> None: ...


def primary_language(language: str) -> str:
    """ "ko-KR" → "ko", "en_US" → "en"."""
    return language.replace("_", "-").split("-", 1)[0].lower()


def _resample(pcm: Pcm, rate: int) -> FloatAudio:
    if pcm.sample_rate == rate:
        return pcm.samples
    # Linear interpolation is enough to join chunks of one engine that changed rate (it never
    # happens with the engines here); PyAV does the real resampling when encoding.
    duration = len(pcm.samples) / pcm.sample_rate
    target = np.linspace(0.0, duration, num=round(duration * rate), endpoint=False)
    source = np.arange(len(pcm.samples)) / pcm.sample_rate
    return np.interp(target, source, pcm.samples).astype(np.float32)


def join_pcm(parts: Sequence[Pcm], *, gap_s: float = 0.15) -> Pcm:
    """Concatenate PCM in order with ``gap_s`` of silence between parts (at the highest rate)."""
    if not parts:
        raise ValueError("nothing to join")
    rate = max(part.sample_rate for part in parts)
    gap = np.zeros(round(gap_s * rate), dtype=np.float32)
    pieces: list[FloatAudio] = []
    for index, part in enumerate(parts):
        if index:
            pieces.append(gap)
        pieces.append(_resample(part, rate))
    return Pcm(samples=np.concatenate(pieces).astype(np.float32, copy=False), sample_rate=rate)


class ChunkedSynthesizer:
    """A ``Synthesizer`` on top of one ``SpeechEngine``: chunk, render in parallel, join, encode."""

    def __init__(
        self,
        engine: SpeechEngine,
        *,
        bitrate: int = 32_000,
        gap_s: float = 0.15,
        max_chars: int = 5000,
        timeout_s: float = 60.0,
        executor: Executor | None = None,
    ) -> None:
        self.engine = engine
        self.bitrate = bitrate
        self.gap_s = gap_s
        self.max_chars = max_chars
        self.timeout_s = timeout_s
        self._executor = executor

    @property
    def signature(self) -> str:
        return f"{self.engine.name}|opus{self.bitrate}"

    def supports(self, language: str) -> bool:
        return self.engine.supports(language)

    def chunks(self, text: str) -> list[str]:
        """How ``text`` will be cut (exposed for tests and the benchmark)."""
        return chunk_text(text, self.engine.max_chunk_chars, min_chars=self.engine.min_chunk_chars)

    async def render(self, text: str, language: str) -> Pcm:
        """All chunks of ``text`` rendered concurrently and joined in order."""
        if len(text) > self.max_chars:
            raise SpeechError(
                f"text of {len(text)} characters is over {self.max_chars}", reason="text-too-long"
            )
        chunks = self.chunks(text)
        if not chunks:
            raise SpeechError("nothing speakable in the text", reason="empty")
        if not self.engine.supports(language):
            raise EngineUnavailable(f"{self.engine.name} has no voice for {language!r}")

        async def one(index: int) -> Pcm:
            return await self.engine.render(
                chunks[index],
                language,
                previous=chunks[index - 1] if index else None,
                following=chunks[index + 1] if index + 1 < len(chunks) else None,
            )

        try:
            async with asyncio.timeout(self.timeout_s):
                async with asyncio.TaskGroup() as group:
                    tasks = [group.create_task(one(i)) for i in range(len(chunks))]
        except TimeoutError as error:
            raise SynthesisError(self.engine.name, "timeout", retryable=True) from error
        except BaseExceptionGroup as group_error:
            # TaskGroup wraps failures; callers want the first typed error, not a group.
            first = group_error.exceptions[0]
            if isinstance(first, Exception):
                raise first from None
            raise
        parts = [task.result() for task in tasks if task.result().samples.size]
        if not parts:
            raise SpeechError("the engine produced no audio", reason="empty")
        return join_pcm(parts, gap_s=self.gap_s)

    async def synthesize(self, text: str, language: str) -> VoiceNote:
        started = time.perf_counter()
        pcm = await self.render(text, language)
        loop = asyncio.get_running_loop()
        note = await loop.run_in_executor(
            self._executor,
            lambda: encode_voice_note(pcm.samples, pcm.sample_rate, bitrate=self.bitrate),
        )
        log.info(
            "tts engine=%s chars=%d audio_s=%.1f took_s=%.2f",
            self.engine.name,
            len(text),
            note.seconds,
            time.perf_counter() - started,
        )
        return replace(note, engine=self.engine.name)

    async def warm_up(self) -> None:
        await self.engine.warm_up()

    async def aclose(self) -> None:
        await self.engine.aclose()


class RoutingSynthesizer:
    """Picks a synthesizer per language (the offline stack: Piper for English, espeak-ng else).

    A route to ``None`` keeps a language silent on purpose (Korean offline by default: espeak-ng's
    Korean is noise to a listener), even though ``default`` could render it; callers ask
    ``supports`` and answer in text instead.
    """

    def __init__(
        self, routes: Mapping[str, Synthesizer | None], default: Synthesizer | None
    ) -> None:
        self.routes = {primary_language(lang): synth for lang, synth in routes.items()}
        self.default = default

    def route(self, language: str) -> Synthesizer:
        # A language routed to None stays None here: silent on purpose, not the default's.
        chosen = self.routes.get(primary_language(language), self.default)
        if chosen is None or not chosen.supports(language):
            raise EngineUnavailable(f"no offline voice for {language!r}")
        return chosen

    @property
    def signature(self) -> str:
        # A silent route is part of the signature, so a note cached while that language still
        # had a voice is never served once it has none (and vice versa).
        parts = [
            f"{lang}={synth.signature if synth is not None else '-'}"
            for lang, synth in sorted(self.routes.items())
        ]
        if self.default is not None:
            parts.append(f"*={self.default.signature}")
        return "route(" + ",".join(parts) + ")"

    def supports(self, language: str) -> bool:
        try:
            self.route(language)
        except EngineUnavailable:
            return False
        return True

    async def synthesize(self, text: str, language: str) -> VoiceNote:
        return await self.route(language).synthesize(text, language)

    def _each(self) -> list[Synthesizer]:
        unique: dict[int, Synthesizer] = {}
        for synth in [*self.routes.values(), self.default]:
            if synth is not None:
                unique.setdefault(id(synth), synth)
        return list(unique.values())

    async def warm_up(self) -> None:
        for synth in self._each():
            await synth.warm_up()

    async def aclose(self) -> None:
        for synth in self._each():
            await synth.aclose()


class FallbackSynthesizer:
    """The primary synthesizer, or the fallback when the primary's service fails.

    A service error (401, 429, 5xx, timeout) or a missing voice degrades to the fallback, and the
    note says so (``degraded=True``) so the cache does not keep it in place of the real voice.
    Errors of the text itself (empty, too long) are not retried elsewhere.
    """

    def __init__(self, primary: Synthesizer, fallback: Synthesizer) -> None:
        self.primary = primary
        self.fallback = fallback

    @property
    def signature(self) -> str:
        return self.primary.signature

    def supports(self, language: str) -> bool:
        return self.primary.supports(language) or self.fallback.supports(language)

    async def synthesize(self, text: str, language: str) -> VoiceNote:
        try:
            return await self.primary.synthesize(text, language)
        except (SpeechServiceError, EngineUnavailable) as error:
            log.warning(
                "tts primary=%s failed reason=%s; falling back to %s",
                self.primary.signature,
                error.reason,
                self.fallback.signature,
            )
            note = await self.fallback.synthesize(text, language)
            return replace(note, degraded=True)

    async def warm_up(self) -> None:
        await self.primary.warm_up()
        await self.fallback.warm_up()

    async def aclose(self) -> None:
        await self.primary.aclose()
        await self.fallback.aclose()
