"""Encryption at rest: a copy of the database reveals no diary, face or voice without the key.

Everything runs against the real embedded store (or ``MONGODB_URI``). The raw checks read the
database the way someone holding a copy of it would: every document's BSON and every blob's
chunks, searched for the words and the bytes a person gave the bot.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from facelog import cli
from facelog.config import Settings
from facelog.domain import Emotion, Entry, Month, User
from storage import Cipher, EncryptionKeyError, Repository, open_storage
from storage.crypto import CryptoError, InvalidKeys, parse_keys
from tests.clock import current as current_clock

from .conftest import OpenRepo, needles, raw_blobs, raw_documents, raw_dump

NOW = datetime(2024, 6, 2, 12, 0, tzinfo=UTC)
_KEY = Fernet.generate_key()
DAY = date(2024, 6, 2)
NAME = "Zelda Quux"
INTRO = "hides a pet iguana named 7c1d"
DIARY = "Today I finally told my sister the truth about the car 4b9e."
COMMENT = "That took courage, Zelda. Your sister will come round 88f0."
CHAT = ("can I tell you a secret e2d1", "of course, it stays here 03ab")
VOICE = b"OggS\x00\x02" + bytes(range(256)) * 20


async def fill(repo: Repository, photo: bytes, user_id: int = 4242) -> Entry:
    """A person's whole footprint: profile, an entry with photo, comment and voice, chat."""
    await repo.save_user(User(id=user_id, name=NAME, intro=INTRO, created_at=NOW))
    entry = await repo.create_entry(
        user_id,
        day=DAY,
        emotion=Emotion.SADNESS,
        probabilities={"sadness": 0.7, "other": 0.3},
        faces=1,
        text=DIARY,
        photo=photo,
    )
    assert await repo.set_anna_comment(user_id, entry.id, COMMENT)
    assert await repo.set_entry_voice(user_id, entry.id, VOICE)
    await repo.append_chat(user_id, "user", CHAT[0])
    await repo.append_chat(user_id, "anna", CHAT[1])
    return entry


async def assert_reads_back(repo: Repository, entry: Entry, photo: bytes) -> None:
    user_id = entry.user_id
    account = await repo.get_account(user_id)
    assert account is not None and (account.user.name, account.user.intro) == (NAME, INTRO)
    stored = await repo.get_entry(user_id, entry.id)
    assert stored is not None and (stored.text, stored.anna_comment) == (DIARY, COMMENT)
    assert [e.text for e in await repo.list_month(user_id, Month(2024, 6))] == [DIARY]
    assert await repo.get_photo(user_id, entry.id) == photo
    assert await repo.get_voice(user_id, entry.id) == VOICE
    assert [t.text for t in await repo.chat_history(user_id)] == list(CHAT)
    exported = await repo.export_user(user_id)
    [item] = exported.entries
    assert (item.entry.text, item.photo, item.voice) == (DIARY, photo, VOICE)
    assert [a.user.name async for a in repo.iter_accounts()] == [NAME]


PRIVATE = [NAME, INTRO, DIARY, COMMENT, *CHAT]


async def test_a_copy_of_the_database_holds_no_plaintext(
    sealed_repo: Repository, face_photos: dict[str, bytes]
) -> None:
    photo = face_photos["grace_hopper"]
    entry = await fill(sealed_repo, photo)
    await assert_reads_back(sealed_repo, entry, photo)

    dump = await raw_dump(sealed_repo)
    assert len(dump) > len(photo)  # the dump really holds the sealed photo
    for needle in needles(PRIVATE, [photo, VOICE]):
        assert needle not in dump
    # What queries need stays readable: the owner, the day and the emotion.
    [raw_entry] = [d for d in await raw_documents(sealed_repo) if d.get("day") == "2024-06-02"]
    assert (raw_entry["user_id"], raw_entry["emotion"]) == (4242, "sadness")
    assert isinstance(raw_entry["text"], bytes) and isinstance(raw_entry["anna_comment"], bytes)
    blobs = await raw_blobs(sealed_repo)
    assert len(blobs["photos"]) == 1 and len(blobs["voice"]) == 1
    assert not blobs["photos"][0].startswith(photo[:8])  # not a JPEG any more


async def test_without_a_key_the_same_data_is_stored_plain(
    open_repo: OpenRepo, face_photos: dict[str, bytes]
) -> None:
    """The control for the test above: the search does find plaintext when there is some."""
    plain = await open_repo()
    photo = face_photos["grace_hopper"]
    entry = await fill(plain, photo)
    await assert_reads_back(plain, entry, photo)
    dump = await raw_dump(plain)
    for needle in needles(PRIVATE, [photo, VOICE]):
        assert needle in dump


