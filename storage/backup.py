"""Backups of the whole database: one verified archive file, and a restore that checks first.

Why a logical dump through the driver rather than a copy of nx-27017's SQLite files: the same
code must serve the embedded store and a MongoDB replica set (``MONGODB_URI``), and a copy of
files that a live server writes is not a consistent snapshot. The dump walks every collection
the database lists (nothing hard-coded, so a collection added later is backed up without a
change here) and every GridFS bucket, while the bot keeps accepting posts.

**What "consistent" means here.** Ordinary collections are dumped first, GridFS buckets last.
An entry is written only after its photo was uploaded (``Repository.create_entry``), so every
entry in the archive finds its photo in it; an entry confirmed before the backup started is in
it. A post that lands during the dump may or may not be in it, whole either way (a blob whose
entry was not dumped is a harmless orphan). Only an entry *deleted* while the dump runs can come
back without its photo.

**The archive.** An uncompressed tar stream (photos are JPEG already; compressing would cost
CPU next to a running bot for nothing): ``collections/<name>/<part>.bson`` (documents in BSON,
as mongodump writes them, in parts of a few MB so memory stays bounded), ``indexes.json``,
``gridfs/<bucket>/<id>.bson`` (the file document) followed by ``gridfs/<bucket>/<id>`` (its
bytes), and last ``manifest.json`` (format and schema versions, counts per collection, a sha256
of every member) and ``manifest.sha256``. Sealed fields stay sealed: documents are copied as
stored. With a cipher, the whole tar stream is additionally sealed in 1 MiB Fernet frames, each
numbered and the last one marked, so a reordered, cut or altered archive fails loudly.

A restore reads the archive twice: once to verify every checksum, the schema version and the
key, and only then a second time to load it. Nothing is written before the first pass passed.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import io
import json
import os
import re
import struct
import tarfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import bson
from bson.raw_bson import RawBSONDocument
from gridfs import AsyncGridFSBucket
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from storage.crypto import Cipher, CryptoError
from storage.embedded import EmbeddedMongo, EmbeddedMongoError, running_server_uri

Document = dict[str, Any]

FORMAT = "facelog-backup"
FORMAT_VERSION = 1
#: The first bytes of a sealed archive; a plain one starts with a tar header.
SEALED_MAGIC = b"FACELOG-BACKUP-SEALED v1\n"
_FRAME_BYTES = 1 << 20
_FRAME_HEADER = struct.Struct(">QB")  # frame number, 1 on the last frame
_LENGTH = struct.Struct(">I")
#: Documents per archive part: bounds the memory a dump or a restore holds at once.
_PART_BYTES = 4 << 20
_INSERT_BATCH = 500
_BLOBS_IN_FLIGHT = 4
_MANIFEST = "manifest.json"
_MANIFEST_SUM = "manifest.sha256"

#: Final names of backups in a backup directory; ``.partial`` files are never final.
_NAME = re.compile(r"^facelog-backup-(\d{8}T\d{6}(?:\d{3})?Z)\.(tar|sealed)$")
_PARTIAL_SUFFIX = ".partial"


class BackupError(Exception):
    """A backup could not be written or checked. Messages carry no user data and no key."""


class ArchiveDamaged(BackupError):
    """The archive is cut, altered or not a Facelog backup."""


class ArchiveTooNew(BackupError):
    """The archive comes from a newer schema than this Facelog knows."""


class ArchiveKeyError(BackupError):
    """The archive is sealed and the configured keys cannot open it (or none is set)."""


class RestoreRefused(BackupError):
    """The restore would be unsafe now (a bot runs on the data, or it is not empty)."""


class BotRunning(RestoreRefused):
    """A Facelog bot runs on the same data."""


@dataclass
class Manifest:
    """What an archive holds; written into it as ``manifest.json``."""

    app_version: str
    schema_version: int
    created_at: str
    database: str
    source: str
    sealed: bool
    collections: dict[str, int] = field(default_factory=dict)
    gridfs: dict[str, dict[str, int]] = field(default_factory=dict)
    members: dict[str, str] = field(default_factory=dict)
    format: str = FORMAT
    format_version: int = FORMAT_VERSION

    def to_json(self) -> bytes:
        return json.dumps(self.__dict__, indent=1, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        try:
            raw = json.loads(data)
            return cls(**raw)
        except (ValueError, TypeError) as exc:
            raise ArchiveDamaged(f"the manifest is not readable ({type(exc).__name__})") from None

    def summary(self) -> str:
        """One line for people: counts per collection and GridFS bucket."""
        parts = [f"{name} {count}" for name, count in sorted(self.collections.items()) if count]
        for bucket, stats in sorted(self.gridfs.items()):
            parts.append(f"{bucket} {stats['files']} ({stats['bytes'] / 1e6:.1f} MB)")
        return ", ".join(parts) or "empty"


# -- sealing ---------------------------------------------------------------------------------


class _SealedWriter(io.RawIOBase):
    """A write-only stream that seals what it is given in numbered Fernet frames."""

    def __init__(self, raw: IO[bytes], cipher: Cipher) -> None:
        super().__init__()
        self._raw = raw
        self._cipher = cipher
        self._buffer = bytearray()
        self._frame = 0
        self._written = 0
        raw.write(SEALED_MAGIC)

    def writable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._written

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._buffer += chunk
        self._written += len(chunk)
        while len(self._buffer) >= _FRAME_BYTES:
            self._emit(bytes(self._buffer[:_FRAME_BYTES]), last=False)
            del self._buffer[:_FRAME_BYTES]
        return len(chunk)

    def _emit(self, data: bytes, *, last: bool) -> None:
        token = self._cipher.seal(_FRAME_HEADER.pack(self._frame, int(last)) + data)
        self._raw.write(_LENGTH.pack(len(token)) + token)
        self._frame += 1

    def finish(self) -> None:
        """Write the last frame (marked, so a cut archive is told apart from a complete one)."""
        self._emit(bytes(self._buffer), last=True)
        self._buffer.clear()


class _SealedReader(io.RawIOBase):
    """Reads back what :class:`_SealedWriter` wrote, checking order, integrity and the end."""

    def __init__(self, raw: IO[bytes], cipher: Cipher) -> None:
        super().__init__()
        self._raw = raw
        self._cipher = cipher
        self._buffer = b""
        self._next = 0
        self._done = False
        if raw.read(len(SEALED_MAGIC)) != SEALED_MAGIC:
            raise ArchiveDamaged("not a sealed Facelog backup")
        if not cipher.enabled:
            raise ArchiveKeyError(
                "the archive is encrypted, but FACELOG_ENCRYPTION_KEYS is not set"
            )

    def readable(self) -> bool:
        return True

    def _frame(self) -> None:
        head = self._raw.read(_LENGTH.size)
        if len(head) < _LENGTH.size:
            raise ArchiveDamaged("the archive is cut short (its last frame is missing)")
        (size,) = _LENGTH.unpack(head)
        token = self._raw.read(size)
        if len(token) < size or size < _FRAME_HEADER.size:
            raise ArchiveDamaged("the archive is cut short")
        try:
            payload = self._cipher.open(token)
        except CryptoError:
            raise ArchiveKeyError(
                "FACELOG_ENCRYPTION_KEYS cannot open this archive (a different key sealed it, "
                "or it was altered)"
            ) from None
        number, last = _FRAME_HEADER.unpack_from(payload)
        if number != self._next:
            raise ArchiveDamaged("the archive's frames are out of order")
        self._next += 1
        self._done = bool(last)
        self._buffer += payload[_FRAME_HEADER.size :]
        if self._done and self._raw.read(1):
            raise ArchiveDamaged("the archive has data after its last frame")

    def read(self, size: int | None = -1) -> bytes:
        want = size if size is not None and size >= 0 else None
        while not self._done and (want is None or len(self._buffer) < want):
            self._frame()
        if want is None:
            out, self._buffer = self._buffer, b""
        else:
            out, self._buffer = self._buffer[:want], self._buffer[want:]
        return out

    def readinto(self, target: Any) -> int:
        data = self.read(len(target))
        target[: len(data)] = data
        return len(data)


# -- the tar stream --------------------------------------------------------------------------


class _ArchiveWriter:
    """Appends members to the tar stream and remembers each member's sha256 (runs in threads)."""

    def __init__(self, raw: IO[bytes], cipher: Cipher | None) -> None:
        self._sealed = _SealedWriter(raw, cipher) if cipher is not None and cipher.enabled else None
        # Closed by close(), after the manifest: not a with-block.
        self._tar = tarfile.open(  # noqa: SIM115
            fileobj=self._sealed or raw, mode="w|", format=tarfile.PAX_FORMAT
        )
        self.sums: dict[str, str] = {}
        self.bytes = 0
        self._mtime = int(time.time())

    def add(self, name: str, data: bytes) -> None:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mtime = self._mtime
        info.mode = 0o600
        self._tar.addfile(info, io.BytesIO(data))
        self.sums[name] = hashlib.sha256(data).hexdigest()
        self.bytes += len(data)

    def close(self, manifest: Manifest) -> None:
        manifest.members = dict(self.sums)
        body = manifest.to_json()
        self.add(_MANIFEST, body)
        self.add(_MANIFEST_SUM, hashlib.sha256(body).hexdigest().encode())
        self._tar.close()
        if self._sealed is not None:
            self._sealed.finish()


