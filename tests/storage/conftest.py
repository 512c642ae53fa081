"""Fixtures for the storage contract tests.

The suite runs against one embedded nx-27017 server for the whole session, or against the server
named by ``MONGODB_URI`` when that is set (a real MongoDB, e.g. the production replica set's
staging twin). Each test gets its own database, dropped afterwards.

The embedded server lives on an event loop of its own in a background thread: pytest-asyncio
gives each test a fresh loop, and the server's watchdog must keep running between tests.
"""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest

from storage import EmbeddedMongo, Repository

T = TypeVar("T")


class LoopThread:
    """An asyncio loop running forever in a daemon thread; ``run`` executes a coroutine on it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URI of the server under test."""
    external = os.environ.get("MONGODB_URI")
    if external:
        yield external
        return
    loop = LoopThread()
    server = EmbeddedMongo(tmp_path_factory.mktemp("facelog-data"))
    loop.run(server.start())
    try:
        yield server.uri
    finally:
        loop.run(server.stop())
        loop.close()


class FakeClock:
    """A clock tests move by hand, for leases and timestamps without real waiting."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2024, 6, 2, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def database_name() -> str:
    return f"facelog_test_{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def repo(mongo_uri: str, database_name: str) -> AsyncIterator[Repository]:
    """A migrated repository on a fresh database."""
    repository = await Repository.connect(mongo_uri, database_name)
    await repository.migrate()
    try:
        yield repository
    finally:
        await repository.database.client.drop_database(database_name)
        await repository.close()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"
