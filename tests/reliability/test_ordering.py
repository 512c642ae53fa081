"""Per-user order with concurrency across users: one person's messages are handled in the order
sent, while another person is answered during the first one's slow work (Whisper runs in an
executor, so the event loop stays free)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from facelog.voice import Voice
from fakebotapi.server import BotCall, FakeTelegram
from inference.pipeline import FacePipeline
from storage import Repository
from tests.bot.test_diary_flows import onboard

from .conftest import Bot, running_bot, wait_for

SPOKEN = "I went hiking with my sister and the view from the top was amazing."


@pytest.fixture
async def voice_bot(
    fake_telegram: FakeTelegram, repo: Repository, pipeline: FacePipeline, voice: Voice
) -> AsyncIterator[Bot]:
    async with running_bot(fake_telegram, repo, pipeline, voice=voice) as bot:
        yield bot


def sends_to(bot: Bot, chat_id: int) -> list[BotCall]:
    return [c for c in bot.fake.calls_to(chat_id) if c.method in ("sendMessage", "sendVoice")]


async def test_one_users_messages_keep_their_order_while_others_are_served(
    voice_bot: Bot, voice: Voice, face_photos: dict[str, bytes]
) -> None:
    bot = voice_bot
    slow, quick = bot.user(language_code="en", first_name="Mia"), bot.user(language_code="en")
    await onboard(slow, "Mia")
    await onboard(quick, "Jun")
    note = await voice.synthesizer.synthesize(SPOKEN, "en")

    # Mia: a selfie without words, then at once her voice note (the entry's words), then a text.
    await slow.send_photo(face_photos["astronaut"])
    await slow.send_voice(note.ogg, duration=note.duration_s)
    await slow.send_text("and thanks for listening")
    # Jun writes while Mia's note is still being transcribed.
    await bot.fake.wait_for_call(
        lambda c: c.chat_id == slow.chat_id and "How was your day" in (c.text or "")
    )
    await quick.send_command("/help")
    help_reply = await wait_for(quick, lambda c: "/calendar" in (c.text or ""))

    post = await wait_for(slow, lambda c: "Emotion of the day" in (c.text or ""), timeout=60)
    assert help_reply.seq < post.seq  # Jun did not wait for Mia's transcription
    await slow.wait_for_reply(lambda c: c.seq > post.seq and c.method == "sendMessage", timeout=30)

    texts = [c.text or "" for c in sends_to(bot, slow.chat_id)]
    greeting = next(i for i, t in enumerate(texts) if "How was your day" in t)
    entry_at = next(i for i, t in enumerate(texts) if "Emotion of the day" in t)
    assert greeting < entry_at < len(texts) - 1  # photo, then voice (the entry), then the text
    [entry] = await bot.repo.recent_entries(slow.id, 5)
    assert "hiking" in entry.text.lower()  # the voice note, not the later text, is the entry
    turns = [t.text for t in await bot.repo.chat_history(slow.id) if t.role == "user"]
    assert turns == ["and thanks for listening"]