def _members(raw: IO[bytes], cipher: Cipher | None) -> Iterator[tuple[str, bytes]]:
    """Every member of an archive, in order, as (name, bytes); damage raises ArchiveDamaged."""
    head = raw.read(len(SEALED_MAGIC))
    raw.seek(0)
    stream: IO[bytes] = raw
    if head == SEALED_MAGIC:
        stream = _SealedReader(raw, cipher or Cipher())  # type: ignore[assignment]
    try:
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            for info in tar:
                if not info.isfile():
                    raise ArchiveDamaged(f"unexpected member type in the archive: {info.name!r}")
                member = tar.extractfile(info)
                if member is None:
                    raise ArchiveDamaged(f"unreadable member {info.name!r}")
                data = member.read()
                if len(data) != info.size:
                    raise ArchiveDamaged("the archive is cut short")
                yield info.name, data
    except (tarfile.TarError, EOFError, OSError, struct.error) as exc:
        raise ArchiveDamaged(f"the archive is damaged ({type(exc).__name__})") from None


def _split_documents(data: bytes) -> list[bytes]:
    """The BSON documents of a part, as bytes; a malformed part raises ArchiveDamaged."""
    docs: list[bytes] = []
    at = 0
    while at < len(data):
        if at + 4 > len(data):
            raise ArchiveDamaged("a collection part ends inside a document")
        (size,) = struct.unpack_from("<i", data, at)
        if size < 5 or at + size > len(data) or data[at + size - 1] != 0:
            raise ArchiveDamaged("a collection part holds a malformed document")
        docs.append(data[at : at + size])
        at += size
    return docs


