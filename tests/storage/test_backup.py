"""Backups (storage/backup.py): round trips, damage, refusals, posts during a dump, kill -9.

Everything runs on the real server under test (the embedded nx-27017, or ``MONGODB_URI``): a
backup of one test database is restored into another and compared collection by collection and
byte by byte.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from bson import ObjectId
from cryptography.fernet import Fernet
from gridfs import AsyncGridFSBucket
from pymongo import AsyncMongoClient

from storage import MIGRATIONS, Cipher, Repository
from storage import backup as backup_module
from storage.backup import (
    ArchiveDamaged,
    ArchiveKeyError,
    ArchiveTooNew,
    BotRunning,
    RestoreRefused,
    classify,
    list_backups,
    prune,
    restore,
    verify,
    write_backup,
)

LATEST = MIGRATIONS[-1][0]
PHOTO = b"\xff\xd8\xff\xe0" + os.urandom(300_000)  # bigger than one GridFS chunk


async def fill(repo: Repository, users: int = 3, entries: int = 4) -> None:
    """A diary with something in every collection the bot writes, plus one nobody knows yet."""
    from facelog.domain import User

    now = datetime(2024, 6, 2, 12, 0, tzinfo=UTC)
    for user_id in range(1, users + 1):
        await repo.save_user(User(id=user_id, name=f"user {user_id}", created_at=now))
        for n in range(entries):
            entry = await repo.create_entry(
                user_id,
                day=date(2024, 6, 1 + n),
                emotion="happy",
                probabilities={"happy": 0.75, "anger": 0.25},
                faces=1,
                text=f"day {n} of {user_id}",
                photo=PHOTO + bytes([user_id, n]),
                anna_comment="a comment",
                idempotency_key=f"k{user_id}-{n}",
            )
            if n == 0:
                await repo.set_entry_voice(user_id, entry.id, b"OggS" + os.urandom(5000))
        await repo.append_chat(user_id, "user", "hello", at=now)
        await repo.claim_job(user_id, "reminder", "2024-06-01")
    await repo.inbox_receive(7, 1, {"update_id": 7}, owner="gone", lease=timedelta(seconds=-1))
    db = repo.database
    # A collection this code has never heard of (a later issue's), with awkward types.
    await db["calibration"].insert_one(
        {
            "_id": 1,
            "when": now,
            "oid": ObjectId(),
            "bin": b"\x00\x01",
            "f": 0.5,
            "b": True,
            "nested": {"list": [1, "two", {"three": 3.0}]},
            "none": None,
            "big": 2**40,
        }
    )


async def snapshot(db: Any) -> dict[str, Any]:
    """Every document of every collection, and every GridFS file with its bytes."""
    plain, buckets = classify(await db.list_collection_names())
    out: dict[str, Any] = {}
    for name in plain:
        out[name] = sorted([d async for d in db[name].find({})], key=lambda d: str(d["_id"]))
    for bucket in buckets:
        files = []
        async for grid_out in AsyncGridFSBucket(db, bucket_name=bucket).find({}):
            files.append(
                (str(grid_out._id), grid_out.filename, grid_out.metadata, await grid_out.read())
            )
        out[f"gridfs:{bucket}"] = sorted(files, key=lambda f: f[0])
    return out


@pytest.fixture
async def other_db(mongo_uri: str) -> AsyncIterator[tuple[AsyncMongoClient[Any], str]]:
    """An empty database on the same server to restore into."""
    name = f"facelog_test_{uuid.uuid4().hex[:12]}"
    client: AsyncMongoClient[Any] = AsyncMongoClient(mongo_uri, tz_aware=True, tzinfo=UTC)
    try:
        yield client, name
    finally:
        await client.drop_database(name)
        await client.close()


async def do_restore(
    client: AsyncMongoClient[Any], name: str, path: Path, tmp_path: Path, **options: Any
) -> Any:
    options.setdefault("cipher", None)
    options.setdefault("force", False)
    return await restore(
        client,
        name,
        path,
        latest_schema=LATEST,
        aside_dir=tmp_path / "aside",
        app_version="test",
        source="test",
        **options,
    )


@pytest.mark.parametrize("sealed", [False, True], ids=["plain", "sealed"])
async def test_round_trip_equals_every_collection_and_every_gridfs_byte(
    repo: Repository, other_db: tuple[AsyncMongoClient[Any], str], tmp_path: Path, sealed: bool
) -> None:
    await fill(repo)
    cipher = Cipher([Fernet.generate_key()]) if sealed else None
    out = tmp_path / "backups" / "one.tar"
    result = await write_backup(
        repo.database, out, cipher=cipher, app_version="test", source="test", latest_schema=LATEST
    )
    assert result.path == out and out.exists()
    assert result.manifest.collections["entries"] == 12
    assert result.manifest.collections["calibration"] == 1
    assert result.manifest.gridfs["photos"]["files"] == 12
    assert result.manifest.gridfs["voice"]["files"] == 3
    assert result.manifest.sealed is sealed
    if sealed:  # not a readable tar: nothing of the diary shows in the file
        assert b"day 0 of 1" not in out.read_bytes() and b"calibration" not in out.read_bytes()
    client, name = other_db
    _, aside = await do_restore(client, name, out, tmp_path, cipher=cipher)
    assert aside is None
    before, after = await snapshot(repo.database), await snapshot(client[name])
    assert before.keys() == after.keys()
    for key in before:
        assert after[key] == before[key], key
    # Indexes come back: the unique idempotency key still refuses a duplicate.
    restored = Repository(client, name)
    entry = await restored.create_entry(
        1,
        day=date(2024, 6, 1),
        emotion="happy",
        probabilities={"happy": 1.0},
        faces=1,
        text="again",
        photo=PHOTO,
        idempotency_key="k1-0",
    )
    assert entry.text == "day 0 of 1"
    assert await restored.get_photo(1, entry.id) == PHOTO + bytes([1, 0])


async def test_damaged_archives_are_refused_before_anything_is_written(
    repo: Repository, other_db: tuple[AsyncMongoClient[Any], str], tmp_path: Path
) -> None:
    await fill(repo, users=1, entries=2)
    out = tmp_path / "b.tar"
    await write_backup(
        repo.database, out, cipher=None, app_version="t", source="t", latest_schema=LATEST
    )
    data = out.read_bytes()
    client, name = other_db
    flipped = tmp_path / "flipped.tar"
    middle = data.index(PHOTO[100:140])  # inside a photo: only the checksum can tell
    flipped.write_bytes(data[:middle] + bytes([data[middle] ^ 1]) + data[middle + 1 :])
    cut = tmp_path / "cut.tar"
    cut.write_bytes(data[: len(data) // 2])
    garbage = tmp_path / "garbage.tar"
    garbage.write_bytes(b"not a backup at all" * 100)
    for bad in (flipped, cut, garbage):
        with pytest.raises(ArchiveDamaged):
            await do_restore(client, name, bad, tmp_path)
        assert await client[name].list_collection_names() == []


async def test_sealed_archive_needs_its_key(
    repo: Repository, other_db: tuple[AsyncMongoClient[Any], str], tmp_path: Path
) -> None:
    await fill(repo, users=1, entries=1)
    key, other = Fernet.generate_key(), Fernet.generate_key()
    out = tmp_path / "b.sealed"
    await write_backup(
        repo.database,
        out,
        cipher=Cipher([key]),
        app_version="t",
        source="t",
        latest_schema=LATEST,
    )
    client, name = other_db
    for cipher in (None, Cipher([other])):
        with pytest.raises(ArchiveKeyError):
            await do_restore(client, name, out, tmp_path, cipher=cipher)
    assert await client[name].list_collection_names() == []
    # A rotated setting (new key first, the old one still listed) opens it.
    await do_restore(client, name, out, tmp_path, cipher=Cipher([other, key]))
    assert await client[name]["entries"].count_documents({}) == 1
    # A cut sealed archive is damaged, not a key problem.
    cut = tmp_path / "cut.sealed"
    cut.write_bytes(out.read_bytes()[:-10])
    with pytest.raises(ArchiveDamaged):
        verify(cut, Cipher([key]), latest_schema=LATEST)


async def test_an_archive_from_a_newer_schema_is_refused(repo: Repository, tmp_path: Path) -> None:
    await repo.database["meta"].update_one({"_id": "schema"}, {"$set": {"version": LATEST + 1}})
    out = tmp_path / "b.tar"
    await write_backup(
        repo.database, out, cipher=None, app_version="t", source="t", latest_schema=LATEST + 1
    )
    with pytest.raises(ArchiveTooNew, match="newer"):
        verify(out, None, latest_schema=LATEST)


async def test_restore_refuses_data_unless_forced_and_keeps_the_old_data_aside(
    repo: Repository, other_db: tuple[AsyncMongoClient[Any], str], tmp_path: Path
) -> None:
    await fill(repo, users=1, entries=2)
    out = tmp_path / "b.tar"
    await write_backup(
        repo.database, out, cipher=None, app_version="t", source="t", latest_schema=LATEST
    )
    client, name = other_db
    await client[name]["users"].insert_one({"_id": 99, "name": "someone else"})
    with pytest.raises(RestoreRefused, match="--force"):
        await do_restore(client, name, out, tmp_path)
    assert await client[name]["users"].count_documents({}) == 1
    _, aside = await do_restore(client, name, out, tmp_path, force=True)
    assert await client[name]["users"].find_one({"_id": 99}) is None
    assert await client[name]["entries"].count_documents({}) == 2
    assert aside is not None and aside.exists()
    assert verify(aside, None, latest_schema=LATEST).collections["users"] == 1


async def test_restore_refuses_while_a_bot_holds_a_lease(repo: Repository, tmp_path: Path) -> None:
    await fill(repo, users=1, entries=1)
    out = tmp_path / "b.tar"
    await write_backup(
        repo.database, out, cipher=None, app_version="t", source="t", latest_schema=LATEST
    )
    await repo.acquire_lease("scheduler", "a-bot", timedelta(minutes=3))
    with pytest.raises(BotRunning, match="lease"):
        await do_restore(repo.database.client, repo.database.name, out, tmp_path, force=True)
    assert await repo.database["entries"].count_documents({}) == 1


async def test_every_entry_confirmed_before_the_backup_is_in_it_with_20_people_posting(
    repo: Repository, other_db: tuple[AsyncMongoClient[Any], str], tmp_path: Path
) -> None:
    await fill(repo, users=2, entries=2)
    confirmed: list[tuple[float, int, str]] = []
    stop = asyncio.Event()

    async def person(user_id: int) -> None:
        n = 0
        while not stop.is_set():
            entry = await repo.create_entry(
                user_id,
                day=date(2024, 7, 1 + n % 28),
                emotion="anger",
                probabilities={"anger": 1.0},
                faces=1,
                text=f"post {n}",
                photo=PHOTO[:50_000] + bytes([n % 256]),
            )
            confirmed.append((time.monotonic(), user_id, entry.id))
            n += 1

    posters = [asyncio.create_task(person(100 + i)) for i in range(20)]
    deadline = time.monotonic() + 60
    while len(confirmed) < 20:  # the posting is under way before the backup starts
        failed = [task for task in posters if task.done()]
        if failed or time.monotonic() > deadline:
            stop.set()
            await asyncio.gather(*posters)
            pytest.fail("the posters did not get going")
        await asyncio.sleep(0.01)
    started = time.monotonic()
    out = tmp_path / "b.tar"
    await write_backup(
        repo.database, out, cipher=None, app_version="t", source="t", latest_schema=LATEST
    )
    during = sum(1 for at, _, _ in confirmed if at > started)
    stop.set()
    await asyncio.gather(*posters)
    assert during > 0  # people did post while the backup ran
    client, name = other_db
    await do_restore(client, name, out, tmp_path)
    restored = Repository(client, name)
    ids = {str(d["_id"]) async for d in client[name]["entries"].find({}, {"_id": 1})}
    before = [(user_id, entry_id) for at, user_id, entry_id in confirmed if at < started]
    assert before and all(entry_id in ids for _, entry_id in before)
    # Whatever made it in is whole: every restored entry has its photo.
    async for doc in client[name]["entries"].find({}, {"user_id": 1}):
        assert await restored.get_photo(doc["user_id"], str(doc["_id"])) is not None


_SLOW_BACKUP = """
import asyncio, sys
from pathlib import Path
from pymongo import AsyncMongoClient
from storage.backup import write_backup

