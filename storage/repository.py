"""Facelog's one storage code path: MongoDB through PyMongo's asyncio API, photos in GridFS.

The same class serves the embedded nx-27017 server and a production replica set, so the contract
tests that pass against one describe the other. PyMongo's ``AsyncMongoClient`` is used rather
than motor: motor's maintainers deprecated it in favour of this API, which runs natively on
asyncio instead of wrapping the synchronous driver in threads.

Rules this module keeps:

* **Every method that touches a person's data takes their user id and filters by it.** An entry
  id alone never finds anything, so forged callback data naming another user's entry reads,
  changes and deletes nothing.
* Documents stop here: methods take and return :mod:`facelog.domain` values, and pymongo's
  errors become :class:`StorageUnavailable` (the server cannot be reached: answer "try again")
  or :class:`StorageError`.
* Nothing half-written: a photo is uploaded before its entry document and removed again when the
  entry cannot be written; a crash between the two leaves a *pending blob* record that
  :meth:`Repository.sweep_pending_blobs` clears at the next start.
* Queries and updates are written so that nx-27017 0.8.1 and MongoDB give the same answer. nx
  mishandles some operations (see ``storage/README.md``), hence: timestamps that change after
  insert are stored as epoch milliseconds, settings are written as whole sub-documents, booleans
  and datetimes are coerced when read, aggregations group by one plain field, and chat history is
  one document per turn rather than a capped array.
* With a cipher (``storage/crypto.py``), photos, voice notes, diary text, Anna's comments, chat
  and the user's name and intro are sealed before they are written and opened when read; plain
  records from before a key was configured still read. Nothing sealed is used in a filter.
* Nothing here logs diary text, photos, or anything a user wrote.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from types import TracebackType
from typing import Any, Literal, ParamSpec, TypeVar

from bson import ObjectId
from bson.errors import InvalidId
from gridfs import AsyncGridFSBucket
from gridfs.errors import NoFile
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConnectionFailure, DuplicateKeyError, OperationFailure, PyMongoError

from facelog.domain import (
    Account,
    AnnaSettings,
    ChatTurn,
    Emotion,
    EmotionCounts,
    EmotionSource,
    Entry,
    ExportedEntry,
    LabelledReading,
    LearnedBias,
    Month,
    MonthCounts,
    ReminderSettings,
    Role,
    User,
    UserExport,
)
from storage.crypto import Cipher, CryptoError

log = logging.getLogger(__name__)

Document = dict[str, Any]
Clock = Callable[[], datetime]
BucketName = Literal["photos", "voice"]
#: A sent-log record: claimed (send in progress or lost in a crash), or its final outcome.
JobState = Literal["claimed", "sent", "skipped", "gone"]

P = ParamSpec("P")
R = TypeVar("R")

#: Blobs larger than this are sealed and opened in a worker thread: a 3 MB photo takes ~35 ms of
#: CPU, which must not stall every other person's update on the event loop.
_OFF_LOOP_BYTES = 256 * 1024

#: Sealed into ``meta`` when a key is first configured: at start, opening it proves the configured
#: keys can read this database, so a wrong key stops Facelog at once instead of at every read.
_KEY_CHECK = b"facelog encryption key check"

#: Chat turns kept per user: enough context for Anna, bounded so the collection cannot grow
#: without limit with a chatty user.
DEFAULT_CHAT_LIMIT = 40
#: Inbox states: received (stored, not yet started), working (a handler runs it under a lease),
#: done (its effects are complete), parked (it killed its handler too often; see ``inbox_begin``).
InboxState = Literal["received", "working", "done", "parked"]
_UNFINISHED: list[str] = ["received", "working"]


class StorageError(Exception):
    """A storage operation failed. The message never carries user data."""


class StorageUnavailable(StorageError):
    """The database cannot be reached; retrying later may succeed."""


class SchemaTooNew(StorageError):
    """The database was migrated by a newer Facelog; this one must not write to it."""


@dataclass(frozen=True)
class RekeyReport:
    """How many records :meth:`Repository.reencrypt_all` rewrote (0 everywhere: all current)."""

    users: int
    entries: int
    chat_turns: int
    blobs: int
    #: Inbox updates not yet done (or parked), whose stored update is sealed too.
    updates: int = 0


@dataclass(frozen=True)
class InboxRecord:
    """One Telegram update as the inbox holds it.

    ``update`` is the update exactly as Telegram sent it (opened, when sealed at rest); it is
    dropped once the update is done, so a finished diary entry's text is not kept twice.
    ``tries`` counts how often a handler started on it; ``sent`` names the answers already
    delivered, so a replay does not show them again.
    """

    update_id: int
    user_id: int | None
    state: InboxState
    owner: str | None
    tries: int
    update: dict[str, Any] | None
    sent: frozenset[str]
    error: str | None = None
    #: Runs started while no other update ran: a process that died then died of this update.
    strikes: int = 0


class EncryptionKeyError(StorageError):
    """Encrypted data cannot be opened with the configured keys (wrong, dropped or missing key).

    Retrying does not help: the operator must fix ``FACELOG_ENCRYPTION_KEYS``. The message names
    the problem, never a key or any data.
    """


def _guard(fn: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, Coroutine[Any, Any, R]]:
    """Turn pymongo's errors into storage errors so services never import pymongo."""

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await fn(*args, **kwargs)
        except ConnectionFailure as exc:
            raise StorageUnavailable("the database cannot be reached") from exc
        except PyMongoError as exc:
            raise StorageError(f"database operation failed ({type(exc).__name__})") from exc
        except CryptoError as exc:
            raise EncryptionKeyError(str(exc)) from exc

    return wrapper


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _to_ms(moment: datetime) -> datetime:
    """BSON dates hold milliseconds: round down here so what we return equals what we read."""
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _ms(duration: timedelta) -> int:
    return int(duration.total_seconds() * 1000)


def _as_utc(value: Any) -> datetime:
    """A stored datetime as an aware UTC value.

    nx-27017 0.8.1 returns some dates as ISO strings (a ``$set`` of a top-level date, GridFS
    upload dates); we avoid writing those, and read defensively in case one slipped through.
    """
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value)
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    raise StorageError(f"expected a stored date, found {type(value).__name__}")


def _object_id(text: str) -> ObjectId | None:
    """Parse an id from the outside (callback data): a malformed one simply finds nothing."""
    try:
        return ObjectId(text)
    except (InvalidId, TypeError):
        return None


# -- document ⇄ domain mapping ----------------------------------------------------------------


def _anna_doc(settings: AnnaSettings) -> Document:
    return {
        "attitude": settings.attitude,
        "composition": sorted(settings.composition),
        "intensity": settings.intensity,
        "length": settings.length,
        "voice_replies": settings.voice_replies,
    }


def _anna_from(doc: Mapping[str, Any] | None) -> AnnaSettings:
    doc = doc or {}
    default = AnnaSettings()
    return AnnaSettings(
        attitude=doc.get("attitude", default.attitude),
        composition=frozenset(doc.get("composition") or ()),
        intensity=float(doc.get("intensity", default.intensity)),
        length=int(doc.get("length", default.length)),
        voice_replies=bool(doc.get("voice_replies", default.voice_replies)),
    )


def _reminder_doc(settings: ReminderSettings) -> Document:
    return {
        "enabled": settings.enabled,
        "hour": settings.hour,
        "minute": settings.minute,
        "time_zone": settings.time_zone,
    }


def _reminder_from(doc: Mapping[str, Any] | None, fallback_zone: str) -> ReminderSettings:
    doc = doc or {}
    default = ReminderSettings(time_zone=fallback_zone)
    return ReminderSettings(
        enabled=bool(doc.get("enabled", default.enabled)),
        hour=int(doc.get("hour", default.hour)),
        minute=int(doc.get("minute", default.minute)),
        time_zone=str(doc.get("time_zone", default.time_zone)),
    )


def _user_from(doc: Mapping[str, Any], cipher: Cipher) -> User:
    return User(
        id=int(doc["_id"]),
        name=cipher.open_text(doc["name"]),
        intro=cipher.open_optional(doc.get("intro")),
        language=doc.get("language", "ko"),
        time_zone=str(doc.get("time_zone", "Asia/Seoul")),
        active=bool(doc.get("active", True)),  # nx-27017 turns a $set boolean into 0/1
        created_at=_as_utc(doc["created_at"]),
    )


