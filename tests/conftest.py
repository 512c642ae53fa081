"""Shared fixtures: real photos from installed packages, one loaded pipeline, one store.

The storage suite (and everything that stores) runs against one embedded nx-27017 server for the
whole session, or against the server named by ``MONGODB_URI`` when that is set (a real MongoDB).
Each test gets its own database, dropped afterwards. The embedded server lives on an event loop
of its own in a background thread: pytest-asyncio gives each test a fresh loop, and the server's
watchdog must keep running between tests.

Every test gets one clock (``facelog_clock``, see tests/clock.py) shared by the repository,
the diary, the bot's guard and the fake Telegram server; ``FACELOG_TEST_NOW`` pins it. Every
test also gets the logging configuration back as it found it.
"""

from __future__ import annotations

import asyncio
import logging
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
from tests.clock import TestClock, new_clock

T = TypeVar("T")

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# CI explores a fixed set of examples (a red CI always means a code change, never luck);
# developers' runs keep exploring new examples and find what CI would not.
settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(autouse=True)
def facelog_clock() -> TestClock:
    """This test's clock: real, or pinned by ``FACELOG_TEST_NOW`` and running from there.

    Autouse so that helpers outside fixtures (``tests.clock.current()``) see the same one.
    """
    return new_clock()


def _ours(handler: logging.Handler) -> bool:
    """Not one of pytest's per-phase capture handlers (those it adds and removes itself)."""
    return not type(handler).__module__.startswith("_pytest")


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Put logging back as the test found it: levels, root handlers and their formatters.

    Tests that log a session at DEBUG call ``configure_logging("DEBUG")``, which lowers the
    root and the capped library loggers to DEBUG and may add a stderr handler; left in place,
    every later test would log at DEBUG (slow, noisy) and a privacy test's result would depend
    on which test ran before it.
    """
    root = logging.getLogger()
    level = root.level
    handlers = {handler: handler.formatter for handler in root.handlers if _ours(handler)}
    levels = {
        name: logger.level
        for name, logger in logging.Logger.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    disabled = logging.root.manager.disable
    try:
        yield
    finally:
        for handler in list(root.handlers):
            if _ours(handler) and handler not in handlers:
                root.removeHandler(handler)
        for handler, formatter in handlers.items():
            handler.setFormatter(formatter)
            if handler not in root.handlers:
                root.addHandler(handler)
        root.setLevel(level)
        for name, before in levels.items():
            logger = logging.getLogger(name)
            if logger.level != before:
                logger.setLevel(before)
        logging.disable(disabled)


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
async def repo(
    mongo_uri: str, database_name: str, facelog_clock: TestClock
) -> AsyncIterator[Repository]:
    """A migrated repository on a fresh database, on this test's clock."""
    repository = await Repository.connect(mongo_uri, database_name, clock=facelog_clock)
    await repository.migrate()
    try:
        yield repository
    finally:
        await repository.database.client.drop_database(database_name)
        await repository.close()