def _count_documents(data: bytes) -> int:
    count = 0
    at = 0
    while at + 4 <= len(data):
        (size,) = struct.unpack_from("<i", data, at)
        if size < 5:
            break
        at += size
        count += 1
    return count


# -- the database's layout -------------------------------------------------------------------


def classify(names: list[str]) -> tuple[list[str], list[str]]:
    """(ordinary collections, GridFS bucket names) among a database's collection names.

    MongoDB lists a bucket as ``B.files``/``B.chunks``; nx-27017 as ``B_files``/``B_chunks``.
    """
    buckets: set[str] = set()
    for name in names:
        for files, chunks in ((".files", ".chunks"), ("_files", "_chunks")):
            if name.endswith(files) and name[: -len(files)] + chunks in names:
                buckets.add(name[: -len(files)])
    gridfs_names = {f"{b}{s}" for b in buckets for s in (".files", ".chunks", "_files", "_chunks")}
    plain = sorted(n for n in names if n not in gridfs_names and not n.startswith("system."))
    return plain, sorted(buckets)


async def _index_specs(db: AsyncDatabase[Document], name: str) -> list[Document]:
    specs: list[Document] = []
    try:
        cursor = await db[name].list_indexes()
        async for index in cursor:
            if index.get("name") == "_id_":
                continue
            spec: Document = {"key": [[k, v] for k, v in dict(index["key"]).items()]}
            for option in ("name", "unique", "sparse", "partialFilterExpression"):
                if option in index:
                    spec[option] = index[option]
            if "expireAfterSeconds" in index:
                spec["expireAfterSeconds"] = index["expireAfterSeconds"]
            specs.append(spec)
    except PyMongoError:
        return []
    return specs


