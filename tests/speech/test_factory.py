"""Engines picked from SpeechConfig."""

from __future__ import annotations

import sys
import types
from importlib.machinery import ModuleSpec
from pathlib import Path

import pytest

from facelog.speech import (
    CachedSynthesizer,
    EngineUnavailable,
    SpeechConfig,
    build_synthesizer,
    build_transcriber,
)
from facelog.speech.factory import build_offline_synthesizer
from facelog.speech.offline_tts import EspeakEngine
from facelog.speech.tts import ChunkedSynthesizer, FallbackSynthesizer, RoutingSynthesizer
from facelog.speech.whisper_local import FasterWhisperTranscriber, OpenAIWhisperTranscriber


def test_default_config_is_offline_piper_for_english_and_no_korean_voice(
    tmp_path: Path,
) -> None:
    synth = build_synthesizer(SpeechConfig(data_dir=tmp_path))
    assert isinstance(synth, CachedSynthesizer)
    assert synth.cache.directory == tmp_path / "voice-cache"
    offline = synth.inner
    assert isinstance(offline, RoutingSynthesizer)
    english = offline.route("en-US")
    assert isinstance(english, ChunkedSynthesizer)
    assert english.engine.name == "piper:en_US-joe-medium"
    # espeak-ng's Korean is not intelligible: Korean is text only unless chosen.
    assert not synth.supports("ko") and not offline.supports("ko-KR")
    with pytest.raises(EngineUnavailable):
        offline.route("ko")
    assert offline.supports("ja")  # espeak speaks the rest, badly


def test_espeak_for_korean_when_configured() -> None:
    default = build_offline_synthesizer(SpeechConfig())
    chosen = build_offline_synthesizer(SpeechConfig(korean_offline_voice="espeak"))
    korean = chosen.route("ko")
    assert isinstance(korean, ChunkedSynthesizer)
    assert korean.engine.name == "espeak-ng"
    assert chosen.route("en") is not korean  # English keeps Piper
    # A note cached while Korean had a voice is never served once it has none.
    assert default.signature != chosen.signature and "ko=-" in default.signature


async def test_no_korean_voice_offline_is_no_korean_fallback_either(tmp_path: Path) -> None:
    """With ElevenLabs failing, a Korean comment gets no espeak-ng note in its place."""
    synth = build_synthesizer(
        SpeechConfig(
            data_dir=tmp_path,
            elevenlabs_api_key="k",
            elevenlabs_base_url="http://127.0.0.1:9",  # nothing listens: a service error
            tts_max_retries=0,
            retry_base_s=0.0,
            elevenlabs_timeout_s=2.0,
        ),
        cache=False,
    )
    assert isinstance(synth, FallbackSynthesizer)
    assert synth.supports("ko")  # ElevenLabs speaks Korean ...
    with pytest.raises(EngineUnavailable):  # ... and when it fails, nothing replaces it
        await synth.synthesize("오늘 가족이랑 바다에 갔어.", "ko")
    await synth.aclose()


def test_an_elevenlabs_key_selects_elevenlabs_with_the_offline_fallback() -> None:
    synth = build_synthesizer(SpeechConfig(elevenlabs_api_key="k"), cache=False)
    assert isinstance(synth, FallbackSynthesizer)
    assert synth.signature.startswith("elevenlabs:")
    plain = build_synthesizer(
        SpeechConfig(elevenlabs_api_key="k", fallback_offline=False), cache=False
    )
    assert isinstance(plain, ChunkedSynthesizer)
    forced_offline = build_synthesizer(
        SpeechConfig(elevenlabs_api_key="k", tts_engine="offline"), cache=False
    )
    assert isinstance(forced_offline, RoutingSynthesizer)


def test_no_espeak_binary_is_a_typed_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(EngineUnavailable):
        EspeakEngine(binary="/nonexistent/espeak-ng")
    monkeypatch.setattr("shutil.which", lambda name: None)
    # Piper alone still gives English; Korean has no voice then.
    offline = build_offline_synthesizer(SpeechConfig())
    assert offline.supports("en") and not offline.supports("ko")


def test_stt_defaults_to_faster_whisper_base(tmp_path: Path) -> None:
    transcriber = build_transcriber(SpeechConfig(data_dir=tmp_path))
    assert isinstance(transcriber, FasterWhisperTranscriber)
    assert transcriber.model_root == tmp_path / "models"
    assert transcriber.limits.max_seconds == 120


def test_openai_whisper_only_when_checkpoint_and_package_are_present(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkpoint = tmp_path / "base.pt"
    config = SpeechConfig(data_dir=tmp_path, openai_whisper_checkpoint=checkpoint)
    assert isinstance(build_transcriber(config), FasterWhisperTranscriber)  # no checkpoint
    checkpoint.write_bytes(b"weights")
    monkeypatch.delitem(sys.modules, "whisper", raising=False)
    if "whisper" not in sys.modules and __import__("importlib").util.find_spec("whisper") is None:
        assert isinstance(build_transcriber(config), FasterWhisperTranscriber)  # no package
    fake = types.ModuleType("whisper")
    fake.__spec__ = ModuleSpec("whisper", loader=None)
    monkeypatch.setitem(sys.modules, "whisper", fake)
    assert isinstance(build_transcriber(config), OpenAIWhisperTranscriber)


def test_config_validates_limits() -> None:
    with pytest.raises(ValueError):
        SpeechConfig(max_voice_seconds=0)
    with pytest.raises(ValueError):
        SpeechConfig(languages=())


async def test_warm_up_loads_the_local_voice_before_the_first_comment(tmp_path: Path) -> None:
    synth = build_synthesizer(SpeechConfig(data_dir=tmp_path, tts_cache_on_disk=False))
    offline = synth.inner
    assert isinstance(offline, RoutingSynthesizer)
    english = offline.route("en")
    assert isinstance(english, ChunkedSynthesizer)
    assert english.engine._voice is None  # type: ignore[attr-defined]
    await synth.warm_up()
    assert english.engine._voice is not None  # type: ignore[attr-defined]
    await synth.aclose()