async def test_rotation_reseals_everything_with_the_new_key(
    open_repo: OpenRepo, keys: list[bytes], face_photos: dict[str, bytes]
) -> None:
    old, new, _ = keys
    photo = face_photos["astronaut"]
    first = await open_repo(old)
    await first.check_keys()
    entry = await fill(first, photo)

    rotating = await open_repo(new, old)  # step 1: the new key in front
    await rotating.check_keys()
    await assert_reads_back(rotating, entry, photo)
    report = await rotating.reencrypt_all()  # step 2: facelog rekey
    assert (report.users, report.entries, report.chat_turns, report.blobs) == (1, 1, 2, 2)
    again = await rotating.reencrypt_all()  # an interrupted run is simply run again
    assert (again.users, again.entries, again.chat_turns, again.blobs) == (0, 0, 0, 0)
    assert await rotating.database["pending_blobs"].count_documents({}) == 0  # all settled

    rotated = await open_repo(new)  # step 3: the old key dropped
    await rotated.check_keys()
    await assert_reads_back(rotated, entry, photo)
    blobs = await raw_blobs(rotated)
    assert len(blobs["photos"]) == 1 and len(blobs["voice"]) == 1  # replaced, no leftovers
    for needle in needles(PRIVATE, [photo, VOICE]):
        assert needle not in await raw_dump(rotated)

    stale = await open_repo(old)  # someone still running with only the old key
    with pytest.raises(EncryptionKeyError, match="FACELOG_ENCRYPTION_KEYS"):
        await stale.check_keys()
    with pytest.raises(EncryptionKeyError):
        await stale.get_entry(entry.user_id, entry.id)


async def test_a_wrong_or_missing_key_is_a_clear_error_not_garbage(
    sealed_repo: Repository, open_repo: OpenRepo, keys: list[bytes], face_photos: dict[str, bytes]
) -> None:
    entry = await fill(sealed_repo, face_photos["astronaut"])
    wrong = await open_repo(keys[2])
    for read in (
        wrong.check_keys(),
        wrong.get_entry(entry.user_id, entry.id),
        wrong.get_account(entry.user_id),
        wrong.get_photo(entry.user_id, entry.id),
        wrong.get_voice(entry.user_id, entry.id),
        wrong.chat_history(entry.user_id),
        wrong.export_user(entry.user_id),
    ):
        with pytest.raises(EncryptionKeyError, match="does not list"):
            await read
    keyless = await open_repo()
    with pytest.raises(EncryptionKeyError, match="FACELOG_ENCRYPTION_KEYS is not set"):
        await keyless.check_keys()
    with pytest.raises(EncryptionKeyError, match="FACELOG_ENCRYPTION_KEYS is not set"):
        await keyless.list_month(entry.user_id, Month(2024, 6))
    # The scheduler's walk fails loudly as well, rather than greeting people as b'\x80…'.
    with pytest.raises(EncryptionKeyError):
        [a async for a in wrong.iter_accounts()]


async def test_a_wrong_key_stops_the_start(
    mongo_uri: str, database_name: str, tmp_path: Path, keys: list[bytes], open_repo: OpenRepo
) -> None:
    await open_repo(migrate=False)  # drops the database afterwards
    async with open_storage(
        tmp_path, mongo_uri, database=database_name, cipher=Cipher([keys[0]])
    ) as repo:
        await repo.save_user(User(id=7, name=NAME, created_at=NOW))
    with pytest.raises(EncryptionKeyError, match="does not list"):
        async with open_storage(
            tmp_path, mongo_uri, database=database_name, cipher=Cipher([keys[1]])
        ):
            pass
    with pytest.raises(EncryptionKeyError, match="not set"):
        async with open_storage(tmp_path, mongo_uri, database=database_name):
            pass
    async with open_storage(  # the right key, as an older one behind a new one: fine
        tmp_path, mongo_uri, database=database_name, cipher=Cipher([keys[1], keys[0]])
    ) as repo:
        account = await repo.get_account(7)
        assert account is not None and account.user.name == NAME