def _account_from(doc: Mapping[str, Any], cipher: Cipher) -> Account:
    user = _user_from(doc, cipher)
    return Account(
        user=user,
        anna=_anna_from(doc.get("anna")),
        reminder=_reminder_from(doc.get("reminder"), user.time_zone),
    )


def _entry_doc(entry: Entry, key: str | None, cipher: Cipher) -> Document:
    for label in entry.probabilities:
        if "." in label or label.startswith("$"):
            raise ValueError("probability labels must not contain '.' or start with '$'")
    doc: Document = {
        "_id": ObjectId(entry.id),
        "user_id": entry.user_id,
        "day": entry.day.isoformat(),
        "created_at": entry.created_at,
        "emotion": entry.emotion.value,
        "probabilities": dict(entry.probabilities),
        "faces": entry.faces,
        "text": cipher.seal_text(entry.text),
        "photo_id": ObjectId(entry.photo_id),
        "face_emotion": entry.face.value,
        "face_confidence": entry.face_confidence,
        "emotion_source": entry.emotion_source,
    }
    if entry.message_ids:
        doc["message_ids"] = list(entry.message_ids)
    if entry.anna_comment is not None:
        doc["anna_comment"] = cipher.seal_text(entry.anna_comment)
    if entry.voice_id is not None:
        doc["voice_id"] = ObjectId(entry.voice_id)
    if key is not None:
        doc["key"] = key
    return doc


def _entry_from(doc: Mapping[str, Any], cipher: Cipher) -> Entry:
    voice = doc.get("voice_id")
    return Entry(
        id=str(doc["_id"]),
        user_id=int(doc["user_id"]),
        day=date.fromisoformat(doc["day"]),
        created_at=_as_utc(doc["created_at"]),
        emotion=Emotion(doc["emotion"]),
        probabilities={str(k): float(v) for k, v in (doc.get("probabilities") or {}).items()},
        faces=int(doc["faces"]),
        text=cipher.open_text(doc.get("text", "")),
        photo_id=str(doc["photo_id"]),
        anna_comment=cipher.open_optional(doc.get("anna_comment")),
        voice_id=str(voice) if voice is not None else None,
        # Entries stored before corrections existed showed the raw reading, as these defaults do.
        face_emotion=Emotion(doc["face_emotion"]) if doc.get("face_emotion") else None,
        face_confidence=_optional_float(doc.get("face_confidence")),
        emotion_source="person" if doc.get("emotion_source") == "person" else "face",
        message_ids=tuple(int(m) for m in doc.get("message_ids") or ()),
    )


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _learned_doc(learned: LearnedBias, cipher: Cipher) -> Document:
    """The bias and its counts sealed together: they describe how a person's face reads."""
    secret = {
        "bias": list(learned.bias),
        "corrections": learned.corrections,
        "confirmations": learned.confirmations,
    }
    return {
        "learned": cipher.seal_text(json.dumps(secret)),
        "updated_at": _to_ms(learned.updated_at),
        "reset_at": None if learned.reset_at is None else _to_ms(learned.reset_at),
    }


def _bias(values: Sequence[Any]) -> tuple[float, float, float, float]:
    a, b, c, d = (float(v) for v in values)
    return (a, b, c, d)


def _learned_from(doc: Mapping[str, Any], cipher: Cipher) -> LearnedBias:
    secret = json.loads(cipher.open_text(doc["learned"]))
    reset = doc.get("reset_at")
    return LearnedBias(
        bias=_bias(secret["bias"]),
        corrections=int(secret["corrections"]),
        confirmations=int(secret["confirmations"]),
        updated_at=_as_utc(doc["updated_at"]),
        reset_at=None if reset is None else _as_utc(reset),
    )


def _turn_from(doc: Mapping[str, Any], cipher: Cipher) -> ChatTurn:
    return ChatTurn(role=doc["role"], text=cipher.open_text(doc["text"]), at=_as_utc(doc["at"]))


def _month_filter(user_id: int, month: Month) -> Document:
    # Days are stored as ISO strings, so a month is a plain string range (works on both servers).
    return {
        "user_id": user_id,
        "day": {"$gte": month.first_day.isoformat(), "$lt": month.next().first_day.isoformat()},
    }


_CALENDAR_ORDER = [("day", ASCENDING), ("created_at", ASCENDING), ("_id", ASCENDING)]
_NEWEST_FIRST = [("created_at", DESCENDING), ("_id", DESCENDING)]
_CHAT_NEWEST_FIRST = [("at", DESCENDING), ("_id", DESCENDING)]


