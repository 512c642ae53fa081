"""Speech to text: the ``Transcriber`` interface and the checks every engine shares.

Before any model runs, a voice note is bounded and screened the same way for every engine:
``AudioTooLarge`` before parsing, ``AudioTooLong`` from the declared or decoded duration, then a
cheap energy check (near-digital silence) and Silero VAD (the ONNX model that ships inside
faster-whisper) for notes with sound but no speech (wind, traffic, white noise). Those return a
typed ``NothingHeard``, so the bot can answer "I couldn't hear anything" without paying a model
run or an API call. Engines then drop segments Whisper itself marks as non-speech and the
phrases Whisper is known to hallucinate on near-silence.

Transcripts are never logged: only engine names, durations, languages and timings.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

import numpy as np

from .errors import AudioTooLarge, AudioTooLong, EngineUnavailable, TranscriptionError
from .metrics import normalize_for_cer
from .ogg import LIMIT_SLACK_S, WHISPER_RATE, DecodedAudio, FloatAudio, decode_audio

log = logging.getLogger(__name__)

NothingHeardReason = Literal["silence", "no-speech"]

#: Less speech than this (after VAD) is not worth transcribing: a click, a breath.
MIN_SPEECH_S = 0.3
#: Whisper's own rule for a non-speech segment (as in openai-whisper and faster-whisper).
NO_SPEECH_PROB = 0.6
LOW_LOGPROB = -1.0

#: What Whisper writes for silence or noise it was trained on (YouTube outros and captions).
#: Only whole-note matches count, and short phrases a user might really say ("thank you") are
#: not listed.
_HALLUCINATIONS = {
    normalize_for_cer(phrase)
    for phrase in (
        "시청해주셔서 감사합니다",
        "시청해 주셔서 감사합니다",
        "구독과 좋아요 부탁드립니다",
        "MBC 뉴스 이덕영입니다",
        "thank you for watching",
        "thanks for watching",
        "subtitles by the amara.org community",
    )
}


@dataclass(frozen=True)
class Transcript:
    """What was said, the language it was said in (ISO 639-1) and the note's length."""

    text: str
    language: str
    duration_s: float
    engine: str = ""


@dataclass(frozen=True)
class NothingHeard:
    """The note had no speech: ``silence`` (no sound at all) or ``no-speech`` (noise only)."""

    reason: NothingHeardReason
    duration_s: float
    engine: str = ""


TranscriptionResult = Transcript | NothingHeard


@runtime_checkable
class Transcriber(Protocol):
    """Turns a voice note (OGG/Opus from Telegram, or any audio FFmpeg reads) into text."""

    @property
    def name(self) -> str: ...

    async def transcribe(self, audio: bytes, *, language: str | None = None) -> TranscriptionResult:
        """``language`` is a hint (the user's language); None lets the engine detect it among
        the configured languages. Raises ``AudioTooLarge``, ``AudioTooLong``,
        ``AudioDecodeError``, ``TranscriptionError`` or ``EngineUnavailable``."""
        ...

    async def warm_up(self) -> None:
        """Load a local model now, so the first voice note does not pay for it."""
        ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class VoiceLimits:
    """The limits on a voice note, also checkable before downloading it."""

    max_seconds: float = 120.0
    max_bytes: int = 20 * 1024 * 1024

    def check_declared(
        self, *, duration_s: float | None = None, size_bytes: int | None = None
    ) -> None:
        """Refuse a note from what Telegram says about it (``Voice.duration``,
        ``Voice.file_size``), before downloading it."""
        if size_bytes is not None and size_bytes > self.max_bytes:
            raise AudioTooLarge(size_bytes, self.max_bytes)
        if duration_s is not None and duration_s > self.max_seconds + LIMIT_SLACK_S:
            raise AudioTooLong(duration_s, self.max_seconds)