async def _is_empty(db: AsyncDatabase[Document]) -> bool:
    plain, buckets = classify(await db.list_collection_names())
    for name in plain:
        if await db[name].find_one({}, {"_id": 1}) is not None:
            return False
    for bucket in buckets:
        async for _ in AsyncGridFSBucket(db, bucket_name=bucket).find({}).limit(1):
            return False
    return True


async def schema_of(db: AsyncDatabase[Document]) -> int:
    doc = await db["meta"].find_one({"_id": "schema"})
    return int(doc["version"]) if doc else 0


# -- writing ---------------------------------------------------------------------------------


async def dump(
    db: AsyncDatabase[Document],
    raw: IO[bytes],
    *,
    cipher: Cipher | None,
    app_version: str,
    source: str,
    pause: Callable[[], Any] | None = None,
) -> Manifest:
    """Write the whole database to ``raw`` as an archive and return its manifest.

    The driver's reads run on the event loop; hashing, sealing and writing run in a worker
    thread, so a backup inside the bot's process leaves the loop free for people's updates.
    ``pause`` (awaited between batches, if given) lets a caller slow a dump down.
    """
    writer = _ArchiveWriter(raw, cipher)
    manifest = Manifest(
        app_version=app_version,
        schema_version=await schema_of(db),
        created_at=datetime.now(UTC).isoformat(timespec="milliseconds"),
        database=db.name,
        source=source,
        sealed=cipher is not None and cipher.enabled,
    )
    plain, buckets = classify(await db.list_collection_names())
    indexes: dict[str, list[Document]] = {}
    # Ordinary collections first, blobs last: see the module's note on consistency.
    for name in plain:
        indexes[name] = await _index_specs(db, name)
        part, buffer, count = 0, bytearray(), 0
        async for batch in db[name].find_raw_batches({}, batch_size=1000):
            raw_batch: bytes = batch  # type: ignore[assignment]  # raw BSON, not a dict
            buffer += raw_batch
            count += _count_documents(raw_batch)
            if len(buffer) >= _PART_BYTES:
                await asyncio.to_thread(
                    writer.add, f"collections/{name}/{part:06d}.bson", bytes(buffer)
                )
                part, buffer = part + 1, bytearray()
                if pause is not None:
                    await pause()
        if buffer or part == 0:
            await asyncio.to_thread(
                writer.add, f"collections/{name}/{part:06d}.bson", bytes(buffer)
            )
        manifest.collections[name] = count
    for bucket in buckets:
        files, total = 0, 0
        grid = AsyncGridFSBucket(db, bucket_name=bucket)
        # The list first: a cursor left open while people post can keep finding new files
        # (nx-27017's does), and a dump must end. Files deleted meanwhile are skipped.
        listed = [dict(grid_out._file) async for grid_out in grid.find({})]
        chunks = db[f"{bucket}.chunks"]
        # A few blobs in flight at once: the server's round trips overlap the writing thread.
        for start in range(0, len(listed), _BLOBS_IN_FLIGHT):
            group = listed[start : start + _BLOBS_IN_FLIGHT]
            datas = await asyncio.gather(*(_blob(chunks, doc) for doc in group))
            for doc, data in zip(group, datas, strict=True):
                if data is None:  # deleted while the dump ran
                    continue
                doc.pop("md5", None)
                key = str(doc["_id"])
                await asyncio.to_thread(
                    _add_blob, writer, f"gridfs/{bucket}/{key}", bson.encode(doc), data
                )
                files, total = files + 1, total + len(data)
            if pause is not None:
                await pause()
        manifest.gridfs[bucket] = {"files": files, "bytes": total}
    await asyncio.to_thread(writer.add, "indexes.json", json.dumps(indexes, default=str).encode())
    await asyncio.to_thread(writer.close, manifest)
    return manifest


