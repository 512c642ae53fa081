"""``/import``: a person's own ``/export`` ZIP brings their entries back (moving servers,
undoing a ``/delete_me`` made by mistake).

Telegram-free, so the bot's handler only downloads and answers. The rules, and why:

* **Everything is checked before anything is written.** A ZIP is read completely, every entry
  and every photo validated; a refusal writes nothing. If storage fails half-way, the entries
  this import created are deleted again: nothing is ever half-imported.
* **The ZIP is untrusted.** Its size, its members' number and unpacked size are bounded (a ZIP
  bomb is refused from its headers *and* while reading, since headers can lie), a name that
  leaves the archive (``../``, absolute) is refused, a "photo" must decode as an image, and an
  export made for another Telegram account (``user_id`` in entries.json) is refused.
* **Already there is skipped:** the same entry id (imported before: stored under the key
  ``import:<id>``), or the same day with the same text.
* Exports from before and after face/person emotions were told apart both read: an entry's
  ``face_emotion`` defaults to its ``emotion`` and ``emotion_source`` to ``"face"``; the
  classifier's ``probabilities`` are kept.
"""

from __future__ import annotations

import io
import json
import posixpath
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from facelog.domain import MAX_TEXT_CHARS, Emotion, EmotionSource
from storage import Repository

#: Telegram lets bots download at most 20 MB; an export bigger than that cannot reach us anyway.
MAX_ZIP_BYTES = 20 * 1024 * 1024
#: What the members may unpack to in total, and how many there may be.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_MEMBERS = 10_000
#: Photos and voice notes are already compressed: a member that shrinks this much is a bomb.
MAX_RATIO = 100
MAX_PHOTO_BYTES = 20 * 1024 * 1024
MAX_JSON_BYTES = 20 * 1024 * 1024


