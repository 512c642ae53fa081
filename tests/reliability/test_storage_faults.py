"""The database going away: a clear "try again", nothing half-written, and recovery without a
restart once it is back. Each test runs its own embedded nx-27017 server, which it stops."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from gridfs import AsyncGridFSBucket

from fakebotapi.server import BotCall, FakeTelegram
from inference.pipeline import FacePipeline
from storage import EmbeddedMongo, Repository
from tests.bot.test_diary_flows import onboard
from tests.clock import current as current_clock
from tests.telegram.fixtures import wait_idle

from .conftest import running_bot, wait_for

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("MONGODB_URI")), reason="stops its own embedded server"
)

TRY_AGAIN = "I couldn't save that just now"
WAITING = "I can't reach my diary storage right now"


def is_post(call: BotCall) -> bool:
    return "Emotion of the day" in (call.text or "")


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[EmbeddedMongo]:
    async with EmbeddedMongo(tmp_path, restart_delay_s=0.1) as embedded:
        yield embedded


@pytest.fixture
async def own_repo(server: EmbeddedMongo) -> AsyncIterator[Repository]:
    # One-second server selection: "try again" comes within seconds, not after pymongo's 30.
    repo = await Repository.connect(server.uri, "facelog", timeout_s=1.0, clock=current_clock())
    await repo.migrate()
    yield repo
    await repo.close()


async def stored_state(repo: Repository, user_id: int) -> tuple[list[str], int, int, int]:
    """(entry texts, photo blobs, pending blob records, emotion count total) for one user."""
    entries = [e.text for e in await repo.recent_entries(user_id, 50)]
    blobs = AsyncGridFSBucket(repo.database, bucket_name="photos").find(
        {"metadata.user_id": user_id}
    )
    photos = len([b async for b in blobs])
    pending = await repo.database["pending_blobs"].count_documents({})
    counts = await repo.emotion_counts(user_id)
    return sorted(entries), photos, pending, counts.total


async def test_database_down_means_the_post_waits_and_is_handled_once_it_is_back(
    server: EmbeddedMongo,
    own_repo: Repository,
    fake_telegram: FakeTelegram,
    pipeline: FacePipeline,
    face_photos: dict[str, bytes],
) -> None:
    async with running_bot(fake_telegram, own_repo, pipeline, raise_errors=False) as bot:
        user = bot.user(language_code="en", first_name="Mia")
        await onboard(user, "Mia")
        await user.send_photo(face_photos["astronaut"], caption="before the outage")
        await wait_for(user, is_post)

        await server.stop()
        during = await user.send_photo(face_photos["grace_hopper"], caption="during the outage")
        # The update cannot be stored, so it stays with Telegram; the person hears why, once.
        notice = await wait_for(user, lambda c: WAITING in (c.text or ""))
        assert "isn't lost" in notice.text
        assert during["update_id"] in [u["update_id"] for u in fake_telegram.pending_updates]

        await server.start()  # same address: the bot's client reconnects on its own
        post = await wait_for(user, is_post, timeout=30)  # delivered again, now handled
        assert "during the outage" in post.text
        await user.send_photo(face_photos["grace_hopper"], caption="after the outage")
        await wait_for(user, lambda c: is_post(c) and "after the outage" in c.text, timeout=20)
        await wait_idle(bot.app, fake_telegram)

    texts, photos, pending, total = await stored_state(own_repo, user.id)
    assert texts == ["after the outage", "before the outage", "during the outage"]
    assert (photos, pending, total) == (3, 0, 3)
    assert len([c for c in user.replies(since=0) if WAITING in (c.text or "")]) == 1
    assert not any(TRY_AGAIN in (c.text or "") for c in user.replies(since=0))


class DiesOnEntryWrite:
    """The entries collection, except that the server is stopped just before the entry
    document is written: the photo blob is already in GridFS."""

    def __init__(self, real: Any, server: EmbeddedMongo) -> None:
        self._real, self._server = real, server

    async def insert_one(self, *args: Any, **kwargs: Any) -> Any:
        await self._server.stop()
        return await self._real.insert_one(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


async def test_database_dying_mid_post_leaves_nothing_half_written(
    server: EmbeddedMongo,
    own_repo: Repository,
    fake_telegram: FakeTelegram,
    pipeline: FacePipeline,
    face_photos: dict[str, bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with running_bot(fake_telegram, own_repo, pipeline, raise_errors=False) as bot:
        user = bot.user(language_code="en", first_name="Mia")
        await onboard(user, "Mia")
        monkeypatch.setattr(own_repo, "_entries", DiesOnEntryWrite(own_repo._entries, server))
        await user.send_photo(face_photos["astronaut"], caption="half a post")
        await wait_for(user, lambda c: TRY_AGAIN in (c.text or ""))
        monkeypatch.undo()

        await server.start()
        # The blob could not be removed while the server was down; its pending record says so,
        # and the sweep (at start, and every ten minutes) removes it.
        _, photos, pending, _ = await stored_state(own_repo, user.id)
        assert (photos, pending) == (1, 1)
        assert await own_repo.sweep_pending_blobs(timedelta(0)) == 1

        await user.send_photo(face_photos["astronaut"], caption="whole post")
        await wait_for(user, is_post, timeout=20)
    assert await stored_state(own_repo, user.id) == (["whole post"], 1, 0, 1)