async def _blob(chunks: AsyncCollection[Document], doc: Document) -> bytes | None:
    """A GridFS file's bytes straight from its chunks (one query: the file document is known).

    Filtered by ``files_id``: nx-27017 answers chunk queries only in that form.
    """
    parts = [
        (int(c["n"]), bytes(c["data"]))
        async for c in chunks.find({"files_id": doc["_id"]}, {"n": 1, "data": 1})
    ]
    parts.sort()
    data = b"".join(part for _, part in parts)
    if [n for n, _ in parts] != list(range(len(parts))) or len(data) != int(doc["length"]):
        return None
    return data


#: Rest between batches of a backup that runs beside people posting (the scheduled one). The
#: server is shared (nx-27017 answers one request at a time): ~10 ms per four blobs keeps a
#: post's p95 well inside twice its quiet value, for a backup that is never urgent.
GENTLE_PAUSE_S = 0.01


async def gentle_pause() -> None:
    """A ``pause`` for :func:`dump`: let people's requests go first."""
    await asyncio.sleep(GENTLE_PAUSE_S)


def _add_blob(writer: _ArchiveWriter, name: str, meta: bytes, data: bytes) -> None:
    writer.add(f"{name}.bson", meta)
    writer.add(name, data)


# -- checking --------------------------------------------------------------------------------


def verify(path: Path, cipher: Cipher | None, *, latest_schema: int) -> Manifest:
    """Read the whole archive and check it; return its manifest, or raise why it is unusable.

    Checks every member's sha256 against the manifest (and the manifest's own), that nothing
    is missing or extra, that collection parts hold whole documents in the numbers the manifest
    states, the format, and that the schema is not newer than ``latest_schema``.
    """
    sums: dict[str, str] = {}
    counted: dict[str, int] = {}
    manifest_body: bytes | None = None
    manifest_sum: bytes | None = None
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror}") from None
    with raw:
        for name, data in _members(raw, cipher):
            if name == _MANIFEST:
                manifest_body = data
                continue
            if name == _MANIFEST_SUM:
                manifest_sum = data
                continue
            if manifest_body is not None:
                raise ArchiveDamaged("the archive has members after its manifest")
            sums[name] = hashlib.sha256(data).hexdigest()
            if name.startswith("collections/") and name.endswith(".bson"):
                collection = name.split("/")[1]
                counted[collection] = counted.get(collection, 0) + len(_split_documents(data))
    if manifest_body is None or manifest_sum is None:
        raise ArchiveDamaged("the archive is cut short (no manifest)")
    if hashlib.sha256(manifest_body).hexdigest().encode() != manifest_sum.strip():
        raise ArchiveDamaged("the manifest's checksum does not match")
    manifest = Manifest.from_json(manifest_body)
    if manifest.format != FORMAT or manifest.format_version > FORMAT_VERSION:
        raise ArchiveTooNew(
            f"archive format {manifest.format} v{manifest.format_version} is not one this "
            f"Facelog reads (v{FORMAT_VERSION}); upgrade Facelog"
        )
    if manifest.schema_version > latest_schema:
        raise ArchiveTooNew(
            f"the archive's schema v{manifest.schema_version} is newer than this Facelog's "
            f"v{latest_schema}; upgrade Facelog first"
        )
    bad = sorted(
        n for n in set(sums) | set(manifest.members) if sums.get(n) != manifest.members.get(n)
    )
    if bad:
        raise ArchiveDamaged(
            f"{len(bad)} member(s) do not match their checksum or are missing (first: {bad[0]})"
        )
    for name, count in manifest.collections.items():
        if counted.get(name, 0) != count:
            raise ArchiveDamaged(
                f"collection {name}: {counted.get(name, 0)} documents, not {count}"
            )
    return manifest


