"""Privacy through the real bot on an encrypted store: logs stay clean, /delete_me leaves nothing.

Also the crash sweep's promise that nothing confirmed is lost: a blob an entry still refers to
is never mistaken for an orphan.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from pathlib import Path

import pytest
from bson import ObjectId
from gridfs import AsyncGridFSBucket

from bot import callbacks
from facelog.logs import configure_logging
from storage import Repository
from tests.bot.test_diary_flows import onboard
from tests.clock import current as current_clock

from .conftest import AppRig, needles, raw_dump

SPOKEN = "I went hiking with my sister and the view from the top was amazing."


async def test_logs_of_a_whole_session_carry_no_words_photos_token_or_key(
    sealed_voice_rig: AppRig,
    keys: list[bytes],
    face_photos: dict[str, bytes],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Everything a person does, logged at DEBUG as an operator chasing a bug would run it."""
    rig = sealed_voice_rig
    assert rig.voice is not None
    configure_logging("DEBUG")
    caplog.set_level(logging.DEBUG)
    secret_line = "my secret diary line 7f3a"
    user = rig.user(language_code="en", first_name="Mia")
    await onboard(user, "Zelda Quux", intro="intro words 91bc")
    photo = face_photos["astronaut"]
    await user.send_photo(photo, caption=secret_line)
    await user.wait_for_reply(lambda c: "Emotion of the day" in (c.text or ""))
    await user.send_text("a private chat message 55aa")
    await user.wait_for_reply()
    spoken = await rig.voice.synthesizer.synthesize(SPOKEN, "en")
    await user.send_voice(spoken.ogg, duration=spoken.duration_s)
    await user.wait_for_reply(lambda c: c.method == "sendVoice", timeout=60)
    [post] = [c for c in user.replies(since=0) if "Emotion of the day" in (c.text or "")]
    await user.press("🔊 Listen", on=post)
    await user.wait_for_reply(lambda c: c.method == "sendVoice", timeout=60)
    await user.send_command("/export")
    await user.wait_for_reply(lambda c: c.method == "sendDocument")
    heard = [turn.text for turn in await rig.repo.chat_history(user.id) if turn.role == "user"]
    assert len(heard) == 2 and "sister" in heard[1].lower()  # the voice note's transcript
    await user.send_command("/delete_me")
    [confirm] = await user.wait_for_reply()
    await user.press(callbacks.DELETE_YES, on=confirm)
    await user.wait_for_reply()
    await rig.idle()

    logged = caplog.text
    assert caplog.records, "the session should have logged something"
    private = [
        secret_line,
        "Zelda Quux",
        "intro words 91bc",
        "private chat message 55aa",
        SPOKEN,
        heard[1],  # the transcript, as Whisper wrote it
        "with my sister",
        rig.fake.token,
        keys[0].decode(),
    ]
    for text in private:
        assert text.lower() not in logged.lower(), text
    for needle in needles([], [photo]):
        assert repr(needle)[2:-1] not in logged