class ImportRefused(Exception):
    """The ZIP cannot be imported; ``reason`` is a message key (``import_<reason>``)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True)
class ImportedEntry:
    """One entry as read from an export, validated."""

    id: str
    day: date
    created_at: datetime | None
    emotion: Emotion
    face_emotion: Emotion
    emotion_source: EmotionSource
    face_confidence: float | None
    probabilities: dict[str, float]
    faces: int
    text: str
    anna_comment: str | None
    photo: bytes
    voice: bytes | None


@dataclass(frozen=True)
class ImportReport:
    imported: int
    skipped: int


def _safe_name(name: str) -> bool:
    if not name or name.startswith(("/", "\\")) or "\\" in name or "\x00" in name:
        return False
    normal = posixpath.normpath(name)
    return not (normal.startswith("..") or posixpath.isabs(normal) or ":" in name.split("/")[0])


def _is_image(data: bytes) -> bool:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return False
    return True


def _read_members(data: bytes) -> dict[str, bytes]:
    """Every file of the ZIP, bounded; refuses bombs and names that leave the archive."""
    if len(data) > MAX_ZIP_BYTES:
        raise ImportRefused("too_big")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise ImportRefused("not_zip") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            raise ImportRefused("bomb", "too many members")
        if sum(info.file_size for info in infos) > MAX_UNPACKED_BYTES:
            raise ImportRefused("bomb", "unpacks too large")
        for info in infos:
            if not _safe_name(info.filename):
                raise ImportRefused("bad_path")
            if info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * max(
                info.compress_size, 1
            ):
                raise ImportRefused("bomb", "compression ratio")
        members: dict[str, bytes] = {}
        total = 0
        for info in infos:
            if info.is_dir():
                continue
            try:
                with archive.open(info) as handle:
                    # Headers can lie about sizes: read at most one byte past what they claim.
                    body = handle.read(info.file_size + 1)
            except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError):
                raise ImportRefused("not_zip") from None
            if len(body) > info.file_size:
                raise ImportRefused("bomb", "a member is larger than its header says")
            total += len(body)
            if total > MAX_UNPACKED_BYTES:
                raise ImportRefused("bomb", "unpacks too large")
            members[posixpath.normpath(info.filename)] = body
    return members


def _emotion(value: object) -> Emotion:
    try:
        return Emotion(str(value))
    except ValueError:
        raise ImportRefused("bad_json", "unknown emotion") from None


def _entry(row: Mapping[str, Any], members: Mapping[str, bytes]) -> ImportedEntry:
    try:
        emotion = _emotion(row["emotion"])
        face = _emotion(row.get("face_emotion") or row["emotion"])
        source: EmotionSource = "person" if row.get("emotion_source") == "person" else "face"
        if row.get("emotion_source") not in (None, "face", "person"):
            raise ImportRefused("bad_json", "emotion_source")
        confidence = None if row.get("confidence") is None else float(row["confidence"])
        day = date.fromisoformat(str(row["date"]))
        created_at = None
        if row.get("created_at"):
            created_at = datetime.fromisoformat(str(row["created_at"]))
            if created_at.tzinfo is None:
                created_at = created_at.replace(tzinfo=UTC)
        probabilities = {str(k): float(v) for k, v in dict(row.get("probabilities") or {}).items()}
        faces = int(row.get("faces") or 1)
        text = str(row.get("text") or "")
        comment = row.get("anna_comment")
        photo_name = posixpath.normpath(str(row["photo"]))
        voice_name = row.get("voice")
        entry_id = str(row["id"])
    except (KeyError, TypeError, ValueError, AttributeError):
        raise ImportRefused("bad_json", "an entry lacks a field or has a wrong one") from None
    if faces < 1 or len(text) > MAX_TEXT_CHARS or not entry_id:
        raise ImportRefused("bad_json", "an entry's values are out of range")
    photo = members.get(photo_name)
    if photo is None:
        raise ImportRefused("bad_json", "a photo named in entries.json is missing")
    if len(photo) > MAX_PHOTO_BYTES or not _is_image(photo):
        raise ImportRefused("not_image")
    voice = None
    if voice_name:
        voice = members.get(posixpath.normpath(str(voice_name)))
        if voice is None:
            raise ImportRefused("bad_json", "a voice note named in entries.json is missing")
    return ImportedEntry(
        id=entry_id,
        day=day,
        created_at=created_at,
        emotion=emotion,
        face_emotion=face,
        emotion_source=source,
        face_confidence=confidence if confidence else None,
        probabilities=probabilities,
        faces=faces,
        text=text,
        anna_comment=None if comment is None else str(comment),
        photo=photo,
        voice=voice,
    )


def read_export(data: bytes, user_id: int) -> list[ImportedEntry]:
    """The entries of an ``/export`` ZIP made for ``user_id``; ``ImportRefused`` says why not."""
    members = _read_members(data)
    raw = members.get("entries.json")
    if raw is None or len(raw) > MAX_JSON_BYTES:
        raise ImportRefused("bad_json", "no entries.json")
    try:
        document = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise ImportRefused("bad_json", "entries.json is not JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("entries"), list):
        raise ImportRefused("bad_json", "entries.json has no entry list")
    owner = document.get("user_id")
    if owner is not None and owner != user_id:
        raise ImportRefused("other_account")
    rows = document["entries"]
    if not all(isinstance(row, dict) for row in rows):
        raise ImportRefused("bad_json", "an entry is not an object")
    return [_entry(row, members) for row in rows]


async def import_entries(
    repo: Repository, user_id: int, entries: list[ImportedEntry]
) -> ImportReport:
    """Store the entries not already there; undo this import's writes if one fails."""
    created: list[str] = []
    skipped = 0
    try:
        for item in entries:
            key = f"import:{item.id}"
            if await repo.get_entry(user_id, item.id) is not None:
                skipped += 1
                continue
            if await repo.entry_id_by_key(user_id, key) is not None:
                skipped += 1
                continue
            if any(e.text == item.text for e in await repo.list_day(user_id, item.day)):
                skipped += 1
                continue
            entry = await repo.create_entry(
                user_id,
                day=item.day,
                emotion=item.emotion,
                probabilities=item.probabilities,
                faces=item.faces,
                text=item.text,
                photo=item.photo,
                anna_comment=item.anna_comment,
                created_at=item.created_at,
                idempotency_key=key,
                face_emotion=item.face_emotion,
                face_confidence=item.face_confidence,
                emotion_source=item.emotion_source,
            )
            created.append(entry.id)
            if item.voice is not None:
                await repo.set_entry_voice(user_id, entry.id, item.voice)
    except BaseException:
        for entry_id in created:
            try:
                await repo.delete_entry(user_id, entry_id)
            except Exception:  # storage is down: the keys make a retry skip what stayed
                break
        raise
    return ImportReport(imported=len(created), skipped=skipped)
