"""Telegram voice notes: PCM → OGG/Opus (mono, 48 kHz) and any audio → 16 kHz mono PCM.

Everything goes through PyAV, whose wheels bundle FFmpeg with libopus, so no system ffmpeg is
needed. Telegram's ``sendVoice`` wants an OGG file with a single Opus stream and the duration in
whole seconds; Opus itself always runs at 48 kHz, so input at any rate is resampled first.

Decoding is bounded: the byte size is checked before anything is parsed, the duration the
container declares is checked before any frame is decoded, and decoding stops as soon as the
decoded audio passes the limit (a file can lie about its length, and a small compressed file can
expand to hours of PCM).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import av
import av.error
import numpy as np
from numpy.typing import NDArray

from .errors import AudioDecodeError, AudioTooLarge, AudioTooLong

#: Opus' only native rate and what Telegram's own voice notes use.
OPUS_RATE = 48_000
#: What Whisper (every implementation) expects.
WHISPER_RATE = 16_000
#: Telegram reports durations in whole seconds, so a note of the limit plus rounding must pass.
LIMIT_SLACK_S = 0.5

FloatAudio = NDArray[np.float32]


@dataclass(frozen=True)
class VoiceNote:
    """An OGG/Opus voice note ready for ``sendVoice``.

    ``duration_s`` is the whole-second value ``sendVoice`` takes (rounded, at least 1);
    ``seconds`` the exact length. ``engine`` names what spoke it; ``degraded`` is True when a
    fallback engine spoke instead of the configured one (such notes are not cached).
    """

    ogg: bytes
    duration_s: int
    seconds: float
    engine: str = ""
    degraded: bool = False


@dataclass(frozen=True)
class DecodedAudio:
    """Mono float32 samples in [-1, 1] at ``sample_rate``."""

    samples: FloatAudio
    sample_rate: int

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate


def as_float32(pcm: NDArray[np.generic]) -> FloatAudio:
    """Mono PCM as float32 in [-1, 1]: int16 is scaled, floats are clipped, other types refused."""
    if pcm.ndim != 1:
        raise ValueError(f"expected mono PCM as a 1-D array, got shape {pcm.shape}")
    if pcm.dtype == np.int16:
        return (pcm.astype(np.float32) / 32768.0).astype(np.float32)
    if np.issubdtype(pcm.dtype, np.floating):
        return np.clip(pcm.astype(np.float32, copy=False), -1.0, 1.0)
    raise ValueError(f"PCM must be int16 or float, got {pcm.dtype}")


def whole_seconds(seconds: float) -> int:
    """Telegram's ``duration``: rounded half up, and at least 1 for any non-empty note."""
    return max(1, math.floor(seconds + 0.5))


def encode_voice_note(
    pcm: NDArray[np.generic], sample_rate: int, *, bitrate: int = 32_000
) -> VoiceNote:
    """Encode mono PCM (float32 or int16, any rate) as an OGG/Opus voice note at 48 kHz.

    CPU-bound (about 10 ms per second of audio): call it from an executor in async code.
    """
    samples = as_float32(pcm)
    if samples.size == 0:
        raise ValueError("cannot encode an empty voice note")
    if sample_rate <= 0:
        raise ValueError(f"sample rate must be positive, got {sample_rate}")
    frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="flt", layout="mono")
    frame.sample_rate = sample_rate
    frame.pts = None
    resampler = av.AudioResampler(format="flt", layout="mono", rate=OPUS_RATE)
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="ogg") as container:
        stream = container.add_stream("libopus", rate=OPUS_RATE)
        stream.layout = "mono"
        stream.format = "flt"
        stream.bit_rate = bitrate
        for resampled in [*resampler.resample(frame), *resampler.resample(None)]:
            resampled.pts = None
            container.mux(stream.encode(resampled))
        container.mux(stream.encode(None))
    seconds = samples.size / sample_rate
    return VoiceNote(ogg=buffer.getvalue(), duration_s=whole_seconds(seconds), seconds=seconds)


#: No speech codec goes below this; a header implying less describes a stream written before its
#: length was known (espeak-ng's WAV on stdout declares 0x7FFFFFFF bytes) and is ignored.
MIN_PLAUSIBLE_BITRATE = 500


def declared_duration(container: av.container.InputContainer, size_bytes: int) -> float | None:
    """The duration the container header declares, in seconds, if it declares a plausible one."""
    seconds: float | None = None
    stream = container.streams.audio[0]
    if container.duration is not None and container.duration > 0:
        seconds = float(container.duration) / 1_000_000
    elif stream.duration is not None and stream.time_base is not None and stream.duration > 0:
        seconds = float(stream.duration * stream.time_base)
    if seconds is None or size_bytes * 8 / seconds < MIN_PLAUSIBLE_BITRATE:
        return None
    return seconds


def check_size(size_bytes: int, max_bytes: int | None) -> None:
    """Refuse audio over ``max_bytes`` before anything is parsed."""
    if max_bytes is not None and size_bytes > max_bytes:
        raise AudioTooLarge(size_bytes, max_bytes)


def decode_audio(
    data: bytes,
    *,
    sample_rate: int = WHISPER_RATE,
    max_bytes: int | None = None,
    max_seconds: float | None = None,
) -> DecodedAudio:
    """Decode any audio FFmpeg reads (OGG/Opus, MP3, WAV, …) to mono float32 at ``sample_rate``.

    Raises ``AudioTooLarge`` before parsing, ``AudioTooLong`` as soon as the declared or decoded
    duration passes ``max_seconds`` (plus half a second of rounding slack), ``AudioDecodeError``
    for bytes that are not audio. CPU-bound: call it from an executor in async code.
    """
    check_size(len(data), max_bytes)
    if not data:
        raise AudioDecodeError("empty audio")
    limit_samples = (
        None if max_seconds is None else math.ceil((max_seconds + LIMIT_SLACK_S) * sample_rate)
    )
    resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
    chunks: list[FloatAudio] = []
    count = 0
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.audio:
                raise AudioDecodeError("no audio stream")
            declared = declared_duration(container, len(data))
            if (
                max_seconds is not None
                and declared is not None
                and declared > max_seconds + LIMIT_SLACK_S
            ):
                raise AudioTooLong(declared, max_seconds)
            for frame in container.decode(container.streams.audio[0]):
                for out in resampler.resample(frame):
                    chunk = out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
                    chunks.append(chunk)
                    count += chunk.size
                if limit_samples is not None and count > limit_samples:
                    assert max_seconds is not None
                    raise AudioTooLong(count / sample_rate, max_seconds)
            for out in resampler.resample(None):
                chunk = out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
                chunks.append(chunk)
    except av.error.FFmpegError as error:
        raise AudioDecodeError(f"cannot decode audio: {type(error).__name__}") from error
    samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
    if samples.size == 0:
        raise AudioDecodeError("no audio samples")
    return DecodedAudio(samples=np.clip(samples, -1.0, 1.0), sample_rate=sample_rate)


def pcm16_from_bytes(data: bytes) -> FloatAudio:
    """Raw little-endian signed 16-bit mono PCM (ElevenLabs' ``pcm_*`` formats) as float32."""
    if len(data) % 2:
        data = data[:-1]
    return as_float32(np.frombuffer(data, dtype="<i2").astype(np.int16))
