"""Anna speaks and listens through the bot: voice replies, 🔊, voice notes in."""

from __future__ import annotations

import io
from collections.abc import Iterator

import av
import numpy as np
import pytest

from bot import callbacks
from facelog.config import Settings
from facelog.speech import encode_voice_note
from facelog.speech.metrics import character_error_rate as cer
from facelog.voice import Voice
from fakebotapi.driver import TelegramUser
from fakebotapi.server import BotCall, FakeTelegram
from inference.pipeline import FacePipeline
from storage import Repository
from tests.telegram.fixtures import wait_idle

from .conftest import Rig, serve_bot
from .test_diary_flows import onboard

SPOKEN = "I went hiking with my sister and the view from the top was amazing."


def assert_voice_note(data: bytes, duration: int) -> None:
    """Telegram plays only OGG/Opus voice notes: check the container, codec and length."""
    with av.open(io.BytesIO(data)) as container:
        assert container.format.name == "ogg"
        [stream] = container.streams.audio
        assert stream.codec_context.name == "opus"
        assert stream.codec_context.channels == 1
        seconds = sum(frame.samples for frame in container.decode(stream)) / stream.rate
    assert duration == max(1, round(seconds))
    assert seconds > 1.0


async def spoken_note(rig: Rig, text: str) -> tuple[bytes, int]:
    voice = rig.voice
    assert voice is not None
    account_free = await voice.synthesizer.synthesize(text, "en")
    return account_free.ogg, account_free.duration_s


async def turn_voice_on(user: TelegramUser) -> None:
    await user.send_command("/settings")
    [panel] = await user.wait_for_reply()
    await user.press(callbacks.setting("voice"), on=panel)
    await user.wait_for_reply()


async def test_voice_replies_follow_the_post_as_an_ogg_opus_note(
    voice_rig: Rig, face_photos: dict[str, bytes]
) -> None:
    user = voice_rig.user(language_code="en", first_name="Mia")
    await onboard(user, "Mia")
    await turn_voice_on(user)
    await user.send_photo(face_photos["astronaut"], caption="Finally finished my thesis!")
    text, note = await user.wait_for_reply(count=2, timeout=60)
    assert "Emotion of the day" in text.text
    assert note.method == "sendVoice"
    assert_voice_note(user.downloaded(note), int(note.params["duration"]))
    [entry] = await voice_rig.repo.recent_entries(user.id, 5)
    assert await voice_rig.repo.get_voice(user.id, entry.id) == user.downloaded(note)


async def test_listen_button_speaks_the_comment_once(
    voice_rig: Rig, face_photos: dict[str, bytes]
) -> None:
    user = voice_rig.user(language_code="en", first_name="Mia")
    await onboard(user, "Mia")
    await user.send_photo(face_photos["astronaut"], caption="A good day")
    [post] = await user.wait_for_reply()
    await user.press("🔊 Listen", on=post)
    [first] = await user.wait_for_reply(lambda c: c.method == "sendVoice", timeout=60)
    await user.press("🔊 Listen", on=post)
    [second] = await user.wait_for_reply(lambda c: c.method == "sendVoice", timeout=60)
    assert user.downloaded(first) == user.downloaded(second)  # from the cache, not re-spoken


async def test_a_voice_note_is_heard_and_answered_in_text_and_voice(voice_rig: Rig) -> None:
    user = voice_rig.user(language_code="en", first_name="Mia")
    await onboard(user, "Mia")
    ogg, seconds = await spoken_note(voice_rig, SPOKEN)
    await user.send_voice(ogg, duration=seconds)
    text, note = await user.wait_for_reply(count=2, timeout=60)
    assert text.method == "sendMessage" and "Mia" in text.text
    assert note.method == "sendVoice"
    turns = await voice_rig.repo.chat_history(user.id)
    heard = next(t.text for t in turns if t.role == "user")
    assert cer(SPOKEN.lower(), heard.lower()) < 0.15


async def test_photo_then_voice_note_becomes_the_entry(
    voice_rig: Rig, face_photos: dict[str, bytes]
) -> None:
    user = voice_rig.user(language_code="en", first_name="Mia")
    await onboard(user, "Mia")
    await user.send_photo(face_photos["astronaut"])
    await user.wait_for_reply()
    ogg, seconds = await spoken_note(voice_rig, SPOKEN)
    await user.send_voice(ogg, duration=seconds)
    [reply] = await user.wait_for_reply(
        lambda c: "Emotion of the day" in (c.text or ""), timeout=60
    )
    [entry] = await voice_rig.repo.recent_entries(user.id, 5)
    assert cer(SPOKEN.lower(), entry.text.lower()) < 0.15
    assert entry.text in reply.text


