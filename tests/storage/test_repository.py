"""Storage contract: what every deployment (embedded nx-27017 or MongoDB) must do.

Values are asserted against what was stored, not just that a query ran: nx-27017 can answer some
queries wrongly without an error (see storage/README.md).
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from bson import ObjectId
from gridfs import AsyncGridFSBucket
from gridfs.errors import NoFile
from pymongo.errors import OperationFailure

from facelog.domain import (
    EMOTIONS,
    AnnaSettings,
    Emotion,
    Entry,
    Month,
    ReminderSettings,
    User,
)
from storage import Repository, SchemaTooNew, StorageError, StorageUnavailable

from .conftest import FakeClock

NOW = datetime(2024, 6, 2, 12, 0, tzinfo=UTC)
PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40  # a JPEG-ish 10 KB blob


def make_user(user_id: int, **changes: Any) -> User:
    fields: dict[str, Any] = {"id": user_id, "name": f"user{user_id}", "created_at": NOW}
    return User(**{**fields, **changes})


async def add_entry(
    repo: Repository,
    user_id: int,
    day: date,
    emotion: Emotion | str = Emotion.HAPPY,
    *,
    text: str = "오늘은 좋은 날",
    photo: bytes = PHOTO,
    created_at: datetime | None = None,
    key: str | None = None,
) -> Entry:
    return await repo.create_entry(
        user_id,
        day=day,
        emotion=emotion,
        probabilities={str(Emotion(emotion)): 0.8, "other": 0.2},
        faces=1,
        text=text,
        photo=photo,
        created_at=created_at,
        idempotency_key=key,
    )


async def blob_ids(repo: Repository, bucket: str, user_id: int | None = None) -> list[ObjectId]:
    """Blob ids in a bucket (through the GridFS API: nx-27017 has no plain files collection)."""
    query = {} if user_id is None else {"metadata.user_id": user_id}
    found = AsyncGridFSBucket(repo.database, bucket_name=bucket).find(query)
    return [f._id async for f in found]


async def chunk_count(repo: Repository, bucket: str, blob_id: ObjectId) -> int:
    chunks = repo.database[f"{bucket}.chunks"].find({"files_id": blob_id}, {"data": 0})
    return len(await chunks.to_list())


# -- users and settings -------------------------------------------------------------------------


async def test_user_profile_and_settings_round_trip(repo: Repository) -> None:
    assert await repo.get_user(1) is None
    saved = await repo.save_user(make_user(1, intro="개발자", time_zone="Europe/Berlin"))
    assert saved == make_user(1, intro="개발자", time_zone="Europe/Berlin")
    account = await repo.get_account(1)
    assert account is not None
    assert account.anna == AnnaSettings()
    assert account.reminder == ReminderSettings(time_zone="Europe/Berlin")

    anna = AnnaSettings(
        attitude="polite",
        composition=frozenset({"advice", "empathy"}),
        intensity=0.5,
        length=450,
        voice_replies=True,
    )
    reminder = ReminderSettings(enabled=True, hour=8, minute=30, time_zone="Asia/Seoul")
    assert await repo.set_anna_settings(1, anna)
    assert await repo.set_reminder_settings(1, reminder)
    assert not await repo.set_anna_settings(2, anna)  # unknown user: nothing created

    # A profile change keeps created_at and the settings.
    later = make_user(1, name="새 이름", created_at=NOW + timedelta(days=3), language="en")
    renamed = await repo.save_user(later)
    assert renamed.name == "새 이름"
    assert renamed.language == "en"
    assert renamed.created_at == NOW
    account = await repo.get_account(1)
    assert account is not None
    assert (account.anna, account.reminder) == (anna, reminder)
    assert isinstance(account.anna.voice_replies, bool)
    assert isinstance(account.reminder.enabled, bool)
    assert account.user.created_at.tzinfo is not None

    assert await repo.set_user_active(1, False)
    user = await repo.get_user(1)
    assert user is not None
    assert user.active is False
    assert await repo.set_user_active(1, True)
    user = await repo.get_user(1)
    assert user is not None
    assert user.active is True


async def test_iter_accounts_walks_in_batches(repo: Repository) -> None:
    for user_id in range(1, 8):
        await repo.save_user(make_user(user_id))
    await repo.set_user_active(3, False)
    for user_id in (2, 3, 5):
        await repo.set_reminder_settings(user_id, ReminderSettings(enabled=True))
    active = [a.user.id async for a in repo.iter_accounts(batch_size=2)]
    assert active == [1, 2, 4, 5, 6, 7]
    every = [a.user.id async for a in repo.iter_accounts(active_only=False, batch_size=3)]
    assert every == list(range(1, 8))
    reminded = [a.user.id async for a in repo.iter_accounts(reminders_only=True, batch_size=1)]
    assert reminded == [2, 5]


# -- entries ------------------------------------------------------------------------------------


async def test_entry_round_trip(repo: Repository) -> None:
    created = await repo.create_entry(
        7,
        day=date(2024, 6, 1),
        emotion="sadness",
        probabilities={"anger": 0.1, "happy": 0.05, "panic": 0.05, "sadness": 0.8},
        faces=2,
        text='비가 왔다 "quoted" {json} \\ 🌧️\n둘째 줄',
        photo=PHOTO,
        anna_comment=None,
        created_at=datetime(2024, 6, 2, 0, 30, 15, 123456, tzinfo=UTC),
    )
    assert created.created_at == datetime(2024, 6, 2, 0, 30, 15, 123000, tzinfo=UTC)
    fetched = await repo.get_entry(7, created.id)
    assert fetched == created
    assert fetched.emotion is Emotion.SADNESS
    assert fetched.confidence == pytest.approx(0.8)
    assert fetched.day == date(2024, 6, 1)
    assert await repo.get_photo(7, created.id) == PHOTO
    assert await repo.get_voice(7, created.id) is None


async def test_invalid_entry_writes_nothing(repo: Repository) -> None:
    with pytest.raises(ValueError):
        await add_entry(repo, 1, date(2024, 6, 1), "bored")
    with pytest.raises(ValueError):
        await repo.create_entry(
            1,
            day=date(2024, 6, 1),
            emotion="happy",
            probabilities={"a.b": 0.5},
            faces=1,
            text="",
            photo=PHOTO,
        )
    assert await blob_ids(repo, "photos") == []
    assert await repo.database["entries"].count_documents({}) == 0
    assert await repo.database["pending_blobs"].count_documents({}) == 0


class FailingInserts:
    """Stands in for the entries collection when the server rejects the write."""

    def __init__(self, real: Any) -> None:
        self._real = real

    async def insert_one(self, *args: Any, **kwargs: Any) -> Any:
        raise OperationFailure("injected write failure", code=8000)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


async def test_failed_entry_write_removes_its_photo(
    repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(repo, "_entries", FailingInserts(repo._entries))
    with pytest.raises(StorageError):
        await add_entry(repo, 1, date(2024, 6, 1))
    assert await blob_ids(repo, "photos") == []
    assert await repo.database["pending_blobs"].count_documents({}) == 0


async def test_crash_between_upload_and_entry_is_swept(
    mongo_uri: str, database_name: str, repo: Repository
) -> None:
    clock = FakeClock(datetime.now(UTC))
    crashed = await Repository.connect(mongo_uri, database_name, clock=clock)
    try:
        kept = await add_entry(crashed, 1, date(2024, 6, 1))
        # What a process killed right after the upload leaves behind: a pending, unowned blob.
        orphan = ObjectId()
        await crashed._put_blob("photos", orphan, 1, ObjectId(), PHOTO)
        assert await crashed.sweep_pending_blobs(timedelta(minutes=10)) == 0  # may be in flight
        clock.advance(timedelta(minutes=11))
        assert await crashed.sweep_pending_blobs(timedelta(minutes=10)) == 1
        assert await blob_ids(crashed, "photos") == [ObjectId(kept.photo_id)]
        assert await chunk_count(crashed, "photos", orphan) == 0
        assert await crashed.get_photo(1, kept.id) == PHOTO
        assert await crashed.database["pending_blobs"].count_documents({}) == 0
    finally:
        await crashed.close()


async def test_idempotency_key_stores_one_entry(repo: Repository) -> None:
    first = await add_entry(repo, 1, date(2024, 6, 1), key="update:100")
    again = await add_entry(repo, 1, date(2024, 6, 1), key="update:100", text="redelivered")
    assert again == first
    racing = await asyncio.gather(
        *(add_entry(repo, 1, date(2024, 6, 2), key="update:101") for _ in range(5))
    )
    assert len({entry.id for entry in racing}) == 1
    # The same key of another user is another entry; entries without a key never collide.
    other = await add_entry(repo, 2, date(2024, 6, 1), key="update:100")
    assert other.id != first.id
    await add_entry(repo, 1, date(2024, 6, 3))
    await add_entry(repo, 1, date(2024, 6, 3))
    assert await repo.database["entries"].count_documents({"user_id": 1}) == 4
    assert len(await blob_ids(repo, "photos", 1)) == 4


async def test_users_never_reach_each_others_entries(repo: Repository) -> None:
    alice, bob = 101, 202
    entry = await add_entry(repo, alice, date(2024, 6, 2), text="alice's secret")
    await repo.set_entry_voice(alice, entry.id, b"OggS voice")

    assert await repo.get_entry(bob, entry.id) is None
    assert await repo.get_photo(bob, entry.id) is None
    assert await repo.get_voice(bob, entry.id) is None
    assert not await repo.set_anna_comment(bob, entry.id, "hijacked")
    assert not await repo.set_entry_voice(bob, entry.id, b"bob's voice")
    assert not await repo.delete_entry(bob, entry.id)
    assert await repo.list_month(bob, Month(2024, 6)) == []
    assert await repo.list_day(bob, date(2024, 6, 2)) == []
    assert not await repo.has_entry_on(bob, date(2024, 6, 2))
    assert (await repo.emotion_counts(bob)).total == 0
    assert await repo.recent_entries(bob) == []
    assert (await repo.export_user(bob)).entries == ()
    assert await repo.delete_user(bob) == 0
    for forged in ("", "not-an-id", "0" * 24, entry.id[:-1], entry.id + "00"):
        assert await repo.get_entry(alice, forged) is None
        assert not await repo.delete_entry(alice, forged)

    unchanged = await repo.get_entry(alice, entry.id)
    assert unchanged is not None
    assert unchanged.anna_comment is None
    assert await repo.get_voice(alice, entry.id) == b"OggS voice"
    assert await repo.get_photo(alice, entry.id) == PHOTO
    assert len(await blob_ids(repo, "voice")) == 1  # bob's upload did not stay behind


async def test_month_day_listing_and_counts_match_what_was_stored(repo: Repository) -> None:
    rng = random.Random(20240602)
    owner, other = 11, 12
    stored: list[Entry] = []
    start = date(2024, 4, 25)
    specs = [(start + timedelta(days=rng.randrange(75)), rng.choice(EMOTIONS)) for _ in range(45)]
    # Concurrent writes, like several posts arriving at once.
    for offset in range(0, len(specs), 15):
        batch = specs[offset : offset + 15]
        stored += await asyncio.gather(
            *(
                add_entry(repo, owner, day, emotion, text=f"entry {offset + i}")
                for i, (day, emotion) in enumerate(batch)
            )
        )
    for day in (date(2024, 5, 1), date(2024, 5, 31), date(2024, 6, 1)):
        stored.append(await add_entry(repo, owner, day, Emotion.PANIC))  # month edges
        await add_entry(repo, other, day, Emotion.ANGER)  # noise from someone else

    def order(entries: list[Entry]) -> list[str]:
        return [e.id for e in sorted(entries, key=lambda e: (e.day, e.created_at, e.id))]

    for month in (Month(2024, 4), Month(2024, 5), Month(2024, 6), Month(2024, 7)):
        expected = [e for e in stored if e.day in month]
        listed = await repo.list_month(owner, month)
        assert [e.id for e in listed] == order(expected)
        assert listed == sorted(listed, key=lambda e: (e.day, e.created_at, e.id))
        counts = await repo.emotion_counts(owner, month)
        assert counts.as_dict() == {e: Counter(x.emotion for x in expected)[e] for e in EMOTIONS}
        month_counts = await repo.month_counts(owner, month)
        assert (month_counts.month, month_counts.counts) == (month, counts)
    assert await repo.list_month(owner, Month(2024, 8)) == []
    assert (await repo.emotion_counts(owner, Month(2023, 5))).total == 0

    cumulative = await repo.emotion_counts(owner)
    assert cumulative.total == len(stored)
    assert cumulative.as_dict() == {e: Counter(x.emotion for x in stored)[e] for e in EMOTIONS}

    edge = await repo.list_day(owner, date(2024, 5, 31))
    assert [e.id for e in edge] == order([e for e in stored if e.day == date(2024, 5, 31)])
    assert await repo.has_entry_on(owner, date(2024, 5, 31))
    empty_days = {start + timedelta(days=i) for i in range(80)} - {e.day for e in stored}
    if empty_days:
        assert not await repo.has_entry_on(owner, min(empty_days))

    recent = await repo.recent_entries(owner, limit=4)
    newest = sorted(stored, key=lambda e: (e.created_at, e.id))[-4:]
    assert [e.created_at for e in recent] == [e.created_at for e in newest]
    assert await repo.recent_entries(owner, limit=0) == []


async def test_anna_comment_and_voice_arrive_later(repo: Repository) -> None:
    entry = await add_entry(repo, 5, date(2024, 6, 2))
    assert await repo.set_anna_comment(5, entry.id, "오늘 정말 좋았겠다!")
    assert await repo.set_entry_voice(5, entry.id, b"first voice")
    first_voice = (await repo.get_entry(5, entry.id)).voice_id  # type: ignore[union-attr]
    assert await repo.set_entry_voice(5, entry.id, b"second voice")
    updated = await repo.get_entry(5, entry.id)
    assert updated is not None
    assert updated.anna_comment == "오늘 정말 좋았겠다!"
    assert updated.voice_id not in (None, first_voice)
    assert await repo.get_voice(5, entry.id) == b"second voice"
    # The replaced voice is gone, not orphaned.
    assert await blob_ids(repo, "voice") == [ObjectId(updated.voice_id)]
    assert await chunk_count(repo, "voice", ObjectId(first_voice)) == 0

    assert await repo.delete_entry(5, entry.id)
    assert await repo.get_entry(5, entry.id) is None
    assert await blob_ids(repo, "photos") == []
    assert await blob_ids(repo, "voice") == []
    assert await repo.database["pending_blobs"].count_documents({}) == 0


async def test_three_megabyte_photo_round_trip(repo: Repository) -> None:
    photo = random.Random(3).randbytes(3 * 1024 * 1024 + 17)
    entry = await add_entry(repo, 9, date(2024, 6, 2), photo=photo)
    assert await repo.get_photo(9, entry.id) == photo
    assert await chunk_count(repo, "photos", ObjectId(entry.photo_id)) == 13  # 255 KiB chunks
    exported = await repo.export_user(9)
    assert exported.entries[0].photo == photo


# -- chat ---------------------------------------------------------------------------------------


async def test_chat_history_is_bounded(
    mongo_uri: str, database_name: str, repo: Repository
) -> None:
    clock = FakeClock()
    chat = await Repository.connect(mongo_uri, database_name, clock=clock, chat_limit=5)
    try:
        for i in range(12):
            clock.advance(timedelta(seconds=1))
            await chat.append_chat(1, "user" if i % 2 == 0 else "anna", f"turn {i}")
        await chat.append_chat(2, "user", "someone else")
        history = await chat.chat_history(1)
        assert [t.text for t in history] == [f"turn {i}" for i in range(7, 12)]
        assert [t.role for t in history] == ["anna", "user", "anna", "user", "anna"]
        assert history[-1].at == clock.now
        assert [t.text for t in await chat.chat_history(1, limit=2)] == ["turn 10", "turn 11"]
        assert await chat.database["chat"].count_documents({"user_id": 1}) == 5
        assert [t.text for t in await chat.chat_history(2)] == ["someone else"]
        # Turns in the same millisecond keep their order.
        for i in range(3):
            await chat.append_chat(3, "user", f"burst {i}")
        assert [t.text for t in await chat.chat_history(3)] == ["burst 0", "burst 1", "burst 2"]
        assert await chat.clear_chat(1) == 5
        assert await chat.chat_history(1) == []
    finally:
        await chat.close()


# -- exactly-once records -----------------------------------------------------------------------


async def test_claim_job_exactly_once_under_concurrency(
    mongo_uri: str, database_name: str, repo: Repository
) -> None:
    results = await asyncio.gather(
        *(repo.claim_job(1, "reminder", "2024-06-02") for _ in range(20))
    )
    assert results.count(True) == 1

    # Two bot instances (two clients) racing for the same month's summary.
    second = await Repository.connect(mongo_uri, database_name)
    try:
        racing = await asyncio.gather(
            *(r.claim_job(1, "summary", "2024-06") for r in [repo, second] * 10)
        )
        assert racing.count(True) == 1
    finally:
        await second.close()

    assert await repo.job_state(1, "summary", "2024-06") == "claimed"
    assert await repo.job_state(1, "summary", "2024-05") is None
    assert await repo.claim_job(1, "summary", "2024-05")  # another period
    assert await repo.claim_job(2, "summary", "2024-06")  # another user
    assert await repo.complete_job(1, "summary", "2024-06")
    assert await repo.job_state(1, "summary", "2024-06") == "sent"
    assert not await repo.release_job(1, "summary", "2024-06")  # delivered: never released
    assert not await repo.claim_job(1, "summary", "2024-06")
    assert await repo.release_job(1, "reminder", "2024-06-02")  # a failed send may be retried
    assert await repo.claim_job(1, "reminder", "2024-06-02")


async def test_leases_acquire_expire_and_take_over(
    mongo_uri: str, database_name: str, repo: Repository
) -> None:
    clock = FakeClock()
    leases = await Repository.connect(mongo_uri, database_name, clock=clock)
    ttl = timedelta(seconds=30)
    try:
        assert await leases.acquire_lease("scheduler", "a", ttl)
        assert not await leases.acquire_lease("scheduler", "b", ttl)
        assert await leases.acquire_lease("scheduler", "a", ttl)  # the holder may re-acquire
        assert await leases.lease_holder("scheduler") == "a"
        clock.advance(timedelta(seconds=20))
        assert await leases.renew_lease("scheduler", "a", ttl)  # now valid until +50 s
        clock.advance(timedelta(seconds=20))
        assert not await leases.acquire_lease("scheduler", "b", ttl)
        clock.advance(timedelta(seconds=11))  # "a" stopped renewing: expired
        assert await leases.lease_holder("scheduler") is None
        assert await leases.acquire_lease("scheduler", "b", ttl)
        assert not await leases.renew_lease("scheduler", "a", ttl)  # "a" lost it
        assert not await leases.release_lease("scheduler", "a")
        assert await leases.lease_holder("scheduler") == "b"
        assert await leases.acquire_lease("other-lease", "a", ttl)

        clock.advance(timedelta(minutes=5))  # everything expired: many contenders, one winner
        won = await asyncio.gather(
            *(leases.acquire_lease("scheduler", f"c{i}", ttl) for i in range(10))
        )
        assert won.count(True) == 1
        assert await leases.lease_holder("other-lease") is None  # expired, and not taken over
        assert (await leases.database["leases"].find_one({"_id": "other-lease"}) or {}).get(
            "holder"
        ) == "a"
        winner = await leases.lease_holder("scheduler")
        assert winner == f"c{won.index(True)}"
        assert await leases.release_lease("scheduler", winner)
        assert await leases.lease_holder("scheduler") is None
        assert await leases.acquire_lease("scheduler", "a", ttl)  # free again at once
    finally:
        await leases.close()


# -- export and erasure -------------------------------------------------------------------------


async def test_export_contains_everything_of_the_user_only(repo: Repository) -> None:
    await repo.save_user(make_user(1))
    await repo.save_user(make_user(2))
    first = await add_entry(repo, 1, date(2024, 6, 2), Emotion.HAPPY, text="둘째 날")
    second = await add_entry(repo, 1, date(2024, 6, 1), Emotion.SADNESS, photo=b"other photo")
    await repo.set_anna_comment(1, first.id, "좋았겠다")
    await repo.set_entry_voice(1, first.id, b"voice bytes")
    await repo.append_chat(1, "user", "안녕")
    await repo.append_chat(1, "anna", "안녕!")
    await add_entry(repo, 2, date(2024, 6, 1), text="not yours")
    await repo.append_chat(2, "user", "not yours either")

    exported = await repo.export_user(1)
    assert exported.account is not None
    assert exported.account.user.id == 1
    assert [item.entry.id for item in exported.entries] == [second.id, first.id]  # calendar order
    assert [item.photo for item in exported.entries] == [b"other photo", PHOTO]
    assert [item.voice for item in exported.entries] == [None, b"voice bytes"]
    assert exported.entries[1].entry.anna_comment == "좋았겠다"
    assert exported.entries[1].entry.text == "둘째 날"
    assert [(t.role, t.text) for t in exported.chat] == [("user", "안녕"), ("anna", "안녕!")]
    assert {item.entry.user_id for item in exported.entries} == {1}


async def count_user_documents(repo: Repository, user_id: int) -> dict[str, int]:
    """Documents naming the user in every collection (GridFS ones are checked via GridFS)."""
    counts = {}
    for name in await repo.database.list_collection_names():
        if name.endswith(("files", "chunks")):  # "photos.files" on MongoDB, "photos_files" on nx
            continue
        collection = repo.database[name]
        counts[name] = await collection.count_documents(
            {"user_id": user_id}
        ) + await collection.count_documents({"_id": user_id})
    return counts


async def test_delete_user_leaves_nothing(repo: Repository) -> None:
    gone, kept = 31, 32
    for user_id in (gone, kept):
        await repo.save_user(make_user(user_id))
        await repo.set_reminder_settings(user_id, ReminderSettings(enabled=True))
        for day in (1, 2, 3):
            entry = await add_entry(repo, user_id, date(2024, 6, day))
            await repo.set_entry_voice(user_id, entry.id, b"voice")
        await repo.append_chat(user_id, "user", "hello")
        await repo.claim_job(user_id, "summary", "2024-06")
        await repo.set_session(user_id, {"awaiting": "diary", "file_id": "abc"})
    # An orphan from a crash mid-post is the user's too.
    orphan = ObjectId()
    await repo._put_blob("photos", orphan, gone, ObjectId(), PHOTO)
    gone_blobs = {bucket: await blob_ids(repo, bucket, gone) for bucket in ("photos", "voice")}
    assert len(gone_blobs["photos"]) == 4
    assert len(gone_blobs["voice"]) == 3

    assert await repo.delete_user(gone) == 3

    assert all(n == 0 for n in (await count_user_documents(repo, gone)).values())
    for bucket, ids in gone_blobs.items():
        assert await blob_ids(repo, bucket, gone) == []
        for blob_id in ids:
            assert await chunk_count(repo, bucket, blob_id) == 0
            with pytest.raises(NoFile):
                await AsyncGridFSBucket(repo.database, bucket_name=bucket).open_download_stream(
                    blob_id
                )
    assert await repo.get_account(gone) is None
    assert await repo.get_session(gone) == {}
    assert await repo.get_session(kept) == {"awaiting": "diary", "file_id": "abc"}
    assert await repo.chat_history(gone) == []
    assert await repo.job_state(gone, "summary", "2024-06") is None
    assert await repo.claim_job(gone, "summary", "2024-06")  # a returning user starts afresh

    # The other user is untouched.
    counts = await count_user_documents(repo, kept)
    assert counts["entries"] == 3
    assert counts["users"] == 1
    assert counts["chat"] == 1
    assert len(await blob_ids(repo, "photos", kept)) == 3
    assert len(await blob_ids(repo, "voice", kept)) == 3
    assert len(await repo.list_month(kept, Month(2024, 6))) == 3
    assert await repo.delete_user(gone) == 0  # running it again is harmless


async def test_conversation_state_is_per_user_and_replaceable(repo: Repository) -> None:
    assert await repo.get_session(41) == {}
    await repo.set_session(41, {"awaiting": "name"})
    await repo.set_session(42, {"awaiting": "diary", "probabilities": {"happy": 0.9}, "faces": 2})
    await repo.set_session(41, {"awaiting": "intro", "name": "주성"})
    assert await repo.get_session(41) == {"awaiting": "intro", "name": "주성"}
    assert await repo.get_session(42) == {
        "awaiting": "diary",
        "probabilities": {"happy": 0.9},
        "faces": 2,
    }
    await repo.clear_session(41)
    assert await repo.get_session(41) == {}
    assert (await repo.get_session(42))["faces"] == 2


# -- schema and connection ----------------------------------------------------------------------


async def test_migrations_are_idempotent(mongo_uri: str, database_name: str) -> None:
    fresh = await Repository.connect(mongo_uri, database_name + "_m")
    try:
        assert await fresh.schema_version() == 0
        assert await fresh.migrate() == 3
        assert await fresh.migrate() == 3
        indexes = await fresh.database["entries"].index_information()
        keys = {tuple(spec["key"]) for spec in indexes.values()}
        assert (("user_id", 1), ("day", 1), ("created_at", 1)) in keys
        assert (("user_id", 1), ("emotion", 1)) in keys
        unique = {tuple(spec["key"]) for spec in indexes.values() if spec.get("unique")}
        assert (("user_id", 1), ("key", 1)) in unique
        sent = await fresh.database["sent_log"].index_information()
        assert any(spec.get("unique") for spec in sent.values())
        # A start interrupted after the indexes but before the version was written.
        inbox = await fresh.database["inbox"].index_information()
        assert any(spec.get("unique") for spec in inbox.values())
        assert "processed_updates" not in await fresh.database.list_collection_names()
        await fresh.database["meta"].update_one({"_id": "schema"}, {"$set": {"version": 0}})
        assert await fresh.migrate() == 3
        assert await fresh.schema_version() == 3
        # Two instances starting together.
        assert list(await asyncio.gather(fresh.migrate(), fresh.migrate())) == [3, 3]
        await fresh.database["meta"].update_one({"_id": "schema"}, {"$set": {"version": 99}})
        with pytest.raises(SchemaTooNew):
            await fresh.migrate()
    finally:
        await fresh.database.client.drop_database(database_name + "_m")
        await fresh.close()


async def test_unreachable_server_is_reported_quickly() -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(StorageUnavailable):
        await Repository.connect("mongodb://127.0.0.1:9/?directConnection=true", timeout_s=0.3)
    assert loop.time() - started < 5