async def test_plain_data_from_before_the_key_still_reads_and_rekey_seals_it(
    open_repo: OpenRepo, keys: list[bytes], face_photos: dict[str, bytes]
) -> None:
    photo = face_photos["grace_hopper"]
    legacy = await fill(await open_repo(), photo)

    keyed = await open_repo(keys[0])
    await keyed.check_keys()
    await assert_reads_back(keyed, legacy, photo)
    newer = await keyed.create_entry(
        legacy.user_id + 1,  # another person's, so the legacy user's footprint stays as filled
        day=date(2024, 6, 3),
        emotion=Emotion.HAPPY,
        probabilities={"happy": 0.9},
        faces=1,
        text="a sealed one a1a1",
        photo=face_photos["astronaut"],
    )
    assert [e.text for e in await keyed.list_month(newer.user_id, Month(2024, 6))] == [
        "a sealed one a1a1"
    ]
    assert await keyed.get_photo(newer.user_id, newer.id) == face_photos["astronaut"]
    assert b"a sealed one a1a1" not in await raw_dump(keyed)
    assert DIARY.encode() in await raw_dump(keyed)  # legacy data is plain until rekey

    report = await keyed.reencrypt_all()
    assert report.entries == 1 and report.blobs == 2  # the legacy entry, its photo and voice
    await assert_reads_back(keyed, legacy, photo)
    for needle in needles(PRIVATE, [photo, VOICE]):
        assert needle not in await raw_dump(keyed)


def test_keys_are_validated_without_being_echoed() -> None:
    good = Fernet.generate_key().decode()
    assert parse_keys(None) == () and parse_keys(" ") == ()
    assert parse_keys(f" {good} ,") == (good.encode(),)
    secret_looking = "not-a-key-" + "x" * 30
    with pytest.raises(InvalidKeys, match="key #2") as refused:
        parse_keys(f"{good},{secret_looking}")
    assert secret_looking not in str(refused.value)
    with pytest.raises(InvalidKeys, match="twice"):
        parse_keys(f"{good},{good}")
    with pytest.raises(ValidationError) as invalid:
        Settings(_env_file=None, encryption_keys=secret_looking)  # type: ignore[call-arg]
    assert secret_looking not in str(invalid.value)
    settings = Settings(_env_file=None, encryption_keys=good)  # type: ignore[call-arg]
    assert good not in repr(settings)
    assert repr(Cipher([good])) == "Cipher(enabled=True)"


def test_facelog_rekey_rotates_a_database(
    mongo_uri: str,
    database_name: str,
    keys: list[bytes],
    face_photos: dict[str, bytes],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """The operator's path: new key in front, ``facelog rekey``, old key dropped."""
    old, new = keys[0].decode(), keys[1].decode()
    photo = face_photos["astronaut"]

    async def with_repo(keys_text: str) -> Repository:
        return await Repository.connect(
            mongo_uri, database_name, cipher=Cipher.from_setting(keys_text), clock=current_clock()
        )

    async def write() -> Entry:
        repo = await with_repo(old)
        await repo.migrate()
        await repo.check_keys()
        try:
            return await fill(repo, photo)
        finally:
            await repo.close()

    entry = asyncio.run(write())
    monkeypatch.setenv("MONGODB_URI", mongo_uri)
    monkeypatch.setenv("FACELOG_MONGODB_DATABASE", database_name)
    monkeypatch.setenv("FACELOG_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("FACELOG_ENCRYPTION_KEYS", f"{new},{old}")
    monkeypatch.chdir(tmp_path)  # no stray .env
    assert cli.main(["rekey"]) == 0
    printed = capsys.readouterr().out
    assert "1 user" in printed and "2 blobs" in printed
    assert new not in printed and old not in printed

    async def read_with_new_key_only() -> None:
        repo = await with_repo(new)
        try:
            await repo.check_keys()
            await assert_reads_back(repo, entry, photo)
        finally:
            await repo.database.client.drop_database(database_name)
            await repo.close()

    asyncio.run(read_with_new_key_only())


def test_facelog_rekey_without_keys_says_what_to_set(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.delenv("FACELOG_ENCRYPTION_KEYS", raising=False)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["rekey"]) == 2
    assert "FACELOG_ENCRYPTION_KEYS" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())  # nothing started, nothing written


@given(text=st.text(max_size=300), data=st.binary(max_size=2000), flip=st.integers(0, 10_000))
def test_any_text_or_blob_round_trips_and_any_changed_byte_is_refused(
    text: str, data: bytes, flip: int
) -> None:
    cipher = Cipher([_KEY])
    sealed = cipher.seal_text(text)
    assert isinstance(sealed, bytes) and cipher.open_text(sealed) == text
    stored, marker = cipher.seal_blob(data)
    assert cipher.open_blob(stored, marker) == data
    tampered = bytearray(stored)
    tampered[flip % len(tampered)] ^= 0x01
    with pytest.raises(CryptoError):
        cipher.open_blob(bytes(tampered), marker)
    assert Cipher().seal_text(text) == text and Cipher().open_text(text) == text
