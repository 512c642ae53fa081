"""Speech services failing: the text answer always stands; a note that cannot be transcribed gets
a clear message. ElevenLabs and the Whisper API are local stubs (``tests/speech/stub.py``) that
answer 500, with no offline fallback configured, so the failure reaches the bot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest

from bot import callbacks
from facelog.speech import SpeechConfig, VoiceLimits, build_synthesizer, build_transcriber
from facelog.speech.ogg import encode_voice_note
from facelog.voice import Voice
from fakebotapi.driver import TelegramUser
from fakebotapi.server import BotCall, FakeTelegram
from inference.pipeline import FacePipeline
from storage import Repository
from tests.bot.test_diary_flows import onboard
from tests.speech.stub import Reply, Stub

from .conftest import Bot, running_bot, wait_for


@pytest.fixture
async def stub() -> AsyncIterator[Stub]:
    server = Stub()  # answers 500 unless a reply is queued
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def failing_voice_bot(
    stub: Stub,
    tmp_path: Path,
    fake_telegram: FakeTelegram,
    repo: Repository,
    pipeline: FacePipeline,
) -> AsyncIterator[Bot]:
    config = SpeechConfig(
        data_dir=tmp_path,
        tts_engine="elevenlabs",
        elevenlabs_api_key="el-test",
        elevenlabs_base_url=stub.url,
        fallback_offline=False,
        tts_max_retries=0,
        retry_base_s=0.0,
        tts_cache_on_disk=False,
        stt_engine="api",
        whisper_api_base_url=f"{stub.url}/v1",
        whisper_api_key="sk-test",
        stt_max_retries=0,
        fallback_local=False,
    )
    voice = Voice(build_synthesizer(config), build_transcriber(config), VoiceLimits())
    async with running_bot(fake_telegram, repo, pipeline, voice=voice) as bot:
        yield bot
    await voice.aclose()


def is_post(call: BotCall) -> bool:
    return "Emotion of the day" in (call.text or "")


def tone_note(seconds: float = 2.0) -> tuple[bytes, int]:
    t = np.arange(int(48_000 * seconds)) / 48_000
    note = encode_voice_note((0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 48_000)
    return note.ogg, note.duration_s


async def voice_on(user: TelegramUser) -> None:
    await user.send_command("/settings")
    [panel] = await user.wait_for_reply()
    await user.press(callbacks.setting("voice"), on=panel)
    await user.wait_for_reply()


async def test_tts_down_the_text_answers_stand_alone(
    failing_voice_bot: Bot, stub: Stub, face_photos: dict[str, bytes]
) -> None:
    bot = failing_voice_bot
    user = bot.user(language_code="en", first_name="Mia")
    await onboard(user, "Mia")
    await voice_on(user)
    await user.send_photo(face_photos["astronaut"], caption="voice is broken today")
    post = await wait_for(user, is_post)
    await user.wait_for_reply(settle=0.5)
    assert [c.method for c in user.replies() if c.method != "sendChatAction"] == ["sendMessage"]
    assert any("text-to-speech" in r.path for r in stub.requests)  # it was tried, and failed

    update = await user.press("🔊 Listen", on=post)
    await user.wait_for_answer(update)
    [sorry] = await user.wait_for_reply()
    assert "Voice isn't available" in sorry.text

    stub.queue(Reply.json_body({"text": "hello Anna", "language": "english", "duration": 2.0}))
    ogg, seconds = tone_note()
    await user.send_voice(ogg, duration=seconds)  # heard; the spoken answer fails, the text not
    answer = await wait_for(user, lambda c: c.method == "sendMessage")
    assert "Mia" in answer.text
    turns = await bot.repo.chat_history(user.id)
    assert [t.text for t in turns if t.role == "user"] == ["hello Anna"]


async def test_stt_down_a_voice_note_gets_a_clear_message(
    failing_voice_bot: Bot, face_photos: dict[str, bytes]
) -> None:
    bot = failing_voice_bot
    user = bot.user(language_code="ko")
    await onboard(user)
    ogg, seconds = tone_note()
    await user.send_voice(ogg, duration=seconds)
    [reply] = await user.wait_for_reply()
    assert "음성을 글로 바꾸지 못했어요" in reply.text
    await user.send_photo(face_photos["astronaut"])  # a draft waiting for its words ...
    await user.wait_for_reply()
    await user.send_voice(ogg, duration=seconds)  # ... that cannot be heard
    [reply] = await user.wait_for_reply()
    assert "글로 보내" in reply.text
    await user.send_text("그래서 글로 쓴다")  # typed instead: the draft becomes the entry
    await wait_for(user, lambda c: "오늘의 감정" in (c.text or ""))
    assert [e.text for e in await bot.repo.recent_entries(user.id, 5)] == ["그래서 글로 쓴다"]