async def test_delete_me_erases_every_record_and_blob_of_the_person_only(
    sealed_rig: AppRig, face_photos: dict[str, bytes]
) -> None:
    rig, repo = sealed_rig, sealed_rig.repo
    leaving = rig.user(language_code="ko")
    staying = rig.user(language_code="en", first_name="Mia")
    await onboard(leaving, "떠나는 사람", intro="흔적 없이 d3d3")
    await onboard(staying, "Mia")
    for user, caption in ((leaving, "지워질 일기 f0f0"), (staying, "staying entry")):
        await user.send_photo(face_photos["astronaut"], caption=caption)
        await user.wait_for_reply(lambda c: c.method == "sendMessage" and "📅" in (c.text or ""))
        await user.send_photo(face_photos["grace_hopper"])  # a draft waiting for its words
        await user.wait_for_reply()
        await user.send_text("두 번째 일기 e1e1" if user is leaving else "second entry")
        await user.wait_for_reply()
        await user.send_text("그냥 대화 c2c2" if user is leaving else "just chatting")
        await user.wait_for_reply()
        [first, *_] = await repo.recent_entries(user.id, 5)
        assert await repo.set_entry_voice(user.id, first.id, b"OggS" + bytes(4000))
    await repo.claim_job(leaving.id, "reminder", "2024-06-02")
    await repo.set_session(leaving.id, {"awaiting": "diary", "file_id": "x"})

    async def footprint(user_id: int) -> dict[str, int]:
        db = repo.database
        counts = {
            "users": await db["users"].count_documents({"_id": user_id}),
            "sessions": await db["sessions"].count_documents({"_id": user_id}),
        }
        for name in ("entries", "chat", "sent_log", "pending_blobs", "inbox"):
            counts[name] = await db[name].count_documents({"user_id": user_id})
        for bucket in ("photos", "voice"):
            files = AsyncGridFSBucket(db, bucket_name=bucket).find({"metadata.user_id": user_id})
            ids = [f._id async for f in files]
            counts[bucket] = len(ids)
            counts[f"{bucket}_chunks"] = sum(  # nx-27017 finds chunks by files_id only
                [len(await db[f"{bucket}.chunks"].find({"files_id": i}).to_list()) for i in ids]
            )
        return counts

    before, kept = await footprint(leaving.id), await footprint(staying.id)
    assert before["entries"] == 2 and before["photos"] == 2 and before["voice"] == 1
    assert before["chat"] >= 2 and before["users"] == before["sessions"] == before["sent_log"] == 1
    assert before["photos_chunks"] >= 2
    assert before["inbox"] == 7  # every update they sent (start, name, intro, 2 photos, 2 texts)

    await leaving.send_command("/delete_me")
    [confirm] = await leaving.wait_for_reply()
    await leaving.press(callbacks.DELETE_YES, on=confirm)
    await leaving.wait_for_reply()
    await rig.idle()
    assert all(n == 0 for n in (await footprint(leaving.id)).values()), await footprint(leaving.id)
    assert await footprint(staying.id) == kept
    account = await repo.get_account(staying.id)
    assert account is not None and account.user.name == "Mia"
    staying_entries = await repo.recent_entries(staying.id, 5)
    assert [await repo.get_photo(staying.id, e.id) for e in staying_entries] == [
        face_photos["astronaut"],
        face_photos["grace_hopper"],
    ]
    for needle in needles(["떠나는 사람", "흔적 없이 d3d3", "지워질 일기 f0f0"]):
        assert needle not in await raw_dump(repo)


async def test_the_crash_sweep_never_deletes_a_blob_an_entry_still_uses(
    repo: Repository,
) -> None:
    """A pending record can outlive its upload (a crash after the entry was written, or a failed
    clean-up). The sweep must then keep the blob: the entry was confirmed to the person."""
    entry = await repo.create_entry(
        5,
        day=date(2024, 6, 2),
        emotion="happy",
        probabilities={"happy": 1.0},
        faces=1,
        text="confirmed",
        photo=b"\xff\xd8 a photo",
    )
    assert await repo.set_entry_voice(5, entry.id, b"OggS a voice")
    stored = await repo.get_entry(5, entry.id)
    assert stored is not None and stored.voice_id is not None
    orphan = ObjectId()  # and one real orphan, uploaded but never referenced
    await AsyncGridFSBucket(repo.database, bucket_name="photos").upload_from_stream_with_id(
        orphan, "x", b"orphan", metadata={"user_id": 5, "entry_id": "x"}
    )
    long_ago = current_clock()() - timedelta(hours=1)  # by the repository's clock
    for blob_id, bucket in (
        (ObjectId(entry.photo_id), "photos"),
        (ObjectId(stored.voice_id), "voice"),
        (orphan, "photos"),
    ):
        await repo.database["pending_blobs"].insert_one(
            {"_id": blob_id, "bucket": bucket, "user_id": 5, "at": long_ago}
        )
    assert await repo.sweep_pending_blobs() == 1
    assert await repo.get_photo(5, entry.id) == b"\xff\xd8 a photo"
    assert await repo.get_voice(5, entry.id) == b"OggS a voice"
    remaining = AsyncGridFSBucket(repo.database, bucket_name="photos").find({"_id": orphan})
    assert [f async for f in remaining] == []


def test_with_a_key_annas_voice_is_never_cached_in_plain_files(tmp_path: Path) -> None:
    from cryptography.fernet import Fernet

    from facelog.config import Settings
    from facelog.voice import speech_config

    plain = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    sealed = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path,
        encryption_keys=Fernet.generate_key().decode(),
    )
    assert speech_config(plain).voice_cache_dir is not None
    assert speech_config(sealed).voice_cache_dir is None