async def main() -> None:
    client = AsyncMongoClient(sys.argv[1], tz_aware=True)
    async def pause() -> None:
        await asyncio.sleep(0.2)
    await write_backup(client[sys.argv[2]], Path(sys.argv[3]), cipher=None, app_version="t",
                       source="t", latest_schema=99, pause=pause)

asyncio.run(main())
"""


async def test_kill_9_during_a_backup_leaves_earlier_backups_and_no_final_file(
    repo: Repository, mongo_uri: str, tmp_path: Path
) -> None:
    await fill(repo, users=2, entries=5)
    folder = tmp_path / "backups"
    earlier = folder / "facelog-backup-20240601T000000000Z.tar"
    await write_backup(
        repo.database, earlier, cipher=None, app_version="t", source="t", latest_schema=LATEST
    )
    earlier_bytes = earlier.read_bytes()
    final = folder / "facelog-backup-20240602T000000000Z.tar"
    partial = folder / f".{final.name}.partial"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen(
        [sys.executable, "-c", _SLOW_BACKUP, mongo_uri, repo.database.name, str(final)], env=env
    )
    try:
        deadline = time.monotonic() + 60
        while not (partial.exists() and partial.stat().st_size > 400_000):
            assert proc.poll() is None, "the backup ended before it could be killed"
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert not final.exists()
    assert earlier.read_bytes() == earlier_bytes
    assert [info.path for info in list_backups(folder)] == [earlier]
    assert verify(earlier, None, latest_schema=LATEST).collections["entries"] == 10
    with pytest.raises(ArchiveDamaged):  # the leftover is recognisably incomplete
        verify(partial, None, latest_schema=LATEST)


def test_prune_keeps_the_newest(tmp_path: Path) -> None:
    for day in range(1, 6):
        (tmp_path / f"facelog-backup-202406{day:02d}T000000000Z.tar").write_bytes(b"x")
        (tmp_path / f"facelog-backup-202406{day:02d}T000000000Z.tar.json").write_bytes(b"{}")
    (tmp_path / ".facelog-backup-20240607T000000000Z.tar.partial").write_bytes(b"x")
    prune(tmp_path, 2)
    assert [i.path.name[15:23] for i in list_backups(tmp_path)] == ["20240604", "20240605"]
    assert len(list(tmp_path.glob("*.json"))) == 2


async def test_a_forced_restore_that_fails_puts_the_old_data_back(
    repo: Repository,
    other_db: tuple[AsyncMongoClient[Any], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await fill(repo, users=1, entries=2)
    out = tmp_path / "b.tar"
    await write_backup(
        repo.database, out, cipher=None, app_version="t", source="t", latest_schema=LATEST
    )
    client, name = other_db
    await client[name]["users"].insert_one({"_id": 99, "name": "the data before"})

    async def broken(*args: Any) -> None:
        raise OSError("the disk filled up half-way")

    monkeypatch.setattr(backup_module, "check_loaded", broken)
    with pytest.raises(OSError, match="half-way"):
        await do_restore(client, name, out, tmp_path, force=True)
    assert [d async for d in client[name]["users"].find({})] == [
        {"_id": 99, "name": "the data before"}
    ]
    assert await client[name]["entries"].count_documents({}) == 0
