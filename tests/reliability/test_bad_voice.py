"""Voice notes that are not speech, lie about their length, or are not audio at all: each gets a
clear answer from the real bot with the offline Whisper (silence and a declared overlong note are
covered in tests/bot/test_voice_flows.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import numpy as np
import pytest

from facelog.speech.ogg import encode_voice_note
from facelog.voice import Voice
from fakebotapi.server import FakeTelegram
from inference.pipeline import FacePipeline
from storage import Repository
from tests.bot.test_diary_flows import onboard

from .conftest import Bot, running_bot

UNHEARD = "I couldn't hear anything"
TOO_LONG = "That voice message is too long"
FAILED = "I couldn't turn that voice message into text"


@pytest.fixture
async def voice_bot(
    fake_telegram: FakeTelegram, repo: Repository, pipeline: FacePipeline, voice: Voice
) -> AsyncIterator[Bot]:
    async with running_bot(fake_telegram, repo, pipeline, voice=voice) as bot:
        yield bot


async def test_noise_a_lying_duration_and_non_audio_get_clear_answers(voice_bot: Bot) -> None:
    user = voice_bot.user(language_code="en", first_name="Mia")
    await onboard(user, "Mia")
    rng = np.random.default_rng(3)
    hiss = encode_voice_note((0.05 * rng.standard_normal(48_000 * 3)).astype(np.float32), 48_000)
    long_tone = encode_voice_note(
        (0.2 * np.sin(np.arange(48_000 * 130) / 48_000 * 2 * np.pi * 180)).astype(np.float32),
        48_000,
    )
    cases = [
        (hiss.ogg, 3, UNHEARD),  # noise only: nothing to transcribe
        (long_tone.ogg, 3, TOO_LONG),  # says 3 s, lasts 130 s: measured, refused
        (b"OggS\x00\x02" + bytes(range(256)) * 20, 2, FAILED),  # not audio at all
        (b"", 1, FAILED),
    ]
    for data, declared, expected in cases:
        await user.send_voice(data, duration=declared)
        [reply] = await user.wait_for_reply(timeout=60)
        assert expected in reply.text, (declared, reply.text)
    assert await voice_bot.repo.chat_history(user.id) == []  # nothing was taken as words
