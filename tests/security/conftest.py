"""Fixtures for the security tests: repositories with chosen keys on one throw-away database,
and the real bot (through the fake Telegram server) on an encrypted store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import bson
import pytest
from cryptography.fernet import Fernet
from gridfs import AsyncGridFSBucket
from telegram.ext import Application

from bot.guard import Guard, Limits
from facelog.voice import Voice
from fakebotapi.server import FakeTelegram
from inference.pipeline import FacePipeline
from storage import Cipher, Repository
from tests.bot.conftest import Rig, serve_bot, voice
from tests.clock import current as current_clock
from tests.telegram.fixtures import fake_telegram, wait_idle

__all__ = ["fake_telegram", "voice"]


@dataclass
class AppRig(Rig):
    """The bot's rig, with its Application (to wait until an update is fully handled)."""

    app: Application | None = None  # type: ignore[type-arg]

    async def idle(self) -> None:
        """Every update sent so far has been handled and every Bot API call has returned."""
        assert self.app is not None
        await wait_idle(self.app, self.fake)


async def run_bot(
    fake: FakeTelegram,
    repo: Repository,
    pipeline: FacePipeline,
    *,
    voice: Voice | None = None,
    limits: Limits | None = None,
    clock: Callable[[], Any] | None = None,
) -> AsyncIterator[AppRig]:
    """The real Application (offline Anna) on ``repo``, with the guard configured as given."""
    guard = Guard(repo, limits, clock=clock or current_clock())
    async with serve_bot(fake, repo, pipeline, voice=voice, guard=guard) as served:
        yield AppRig(fake, served.diary, repo, voice, served.app)


OpenRepo = Callable[..., Awaitable[Repository]]


@pytest.fixture
def keys() -> list[bytes]:
    """Three fresh Fernet keys: ``keys[0]`` is "the" key, the others rotate or are wrong."""
    return [Fernet.generate_key() for _ in range(3)]


@pytest.fixture
async def open_repo(mongo_uri: str, database_name: str) -> AsyncIterator[OpenRepo]:
    """``await open_repo(key, ...)``: a repository on the test's database with those keys (newest
    first; none = plain), as a restarted Facelog with another configuration would open it."""
    opened: list[Repository] = []

    async def factory(*keys: bytes, migrate: bool = True) -> Repository:
        repo = await Repository.connect(
            mongo_uri, database_name, cipher=Cipher(keys), clock=current_clock()
        )
        opened.append(repo)
        if migrate:
            await repo.migrate()
        return repo

    yield factory
    if opened:
        await opened[0].database.client.drop_database(database_name)
    for repo in opened:
        await repo.close()


@pytest.fixture
async def sealed_repo(open_repo: OpenRepo, keys: list[bytes]) -> Repository:
    repo = await open_repo(keys[0])
    await repo.check_keys()
    return repo


@pytest.fixture
async def sealed_rig(
    fake_telegram: FakeTelegram, sealed_repo: Repository, pipeline: FacePipeline
) -> AsyncIterator[AppRig]:
    """The real bot, offline Anna, on a store encrypted with ``keys[0]``; rate limits off (the
    tests that use it send many updates quickly on purpose)."""
    no_limits = Limits(posts_per_hour=0, messages_per_minute=0)
    async for running in run_bot(fake_telegram, sealed_repo, pipeline, limits=no_limits):
        yield running


@pytest.fixture
async def sealed_voice_rig(
    fake_telegram: FakeTelegram, sealed_repo: Repository, pipeline: FacePipeline, voice: Voice
) -> AsyncIterator[AppRig]:
    """As ``sealed_rig``, with Anna's offline voice and Whisper's ears."""
    no_limits = Limits(posts_per_hour=0, messages_per_minute=0)
    async for running in run_bot(
        fake_telegram, sealed_repo, pipeline, voice=voice, limits=no_limits
    ):
        yield running


# -- reading the database the way an attacker with a copy of it would ---------------------------

GRIDFS = ("photos", "voice")


async def raw_documents(repo: Repository) -> list[dict[str, Any]]:
    """Every document of every ordinary collection, as stored (no decryption)."""
    db = repo.database
    docs: list[dict[str, Any]] = []
    for name in await db.list_collection_names():
        if any(name.startswith(f"{bucket}.") or name.startswith(f"{bucket}_") for bucket in GRIDFS):
            continue
        docs += await db[name].find({}).to_list()
    return docs


async def raw_blobs(repo: Repository) -> dict[str, list[bytes]]:
    """Every GridFS file's stored bytes, by bucket, read chunk by chunk (no decryption).

    Chunks are found by ``files_id``: nx-27017 returns GridFS chunks only when filtered so.
    """
    found: dict[str, list[bytes]] = {}
    for bucket in GRIDFS:
        files = AsyncGridFSBucket(repo.database, bucket_name=bucket).find({})
        found[bucket] = []
        async for grid_out in files:
            chunks = (
                await repo.database[f"{bucket}.chunks"]
                .find({"files_id": grid_out._id})
                .sort("n", 1)
                .to_list()
            )
            found[bucket].append(b"".join(bytes(c["data"]) for c in chunks))
    return found


async def raw_dump(repo: Repository) -> bytes:
    """The whole database as one byte string: BSON of every document, then every blob."""
    parts = [bson.encode(doc) for doc in await raw_documents(repo)]
    for blobs in (await raw_blobs(repo)).values():
        parts += blobs
    return b"\n".join(parts)


def needles(texts: Sequence[str], blobs: Sequence[bytes] = ()) -> list[bytes]:
    """What must not appear in a dump: each text in UTF-8, and distinctive slices of each blob
    (a blob stored plain contains its own middle; 64 bytes cannot collide by chance)."""
    found = [text.encode("utf-8") for text in texts]
    for blob in blobs:
        middle = len(blob) // 2
        found += [blob[middle : middle + 64], blob[:64]]
    return found