async def test_silence_and_overlong_notes_get_a_clear_answer(voice_rig: Rig) -> None:
    user = voice_rig.user(language_code="ko")
    await onboard(user)
    silence = encode_voice_note(np.zeros(48000 * 3, dtype=np.float32), 48000)
    await user.send_voice(silence.ogg, duration=silence.duration_s)
    [reply] = await user.wait_for_reply(timeout=60)
    assert "아무 소리도 들리지 않았어요" in reply.text

    await user.send_voice(silence.ogg, duration=600)  # declared 10 minutes: refused unheard
    [reply] = await user.wait_for_reply()
    assert "120초" in reply.text
    assert await voice_rig.repo.chat_history(user.id) == []


# -- Korean without ElevenLabs ------------------------------------------------------------------

#: What Whisper heard espeak-ng say for this line: "Obu ga doki kantae…" (issue #18).
KOREAN_DAY = "오늘 가족이랑 바다에 갔는데 정말 좋았어"


@pytest.fixture(scope="session")
def espeak_voice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Voice]:
    """The offline voice with espeak-ng chosen for Korean (FACELOG_KOREAN_OFFLINE_VOICE)."""
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path_factory.mktemp("espeak-voice-data"),
        korean_offline_voice="espeak",
    )
    yield Voice.from_settings(settings)


def spoken(calls: list[BotCall]) -> list[BotCall]:
    """Voice notes sent, and "recording voice…" shown: both promise a note."""
    return [
        c
        for c in calls
        if c.method == "sendVoice"
        or (c.method == "sendChatAction" and c.params.get("action") == "record_voice")
    ]


async def test_korean_offline_answers_in_text_and_says_what_a_voice_needs(
    fake_telegram: FakeTelegram,
    repo: Repository,
    pipeline: FacePipeline,
    voice: Voice,
    face_photos: dict[str, bytes],
) -> None:
    assert not voice.speaks("ko") and voice.speaks("en")  # the default: FACELOG_KOREAN_... none
    async with serve_bot(fake_telegram, repo, pipeline, voice=voice) as served:
        user = TelegramUser(fake_telegram, language_code="ko", first_name="민지")
        await onboard(user, "민지")
        await user.send_command("/settings")
        [panel] = await user.wait_for_reply()
        assert "ELEVENLABS_API_KEY" in panel.text
        await user.press(callbacks.setting("voice"), on=panel)  # voice replies on
        [panel] = await user.wait_for_reply()
        assert "음성 답장: 켜짐" in panel.text and "ELEVENLABS_API_KEY" in panel.text

        start = user.mark()
        await user.send_photo(face_photos["astronaut"], caption=KOREAN_DAY)
        [post] = await user.wait_for_reply(lambda c: "오늘의 감정" in (c.text or ""))
        await user.send_text("고마워 Anna")
        await user.wait_for_reply(lambda c: c.method == "sendMessage")
        english = await voice.synthesizer.synthesize(SPOKEN, "en")
        await user.send_voice(english.ogg, duration=english.duration_s)  # answered in text only
        await user.wait_for_reply(lambda c: c.method == "sendMessage", timeout=60)
        await wait_idle(served.app, fake_telegram, timeout=60)
        assert spoken(user.calls(since=start)) == []

        update = await user.press("🔊 듣기", on=post)  # explains instead of sending noise
        answer = await user.wait_for_answer(update)
        assert answer.get("show_alert") and "ELEVENLABS_API_KEY" in answer.get("text", "")
        assert len(answer["text"]) <= 200  # Telegram's limit for an alert
        await wait_idle(served.app, fake_telegram)
        assert spoken(user.calls(since=start)) == []
        [entry] = await repo.recent_entries(user.id, 5)
        assert entry.voice_id is None

        # An English speaker on the same bot keeps Piper's voice, and no note about a key.
        mia = TelegramUser(fake_telegram, language_code="en", first_name="Mia")
        await onboard(mia, "Mia")
        await mia.send_command("/settings")
        [panel] = await mia.wait_for_reply()
        assert "ELEVENLABS_API_KEY" not in panel.text


async def test_espeak_configured_still_sends_a_korean_voice_note(
    fake_telegram: FakeTelegram,
    repo: Repository,
    pipeline: FacePipeline,
    espeak_voice: Voice,
    face_photos: dict[str, bytes],
) -> None:
    async with serve_bot(fake_telegram, repo, pipeline, voice=espeak_voice):
        user = TelegramUser(fake_telegram, language_code="ko", first_name="민지")
        await onboard(user, "민지")
        await user.send_command("/settings")
        [panel] = await user.wait_for_reply()
        assert "ELEVENLABS_API_KEY" not in panel.text
        await user.press(callbacks.setting("voice"), on=panel)
        await user.wait_for_reply()
        await user.send_photo(face_photos["astronaut"], caption=KOREAN_DAY)
        text, note = await user.wait_for_reply(count=2, timeout=60)
        assert "오늘의 감정" in text.text
        assert note.method == "sendVoice"
        assert_voice_note(user.downloaded(note), int(note.params["duration"]))