# -- loading ---------------------------------------------------------------------------------


async def load(db: AsyncDatabase[Document], path: Path, cipher: Cipher | None) -> None:
    """Write an archive's content into ``db`` (which should be empty); verify it first."""
    raw = path.open("rb")
    members = _members(raw, cipher)
    pending_meta: Document | None = None
    indexes: dict[str, list[Document]] = {}
    try:
        while True:
            item = await asyncio.to_thread(next, members, None)
            if item is None:
                break
            name, data = item
            if name.startswith("collections/"):
                collection = name.split("/")[1]
                docs = [RawBSONDocument(d) for d in _split_documents(data)]
                for start in range(0, len(docs), _INSERT_BATCH):
                    await db[collection].insert_many(docs[start : start + _INSERT_BATCH])
                if not docs:
                    with contextlib.suppress(PyMongoError):  # exists already: fine
                        await db.create_collection(collection)
            elif name.startswith("gridfs/") and name.endswith(".bson"):
                pending_meta = bson.decode(data)
            elif name.startswith("gridfs/"):
                bucket = name.split("/")[1]
                if pending_meta is None or name != f"gridfs/{bucket}/{pending_meta['_id']}":
                    raise ArchiveDamaged(f"blob {name!r} has no file document before it")
                await AsyncGridFSBucket(db, bucket_name=bucket).upload_from_stream_with_id(
                    pending_meta["_id"],
                    pending_meta.get("filename") or "",
                    data,
                    chunk_size_bytes=int(pending_meta.get("chunkSize") or 255 * 1024),
                    metadata=pending_meta.get("metadata"),
                )
                pending_meta = None
            elif name == "indexes.json":
                indexes = json.loads(data)
    finally:
        raw.close()
    for collection, specs in indexes.items():
        for spec in specs:
            options = {k: v for k, v in spec.items() if k != "key"}
            keys = [(k, v) for k, v in spec["key"]]
            await db[collection].create_index(keys, **options)


async def check_loaded(db: AsyncDatabase[Document], manifest: Manifest) -> None:
    """Raise unless ``db`` holds what the manifest counts (the restore's own final check)."""
    for name, count in manifest.collections.items():
        found = await db[name].count_documents({})
        if found != count:
            raise BackupError(f"collection {name}: {found} documents after restore, not {count}")
    for bucket, stats in manifest.gridfs.items():
        files = total = 0
        async for grid_out in AsyncGridFSBucket(db, bucket_name=bucket).find({}):
            files, total = files + 1, total + int(grid_out.length)
        if (files, total) != (stats["files"], stats["bytes"]):
            raise BackupError(f"GridFS {bucket}: {files} files after restore, not {stats['files']}")


# -- connecting ------------------------------------------------------------------------------


def _client(uri: str) -> AsyncMongoClient[Document]:
    return AsyncMongoClient(
        uri, tz_aware=True, tzinfo=UTC, serverSelectionTimeoutMS=5000, appname="facelog-backup"
    )


