"""The process stopped in the middle of a post, then started again on the same store.

The "crashed" bot uses its own repository connection whose cleanup steps are switched off,
stops at the chosen step, and has its update task cancelled there. The restarted bot is a new
Application on the same database, started the way ``facelog run`` starts (the orphan sweep, the
inbox replayed, then unfinished comments resumed). Afterwards: no orphan photo, no duplicate,
and the post confirmed once. Real ``kill -9`` of a bot process at each step is in
``test_inbox_kill.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import Any

import pytest
from gridfs import AsyncGridFSBucket

from facelog.voice import Voice
from fakebotapi.driver import TelegramUser
from fakebotapi.server import BotCall, FakeTelegram
from inference.pipeline import FacePipeline
from storage import Repository
from tests.bot.test_diary_flows import onboard
from tests.clock import current as current_clock
from tests.telegram.fixtures import wait_idle

from .conftest import running_bot, wait_for


class Crash:
    """A point in the code where the process "dies": the task stops there until killed."""

    def __init__(self) -> None:
        self.reached = asyncio.Event()
        self.task: asyncio.Task[Any] | None = None

    async def here(self) -> None:
        self.task = asyncio.current_task()
        self.reached.set()
        await asyncio.Event().wait()  # never set: only the kill ends this

    async def kill(self) -> None:
        await asyncio.wait_for(self.reached.wait(), 20)
        assert self.task is not None
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


class CrashBeforeEntryWrite:
    def __init__(self, real: Any, crash: Crash) -> None:
        self._real, self._crash = real, crash

    async def insert_one(self, *args: Any, **kwargs: Any) -> Any:
        await self._crash.here()
        return await self._real.insert_one(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


async def no_cleanup(*args: Any) -> None:
    """What a killed process does on its way out."""


def is_post(call: BotCall) -> bool:
    return "Emotion of the day" in (call.text or "")


async def photo_blobs(repo: Repository, user_id: int) -> int:
    found = AsyncGridFSBucket(repo.database, bucket_name="photos").find(
        {"metadata.user_id": user_id}
    )
    return len([b async for b in found])


async def restart(repo: Repository) -> None:
    """What ``open_storage`` does at start (the age guard set to zero: no waiting ten minutes)."""
    await asyncio.sleep(1.0)  # nx-27017 compares dates to the second: let "older than now" hold
    await repo.sweep_pending_blobs(timedelta(0))


async def test_killed_between_photo_upload_and_entry_write(
    mongo_uri: str,
    database_name: str,
    repo: Repository,
    fake_telegram: FakeTelegram,
    pipeline: FacePipeline,
    face_photos: dict[str, bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    crash = Crash()
    crashed = await Repository.connect(mongo_uri, database_name, clock=current_clock())
    try:
        async with running_bot(fake_telegram, crashed, pipeline) as bot:
            user = bot.user(language_code="en", first_name="Mia")
            await onboard(user, "Mia")
            monkeypatch.setattr(crashed, "_discard_blob", no_cleanup)
            monkeypatch.setattr(crashed, "_settle_blob", no_cleanup)
            monkeypatch.setattr(crashed, "_entries", CrashBeforeEntryWrite(crashed._entries, crash))
            update = await user.send_photo(face_photos["astronaut"], caption="killed mid-post")
            await crash.kill()
            assert await photo_blobs(repo, user.id) == 1  # the upload happened
    finally:
        await crashed.close()

    await restart(repo)
    async with running_bot(fake_telegram, repo, pipeline) as bot:
        # The update waited in the inbox: the restarted bot handles it again, start to end.
        post = await wait_for(user, is_post)
        assert "killed mid-post" in post.text
        fake_telegram.redeliver(update)  # Telegram may hand the update out again
        assert await fake_telegram.wait_delivered(update["update_id"])
        await bot.followups.drain(5)
        await wait_idle(bot.app, fake_telegram)
    assert [e.text for e in await repo.recent_entries(user.id, 5)] == ["killed mid-post"]
    assert len([c for c in user.replies(since=0) if is_post(c)]) == 1
    assert await photo_blobs(repo, user.id) == 1  # the orphan swept, the replay's photo kept
    assert await repo.database["pending_blobs"].count_documents({}) == 0


async def test_killed_after_the_entry_is_stored_before_the_answer(
    mongo_uri: str,
    database_name: str,
    repo: Repository,
    fake_telegram: FakeTelegram,
    pipeline: FacePipeline,
    face_photos: dict[str, bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    crash = Crash()
    crashed = await Repository.connect(mongo_uri, database_name, clock=current_clock())
    try:
        async with running_bot(fake_telegram, crashed, pipeline) as bot:
            user: TelegramUser = bot.user(language_code="en", first_name="Mia")
            await onboard(user, "Mia")

            async def dies(*args: Any, **kwargs: Any) -> str | None:
                await crash.here()
                return None

            monkeypatch.setattr(bot.followups, "first_comment", dies)
            update = await user.send_photo(face_photos["astronaut"], caption="stored, not told")
            await crash.kill()
            [entry] = await repo.recent_entries(user.id, 5)
            assert entry.anna_comment is None
    finally:
        await crashed.close()

    await restart(repo)
    async with running_bot(fake_telegram, repo, pipeline) as bot:
        # The restarted bot finishes the entry and confirms it: the whole post, Anna included.
        post = await wait_for(user, is_post)
        assert "stored, not told" in post.text and "💬 Anna" in post.text
        fake_telegram.redeliver(update)
        assert await fake_telegram.wait_delivered(update["update_id"])
        assert await bot.followups.drain(5)
        await wait_idle(bot.app, fake_telegram)  # a (wrong) second answer would be out by now
    [entry] = await repo.recent_entries(user.id, 5)
    assert entry.anna_comment and entry.anna_comment in post.text
    assert len([c for c in user.replies(since=0) if is_post(c)]) == 1
    assert await photo_blobs(repo, user.id) == 1
    assert await repo.database["pending_blobs"].count_documents({}) == 0


async def test_killed_while_a_voice_note_is_transcribed(
    mongo_uri: str,
    database_name: str,
    repo: Repository,
    fake_telegram: FakeTelegram,
    pipeline: FacePipeline,
    voice: Voice,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A voice note in flight is not lost either: after the restart it is heard and answered."""
    spoken = "I went hiking with my sister and the view from the top was amazing."
    note = await voice.synthesizer.synthesize(spoken, "en")
    crash = Crash()
    crashed = await Repository.connect(mongo_uri, database_name, clock=current_clock())
    try:
        async with running_bot(fake_telegram, crashed, pipeline, voice=voice) as bot:
            user: TelegramUser = bot.user(language_code="en", first_name="Mia")
            await onboard(user, "Mia")
            real_hear = voice.hear

            async def dies(*args: Any, **kwargs: Any) -> Any:
                await crash.here()
                return await real_hear(*args, **kwargs)

            monkeypatch.setattr(voice, "hear", dies)
            before = user.mark()
            await user.send_voice(note.ogg, duration=note.duration_s)
            await crash.kill()
            monkeypatch.undo()
            assert user.replies(since=before) == []  # died before answering
    finally:
        await crashed.close()

    async with running_bot(fake_telegram, repo, pipeline, voice=voice) as bot:
        await wait_for(user, lambda c: c.method == "sendMessage", timeout=60)
        await user.wait_for_reply(lambda c: c.method == "sendVoice", timeout=60)
        await wait_idle(bot.app, fake_telegram)
    turns = await repo.chat_history(user.id)
    assert [t.role for t in turns] == ["user", "anna"]
    assert "hiking" in turns[0].text.lower()
    assert len([c for c in user.replies(since=0) if c.method == "sendVoice"]) == 1