class Repository:
    """Users, settings, entries with their photo and voice blobs, chat history, and the small
    records that make the bot exactly-once (the update inbox, the scheduler's sent-log, leases).

    Build it with :meth:`connect`; run :meth:`migrate` once at start. ``clock`` gives "now"
    (UTC) and exists so tests of leases and timestamps need no real waiting. ``cipher`` seals
    what people wrote and showed (``storage/crypto.py``); without one, data is stored plain.
    """

    def __init__(
        self,
        client: AsyncMongoClient[Document],
        database: str,
        *,
        clock: Clock | None = None,
        chat_limit: int = DEFAULT_CHAT_LIMIT,
        cipher: Cipher | None = None,
    ) -> None:
        if chat_limit < 1:
            raise ValueError("chat_limit must be at least 1")
        self._cipher = cipher or Cipher()
        self._client = client
        self._db: AsyncDatabase[Document] = client[database]
        self._clock = clock or _utc_now
        self.chat_limit = chat_limit
        self._users: AsyncCollection[Document] = self._db["users"]
        self._entries: AsyncCollection[Document] = self._db["entries"]
        self._chat: AsyncCollection[Document] = self._db["chat"]
        self._inbox: AsyncCollection[Document] = self._db["inbox"]
        self._sent: AsyncCollection[Document] = self._db["sent_log"]
        self._leases: AsyncCollection[Document] = self._db["leases"]
        self._pending: AsyncCollection[Document] = self._db["pending_blobs"]
        self._meta: AsyncCollection[Document] = self._db["meta"]
        self._sessions: AsyncCollection[Document] = self._db["sessions"]
        #: One document per person: their learned bias (sealed), keyed by user id.
        self._calibration: AsyncCollection[Document] = self._db["calibration"]
        #: One document per language: the community prior (four numbers, no person's data).
        self._community: AsyncCollection[Document] = self._db["community_prior"]
        self._buckets: dict[BucketName, AsyncGridFSBucket] = {
            "photos": AsyncGridFSBucket(self._db, bucket_name="photos"),
            "voice": AsyncGridFSBucket(self._db, bucket_name="voice"),
        }

    @classmethod
    async def connect(
        cls,
        uri: str,
        database: str = "facelog",
        *,
        clock: Clock | None = None,
        chat_limit: int = DEFAULT_CHAT_LIMIT,
        timeout_s: float = 5.0,
        cipher: Cipher | None = None,
    ) -> Repository:
        """Connect to ``uri`` and check the server answers (``StorageUnavailable`` if not).

        ``timeout_s`` bounds server selection: the bot should answer "try again" within
        seconds when the database is down, not after pymongo's default 30 s.
        """
        client: AsyncMongoClient[Document] = AsyncMongoClient(
            uri,
            tz_aware=True,
            tzinfo=UTC,
            serverSelectionTimeoutMS=int(timeout_s * 1000),
            connectTimeoutMS=int(timeout_s * 1000),
            appname="facelog",
        )
        repo = cls(client, database, clock=clock, chat_limit=chat_limit, cipher=cipher)
        try:
            await repo.ping()
        except BaseException:
            await client.close()
            raise
        return repo

    @property
    def database(self) -> AsyncDatabase[Document]:
        """The underlying database, for tests and maintenance scripts only (not for services)."""
        return self._db

    async def close(self) -> None:
        """Close the client's connections."""
        await self._client.close()

    async def __aenter__(self) -> Repository:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def _now(self) -> datetime:
        return _to_ms(self._clock())

    @_guard
    async def ping(self) -> None:
        """Raise ``StorageUnavailable`` unless the server answers."""
        await self._db.command("ping")

    # -- schema -------------------------------------------------------------------------------

    @_guard
    async def schema_version(self) -> int:
        """The last migration applied to this database (0 for a new one)."""
        doc = await self._meta.find_one({"_id": "schema"})
        return int(doc["version"]) if doc else 0

    @_guard
    async def migrate(self) -> int:
        """Apply the migrations this database lacks, in order; return the schema version.

        Every step is idempotent, so two instances starting together, or a start interrupted
        half-way, just apply a step again. A database from a newer Facelog is refused rather
        than written with an older idea of its shape.
        """
        current = await self.schema_version()
        latest = MIGRATIONS[-1][0]
        if current > latest:
            raise SchemaTooNew(
                f"database schema v{current} is newer than this Facelog's v{latest}; upgrade"
            )
        for version, description, step in MIGRATIONS:
            if version <= current:
                continue
            log.info("applying schema migration %d: %s", version, description)
            await step(self)
            await self._meta.update_one(
                {"_id": "schema"}, {"$max": {"version": version}}, upsert=True
            )
        return max(current, latest)

    async def _create_indexes(self) -> None:
        entries = self._entries
        await entries.create_index(
            [("user_id", ASCENDING), ("day", ASCENDING), ("created_at", ASCENDING)],
            name="calendar",
        )
        await entries.create_index(
            [("user_id", ASCENDING), ("created_at", DESCENDING)], name="recent"
        )
        await entries.create_index([("user_id", ASCENDING), ("emotion", ASCENDING)], name="stats")
        # Only entries that carry a key are constrained (the partial filter on MongoDB; nx-27017
        # ignores the filter, but its SQLite index treats a missing key as distinct NULLs).
        await entries.create_index(
            [("user_id", ASCENDING), ("key", ASCENDING)],
            name="idempotency",
            unique=True,
            partialFilterExpression={"key": {"$type": "string"}},
        )
        await self._chat.create_index([("user_id", ASCENDING), ("at", DESCENDING)], name="recent")
        await self._sent.create_index(
            [("user_id", ASCENDING), ("kind", ASCENDING), ("period", ASCENDING)],
            name="once",
            unique=True,
        )
        await self._db["processed_updates"].create_index(
            [("bot_id", ASCENDING), ("update_id", ASCENDING)], name="once", unique=True
        )
        await self._pending.create_index("at", name="age")
        for bucket in ("photos", "voice"):
            await self._db[f"{bucket}.files"].create_index("metadata.user_id", name="owner")

    # -- users and settings -------------------------------------------------------------------

    @_guard
    async def get_user(self, user_id: int) -> User | None:
        """The user, or None before onboarding (or after ``delete_user``)."""
        doc = await self._users.find_one({"_id": user_id})
        return _user_from(doc, self._cipher) if doc else None

    @_guard
    async def get_account(self, user_id: int) -> Account | None:
        """The user with Anna's and the reminder's settings, in one read."""
        doc = await self._users.find_one({"_id": user_id})
        return _account_from(doc, self._cipher) if doc else None

    @_guard
    async def save_user(self, user: User) -> User:
        """Create the user or update their profile; return what is stored.

        A new user gets default settings (reminder in their time zone, off until onboarding
        turns it on). An existing user keeps ``created_at``, their settings and their entries.
        """
        await self._users.update_one(
            {"_id": user.id},
            {
                "$set": {
                    "name": self._cipher.seal_text(user.name),
                    "intro": self._cipher.seal_optional(user.intro),
                    "language": user.language,
                    "time_zone": user.time_zone,
                    "active": user.active,
                },
                "$setOnInsert": {
                    "created_at": _to_ms(user.created_at),
                    "anna": _anna_doc(AnnaSettings()),
                    "reminder": _reminder_doc(ReminderSettings(time_zone=user.time_zone)),
                },
            },
            upsert=True,
        )
        doc = await self._users.find_one({"_id": user.id})
        if doc is None:  # deleted concurrently by /delete_me
            raise StorageError("the user was deleted while being saved")
        return _user_from(doc, self._cipher)

    @_guard
    async def set_user_active(self, user_id: int, active: bool) -> bool:
        """Mark a user (in)active (403 from Telegram: they blocked the bot); False if unknown."""
        result = await self._users.update_one({"_id": user_id}, {"$set": {"active": active}})
        return result.matched_count == 1

    @_guard
    async def set_anna_settings(self, user_id: int, settings: AnnaSettings) -> bool:
        """Replace Anna's settings; False if the user does not exist."""
        result = await self._users.update_one(
            {"_id": user_id}, {"$set": {"anna": _anna_doc(settings)}}
        )
        return result.matched_count == 1

    @_guard
    async def set_reminder_settings(self, user_id: int, settings: ReminderSettings) -> bool:
        """Replace the reminder settings; False if the user does not exist."""
        result = await self._users.update_one(
            {"_id": user_id}, {"$set": {"reminder": _reminder_doc(settings)}}
        )
        return result.matched_count == 1

    async def iter_accounts(
        self, *, active_only: bool = True, reminders_only: bool = False, batch_size: int = 500
    ) -> AsyncIterator[Account]:
        """Walk all accounts in id order, one batch in memory at a time (for the scheduler).

        Paginates by id rather than holding one cursor open, so a long walk that sends messages
        between batches survives cursor timeouts and server restarts between batches.
        """
        query: Document = {}
        if active_only:
            query["active"] = True
        if reminders_only:
            query["reminder.enabled"] = True
        last: int | None = None
        while True:
            page_query = dict(query) if last is None else {**query, "_id": {"$gt": last}}
            try:
                docs = (
                    await self._users.find(page_query)
                    .sort("_id", ASCENDING)
                    .limit(batch_size)
                    .to_list()
                )
            except ConnectionFailure as exc:
                raise StorageUnavailable("the database cannot be reached") from exc
            except PyMongoError as exc:
                raise StorageError(f"database operation failed ({type(exc).__name__})") from exc
            for doc in docs:
                try:
                    account = _account_from(doc, self._cipher)
                except CryptoError as exc:
                    raise EncryptionKeyError(str(exc)) from exc
                yield account
            if len(docs) < batch_size:
                return
            last = int(docs[-1]["_id"])

    # -- blobs --------------------------------------------------------------------------------

    async def _mark_pending(self, bucket: BucketName, blob_id: ObjectId, user_id: int) -> None:
        with contextlib.suppress(DuplicateKeyError):
            await self._pending.insert_one(
                {"_id": blob_id, "bucket": bucket, "user_id": user_id, "at": self._now()}
            )

    async def _put_blob(
        self, bucket: BucketName, blob_id: ObjectId, user_id: int, entry_id: ObjectId, data: bytes
    ) -> None:
        """Upload a blob (sealed when a key is configured), pending until its entry refers to it."""
        stored, marker = await self._seal_blob(data)
        await self._mark_pending(bucket, blob_id, user_id)
        try:
            await self._buckets[bucket].upload_from_stream_with_id(
                blob_id,
                str(entry_id),
                stored,
                # A string: nx-27017 stores GridFS metadata as JSON and rejects an ObjectId.
                metadata={"user_id": user_id, "entry_id": str(entry_id), **marker},
            )
        except BaseException:
            await self._discard_blob(bucket, blob_id)
            raise

    async def _seal_blob(self, data: bytes) -> tuple[bytes, dict[str, str]]:
        if self._cipher.enabled and len(data) > _OFF_LOOP_BYTES:
            return await asyncio.to_thread(self._cipher.seal_blob, data)
        return self._cipher.seal_blob(data)

    async def _open_blob(self, stored: bytes, metadata: object) -> bytes:
        if self._cipher.enabled and len(stored) > _OFF_LOOP_BYTES:
            return await asyncio.to_thread(self._cipher.open_blob, stored, metadata)
        return self._cipher.open_blob(stored, metadata)

    async def _settle_blob(self, blob_id: ObjectId) -> None:
        # Best effort: a leftover pending record only costs the sweep a lookup.
        with contextlib.suppress(PyMongoError):
            await self._pending.delete_one({"_id": blob_id})

    async def _discard_blob(self, bucket: BucketName, blob_id: ObjectId) -> None:
        """Remove a blob whose entry was not written; leave it to the sweep if that fails too."""
        try:
            await self._delete_blob(bucket, blob_id)
        except PyMongoError:
            log.warning("could not remove an unreferenced %s blob; the sweep will", bucket)
            return
        await self._settle_blob(blob_id)

    async def _delete_blob(self, bucket: BucketName, blob_id: ObjectId) -> None:
        try:
            await self._buckets[bucket].delete(blob_id)
        except NoFile:
            pass
        except OperationFailure as exc:
            # nx-27017 reports a missing file as an OperationFailure, MongoDB as NoFile.
            if "not found" not in str(exc):
                raise

    async def _read_blob(self, bucket: BucketName, blob_id: ObjectId) -> bytes | None:
        try:
            stream = await self._buckets[bucket].open_download_stream(blob_id)
            data: bytes = await stream.read()
        except NoFile:
            log.error("a %s blob referenced by an entry is missing", bucket)
            return None
        return await self._open_blob(data, stream.metadata)

    async def _blob_ids_of(self, bucket: BucketName, user_id: int) -> list[ObjectId]:
        cursor = self._buckets[bucket].find({"metadata.user_id": user_id})
        return [grid_out._id async for grid_out in cursor]

    @_guard
    async def sweep_pending_blobs(self, older_than: timedelta = timedelta(minutes=10)) -> int:
        """Remove blobs left by a crash between upload and entry write; return how many.

        A pending record older than ``older_than`` whose blob no entry refers to is an orphan.
        Run at start (and from time to time); younger records may belong to a post in flight.
        """
        removed = 0
        cutoff = self._now() - older_than
        async for doc in self._pending.find({"at": {"$lt": cutoff}}):
            blob_id = doc["_id"]
            bucket: BucketName = "voice" if doc.get("bucket") == "voice" else "photos"
            field = "voice_id" if bucket == "voice" else "photo_id"
            # Compared here, not in the filter: nx-27017 never matches an ObjectId held in a
            # field other than _id, so a filter would call every referenced blob an orphan.
            owned = self._entries.find({"user_id": doc["user_id"]}, {field: 1})
            referenced = [e async for e in owned if e.get(field) == blob_id]
            if not referenced:
                await self._delete_blob(bucket, blob_id)
                removed += 1
            await self._pending.delete_one({"_id": blob_id})
        if removed:
            log.info("removed %d orphaned blob(s)", removed)
        return removed

    # -- entries ------------------------------------------------------------------------------

    @_guard
    async def create_entry(
        self,
        user_id: int,
        *,
        day: date,
        emotion: Emotion | str,
        probabilities: Mapping[str, float],
        faces: int,
        text: str,
        photo: bytes,
        anna_comment: str | None = None,
        created_at: datetime | None = None,
        idempotency_key: str | None = None,
        face_emotion: Emotion | str | None = None,
        face_confidence: float | None = None,
        emotion_source: EmotionSource = "face",
        message_ids: Sequence[int] = (),
    ) -> Entry:
        """Store a new entry with its photo and return it.

        The values are validated before anything is written; the photo goes to GridFS first and
        is removed again if the entry document cannot be written. With ``idempotency_key``
        (e.g. the Telegram update id), a second call with the same key returns the entry the
        first one stored instead of storing another.
        """
        entry_oid, photo_oid = ObjectId(), ObjectId()
        entry = Entry(
            id=str(entry_oid),
            user_id=user_id,
            day=day,
            created_at=_to_ms(created_at) if created_at is not None else self._now(),
            emotion=Emotion(emotion),
            probabilities=probabilities,
            faces=faces,
            text=text,
            photo_id=str(photo_oid),
            anna_comment=anna_comment,
            face_emotion=Emotion(face_emotion) if face_emotion is not None else None,
            face_confidence=face_confidence,
            emotion_source=emotion_source,
            message_ids=tuple(message_ids),
        )
        doc = _entry_doc(entry, idempotency_key, self._cipher)
        if idempotency_key is not None:
            existing = await self._entries.find_one({"user_id": user_id, "key": idempotency_key})
            if existing is not None:
                return _entry_from(existing, self._cipher)
        await self._put_blob("photos", photo_oid, user_id, entry_oid, photo)
        try:
            await self._entries.insert_one(doc)
        except DuplicateKeyError:
            # Another delivery of the same update won the race: keep its entry, drop our photo.
            await self._discard_blob("photos", photo_oid)
            existing = await self._entries.find_one({"user_id": user_id, "key": idempotency_key})
            if existing is None:
                raise
            return _entry_from(existing, self._cipher)
        except BaseException:
            await self._discard_blob("photos", photo_oid)
            raise
        await self._settle_blob(photo_oid)
        return entry

    @_guard
    async def entry_id_by_key(self, user_id: int, key: str) -> str | None:
        """The id of the entry stored under an idempotency key, if one was."""
        doc = await self._entries.find_one({"user_id": user_id, "key": key}, {"_id": 1})
        return None if doc is None else str(doc["_id"])

    @_guard
    async def get_entry(self, user_id: int, entry_id: str) -> Entry | None:
        """The user's entry with that id; None for a malformed id or another user's entry."""
        oid = _object_id(entry_id)
        if oid is None:
            return None
        doc = await self._entries.find_one({"_id": oid, "user_id": user_id})
        return _entry_from(doc, self._cipher) if doc else None

    @_guard
    async def list_month(self, user_id: int, month: Month) -> list[Entry]:
        """The month's entries in calendar order (day, then time written)."""
        return await self._entries_where(_month_filter(user_id, month))

    @_guard
    async def list_day(self, user_id: int, day: date) -> list[Entry]:
        """The day's entries in the order they were written."""
        return await self._entries_where({"user_id": user_id, "day": day.isoformat()})

    async def _entries_where(self, match: Document) -> list[Entry]:
        """Entries matching ``match`` in calendar order.

        An aggregation rather than ``find``: nx-27017 0.8.1 answers the same filter through
        ``$match`` about 20 times faster (2 ms against 40 ms for a month among 6 000 entries),
        which is what lets the monthly summary job serve 10 000 users; MongoDB is equally fast
        both ways.
        """
        cursor = await self._entries.aggregate(
            [{"$match": match}, {"$sort": dict(_CALENDAR_ORDER)}]
        )
        return [_entry_from(doc, self._cipher) async for doc in cursor]

    @_guard
    async def has_entry_on(self, user_id: int, day: date) -> bool:
        """Whether the user posted for that local day (the reminder is skipped then)."""
        cursor = await self._entries.aggregate(
            [{"$match": {"user_id": user_id, "day": day.isoformat()}}, {"$limit": 1}]
        )
        return bool(await cursor.to_list())

    @_guard
    async def recent_entries(self, user_id: int, limit: int = 5) -> list[Entry]:
        """The last ``limit`` entries written, oldest first (Anna's context reads in order)."""
        if limit <= 0:
            return []
        cursor = self._entries.find({"user_id": user_id}).sort(_NEWEST_FIRST).limit(limit)
        newest_first = [_entry_from(doc, self._cipher) async for doc in cursor]
        return newest_first[::-1]

    @_guard
    async def entry_times_since(
        self, user_id: int, since: datetime, limit: int = 1000
    ) -> list[datetime]:
        """When the user's entries stored since ``since`` were written, oldest first.

        For the posts-per-hour limit: counted from storage, so a restart does not reset it.
        """
        cursor = (
            self._entries.find(
                {"user_id": user_id, "created_at": {"$gte": _to_ms(since)}}, {"created_at": 1}
            )
            .sort("created_at", ASCENDING)
            .limit(limit)
        )
        return [_as_utc(doc["created_at"]) async for doc in cursor]

    @_guard
    async def emotion_counts(self, user_id: int, month: Month | None = None) -> EmotionCounts:
        """Entries per emotion: all time (``/stats``), or within one month.

        One ``$group`` on a plain field: nx-27017 answers that correctly (a computed group key
        silently returns one wrong group there).
        """
        match = _month_filter(user_id, month) if month else {"user_id": user_id}
        cursor = await self._entries.aggregate(
            [{"$match": match}, {"$group": {"_id": "$emotion", "n": {"$sum": 1}}}]
        )
        return EmotionCounts({Emotion(doc["_id"]): int(doc["n"]) async for doc in cursor})

    @_guard
    async def month_counts(self, user_id: int, month: Month) -> MonthCounts:
        """A month's counts, as the monthly summary compares them."""
        return MonthCounts(month, await self.emotion_counts(user_id, month))

    @_guard
    async def set_anna_comment(self, user_id: int, entry_id: str, comment: str) -> bool:
        """Attach Anna's comment (it may come after the entry); False if no such entry."""
        oid = _object_id(entry_id)
        if oid is None:
            return False
        result = await self._entries.update_one(
            {"_id": oid, "user_id": user_id},
            {"$set": {"anna_comment": self._cipher.seal_text(comment)}},
        )
        return result.matched_count == 1

    @_guard
    async def set_entry_voice(self, user_id: int, entry_id: str, voice: bytes) -> bool:
        """Store Anna's spoken comment for an entry (replacing an earlier one); False if no entry.

        The blob is only kept when the entry still exists once it is referenced.
        """
        oid = _object_id(entry_id)
        if oid is None:
            return False
        doc = await self._entries.find_one({"_id": oid, "user_id": user_id}, {"voice_id": 1})
        if doc is None:
            return False
        voice_oid = ObjectId()
        previous = doc.get("voice_id")
        if previous is not None:  # replaced below: pending until it is gone
            await self._mark_pending("voice", previous, user_id)
        await self._put_blob("voice", voice_oid, user_id, oid, voice)
        try:
            result = await self._entries.update_one(
                {"_id": oid, "user_id": user_id}, {"$set": {"voice_id": voice_oid}}
            )
        except BaseException:
            await self._discard_blob("voice", voice_oid)
            raise
        if result.matched_count != 1:  # deleted meanwhile
            await self._discard_blob("voice", voice_oid)
            return False
        await self._settle_blob(voice_oid)
        if previous is not None:
            await self._delete_blob("voice", previous)
            await self._settle_blob(previous)
        return True

    @_guard
    async def get_photo(self, user_id: int, entry_id: str) -> bytes | None:
        """The entry's photo; None if the user has no such entry."""
        return await self._entry_blob(user_id, entry_id, "photos")

    @_guard
    async def get_voice(self, user_id: int, entry_id: str) -> bytes | None:
        """Anna's spoken comment for the entry; None if there is none (or no such entry)."""
        return await self._entry_blob(user_id, entry_id, "voice")

    async def _entry_blob(self, user_id: int, entry_id: str, bucket: BucketName) -> bytes | None:
        oid = _object_id(entry_id)
        if oid is None:
            return None
        field = "voice_id" if bucket == "voice" else "photo_id"
        doc = await self._entries.find_one({"_id": oid, "user_id": user_id}, {field: 1})
        if doc is None or doc.get(field) is None:
            return None
        return await self._read_blob(bucket, doc[field])

    @_guard
    async def delete_entry(self, user_id: int, entry_id: str) -> bool:
        """Delete one entry and its files; False if the user has no such entry."""
        oid = _object_id(entry_id)
        if oid is None:
            return False
        doc = await self._entries.find_one({"_id": oid, "user_id": user_id})
        if doc is None:
            return False
        blobs: list[tuple[BucketName, ObjectId]] = [("photos", doc["photo_id"])]
        if doc.get("voice_id") is not None:
            blobs.append(("voice", doc["voice_id"]))
        # The blobs become pending before the document goes, and the document goes before the
        # blobs: a crash anywhere leaves either a whole entry or orphans the sweep removes, never
        # an entry whose photo is missing.
        for bucket, blob_id in blobs:
            await self._mark_pending(bucket, blob_id, user_id)
        result = await self._entries.delete_one({"_id": oid, "user_id": user_id})
        for bucket, blob_id in blobs:
            await self._delete_blob(bucket, blob_id)
            await self._settle_blob(blob_id)
        return result.deleted_count == 1

    @_guard
    async def entry_by_message(self, user_id: int, message_id: int) -> Entry | None:
        """The user's entry made from that chat message (its photo, caption or diary text)."""
        # ``$in`` rather than the plain value: with the ``messages`` index in place, nx-27017
        # 0.8.1 matches an array field against a scalar wrongly (finds nothing); MongoDB agrees.
        doc = await self._entries.find_one(
            {"user_id": user_id, "message_ids": {"$in": [int(message_id)]}}
        )
        return _entry_from(doc, self._cipher) if doc else None

    @_guard
    async def update_entry(
        self,
        user_id: int,
        entry: Entry,
        *,
        emotion: Emotion | None = None,
        emotion_source: EmotionSource | None = None,
        text: str | None = None,
        day: date | None = None,
    ) -> Entry | None:
        """Change what the person may change (emotion and its source, text, day) of ``entry``,
        as the caller read it with :meth:`get_entry`; return the entry as stored now, or None
        when the user has no such entry (any more). The values are checked by :class:`Entry`
        before anything is written, and only the fields given are written."""
        changes: dict[str, Any] = {
            name: value
            for name, value in (
                ("emotion", emotion),
                ("emotion_source", emotion_source),
                ("text", text),
                ("day", day),
            )
            if value is not None
        }
        changed = replace(entry, **changes)
        # Pinned on every change: older documents lack them, and the defaults they read as must
        # not move once ``emotion`` is the person's word.
        fields: Document = {
            "face_emotion": changed.face.value,
            "face_confidence": changed.face_confidence,
        }
        if emotion is not None:
            fields["emotion"] = changed.emotion.value
        if emotion_source is not None:
            fields["emotion_source"] = changed.emotion_source
        if text is not None:
            fields["text"] = self._cipher.seal_text(changed.text)
        if day is not None:
            fields["day"] = changed.day.isoformat()
        updated = await self._entries.find_one_and_update(
            {"_id": ObjectId(entry.id), "user_id": user_id},
            {"$set": fields},
            return_document=ReturnDocument.AFTER,
        )
        return _entry_from(updated, self._cipher) if updated else None

    @_guard
    async def labelled_readings(
        self, user_id: int, since: datetime | None = None
    ) -> list[LabelledReading]:
        """The user's entries as calibration learns from them (written at or after ``since``):
        the raw probabilities with the person's word, or with the reading shown and kept."""
        # ``since`` is compared here rather than in the query: nx-27017 0.8.1 answers a
        # ``$gte`` on a datetime with earlier documents too.
        floor = None if since is None else _to_ms(since)
        fields = ("probabilities", "emotion", "face_emotion", "emotion_source", "created_at")
        cursor = self._entries.find({"user_id": user_id}, dict.fromkeys(fields, 1))
        readings = []
        async for doc in cursor:
            if floor is not None and _as_utc(doc["created_at"]) < floor:
                continue
            probabilities = {str(k): float(v) for k, v in (doc.get("probabilities") or {}).items()}
            if not probabilities:
                continue
            person = doc.get("emotion_source") == "person"
            label = doc["emotion"] if person else (doc.get("face_emotion") or doc["emotion"])
            readings.append(LabelledReading(probabilities, Emotion(label), person))
        return readings

    @_guard
    async def get_learned(self, user_id: int) -> LearnedBias | None:
        """What Facelog learned about the person's face; None before their first label."""
        doc = await self._calibration.find_one({"_id": user_id})
        return _learned_from(doc, self._cipher) if doc else None

    @_guard
    async def set_learned(self, user_id: int, learned: LearnedBias) -> None:
        # ``$set`` rather than a replacement: nx-27017 0.8.1 cannot store bytes (a sealed field)
        # through replace_one.
        await self._calibration.update_one(
            {"_id": user_id}, {"$set": _learned_doc(learned, self._cipher)}, upsert=True
        )

    @_guard
    async def get_community_prior(self, language: str) -> LearnedBias | None:
        """The language's community prior, if one was computed (four numbers, no person)."""
        doc = await self._community.find_one({"_id": language})
        if doc is None:
            return None
        return LearnedBias(
            bias=_bias(doc["bias"]),
            corrections=int(doc["corrections"]),
            confirmations=int(doc["confirmations"]),
            updated_at=_as_utc(doc["updated_at"]),
        )

    @_guard
    async def set_community_prior(
        self, language: str, prior: LearnedBias | None, contributors: int
    ) -> None:
        """Store (or, with None, withdraw) a language's prior; aggregated, so kept unsealed."""
        if prior is None:
            await self._community.delete_one({"_id": language})
            return
        await self._community.replace_one(
            {"_id": language},
            {
                "_id": language,
                "bias": list(prior.bias),
                "corrections": prior.corrections,
                "confirmations": prior.confirmations,
                "contributors": contributors,
                "updated_at": _to_ms(prior.updated_at),
            },
            upsert=True,
        )

    # -- chat history -------------------------------------------------------------------------

    @_guard
    async def append_chat(
        self, user_id: int, role: Role, text: str, *, at: datetime | None = None
    ) -> ChatTurn:
        """Add a turn and drop the oldest beyond ``chat_limit``."""
        turn = ChatTurn(role=role, text=text, at=_to_ms(at) if at is not None else self._now())
        await self._chat.insert_one(
            {
                "user_id": user_id,
                "role": turn.role,
                "text": self._cipher.seal_text(turn.text),
                "at": turn.at,
            }
        )
        cursor = (
            self._chat.find({"user_id": user_id}, {"_id": 1})
            .sort(_CHAT_NEWEST_FIRST)
            .skip(self.chat_limit)
        )
        surplus = [doc["_id"] async for doc in cursor]
        if surplus:
            await self._chat.delete_many({"user_id": user_id, "_id": {"$in": surplus}})
        return turn

    @_guard
    async def chat_history(self, user_id: int, limit: int | None = None) -> list[ChatTurn]:
        """The last turns (at most ``limit``, default ``chat_limit``), oldest first."""
        count = min(limit if limit is not None else self.chat_limit, self.chat_limit)
        if count <= 0:
            return []
        cursor = self._chat.find({"user_id": user_id}).sort(_CHAT_NEWEST_FIRST).limit(count)
        newest_first = [_turn_from(doc, self._cipher) async for doc in cursor]
        return newest_first[::-1]

    @_guard
    async def clear_chat(self, user_id: int) -> int:
        """Forget the conversation; return how many turns were removed."""
        result = await self._chat.delete_many({"user_id": user_id})
        return result.deleted_count

    # -- exactly-once records -----------------------------------------------------------------

    # A Telegram update is stored here before Telegram may forget it (polling: before the next
    # getUpdates moves the offset past it; webhook: before the 200). Its handler runs under a
    # lease its owner renews; a lease that runs out means the owner died, and another process
    # (or the restarted one) replays the update. Times are epoch milliseconds: nx-27017 0.8.1
    # returns a ``$set`` top-level date as a string.

    @_guard
    async def inbox_receive(
        self,
        update_id: int,
        user_id: int | None,
        update: Mapping[str, Any],
        *,
        owner: str,
        lease: timedelta,
        bot_id: int = 0,
    ) -> bool:
        """Store an update as received by ``owner``; False when it was already stored."""
        now = _epoch_ms(self._now())
        doc: Document = {
            "bot_id": bot_id,
            "update_id": update_id,
            "user_id": user_id,
            "state": "received",
            "owner": owner,
            "lease_ms": now + _ms(lease),
            "received_ms": now,
            "tries": 0,
            "sent": [],
            "update": self._seal_update(update),
        }
        try:
            await self._inbox.insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    @_guard
    async def inbox_begin(
        self, update_id: int, *, owner: str, lease: timedelta, bot_id: int = 0
    ) -> InboxRecord | None:
        """Start handling an unfinished update: ``owner``'s own, or one whose lease ran out.
        None when it is done, parked, or alive with another owner.

        Counts the try; the caller parks an update whose tries passed its limit.
        """
        now = _epoch_ms(self._now())
        change = {
            "$set": {"state": "working", "owner": owner, "lease_ms": now + _ms(lease)},
            "$inc": {"tries": 1},
        }
        base: Document = {"bot_id": bot_id, "update_id": update_id, "state": {"$in": _UNFINISHED}}
        # One condition per write, not ``$or`` (nx-27017 0.8.1 mishandles ``$or`` in writes).
        for where in ({**base, "owner": owner}, {**base, "lease_ms": {"$lte": now}}):
            doc = await self._inbox.find_one_and_update(
                where, change, return_document=ReturnDocument.AFTER
            )
            if doc is not None:
                return self._inbox_record(doc)
        return None

    @_guard
    async def inbox_adopt(
        self,
        update_id: int,
        *,
        owner: str,
        lease: timedelta,
        any_lease: bool = False,
        bot_id: int = 0,
    ) -> bool:
        """Make an unfinished update ``owner``'s: one whose lease ran out, or any (a polling
        start, where no other poller can be alive). False if it finished or another took it."""
        now = _epoch_ms(self._now())
        where: Document = {"bot_id": bot_id, "update_id": update_id, "state": {"$in": _UNFINISHED}}
        if not any_lease:
            where["lease_ms"] = {"$lte": now}
        result = await self._inbox.update_one(
            where, {"$set": {"owner": owner, "lease_ms": now + _ms(lease)}}
        )
        return result.matched_count == 1

    @_guard
    async def inbox_strike(self, update_id: int, *, owner: str, bot_id: int = 0) -> int:
        """Count a run of the update alone (nothing else running); the new count, 0 if it is no
        longer ``owner``'s."""
        doc = await self._inbox.find_one_and_update(
            {"bot_id": bot_id, "update_id": update_id, "owner": owner},
            {"$inc": {"strikes": 1}},
            return_document=ReturnDocument.AFTER,
        )
        return 0 if doc is None else int(doc.get("strikes", 0))

    @_guard
    async def inbox_mark_sent(self, update_id: int, what: str, *, bot_id: int = 0) -> None:
        """Record that the answer ``what`` of this update reached Telegram."""
        await self._inbox.update_one(
            {"bot_id": bot_id, "update_id": update_id}, {"$addToSet": {"sent": what}}
        )

    @_guard
    async def inbox_finish(
        self,
        update_id: int,
        *,
        owner: str,
        parked: str | None = None,
        bot_id: int = 0,
    ) -> bool:
        """Done (or parked, with the reason): the update will not be replayed. Only its owner may
        finish it; False if another process took it over meanwhile. A done update's content is
        dropped; a parked one keeps it for the operator until retention removes it."""
        change: Document = {"done_ms": _epoch_ms(self._now())}
        if parked is None:
            change["state"] = "done"
            update: Document = {"$set": change, "$unset": {"update": ""}}
        else:
            change |= {"state": "parked", "error": parked}
            update = {"$set": change}
        result = await self._inbox.update_one(
            {"bot_id": bot_id, "update_id": update_id, "owner": owner}, update
        )
        return result.matched_count == 1

    @_guard
    async def inbox_renew(self, owner: str, lease: timedelta) -> int:
        """Extend the lease of every unfinished update ``owner`` holds; how many there were."""
        result = await self._inbox.update_many(
            {"owner": owner, "state": {"$in": _UNFINISHED}},
            {"$set": {"lease_ms": _epoch_ms(self._now()) + _ms(lease)}},
        )
        return result.matched_count

    @_guard
    async def inbox_release(self, owner: str) -> int:
        """Give up ``owner``'s updates not yet started (a clean stop), so others take them at
        once. Started ones keep their lease until it runs out: a handler may still be finishing."""
        result = await self._inbox.update_many(
            {"owner": owner, "state": "received"}, {"$set": {"lease_ms": 0}}
        )
        return result.matched_count

    @_guard
    async def inbox_unfinished(
        self, *, expired_only: bool = True, limit: int = 500, bot_id: int = 0
    ) -> list[InboxRecord]:
        """Unfinished updates, oldest first: those whose owner's lease ran out, or all of them."""
        where: Document = {"bot_id": bot_id, "state": {"$in": _UNFINISHED}}
        if expired_only:
            where["lease_ms"] = {"$lte": _epoch_ms(self._now())}
        cursor = self._inbox.find(where).sort("update_id", ASCENDING).limit(limit)
        return [self._inbox_record(doc) async for doc in cursor]

    @_guard
    async def inbox_record(self, update_id: int, *, bot_id: int = 0) -> InboxRecord | None:
        doc = await self._inbox.find_one({"bot_id": bot_id, "update_id": update_id})
        return None if doc is None else self._inbox_record(doc)

    @_guard
    async def inbox_counts(self) -> dict[str, int]:
        """How many updates are in each state (for health checks and the operator)."""
        cursor = await self._inbox.aggregate([{"$group": {"_id": "$state", "n": {"$sum": 1}}}])
        return {str(doc["_id"]): int(doc["n"]) async for doc in cursor}

    @_guard
    async def inbox_prune(self, *, done_for: timedelta, parked_for: timedelta) -> int:
        """Forget done updates finished more than ``done_for`` ago, parked ones after
        ``parked_for``; return how many went. Unfinished updates are never pruned."""
        now = _epoch_ms(self._now())
        removed = 0
        for state, age in (("done", done_for), ("parked", parked_for)):
            result = await self._inbox.delete_many(
                {"state": state, "done_ms": {"$lte": now - _ms(age)}}
            )
            removed += result.deleted_count
        return removed

    def _seal_update(self, update: Mapping[str, Any]) -> Any:
        """An update carries what a person wrote: sealed whole when a key is configured."""
        if not self._cipher.enabled:
            return dict(update)
        return self._cipher.seal(json.dumps(update, ensure_ascii=False).encode("utf-8"))

    def _inbox_record(self, doc: Mapping[str, Any]) -> InboxRecord:
        stored = doc.get("update")
        if isinstance(stored, bytes):
            update: dict[str, Any] | None = json.loads(self._cipher.open(stored))
        else:
            update = dict(stored) if stored is not None else None
        user = doc.get("user_id")
        owner = doc.get("owner")
        return InboxRecord(
            update_id=int(doc["update_id"]),
            user_id=int(user) if user is not None else None,
            state=doc["state"],
            owner=str(owner) if owner is not None else None,
            tries=int(doc.get("tries", 0)),
            update=update,
            sent=frozenset(str(s) for s in doc.get("sent") or ()),
            error=doc.get("error"),
            strikes=int(doc.get("strikes", 0)),
        )

    @_guard
    async def claim_job(self, user_id: int, kind: str, period: str) -> bool:
        """Claim a scheduled send, e.g. ``(42, "reminder", "2024-06-02")``; True exactly once.

        The unique index makes this atomic across tasks, restarts and bot instances: only the
        insert that wins may send.
        """
        try:
            await self._sent.insert_one(
                {
                    "user_id": user_id,
                    "kind": kind,
                    "period": period,
                    "state": "claimed",
                    "claimed_at": self._now(),
                }
            )
        except DuplicateKeyError:
            return False
        return True

    @_guard
    async def complete_job(
        self, user_id: int, kind: str, period: str, *, state: JobState = "sent"
    ) -> bool:
        """Record the claimed job's outcome (sent, skipped, or gone: the user blocked the bot);
        False if there was no claim."""
        if state == "claimed":
            raise ValueError("complete_job records an outcome, not a claim")
        result = await self._sent.update_one(
            {"user_id": user_id, "kind": kind, "period": period},
            {"$set": {"state": state, "done_at": self._now()}},
        )
        return result.matched_count == 1

    @_guard
    async def release_job(self, user_id: int, kind: str, period: str) -> bool:
        """Give up a claim whose send certainly failed, so a later run may retry it.

        A completed job is never released: it was delivered.
        """
        result = await self._sent.delete_one(
            {"user_id": user_id, "kind": kind, "period": period, "state": "claimed"}
        )
        return result.deleted_count == 1

    @_guard
    async def recorded_jobs(self, user_ids: Sequence[int], kind: str, period: str) -> set[int]:
        """Which of these users already have a sent-log record for the job (any state)."""
        if not user_ids:
            return set()
        cursor = await self._sent.aggregate(
            [
                {"$match": {"user_id": {"$in": list(user_ids)}, "kind": kind, "period": period}},
                {"$project": {"_id": 0, "user_id": 1}},
            ]
        )
        return {int(doc["user_id"]) async for doc in cursor}

    @_guard
    async def job_state(self, user_id: int, kind: str, period: str) -> JobState | None:
        """``"claimed"``, ``"sent"``, or None when nobody claimed the job."""
        doc = await self._sent.find_one({"user_id": user_id, "kind": kind, "period": period})
        if doc is None:
            return None
        state = doc.get("state")
        return state if state in ("sent", "skipped", "gone") else "claimed"

    @_guard
    async def acquire_lease(self, name: str, holder: str, ttl: timedelta) -> bool:
        """Take (or keep) the named lease for ``ttl``; False while someone else holds it.

        Expiry is stored as epoch milliseconds from this instance's clock: instances must keep
        their clocks roughly in sync (NTP), and ``ttl`` should be far above the skew.
        """
        now_ms = _epoch_ms(self._now())
        expires = now_ms + int(ttl.total_seconds() * 1000)
        try:
            await self._leases.insert_one({"_id": name, "holder": holder, "expires_ms": expires})
        except DuplicateKeyError:
            pass
        else:
            return True
        # Two single-condition updates rather than one with ``$or``: nx-27017 0.8.1 drops the
        # other conditions of a write filter that has a top-level ``$or`` (it would update
        # whichever lease matched the ``$or``). Each update is atomic on its own.
        kept = await self._leases.update_one(
            {"_id": name, "holder": holder}, {"$set": {"expires_ms": expires}}
        )
        if kept.matched_count == 1:
            return True
        taken = await self._leases.update_one(
            {"_id": name, "expires_ms": {"$lte": now_ms}},
            {"$set": {"holder": holder, "expires_ms": expires}},
        )
        return taken.matched_count == 1

    @_guard
    async def renew_lease(self, name: str, holder: str, ttl: timedelta) -> bool:
        """Extend a lease we hold; False if another holder has taken it over."""
        expires = _epoch_ms(self._now()) + int(ttl.total_seconds() * 1000)
        result = await self._leases.update_one(
            {"_id": name, "holder": holder}, {"$set": {"expires_ms": expires}}
        )
        return result.matched_count == 1

    @_guard
    async def release_lease(self, name: str, holder: str) -> bool:
        """Hand a lease back at shutdown so another instance need not wait for it to expire."""
        result = await self._leases.delete_one({"_id": name, "holder": holder})
        return result.deleted_count == 1

    @_guard
    async def lease_holder(self, name: str) -> str | None:
        """Who holds the lease now (None when free or expired)."""
        doc = await self._leases.find_one({"_id": name})
        if doc is None or int(doc["expires_ms"]) <= _epoch_ms(self._now()):
            return None
        return str(doc["holder"])

    # -- encryption at rest -------------------------------------------------------------------

    @property
    def encrypted(self) -> bool:
        """Whether new data is sealed (a key is configured)."""
        return self._cipher.enabled

    @_guard
    async def check_keys(self) -> None:
        """Refuse to run with keys that cannot read this database (``EncryptionKeyError``).

        The first start with a key seals a check record; later starts open it. No key while the
        record exists means the data is encrypted and nothing could be read: that stops the start
        too, with a message saying which setting is missing.
        """
        doc = await self._meta.find_one({"_id": "encryption"})
        if doc is None:
            if self._cipher.enabled:
                with contextlib.suppress(DuplicateKeyError):  # another instance did it first
                    await self._meta.insert_one(
                        {"_id": "encryption", "check": self._cipher.seal(_KEY_CHECK)}
                    )
            return
        if self._cipher.open(doc["check"]) != _KEY_CHECK:
            raise EncryptionKeyError("the encryption check record is not Facelog's")

    @_guard
    async def reencrypt_all(self, *, batch_size: int = 200) -> RekeyReport:
        """Rewrite every sealed field and blob with the newest key, and seal plain ones.

        Key rotation: configure ``NEW,OLD``, run this (``facelog rekey``), then drop ``OLD``.
        Records already under the newest key are skipped, so an interrupted run is simply run
        again. Run it with the bot stopped: a profile edit or comment written while a record is
        being rewritten could be lost (the embedded server's lock enforces this; with an external
        MongoDB, stop the bot first).
        """
        if not self._cipher.enabled:
            raise EncryptionKeyError("re-encryption needs FACELOG_ENCRYPTION_KEYS")
        cipher = self._cipher
        users = entries = turns = blobs = 0
        async for page in self._pages(self._users, {"name": 1, "intro": 1}, batch_size):
            for doc in page:
                fields = {
                    f: doc.get(f) for f in ("name", "intro") if cipher.needs_reseal(doc.get(f))
                }
                if fields:
                    changes = {f: cipher.reseal_text(v) for f, v in fields.items()}
                    await self._users.update_one({"_id": doc["_id"]}, {"$set": changes})
                    users += 1
        projection = {"user_id": 1, "text": 1, "anna_comment": 1, "photo_id": 1, "voice_id": 1}
        async for page in self._pages(self._entries, projection, batch_size):
            for doc in page:
                owner = {"_id": doc["_id"], "user_id": doc["user_id"]}
                fields = {
                    f: doc.get(f)
                    for f in ("text", "anna_comment")
                    if cipher.needs_reseal(doc.get(f))
                }
                if fields:
                    changes = {f: cipher.reseal_text(v) for f, v in fields.items()}
                    await self._entries.update_one(owner, {"$set": changes})
                    entries += 1
                for bucket in ("photos", "voice"):
                    if await self._reseal_blob(bucket, doc):
                        blobs += 1
        async for page in self._pages(self._chat, {"user_id": 1, "text": 1}, batch_size):
            for doc in page:
                if cipher.needs_reseal(doc.get("text")):
                    await self._chat.update_one(
                        {"_id": doc["_id"], "user_id": doc["user_id"]},
                        {"$set": {"text": cipher.reseal_text(doc["text"])}},
                    )
                    turns += 1
        updates = 0
        async for page in self._pages(self._inbox, {"update": 1}, batch_size):
            for doc in page:
                if cipher.needs_reseal(doc.get("update")):
                    record = self._inbox_record(doc | {"update_id": 0, "state": "received"})
                    assert record.update is not None
                    await self._inbox.update_one(
                        {"_id": doc["_id"]}, {"$set": {"update": self._seal_update(record.update)}}
                    )
                    updates += 1
        async for page in self._pages(self._calibration, {"learned": 1}, batch_size):
            for doc in page:
                if cipher.needs_reseal(doc.get("learned")):
                    await self._calibration.update_one(
                        {"_id": doc["_id"]},
                        {"$set": {"learned": cipher.reseal_text(doc["learned"])}},
                    )
                    users += 1
        check = await self._meta.find_one({"_id": "encryption"})
        if check is None or not cipher.is_current(check["check"]):
            await self._meta.update_one(
                {"_id": "encryption"}, {"$set": {"check": cipher.seal(_KEY_CHECK)}}, upsert=True
            )
        log.info(
            "re-encrypted %d user(s), %d entries, %d chat turn(s), %d blob(s)",
            users,
            entries,
            turns,
            blobs,
        )
        return RekeyReport(
            users=users, entries=entries, chat_turns=turns, blobs=blobs, updates=updates
        )

    async def _pages(
        self, collection: AsyncCollection[Document], projection: Document, batch_size: int
    ) -> AsyncIterator[list[Document]]:
        """A whole collection in ``_id`` order, one batch at a time (no cursor held open while
        the caller writes to the same collection)."""
        last: Any = None
        while True:
            query: Document = {} if last is None else {"_id": {"$gt": last}}
            docs = (
                await collection.find(query, projection)
                .sort("_id", ASCENDING)
                .limit(batch_size)
                .to_list()
            )
            if docs:
                yield docs
            if len(docs) < batch_size:
                return
            last = docs[-1]["_id"]

    async def _reseal_blob(self, bucket: BucketName, doc: Mapping[str, Any]) -> bool:
        """Replace an entry's blob by one sealed with the newest key; False if none was needed.

        GridFS files cannot be rewritten in place, so this is a replacement under the pending-blob
        protocol (as for a new voice note): the old blob is pending before it loses its
        reference, the new one until it gains it; a crash anywhere leaves the sweep an orphan.
        """
        field = "voice_id" if bucket == "voice" else "photo_id"
        old, user_id = doc.get(field), int(doc["user_id"])
        if old is None:
            return False
        try:
            stream = await self._buckets[bucket].open_download_stream(old)
        except NoFile:
            return False
        if not self._cipher.blob_needs_reseal(stream.metadata):
            return False
        data = await self._open_blob(await stream.read(), stream.metadata)
        new, owner = ObjectId(), {"_id": doc["_id"], "user_id": user_id}
        await self._mark_pending(bucket, old, user_id)
        await self._put_blob(bucket, new, user_id, doc["_id"], data)
        try:
            # The entry must still point at `old`. Compared here, not in the filter: nx-27017
            # never matches an ObjectId held in a field other than _id (storage/README.md).
            current = await self._entries.find_one(owner, {field: 1})
            result = None
            if current is not None and current.get(field) == old:
                result = await self._entries.update_one(owner, {"$set": {field: new}})
        except BaseException:
            await self._discard_blob(bucket, new)
            raise
        if result is None or result.matched_count != 1:  # deleted or replaced meanwhile
            await self._discard_blob(bucket, new)
            await self._settle_blob(old)
            return False
        await self._settle_blob(new)
        await self._delete_blob(bucket, old)
        await self._settle_blob(old)
        return True

    # -- export and erasure -------------------------------------------------------------------

    async def iter_export_entries(self, user_id: int) -> AsyncIterator[ExportedEntry]:
        """The user's entries with their files, in calendar order, one at a time (a ZIP writer
        can stream them without holding every photo in memory)."""
        try:
            cursor = self._entries.find({"user_id": user_id}).sort(_CALENDAR_ORDER)
            async for doc in cursor:
                entry = _entry_from(doc, self._cipher)
                photo = await self._read_blob("photos", doc["photo_id"]) or b""
                voice = None
                if doc.get("voice_id") is not None:
                    voice = await self._read_blob("voice", doc["voice_id"])
                yield ExportedEntry(entry=entry, photo=photo, voice=voice)
        except ConnectionFailure as exc:
            raise StorageUnavailable("the database cannot be reached") from exc
        except PyMongoError as exc:
            raise StorageError(f"database operation failed ({type(exc).__name__})") from exc
        except CryptoError as exc:
            raise EncryptionKeyError(str(exc)) from exc

    async def export_user(self, user_id: int) -> UserExport:
        """Everything stored about the user, files included (``/export``)."""
        account = await self.get_account(user_id)
        entries = tuple([item async for item in self.iter_export_entries(user_id)])
        chat = tuple(await self.chat_history(user_id))
        learned = await self.get_learned(user_id)
        return UserExport(account=account, entries=entries, chat=chat, learned=learned)

    # -- conversation state -------------------------------------------------------------------

    @_guard
    async def get_session(self, user_id: int) -> dict[str, Any]:
        """Where the user is in a conversation (awaiting a name, a diary text …); {} if nowhere.

        Kept in the database rather than in the process, so a restart or another bot replica
        continues the conversation where it was.
        """
        doc = await self._sessions.find_one({"_id": user_id})
        return dict(doc.get("state") or {}) if doc else {}

    @_guard
    async def set_session(self, user_id: int, state: Mapping[str, Any]) -> None:
        """Replace the user's conversation state (plain strings, numbers and lists only)."""
        await self._sessions.update_one(
            {"_id": user_id},
            {"$set": {"state": dict(state), "at": _epoch_ms(self._now())}},
            upsert=True,
        )

    @_guard
    async def clear_session(self, user_id: int) -> None:
        await self._sessions.delete_one({"_id": user_id})

    @_guard
    async def delete_user(self, user_id: int) -> int:
        """Erase every record and file of the user (``/delete_me``); return entries removed.

        Blobs are found both through the entries and by their owner tag, so orphans from a crash
        go too; the user document goes last, so an interrupted erasure is simply run again.
        """
        blobs: dict[BucketName, set[ObjectId]] = {"photos": set(), "voice": set()}
        async for doc in self._entries.find({"user_id": user_id}, {"photo_id": 1, "voice_id": 1}):
            blobs["photos"].add(doc["photo_id"])
            if doc.get("voice_id") is not None:
                blobs["voice"].add(doc["voice_id"])
        for bucket in blobs:
            blobs[bucket].update(await self._blob_ids_of(bucket, user_id))
        async for doc in self._pending.find({"user_id": user_id}):
            blobs["voice" if doc.get("bucket") == "voice" else "photos"].add(doc["_id"])
        for bucket, ids in blobs.items():
            for blob_id in ids:
                await self._delete_blob(bucket, blob_id)
        removed = await self._entries.delete_many({"user_id": user_id})
        await self._pending.delete_many({"user_id": user_id})
        await self._chat.delete_many({"user_id": user_id})
        await self._sent.delete_many({"user_id": user_id})
        await self._inbox.delete_many({"user_id": user_id})
        await self._sessions.delete_one({"_id": user_id})
        await self._calibration.delete_one({"_id": user_id})
        await self._users.delete_one({"_id": user_id})
        log.info("erased a user's data: %d entries", removed.deleted_count)
        return removed.deleted_count