@contextlib.asynccontextmanager
async def open_database(
    data_dir: Path, mongodb_uri: str | None, database: str, *, exclusive: bool
) -> AsyncIterator[tuple[AsyncMongoClient[Document], str]]:
    """A client on Facelog's database, and where it is (``embedded`` or ``mongodb``).

    On the embedded store, a bot that already runs holds the server: a backup (``exclusive``
    false) talks to that server, a restore (``exclusive``) is refused with :class:`BotRunning`.
    Without a bot, the server is started here for the time of the command.
    """
    if mongodb_uri is not None:
        client = _client(mongodb_uri)
        try:
            yield client, "mongodb"
        finally:
            await client.close()
        return
    running = await running_server_uri(Path(data_dir))
    if running is not None:
        if exclusive:
            raise BotRunning(f"a Facelog bot is running on {data_dir}; stop it first")
        client = _client(running)
        try:
            yield client, "embedded"
        finally:
            await client.close()
        return
    try:
        server = EmbeddedMongo(Path(data_dir))
        await server.start()
    except EmbeddedMongoError as exc:
        if "lock is held" in str(exc):
            raise BotRunning(f"a Facelog bot is running on {data_dir}; stop it first") from None
        raise
    try:
        client = _client(server.uri)
        try:
            yield client, "embedded"
        finally:
            await client.close()
    finally:
        await server.stop()


async def bot_activity(db: AsyncDatabase[Document], now_ms: int | None = None) -> str | None:
    """Why a bot seems to run on ``db`` (a live lease), or None.

    A bot instance holds the scheduler's lease and leases on the updates it works on; both
    expire within minutes of its end. On a shared MongoDB this is how a restore sees a bot
    running on another machine.
    """
    now = now_ms if now_ms is not None else int(time.time() * 1000)
    async for lease in db["leases"].find({}):
        if int(lease.get("expires_ms") or 0) > now:
            return f"lease {lease.get('_id')!r} is held until {_iso(lease['expires_ms'])}"
    async for record in db["inbox"].find({"state": "working"}, {"lease_ms": 1}):
        if int(record.get("lease_ms") or 0) > now:
            return f"an update is being handled (lease until {_iso(record['lease_ms'])})"
    return None


def _iso(ms: Any) -> str:
    return datetime.fromtimestamp(int(ms) / 1000, UTC).isoformat(timespec="seconds")


# -- whole operations ------------------------------------------------------------------------


@dataclass
class BackupResult:
    """A finished, verified archive."""

    path: Path
    manifest: Manifest
    size: int
    seconds: float


