"""ElevenLabs through its real SDK against a local stub: what is sent, and every failure
ending as a typed error the caller can degrade on."""

from __future__ import annotations

from dataclasses import replace

import pytest

from facelog.speech.config import SpeechConfig
from facelog.speech.elevenlabs_tts import ElevenLabsEngine
from facelog.speech.errors import SynthesisError
from facelog.speech.factory import build_synthesizer
from facelog.speech.ogg import decode_audio
from facelog.speech.tts import ChunkedSynthesizer, FallbackSynthesizer

from .conftest import KOREAN, encode_with_pyav, rms, tone
from .stub import Reply, Stub

VOICE = "voice-123"
MODEL = "eleven_multilingual_v2"


def mp3(seconds: float = 1.0) -> Reply:
    data = encode_with_pyav(tone(seconds, 44_100), 44_100, container="mp3", codec="libmp3lame")
    return Reply(body=data, content_type="audio/mpeg")


def engine(stub: Stub, **overrides: object) -> ElevenLabsEngine:
    options: dict[str, object] = {
        "voice_id": VOICE,
        "model_id": MODEL,
        "base_url": stub.url,
        "timeout_s": 2.0,
        "max_retries": 1,
        "retry_base_s": 0.0,
    }
    options.update(overrides)
    return ElevenLabsEngine("test-key", **options)  # type: ignore[arg-type]


async def test_request_names_voice_model_and_text_and_the_reply_becomes_opus(stub: Stub) -> None:
    stub.queue(mp3(1.5))
    synth = ChunkedSynthesizer(engine(stub))
    note = await synth.synthesize("민아야, 오늘 어땠어? 😊", "ko")
    [request] = stub.requests
    assert request.method == "POST"
    assert request.path == f"/v1/text-to-speech/{VOICE}"
    assert request.query["output_format"] == "mp3_44100_128"
    assert request.headers["xi-api-key"] == "test-key"
    assert request.json["text"] == "민아야, 오늘 어땠어?"  # emoji are not read aloud
    assert request.json["model_id"] == MODEL
    assert "language_code" not in request.json or request.json["language_code"] is None
    assert note.engine == f"elevenlabs:{VOICE}:{MODEL}"
    audio = decode_audio(note.ogg)
    assert audio.duration_s == pytest.approx(1.5, abs=0.1)
    assert rms(audio.samples) > 0.1
    await synth.aclose()


async def test_long_texts_are_split_with_context_and_sent_in_parallel(stub: Stub) -> None:
    stub.default = mp3(0.5)
    synth = ChunkedSynthesizer(engine(stub, max_chunk_chars=60, send_language_code=True))
    note = await synth.synthesize(KOREAN, "ko-KR")
    texts = [request.json["text"] for request in stub.requests]
    assert len(texts) == len(synth.chunks(KOREAN)) > 1
    assert sorted(texts) == sorted(synth.chunks(KOREAN))
    by_text = {request.json["text"]: request.json for request in stub.requests}
    chunks = synth.chunks(KOREAN)
    assert by_text[chunks[1]]["previous_text"] == chunks[0]
    assert by_text[chunks[0]]["next_text"] == chunks[1]
    assert all(request.json["language_code"] == "ko" for request in stub.requests)
    assert note.seconds == pytest.approx(0.5 * len(chunks) + 0.15 * (len(chunks) - 1), abs=0.2)
    await synth.aclose()


@pytest.mark.parametrize(
    ("status", "reason", "retryable", "attempts"),
    [
        (401, "unauthorized", False, 1),
        (429, "rate-limited", True, 2),
        (500, "server-error", True, 2),
        (422, "bad-request", False, 1),
    ],
)
async def test_http_errors_are_typed(
    stub: Stub, status: int, reason: str, retryable: bool, attempts: int
) -> None:
    stub.default = Reply.json_body({"detail": {"status": "error"}}, status=status)
    synth = ChunkedSynthesizer(engine(stub))
    with pytest.raises(SynthesisError) as caught:
        await synth.synthesize("Hello there.", "en")
    assert (caught.value.reason, caught.value.retryable) == (reason, retryable)
    assert caught.value.status == status
    assert caught.value.service == "elevenlabs"
    assert len(stub.requests) == attempts
    await synth.aclose()


async def test_a_transient_error_is_retried(stub: Stub) -> None:
    stub.queue(Reply.json_body({"detail": "busy"}, status=503), mp3(1.0))
    synth = ChunkedSynthesizer(engine(stub))
    note = await synth.synthesize("Hello there.", "en")
    assert len(stub.requests) == 2
    assert note.duration_s == 1
    await synth.aclose()


async def test_a_long_retry_after_is_not_waited_for(stub: Stub) -> None:
    stub.default = Reply.json_body(
        {"detail": "slow down"}, status=429, headers={"Retry-After": "60"}
    )
    synth = ChunkedSynthesizer(engine(stub))
    with pytest.raises(SynthesisError) as caught:
        await synth.synthesize("Hello there.", "en")
    assert caught.value.reason == "rate-limited"
    assert len(stub.requests) == 1
    await synth.aclose()


async def test_timeout_is_typed(stub: Stub) -> None:
    stub.default = replace(mp3(1.0), delay_s=1.5)
    synth = ChunkedSynthesizer(engine(stub, timeout_s=0.3, max_retries=0))
    with pytest.raises(SynthesisError) as caught:
        await synth.synthesize("Hello there.", "en")
    assert (caught.value.reason, caught.value.retryable) == ("timeout", True)
    await synth.aclose()


async def test_unreachable_service_is_a_connection_error() -> None:
    synth = ChunkedSynthesizer(
        ElevenLabsEngine(
            "k", voice_id=VOICE, model_id=MODEL, base_url="http://127.0.0.1:9", max_retries=0
        )
    )
    with pytest.raises(SynthesisError) as caught:
        await synth.synthesize("Hello there.", "en")
    assert caught.value.reason == "connection"
    await synth.aclose()


async def test_garbage_audio_is_a_bad_response(stub: Stub) -> None:
    stub.default = Reply(body=b"this is not mp3" * 20, content_type="audio/mpeg")
    synth = ChunkedSynthesizer(engine(stub))
    with pytest.raises(SynthesisError) as caught:
        await synth.synthesize("Hello there.", "en")
    assert caught.value.reason == "bad-response"
    await synth.aclose()


async def test_raw_pcm_output_format(stub: Stub) -> None:
    pcm = (tone(1.0, 16_000) * 32767).astype("<i2").tobytes()
    stub.queue(Reply(body=pcm, content_type="audio/pcm"))
    synth = ChunkedSynthesizer(engine(stub, output_format="pcm_16000"))
    note = await synth.synthesize("Hello there.", "en")
    assert stub.requests[0].query["output_format"] == "pcm_16000"
    assert note.seconds == pytest.approx(1.0, abs=0.01)
    await synth.aclose()


async def test_factory_degrades_to_the_offline_voice(stub: Stub, tmp_path: object) -> None:
    stub.default = Reply.json_body({"detail": "down"}, status=500)
    config = SpeechConfig(
        elevenlabs_api_key="test-key",
        elevenlabs_base_url=stub.url,
        elevenlabs_voice_id=VOICE,
        retry_base_s=0.0,
        tts_cache_on_disk=False,
    )
    synth = build_synthesizer(config, cache=False)
    assert isinstance(synth, FallbackSynthesizer)
    note = await synth.synthesize("Hello there.", "en")
    assert note.degraded
    assert note.engine == "piper:en_US-joe-medium"
    assert len(stub.requests) == 2  # tried, retried once, then degraded
    await synth.aclose()
