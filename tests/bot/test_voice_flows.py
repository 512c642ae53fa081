"""Anna speaks and listens through the bot: voice replies, 🔊, voice notes in."""

from __future__ import annotations

import io

import av
import numpy as np

from bot import callbacks
from facelog.speech import encode_voice_note
from facelog.speech.metrics import character_error_rate as cer
from fakebotapi.driver import TelegramUser

from .conftest import Rig
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