def backup_name(now: datetime, sealed: bool) -> str:
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%S") + f"{now.microsecond // 1000:03d}Z"
    return f"facelog-backup-{stamp}.{'sealed' if sealed else 'tar'}"


async def write_backup(
    db: AsyncDatabase[Document],
    out: Path,
    *,
    cipher: Cipher | None,
    app_version: str,
    source: str,
    latest_schema: int,
    pause: Callable[[], Any] | None = None,
) -> BackupResult:
    """Dump ``db`` to ``out``: written under a temporary name, verified, synced, then renamed.

    A process killed half-way leaves only ``.<name>.partial``; the final name always holds a
    complete archive that passed :func:`verify`.
    """
    started = time.perf_counter()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}{_PARTIAL_SUFFIX}")
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb", buffering=1 << 20) as raw:
            manifest = await dump(
                db, raw, cipher=cipher, app_version=app_version, source=source, pause=pause
            )
            raw.flush()
            os.fsync(raw.fileno())
        await asyncio.to_thread(verify, partial, cipher, latest_schema=latest_schema)
        summary = {
            "created_at": manifest.created_at,
            "schema_version": manifest.schema_version,
            "app_version": manifest.app_version,
            "sealed": manifest.sealed,
            "collections": manifest.collections,
            "gridfs": manifest.gridfs,
        }
        sidecar = out.with_name(out.name + ".json")
        _atomic_write(sidecar, json.dumps(summary, indent=1).encode())
        partial.replace(out)
        _fsync_dir(out.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        raise
    return BackupResult(out, manifest, out.stat().st_size, time.perf_counter() - started)


def _atomic_write(path: Path, data: bytes) -> None:
    temp = path.with_name(f".{path.name}{_PARTIAL_SUFFIX}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    temp.replace(path)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@dataclass
class BackupInfo:
    """A backup in a backup directory, as ``facelog backup --list`` shows it."""

    path: Path
    created_at: datetime
    size: int
    summary: Document | None

    def describe(self) -> str:
        when = self.created_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        counts = "(no summary file)"
        if self.summary is not None:
            manifest = Manifest(
                app_version="",
                schema_version=0,
                created_at="",
                database="",
                source="",
                sealed=False,
                collections=self.summary.get("collections", {}),
                gridfs=self.summary.get("gridfs", {}),
            )
            counts = manifest.summary()
        return f"{when}  {self.size / 1e6:9.1f} MB  {self.path.name}  {counts}"


def list_backups(directory: Path) -> list[BackupInfo]:
    """The complete backups in ``directory``, oldest first (partial files are not listed)."""
    found: list[BackupInfo] = []
    if not Path(directory).is_dir():
        return found
    for path in Path(directory).iterdir():
        match = _NAME.match(path.name)
        if match is None or not path.is_file():
            continue
        stamp = match.group(1)
        fmt = "%Y%m%dT%H%M%S%fZ" if len(stamp) > 16 else "%Y%m%dT%H%M%SZ"
        created = datetime.strptime(stamp, fmt).replace(tzinfo=UTC)
        summary: Document | None = None
        with contextlib.suppress(OSError, ValueError):
            summary = json.loads(path.with_name(path.name + ".json").read_bytes())
        found.append(BackupInfo(path, created, path.stat().st_size, summary))
    return sorted(found, key=lambda info: info.created_at)


def prune(directory: Path, keep: int) -> list[Path]:
    """Remove all but the newest ``keep`` backups (and partial files no writer holds)."""
    removed: list[Path] = []
    backups = list_backups(directory)
    for info in backups[: max(0, len(backups) - keep)]:
        for path in (info.path, info.path.with_name(info.path.name + ".json")):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        removed.append(info.path)
    return removed


def remove_stale_partials(directory: Path, older_than_s: float = 3600.0) -> int:
    """Delete ``.partial`` files left by a killed backup (older than ``older_than_s``)."""
    removed = 0
    if not Path(directory).is_dir():
        return 0
    cutoff = time.time() - older_than_s
    for path in Path(directory).glob(f".*{_PARTIAL_SUFFIX}"):
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
    return removed


@contextlib.contextmanager
def directory_lock(directory: Path) -> Iterator[bool]:
    """An exclusive, non-blocking lock on a backup directory: yields whether it was taken."""
    Path(directory).mkdir(parents=True, exist_ok=True)
    fd = os.open(Path(directory) / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


async def restore(
    client: AsyncMongoClient[Document],
    database: str,
    path: Path,
    *,
    cipher: Cipher | None,
    latest_schema: int,
    force: bool,
    aside_dir: Path,
    app_version: str,
    source: str,
) -> tuple[Manifest, Path | None]:
    """Restore ``path`` into ``database``; return its manifest and where old data was put.

    Order: verify the archive completely (checksums, schema, key); refuse if a bot holds a
    live lease on the database; refuse a database holding data unless ``force``, in which case
    the current data is first written to a verified backup in ``aside_dir`` (put back if the
    restore fails). Then the archive is loaded and the counts checked.
    """
    manifest = await asyncio.to_thread(verify, path, cipher, latest_schema=latest_schema)
    db = client[database]
    activity = await bot_activity(db)
    if activity is not None:
        raise BotRunning(f"a Facelog bot seems to run on this database ({activity}); stop it")
    aside: Path | None = None
    if not await _is_empty(db):
        if not force:
            raise RestoreRefused(
                f"database {database!r} already holds data; --force replaces it "
                "(the current data is backed up first)"
            )
        now = datetime.now(UTC)
        aside = Path(aside_dir) / (
            "before-restore-" + backup_name(now, bool(cipher and cipher.enabled))
        )
        await write_backup(
            db,
            aside,
            cipher=cipher,
            app_version=app_version,
            source=source,
            latest_schema=max(latest_schema, manifest.schema_version),
        )
        await client.drop_database(database)
    try:
        await load(db, path, cipher)
        await check_loaded(db, manifest)
    except BaseException:
        await client.drop_database(database)
        if aside is not None:
            await load(db, aside, cipher)
        raise
    return manifest, aside
