"""Offline voices, parallel sentence synthesis and the event loop staying free."""

from __future__ import annotations

import asyncio
import random
import time

import numpy as np
import pytest

from facelog.speech.errors import EngineUnavailable, SpeechError
from facelog.speech.ogg import decode_audio
from facelog.speech.tts import ChunkedSynthesizer, Pcm, RoutingSynthesizer

from .conftest import ENGLISH, KOREAN, rms


class ToneEngine:
    """Renders chunk i as a block of constant value, after a random delay; counts overlap."""

    name = "tone"
    min_chunk_chars = 1
    max_chunk_chars = 40
    sample_rate = 8_000

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.running = 0
        self.peak = 0

    def supports(self, language: str) -> bool:
        return language == "en"

    async def render(
        self, chunk: str, language: str, *, previous: str | None, following: str | None
    ) -> Pcm:
        self.calls.append(chunk)
        self.running += 1
        self.peak = max(self.peak, self.running)
        try:
            await asyncio.sleep(random.uniform(0.0, 0.05))
        finally:
            self.running -= 1
        value = int(chunk.split()[1]) / 100
        return Pcm(np.full(800, value, dtype=np.float32), self.sample_rate)

    async def warm_up(self) -> None:
        return None

    async def aclose(self) -> None:
        return None


async def test_parallel_chunks_are_joined_in_order() -> None:
    engine = ToneEngine()
    synth = ChunkedSynthesizer(engine, gap_s=0.0)
    text = " ".join(f"Sentence {i} ends." for i in range(12))
    pcm = await synth.render(text, "en")
    assert engine.peak > 1  # really concurrent
    blocks = pcm.samples.reshape(12, 800)[:, 400]
    assert np.allclose(blocks, np.arange(12) / 100)


async def test_empty_and_overlong_texts_and_unknown_languages_are_typed_errors() -> None:
    synth = ChunkedSynthesizer(ToneEngine(), max_chars=100)
    with pytest.raises(SpeechError) as caught:
        await synth.synthesize("🎉🎉", "en")
    assert caught.value.reason == "empty"
    with pytest.raises(SpeechError) as caught:
        await synth.synthesize("Sentence 1. " * 20, "en")
    assert caught.value.reason == "text-too-long"
    with pytest.raises(EngineUnavailable):
        await synth.synthesize("Sentence 1.", "ko")
    with pytest.raises(EngineUnavailable):
        await RoutingSynthesizer({}, default=None).synthesize("Sentence 1.", "en")


async def test_english_offline_voice(english_voice: ChunkedSynthesizer) -> None:
    note = await english_voice.synthesize(ENGLISH, "en")
    assert note.engine == "piper:en_US-joe-medium"
    audio = decode_audio(note.ogg)
    # ~13-16 characters of English per second of natural speech.
    assert len(ENGLISH) / 20 < audio.duration_s < len(ENGLISH) / 8
    assert rms(audio.samples) > 0.03
    assert note.duration_s == round(note.seconds)


async def test_korean_offline_voice_is_the_espeak_floor(korean_voice: ChunkedSynthesizer) -> None:
    note = await korean_voice.synthesize(KOREAN, "ko")
    assert note.engine == "espeak-ng"
    audio = decode_audio(note.ogg)
    # Korean runs ~4-8 syllables per second.
    syllables = sum(1 for ch in KOREAN if "가" <= ch <= "힣")
    assert syllables / 10 < audio.duration_s < syllables / 2
    assert rms(audio.samples) > 0.03


async def test_synthesis_never_blocks_the_event_loop(english_voice: ChunkedSynthesizer) -> None:
    gaps: list[float] = []
    stop = asyncio.Event()

    async def heartbeat() -> None:
        last = time.perf_counter()
        while not stop.is_set():
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    beat = asyncio.create_task(heartbeat())
    started = time.perf_counter()
    await english_voice.synthesize("Tell me tomorrow how you slept, okay? Sleep well.", "en")
    took = time.perf_counter() - started
    stop.set()
    await beat
    # Relative to the synthesis itself, not to this machine's speed: a loop blocked by the
    # work (or by any one of its chunks) would show a gap of a good part of ``took``; a free one
    # keeps beating every 10 ms all through it.
    assert len(gaps) >= 5, (took, gaps)
    assert max(gaps) < took / 4, (took, max(gaps))
