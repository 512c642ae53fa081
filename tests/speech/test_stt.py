"""Local Whisper (faster-whisper + Whisper base from the wheels) on synthesised speech,
silence and noise, within the limits."""

from __future__ import annotations

import json
import sys
import types
from importlib.machinery import ModuleSpec
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from facelog.speech.errors import AudioTooLarge, AudioTooLong
from facelog.speech.metrics import character_error_rate
from facelog.speech.offline_tts import PiperEngine
from facelog.speech.ogg import VoiceNote, encode_voice_note
from facelog.speech.stt import NothingHeard, Transcript, VoiceLimits
from facelog.speech.tts import ChunkedSynthesizer
from facelog.speech.whisper_local import (
    WHISPER_BASE_DIR,
    FasterWhisperTranscriber,
    OpenAIWhisperTranscriber,
    WhisperOptions,
    assemble_whisper_base,
)

from .conftest import ENGLISH, KOREAN, encode_with_pyav

#: Measured 0.025 (Whisper base, greedy, on Piper's en_US-joe-medium through OGG/Opus).
ENGLISH_CER_BOUND = 0.08


@pytest.fixture(scope="module")
def english_note(piper_engine: PiperEngine) -> VoiceNote:
    pcm = piper_engine.render_sync(ENGLISH)
    return encode_voice_note(pcm.samples, pcm.sample_rate)


async def test_english_speech_is_transcribed(
    whisper: FasterWhisperTranscriber, english_note: VoiceNote
) -> None:
    result = await whisper.transcribe(english_note.ogg)
    assert isinstance(result, Transcript)
    cer = character_error_rate(ENGLISH, result.text)
    print(f"\nEnglish (Piper → OGG/Opus → Whisper base) CER = {cer:.3f}")
    assert cer <= ENGLISH_CER_BOUND
    assert result.language == "en"
    assert result.duration_s == pytest.approx(english_note.seconds, abs=0.1)
    assert result.engine == "faster-whisper:base"


async def test_an_opus_note_from_another_encoder_is_transcribed(
    whisper: FasterWhisperTranscriber, piper_engine: PiperEngine
) -> None:
    # Stereo, VOIP mode, 16 kbps: the way Telegram's apps record, not facelog's encoder.
    text = "Tell me tomorrow how you slept, okay?"
    pcm = piper_engine.render_sync(text)
    data = encode_with_pyav(
        pcm.samples,
        pcm.sample_rate,
        container="ogg",
        codec="libopus",
        out_rate=48_000,
        layout="stereo",
        bit_rate=16_000,
        options={"application": "voip"},
    )
    result = await whisper.transcribe(data, language="en")
    assert isinstance(result, Transcript)
    assert character_error_rate(text, result.text) <= 0.15


async def test_korean_plumbing_with_espeak(
    whisper: FasterWhisperTranscriber, korean_voice: ChunkedSynthesizer
) -> None:
    # espeak-ng's Korean is not intelligible even to Whisper (measured CER 1.0), so this only
    # checks that a Korean note goes all the way through: no text quality is asserted.
    note = await korean_voice.synthesize(KOREAN, "ko")
    result = await whisper.transcribe(note.ogg, language="ko")
    assert isinstance(result, Transcript | NothingHeard)
    assert result.duration_s == pytest.approx(note.seconds, abs=0.1)
    if isinstance(result, Transcript):
        assert result.language == "ko"


async def test_silence_is_nothing_heard(whisper: FasterWhisperTranscriber) -> None:
    quiet = np.random.default_rng(1).normal(0, 10**-4, 16_000 * 4).astype(np.float32)
    for pcm in (np.zeros(16_000 * 3, dtype=np.float32), quiet):
        result = await whisper.transcribe(encode_voice_note(pcm, 16_000).ogg)
        assert isinstance(result, NothingHeard)
        assert result.reason == "silence"


async def test_white_noise_is_nothing_heard(whisper: FasterWhisperTranscriber) -> None:
    for level in (0.05, 0.3):
        noise = np.random.default_rng(2).normal(0, level, 16_000 * 5).astype(np.float32)
        result = await whisper.transcribe(encode_voice_note(noise, 16_000).ogg)
        assert isinstance(result, NothingHeard)
        assert result.reason == "no-speech"
        assert result.duration_s == pytest.approx(5.0, abs=0.1)


async def test_limits_are_checked_before_the_model_runs(
    whisper: FasterWhisperTranscriber, english_note: VoiceNote
) -> None:
    strict = FasterWhisperTranscriber(
        model_root=Path("/nonexistent"),  # never loaded: the limits refuse first
        limits=VoiceLimits(max_seconds=5, max_bytes=len(english_note.ogg) + 10),
    )
    with pytest.raises(AudioTooLong) as too_long:
        await strict.transcribe(english_note.ogg)
    assert too_long.value.limit_s == 5
    small = FasterWhisperTranscriber(
        model_root=Path("/nonexistent"), limits=VoiceLimits(max_bytes=1_000)
    )
    with pytest.raises(AudioTooLarge):
        await small.transcribe(english_note.ogg)
    await strict.aclose()
    await small.aclose()


def test_the_model_is_assembled_once(whisper: FasterWhisperTranscriber) -> None:
    assert whisper.model_root is not None
    target = whisper.model_root / WHISPER_BASE_DIR
    stamp = json.loads((target / "ASSEMBLED.json").read_text())
    assert (target / "model.bin").stat().st_size == stamp["size"]
    before = (target / "model.bin").stat().st_mtime_ns
    assert assemble_whisper_base(whisper.model_root) == target
    assert (target / "model.bin").stat().st_mtime_ns == before


def test_a_broken_assembly_is_redone(tmp_path: Path) -> None:
    target = assemble_whisper_base(tmp_path)
    with (target / "model.bin").open("r+b") as handle:
        handle.truncate(1000)
    assert assemble_whisper_base(tmp_path) == target
    stamp = json.loads((target / "ASSEMBLED.json").read_text())
    assert (target / "model.bin").stat().st_size == stamp["size"]


class _FakeWhisperModel:
    """What ``whisper.load_model`` returns, as far as facelog uses it."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def transcribe(self, samples: np.ndarray, **options: Any) -> dict[str, Any]:
        self.calls.append(options)
        return {
            "language": options["language"],
            "segments": [
                {"text": " Hello there.", "no_speech_prob": 0.01, "avg_logprob": -0.2},
                {"text": " Thanks for", "no_speech_prob": 0.9, "avg_logprob": -1.5},
            ],
        }


async def test_openai_whisper_is_used_lazily_when_present(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, english_note: VoiceNote
) -> None:
    checkpoint = tmp_path / "base.pt"
    checkpoint.write_bytes(b"checkpoint")
    model = _FakeWhisperModel()
    fake = types.ModuleType("whisper")
    fake.__spec__ = ModuleSpec("whisper", loader=None)
    fake.load_model = lambda path, device: model  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "whisper", fake)
    transcriber = OpenAIWhisperTranscriber(checkpoint, options=WhisperOptions())
    result = await transcriber.transcribe(english_note.ogg, language="en-US")
    assert result == Transcript(
        "Hello there.", "en", pytest.approx(english_note.seconds, abs=0.1), "openai-whisper:base"
    )
    assert model.calls[0]["language"] == "en"
    assert model.calls[0]["fp16"] is False
    await transcriber.aclose()
