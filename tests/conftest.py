"""Shared fixtures: real photos from installed packages, one loaded pipeline, one store.

The storage suite (and everything that stores) runs against one embedded nx-27017 server for the
whole session, or against the server named by ``MONGODB_URI`` when that is set (a real MongoDB).
Each test gets its own database, dropped afterwards. The embedded server lives on an event loop
of its own in a background thread: pytest-asyncio gives each test a fresh loop, and the server's
watchdog must keep running between tests.
"""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import settings

from facelog.config import Settings
from inference.pipeline import FacePipeline
from storage import EmbeddedMongo, Repository

T = TypeVar("T")

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# CI explores a fixed set of examples (a red CI always means a code change, never luck);
# developers' runs keep exploring new examples and find what CI would not.
settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def package_file(distribution: str, relative: str) -> Path:
    """A data file inside an installed wheel, found through its file list (no import needed)."""
    path = Path(str(metadata.distribution(distribution).locate_file(relative)))
    if not path.is_file():
        raise FileNotFoundError(f"{relative} not in {distribution}")
    return path


#: Real face photos (public domain portraits shipped by scikit-image and matplotlib).
FACE_PHOTOS = {
    "astronaut": ("scikit-image", "skimage/data/astronaut.png"),
    "grace_hopper": ("matplotlib", "matplotlib/mpl-data/sample_data/grace_hopper.jpg"),
}
#: Real photos with no human face in them.
NO_FACE_PHOTOS = {
    "coffee": ("scikit-image", "skimage/data/coffee.png"),
    "chelsea_cat": ("scikit-image", "skimage/data/chelsea.png"),
    "rocket": ("scikit-image", "skimage/data/rocket.jpg"),
    "motorcycle": ("scikit-image", "skimage/data/motorcycle_left.png"),
    "coins": ("scikit-image", "skimage/data/coins.png"),
    "hubble": ("scikit-image", "skimage/data/hubble_deep_field.jpg"),
}


@pytest.fixture(scope="session")
def face_photos() -> dict[str, bytes]:
    return {name: package_file(*where).read_bytes() for name, where in FACE_PHOTOS.items()}


@pytest.fixture(scope="session")
def no_face_photos() -> dict[str, bytes]:
    return {name: package_file(*where).read_bytes() for name, where in NO_FACE_PHOTOS.items()}


@pytest.fixture(scope="session")
def pipeline() -> Iterator[FacePipeline]:
    """The default pipeline, models loaded once for the whole run."""
    pipe = FacePipeline.from_settings(Settings(_env_file=None))  # type: ignore[call-arg]
    yield pipe
    pipe.close()


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