Migration = tuple[int, str, Callable[[Repository], Awaitable[None]]]


async def _migration_1(repo: Repository) -> None:
    await repo._create_indexes()


async def _migration_2(repo: Repository) -> None:
    """The inbox replaces the processed-updates claims (``processed_updates`` is dropped)."""
    inbox = repo._inbox
    await inbox.create_index(
        [("bot_id", ASCENDING), ("update_id", ASCENDING)], name="once", unique=True
    )
    await inbox.create_index([("state", ASCENDING), ("lease_ms", ASCENDING)], name="replay")
    await inbox.create_index([("owner", ASCENDING), ("state", ASCENDING)], name="owner")
    await inbox.create_index("user_id", name="user")
    await repo._db.drop_collection("processed_updates")


async def _migration_3(repo: Repository) -> None:
    """Edits find their entry by the chat message it came from."""
    await repo._entries.create_index(
        [("user_id", ASCENDING), ("message_ids", ASCENDING)], name="messages"
    )


#: Ordered, append-only: never edit a released step, add a new one.
MIGRATIONS: tuple[Migration, ...] = (
    (
        1,
        "indexes for the calendar, stats, chat, sent-log, processed updates and blobs",
        _migration_1,
    ),
    (2, "the update inbox (replaces processed updates)", _migration_2),
    (3, "entries findable by the chat message they came from", _migration_3),
)
