"""``/import`` through the real bot and the fake Telegram server: an export comes back whole,
twice is harmless, and every bad ZIP gets its clear answer with nothing imported."""

from __future__ import annotations

import io
import json
import zipfile

from facelog.domain import Emotion
from facelog.i18n import t

from .conftest import Rig
from .test_diary_flows import onboard


def export_zip(document: dict[str, object], members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("entries.json", json.dumps(document))
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


async def test_an_export_comes_back_and_a_second_import_skips_it(
    rig: Rig, face_photos: dict[str, bytes]
) -> None:
    mia = rig.user(language_code="en", first_name="Mia")
    await onboard(mia, "Mia")
    await mia.send_photo(face_photos["astronaut"], caption="the day I moved servers")
    await mia.wait_for_reply(lambda c: "moved servers" in (c.text or c.caption or ""))
    # The person said it was another feeling than the face read (#24): both come back.
    [entry] = await rig.repo.recent_entries(mia.id, 1)
    said = next(e for e in Emotion if e != entry.face)
    await rig.repo.update_entry(mia.id, entry, emotion=said, emotion_source="person")
    await mia.send_command("/export")
    [document] = await mia.wait_for_reply(lambda c: c.method == "sendDocument")
    exported = mia.downloaded(document)
    [before] = (await rig.repo.export_user(mia.id)).entries
    assert before.entry.emotion == said and before.entry.emotion_source == "person"
    await rig.repo.delete_entry(mia.id, before.entry.id)  # lost (or a new server)

    await mia.send_command("/import")
    [hint] = await mia.wait_for_reply()
    assert hint.text == t("en", "import_send")
    await mia.send_document(exported, "facelog-2024-06-02.zip", "application/zip")
    [done] = await mia.wait_for_reply()
    assert done.text == t("en", "import_done", imported=1, skipped=0)
    [after] = (await rig.repo.export_user(mia.id)).entries
    assert after.entry.text == before.entry.text and after.entry.day == before.entry.day
    assert after.entry.emotion == before.entry.emotion
    assert after.entry.face == before.entry.face
    assert after.entry.emotion_source == before.entry.emotion_source
    assert dict(after.entry.probabilities) == dict(before.entry.probabilities)
    assert after.entry.anna_comment == before.entry.anna_comment
    assert after.photo == before.photo == face_photos["astronaut"]

    await mia.send_document(exported, "facelog-2024-06-02.zip", "application/zip")
    [again] = await mia.wait_for_reply()
    assert again.text == t("en", "import_done", imported=0, skipped=1)
    assert len((await rig.repo.export_user(mia.id)).entries) == 1


async def test_bad_zips_are_refused_with_a_clear_answer_and_nothing_imported(
    rig: Rig, face_photos: dict[str, bytes]
) -> None:
    mia = rig.user(language_code="en", first_name="Mia")
    await onboard(mia, "Mia")
    photo = face_photos["grace_hopper"]

    def row(name: str = "photos/a.jpg", **extra: object) -> dict[str, object]:
        return {
            "id": "x1",
            "date": "2024-06-02",
            "emotion": "happy",
            "faces": 1,
            "text": "hi",
            "photo": name,
            **extra,
        }

    good = {"user_id": mia.id, "entries": [row(), row("photos/b.jpg", id="x2", text="two")]}
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("entries.json", json.dumps(good))
        archive.writestr("photos/a.jpg", photo)
        archive.writestr("photos/b.jpg", b"\0" * (50 * 1024 * 1024))  # 50 MB of zeros, ~50 KB
    table = [
        ("bomb", bomb.getvalue()),
        (
            "bad_path",
            export_zip(
                {"user_id": mia.id, "entries": [row("../../etc/x.jpg")]},
                {"photos/a.jpg": photo, "../../etc/x.jpg": photo},
            ),
        ),
        ("bad_json", export_zip({"user_id": mia.id, "entries": "nope"}, {})),
        ("bad_json", b"PK" + b"\0" * 10),  # not even a ZIP: said as such below
        (
            "not_image",
            export_zip(good, {"photos/a.jpg": photo, "photos/b.jpg": b"<html>not a photo</html>"}),
        ),
        (
            "other_account",
            export_zip(
                {**good, "user_id": mia.id + 1}, {"photos/a.jpg": photo, "photos/b.jpg": photo}
            ),
        ),
        ("too_big", b"PK\x03\x04" + bytes(21 * 1024 * 1024)),
    ]
    raw_json = io.BytesIO()
    with zipfile.ZipFile(raw_json, "w") as archive:
        archive.writestr("entries.json", "{ this is not json")
    table.append(("bad_json", raw_json.getvalue()))
    for reason, data in table:
        if data.startswith(b"PK\0"):
            reason = "not_zip"
        await mia.send_document(data, "facelog-export.zip", "application/zip")
        [answer] = await mia.wait_for_reply()
        assert answer.text == t("en", f"import_{reason}"), reason
        assert (await rig.repo.export_user(mia.id)).entries == (), reason
    # The same content, well formed, goes in: the table's refusals were about the flaws.
    await mia.send_document(
        export_zip(good, {"photos/a.jpg": photo, "photos/b.jpg": photo}), "ok.zip"
    )
    [answer] = await mia.wait_for_reply()
    assert answer.text == t("en", "import_done", imported=2, skipped=0)
