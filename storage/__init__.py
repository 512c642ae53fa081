"""Facelog's storage: one repository on MongoDB (PyMongo asyncio), an embedded server by default.

``open_storage`` is what the application calls at start: with a ``mongodb://`` URL it connects
to that server; without one it starts nx-27017 under the data directory first. Either way the
schema is migrated and orphaned blobs from a crash are swept before the repository is handed
out, and everything is closed (and the embedded server stopped) on the way out.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

from .crypto import Cipher
from .embedded import EmbeddedMongo, EmbeddedMongoError
from .repository import (
    DEFAULT_CHAT_LIMIT,
    MIGRATIONS,
    EncryptionKeyError,
    InboxRecord,
    InboxState,
    RekeyReport,
    Repository,
    SchemaTooNew,
    StorageError,
    StorageUnavailable,
)

__all__ = [
    "MIGRATIONS",
    "Cipher",
    "EmbeddedMongo",
    "EmbeddedMongoError",
    "EncryptionKeyError",
    "InboxRecord",
    "InboxState",
    "RekeyReport",
    "Repository",
    "SchemaTooNew",
    "StorageError",
    "StorageUnavailable",
    "open_storage",
]


@contextlib.asynccontextmanager
async def open_storage(
    data_dir: Path,
    mongodb_uri: str | None = None,
    *,
    database: str = "facelog",
    chat_limit: int = DEFAULT_CHAT_LIMIT,
    sweep_older_than: timedelta = timedelta(minutes=10),
    cipher: Cipher | None = None,
) -> AsyncIterator[Repository]:
    """Yield a migrated repository: on ``mongodb_uri``, or on an embedded server in ``data_dir``.

    ``sweep_older_than`` guards posts in flight on another instance sharing the database: only
    pending blobs older than that are treated as a crash's leftovers. ``cipher`` encrypts at
    rest; a key that cannot read this database stops the start (``EncryptionKeyError``).
    """
    async with contextlib.AsyncExitStack() as stack:
        uri = mongodb_uri
        if uri is None:
            server = await stack.enter_async_context(EmbeddedMongo(Path(data_dir)))
            uri = server.uri
        repo = await Repository.connect(uri, database, chat_limit=chat_limit, cipher=cipher)
        stack.push_async_callback(repo.close)
        await repo.migrate()
        await repo.check_keys()
        await repo.sweep_pending_blobs(sweep_older_than)
        yield repo