def loudest_dbfs(samples: FloatAudio, sample_rate: int = WHISPER_RATE) -> float:
    """Level of the loudest 30 ms frame in dBFS (-inf for digital silence)."""
    frame = max(1, round(0.03 * sample_rate))
    usable = len(samples) // frame * frame
    if usable == 0:
        rms = float(np.sqrt(np.mean(np.square(samples)))) if len(samples) else 0.0
    else:
        frames = samples[:usable].reshape(-1, frame).astype(np.float64)
        rms = float(np.sqrt(np.mean(np.square(frames), axis=1)).max())
    return 20 * math.log10(rms) if rms > 0 else -math.inf


def speech_seconds(samples: FloatAudio) -> float | None:
    """Seconds of speech Silero VAD finds in 16 kHz audio; None when faster-whisper is absent."""
    try:
        from faster_whisper.vad import VadOptions, get_speech_timestamps
    except ImportError:
        return None
    options = VadOptions(min_speech_duration_ms=250, speech_pad_ms=0)
    spans = get_speech_timestamps(samples, vad_options=options, sampling_rate=WHISPER_RATE)
    return float(sum(span["end"] - span["start"] for span in spans)) / WHISPER_RATE


def screen(audio: DecodedAudio, *, silence_dbfs: float, engine: str = "") -> NothingHeard | None:
    """``NothingHeard`` for silence or speechless noise, None when there may be speech."""
    if loudest_dbfs(audio.samples, audio.sample_rate) < silence_dbfs:
        return NothingHeard("silence", audio.duration_s, engine)
    speech = speech_seconds(audio.samples)
    if speech is not None and speech < MIN_SPEECH_S:
        return NothingHeard("no-speech", audio.duration_s, engine)
    return None


def prepare_voice(
    data: bytes, limits: VoiceLimits, *, silence_dbfs: float, engine: str = ""
) -> DecodedAudio | NothingHeard:
    """Decode within limits to 16 kHz mono and screen out silence and noise (CPU-bound)."""
    audio = decode_audio(
        data, sample_rate=WHISPER_RATE, max_bytes=limits.max_bytes, max_seconds=limits.max_seconds
    )
    heard = screen(audio, silence_dbfs=silence_dbfs, engine=engine)
    return heard if heard is not None else audio


def is_hallucination(text: str) -> bool:
    """Whether the whole transcript is a phrase Whisper produces for non-speech."""
    return normalize_for_cer(text) in _HALLUCINATIONS


def finish(text: str, language: str, duration_s: float, engine: str) -> TranscriptionResult:
    """A ``Transcript``, or ``NothingHeard`` when nothing (or only a hallucination) was said."""
    text = " ".join(text.split())
    if not normalize_for_cer(text) or is_hallucination(text):
        return NothingHeard("no-speech", duration_s, engine)
    return Transcript(text=text, language=language, duration_s=duration_s, engine=engine)


def guess_language(text: str, allowed: tuple[str, ...]) -> str:
    """Korean if the text has Hangul, else English if allowed, else the first allowed."""
    if any("\uac00" <= ch <= "\ud7a3" or "\u1100" <= ch <= "\u11ff" for ch in text):
        return "ko"
    return "en" if "en" in allowed else allowed[0]


class FallbackTranscriber:
    """The primary transcriber, or the fallback (local Whisper) when the primary's service fails.

    Only service failures degrade; limits and undecodable audio are the note's fault and are
    raised as they are.
    """

    def __init__(self, primary: Transcriber, fallback: Transcriber) -> None:
        self.primary = primary
        self.fallback = fallback

    @property
    def name(self) -> str:
        return f"{self.primary.name}|fallback:{self.fallback.name}"

    async def transcribe(self, audio: bytes, *, language: str | None = None) -> TranscriptionResult:
        try:
            return await self.primary.transcribe(audio, language=language)
        except (TranscriptionError, EngineUnavailable) as error:
            log.warning(
                "stt primary=%s failed reason=%s; falling back to %s",
                self.primary.name,
                error.reason,
                self.fallback.name,
            )
            return await self.fallback.transcribe(audio, language=language)

    async def warm_up(self) -> None:
        # The fallback loads only if the primary ever fails: its memory is not paid up front.
        await self.primary.warm_up()

    async def aclose(self) -> None:
        await self.primary.aclose()
        await self.fallback.aclose()
