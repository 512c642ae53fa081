"""The Whisper API through the real openai SDK against a local stub."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from facelog.speech.config import SpeechConfig
from facelog.speech.errors import AudioTooLong, TranscriptionError
from facelog.speech.factory import build_transcriber
from facelog.speech.offline_tts import PiperEngine
from facelog.speech.ogg import VoiceNote, encode_voice_note
from facelog.speech.stt import FallbackTranscriber, NothingHeard, Transcript, VoiceLimits
from facelog.speech.whisper_api import WhisperApiTranscriber
from facelog.speech.whisper_local import FasterWhisperTranscriber

from .stub import Reply, Stub

SPOKEN = "Tell me tomorrow how you slept, okay?"


@pytest.fixture(scope="module")
def note(piper_engine: PiperEngine) -> VoiceNote:
    pcm = piper_engine.render_sync(SPOKEN)
    return encode_voice_note(pcm.samples, pcm.sample_rate)


def verbose(text: str, language: str = "english", duration: float = 2.5) -> Reply:
    return Reply.json_body(
        {"task": "transcribe", "language": language, "duration": duration, "text": text}
    )


def api(stub: Stub, **overrides: object) -> WhisperApiTranscriber:
    options: dict[str, object] = {
        "base_url": f"{stub.url}/v1",
        "api_key": "sk-test",
        "timeout_s": 2.0,
        "max_retries": 1,
        "retry_base_s": 0.0,
    }
    options.update(overrides)
    return WhisperApiTranscriber(**options)  # type: ignore[arg-type]


async def test_the_note_is_sent_as_telegram_ogg_with_model_and_hint(
    stub: Stub, note: VoiceNote
) -> None:
    stub.queue(verbose("오늘 정말 힘들었어.", language="korean"))
    transcriber = api(stub)
    result = await transcriber.transcribe(note.ogg, language="ko-KR")
    [request] = stub.requests
    assert request.path == "/v1/audio/transcriptions"
    assert request.headers["authorization"] == "Bearer sk-test"
    assert request.form["model"] == "whisper-1"
    assert request.form["language"] == "ko"
    assert request.form["response_format"] == "verbose_json"
    filename, data, content_type = request.form["file"]
    assert (filename, content_type) == ("voice.ogg", "audio/ogg")
    assert data == note.ogg  # sent as it came, not re-encoded
    assert result == Transcript(
        "오늘 정말 힘들었어.", "ko", pytest.approx(note.seconds, abs=0.1), "whisper-api:whisper-1"
    )
    await transcriber.aclose()


async def test_plain_json_models_get_the_language_from_the_text(
    stub: Stub, note: VoiceNote
) -> None:
    stub.queue(Reply.json_body({"text": "오늘 정말 힘들었어."}))
    transcriber = api(stub, model="gpt-4o-mini-transcribe")
    result = await transcriber.transcribe(note.ogg)
    assert stub.requests[0].form["response_format"] == "json"
    assert "language" not in stub.requests[0].form
    assert isinstance(result, Transcript)
    assert result.language == "ko"
    await transcriber.aclose()


async def test_silence_noise_and_limits_never_reach_the_api(stub: Stub, note: VoiceNote) -> None:
    transcriber = api(stub, limits=VoiceLimits(max_seconds=1))
    with pytest.raises(AudioTooLong):
        await transcriber.transcribe(note.ogg)
    transcriber = api(stub)
    silence = encode_voice_note(np.zeros(32_000, dtype=np.float32), 16_000)
    noise = encode_voice_note(
        np.random.default_rng(3).normal(0, 0.2, 48_000).astype(np.float32), 16_000
    )
    assert isinstance(await transcriber.transcribe(silence.ogg), NothingHeard)
    assert isinstance(await transcriber.transcribe(noise.ogg), NothingHeard)
    assert stub.requests == []
    await transcriber.aclose()


async def test_an_empty_or_hallucinated_answer_is_nothing_heard(
    stub: Stub, note: VoiceNote
) -> None:
    stub.queue(verbose(""), verbose("시청해주셔서 감사합니다."))
    transcriber = api(stub)
    for _ in range(2):
        result = await transcriber.transcribe(note.ogg)
        assert isinstance(result, NothingHeard)
        assert result.reason == "no-speech"
    await transcriber.aclose()


@pytest.mark.parametrize(
    ("status", "reason", "retryable", "attempts"),
    [
        (401, "unauthorized", False, 1),
        (429, "rate-limited", True, 2),
        (500, "server-error", True, 2),
        (400, "bad-request", False, 1),
    ],
)
async def test_http_errors_are_typed(
    stub: Stub, note: VoiceNote, status: int, reason: str, retryable: bool, attempts: int
) -> None:
    stub.default = Reply.json_body({"error": {"message": "nope"}}, status=status)
    transcriber = api(stub)
    with pytest.raises(TranscriptionError) as caught:
        await transcriber.transcribe(note.ogg)
    assert (caught.value.reason, caught.value.retryable, caught.value.status) == (
        reason,
        retryable,
        status,
    )
    assert len(stub.requests) == attempts
    await transcriber.aclose()


async def test_timeout_and_malformed_replies_are_typed(stub: Stub, note: VoiceNote) -> None:
    stub.default = replace(verbose("late"), delay_s=1.5)
    transcriber = api(stub, timeout_s=0.3, max_retries=0)
    with pytest.raises(TranscriptionError) as caught:
        await transcriber.transcribe(note.ogg)
    assert (caught.value.reason, caught.value.retryable) == ("timeout", True)
    await transcriber.aclose()

    stub.default = Reply(body=b"{not json", content_type="application/json")
    transcriber = api(stub, max_retries=0)
    with pytest.raises(TranscriptionError) as caught:
        await transcriber.transcribe(note.ogg)
    assert caught.value.reason == "bad-response"
    await transcriber.aclose()


async def test_falls_back_to_the_local_whisper(
    stub: Stub, note: VoiceNote, whisper: FasterWhisperTranscriber
) -> None:
    stub.default = Reply.json_body({"error": {"message": "down"}}, status=503)
    transcriber = FallbackTranscriber(api(stub), whisper)
    result = await transcriber.transcribe(note.ogg, language="en")
    assert isinstance(result, Transcript)
    assert result.engine == "faster-whisper:base"
    assert len(stub.requests) == 2
    await transcriber.primary.aclose()


def test_factory_picks_the_api_with_a_local_fallback(stub: Stub) -> None:
    config = SpeechConfig(whisper_api_base_url=f"{stub.url}/v1", whisper_api_key="sk")
    transcriber = build_transcriber(config)
    assert isinstance(transcriber, FallbackTranscriber)
    assert isinstance(transcriber.primary, WhisperApiTranscriber)
    assert isinstance(transcriber.fallback, FasterWhisperTranscriber)
    alone = build_transcriber(replace(config, fallback_local=False))
    assert isinstance(alone, WhisperApiTranscriber)
